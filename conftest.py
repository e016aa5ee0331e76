"""Thin on purpose: the suite's options, profiles, header and findings live in the installed
pytest plugin (properties/plugin.py, a ``pytest11`` entry point), so that they work from any
directory and in any project.  This file only marks the checkout's root, which pytest then puts
on ``sys.path`` so that this project's own ``engine`` and ``mutant_engines`` import in its tests.
"""
