"""Thin on purpose: the suite's options, profiles, header and findings live in the installed
pytest plugin (properties/plugin/, a ``pytest11`` entry point), so that they work from any
directory and in any project.  This file marks the checkout's root, which pytest then puts on
``sys.path`` (so this project's own ``engine`` and ``mutant_engines`` import in its tests), and
gives the suite's own tests the suite's hypothesis profile too (``dev``, or ``ci`` under CI).
"""

from hypothesis import settings

from properties.core.config import default_profile


def pytest_configure(config):
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(default_profile())
