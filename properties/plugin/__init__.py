"""The gradproof pytest plugin: the door through which pytest runs the properties on an engine.

Installed with this package and registered as a ``pytest11`` entry point, so its options parse
from any directory and in any project (write path options with ``=``)::

    pytest --pyargs properties --engine mypkg.engine:Value --findings=findings.json
    pytest -m regression --corpus=/abs/dir --engine mypkg.engine:Value

Its options (``pytest --help``, under "gradproof") are in :mod:`.options`; the settings resolve in
:mod:`properties.core.config`, as for every door, and the hypothesis profiles (``--hypothesis-
profile=NAME``: dev, ci, fuzz, mutants, smoke, quick) are registered there.

The plugin stays out of the way of other projects that share the environment: it starts a run,
loads a profile and prints its header only when the session verifies an engine (an ``--engine``
option, the environment variable, test paths in this package, or a run the Python API asked
for).  Each hook is thin, one module per concern: :mod:`.options`; :mod:`.run` (the run's life
and each test's: markers, settings, time limit, budget); :mod:`.reports` (every failure blamed,
the findings collected, summarised and written).
"""

from properties.plugin.options import pytest_addoption
from properties.plugin.reports import (
    pytest_collection_finish, pytest_runtest_makereport, pytest_sessionfinish, pytest_terminal_summary,
)
from properties.plugin.run import (
    engine, gradproof_run, not_ops, pytest_collection_modifyitems, pytest_configure, pytest_report_header,
    pytest_runtest_call, pytest_runtest_setup, pytest_runtest_teardown, pytest_unconfigure,
)

__all__ = [
    "engine", "gradproof_run", "not_ops", "pytest_addoption", "pytest_collection_finish",
    "pytest_collection_modifyitems", "pytest_configure", "pytest_report_header", "pytest_runtest_call",
    "pytest_runtest_makereport", "pytest_runtest_setup", "pytest_runtest_teardown", "pytest_sessionfinish",
    "pytest_terminal_summary", "pytest_unconfigure",
]
