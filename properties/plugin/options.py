"""The plugin's options, and whether a session verifies an engine at all."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from properties.core.config import ENGINE_ENV, SHRINK_SECONDS
from properties.plugin.stash import PACKAGE_DIR

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradproof", "autograd engine verification (gradproof)")
    group.addoption("--engine", default=None, metavar="MODULE:ATTR",
                    help=f"the micrograd-style Value class to verify (default: ${ENGINE_ENV}, "
                         "[tool.gradproof] engine in pyproject.toml, else engine:Value)")
    group.addoption("--alias", action="append", default=[], metavar="OP=METHOD",
                    help="verify registry op OP through the engine's method METHOD, e.g. log=ln "
                         "(repeatable; also $GRADPROOF_ALIASES and [tool.gradproof] aliases)")
    group.addoption("--op", default=None, metavar="NAME",
                    help="run only what involves this registry op, with 5x the examples")
    group.addoption("--ops-module", action="append", default=[], metavar="MODULE",
                    help="import MODULE before collection so it can register op specs (also $GRADPROOF_OPS)")
    group.addoption("--not-an-op", action="append", default=[], metavar="NAME",
                    help="a public method of the engine that is API, not an op (exempt from the coverage gate)")
    group.addoption("--shrink-seconds", type=float, default=SHRINK_SECONDS, metavar="N",
                    help=f"shrink the run's first failure for at most N seconds (default {SHRINK_SECONDS:g}), "
                         "later ones for a fifth of that: blame gives the minimal case anyway")
    group.addoption("--strict-ops", action="store_true",
                    help="fail the run when the engine lacks an operator its other ops imply (2 - x, given x - 2): "
                         "by default such a finding is reported, not failed")
    group.addoption("--findings", default=None, metavar="PATH",
                    help="write the run's findings (one per root cause) as JSON to PATH; write --findings=PATH")
    group.addoption("--report", default=None, metavar="PATH",
                    help="write a self-contained HTML report (findings, accuracy table, a plot per op) to PATH; "
                         "write --report=PATH (plots need the [report] extra: matplotlib)")
    group.addoption("--accuracy", action="store_true",
                    help="show each op's worst error in ulps, per regime, after the findings")
    group.addoption("--value-attr", default=None, metavar="NAME",
                    help="where a value keeps its number (found by probing: data, value, val, item(), float(x))")
    group.addoption("--grad-attr", default=None, metavar="NAME",
                    help="where a value keeps its gradient (found by probing: grad, gradient, derivative)")
    group.addoption("--backward", default=None, metavar="NAME",
                    help="the method that runs backward (found by probing: backward, backwards, backprop)")
    group.addoption("--adapter", default=None, metavar="MODULE:CLASS",
                    help="an adapter for an engine of another shape (a subclass of properties.Adapter), "
                         "or a built-in one: minitorch, tensor0d")
    group.addoption("--ops", default=None, metavar="OP,OP",
                    help="verify only these registry ops (the others are skipped, as if the engine lacked them)")
    group.addoption("--hang-seconds", type=float, default=None, metavar="N",
                    help="the time limit of one test: past it, the engine hangs (a finding; default 30)")
    group.addoption("--seconds", type=float, default=None, metavar="N",
                    help="a time budget for the run: the tests not started by then are not run")
    group.addoption("--corpus", action="append", default=[], metavar="DIR",
                    help="a directory of regression entries that pytest -m regression replays too "
                         "(repeatable; the suite's known traps always run); write --corpus=DIR")


def _arg_paths(config: pytest.Config) -> list[Path]:
    """The paths the run collects from (test ids and --pyargs module names resolved)."""
    paths = []
    for arg in config.args:
        target = str(arg).split("::")[0]
        if config.option.pyargs and target and not os.path.exists(target):
            try:
                spec = importlib.util.find_spec(target)
            except (ImportError, ValueError):
                spec = None
            if spec is not None and spec.origin:
                origin = Path(spec.origin)
                paths.append(origin.parent if origin.name == "__init__.py" else origin)
            continue
        paths.append(Path(target).resolve())
    return paths


def verifies_an_engine(config: pytest.Config) -> bool:
    """Does this run verify an engine?  Only then does the plugin start a run and speak up."""
    if config.getoption("--engine") or os.environ.get(ENGINE_ENV):
        return True
    for path in _arg_paths(config):
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents or path in PACKAGE_DIR.parents:
            return True
    return False


def options_of(config: pytest.Config) -> dict:
    """This door's own settings, for :func:`properties.core.config.resolve`."""
    return {"engine": config.getoption("--engine"), "aliases": config.getoption("--alias"),
            "not_ops": config.getoption("--not-an-op"), "ops_modules": config.getoption("--ops-module"),
            "profile": config.getoption("hypothesis_profile", None), "op": config.getoption("--op"),
            "strict_ops": config.getoption("--strict-ops"), "shrink_seconds": config.getoption("--shrink-seconds"),
            "findings": config.getoption("--findings"), "corpus": config.getoption("--corpus"),
            "report": config.getoption("--report"), "accuracy": config.getoption("--accuracy"),
            "value_attr": config.getoption("--value-attr"), "grad_attr": config.getoption("--grad-attr"),
            "backward": config.getoption("--backward"), "adapter": config.getoption("--adapter"),
            "ops": None if config.getoption("--ops") is None else config.getoption("--ops").split(","),
            "hang_seconds": config.getoption("--hang-seconds"), "seconds": config.getoption("--seconds")}
