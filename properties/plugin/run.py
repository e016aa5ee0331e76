"""The run's life: started from the options (or from the Python API's request) when the session
begins, its profile and settings on every property, the markers that skip, the time limit of each
test, the run's budget; ended with the session."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import is_hypothesis_test, settings

from properties.core.config import ConfigError, resolve, spaced_path_options
from properties.core.engine_under_test import EngineUnderTest, from_config
from properties.core.session import Run, activate, deactivate, pending_request
from properties.core.watchdog import time_limit
from properties.plugin.options import options_of, verifies_an_engine
from properties.plugin.reports import Collector
from properties.plugin.stash import PACKAGE_DIR, PROFILE_KEY, RUN_KEY, SETTINGS_KEY
from properties.results.findings import Findings
from reference.ops import REGISTRY

MARKERS = (
    "op(name): the test verifies this registry op",
    "needs(*ops, any=False): skipped unless the engine has these registry ops (any=True: one of them; "
    "none named: any registry op)",
    "deep_graph: builds graphs deeper than Python's recursion limit",
    "examples(fraction): the run's hypothesis profile with this fraction of its examples (at least one)",
    "exhaustive: a deterministic sweep (every edge point of every op), left out of a quick verdict",
    "slow: long-running; not part of the default run",
    "regression: replays the regression corpus (the known traps, and --corpus=DIR)",
    "coverage_gate: the coverage gate, whose failure lists ops without a spec (not a bug of the engine)",
)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    request = pending_request()
    if request is None and not verifies_an_engine(config):
        return
    spaced = [] if request is not None or hasattr(config, "workerinput") else spaced_path_options(
        config.invocation_params.args)
    if spaced:
        raise pytest.UsageError(
            f"write {spaced[0]}=PATH, with '=': given as '{spaced[0]} PATH', pytest takes PATH for a test path "
            "while it chooses the project's root directory (before it knows gradproof's options), and may run "
            "another project's configuration")
    # torch warns on import when NumPy is absent; the suite never needs NumPy
    config.addinivalue_line("filterwarnings", "ignore:Failed to initialize NumPy:UserWarning")
    try:
        run_config = request.config if request is not None else resolve(options_of(config), root=config.rootpath)
        engine = from_config(run_config)
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    op = run_config.op
    if op is not None and op not in engine.ops:
        raise pytest.UsageError(f"--op {op}: {engine.name} has no {engine.method(REGISTRY[op])}")
    config.stash[PROFILE_KEY] = settings.get_current_profile_name()
    settings.load_profile(run_config.profile)
    if op is not None:
        settings.register_profile(f"op-{op}", parent=settings.default, max_examples=5 * settings.default.max_examples)
        settings.load_profile(f"op-{op}")
    run = Run(run_config, engine, Findings(), progress=None if request is None else request.progress)
    import torch  # noqa: F401  the oracle, loaded before any engine runs: imported lazily right after an
    # engine's runaway recursion, it was once left half-registered ("Only a single TORCH_LIBRARY ...")
    from properties.diagnosis.coverage import missing_operators

    for cause in missing_operators(engine):
        run.findings.add(cause, None)
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(Collector(run), "gradproof-findings")
    activate(run)
    if request is not None:
        request.run = run


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        deactivate(run)
        for test, before in config.stash.get(SETTINGS_KEY, {}).items():
            test._hypothesis_internal_use_settings = before
        settings.load_profile(config.stash[PROFILE_KEY])


def _hypothesis_settings(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each property runs under this run's profile.  Hypothesis fixes a test's settings when its
    module is imported; a process that runs the suite twice (the Python API) imports it once, so
    every hypothesis test of the suite gets the run's settings here, and its own back afterwards."""
    before = config.stash.setdefault(SETTINGS_KEY, {})
    for item in items:
        test = getattr(item, "obj", None)
        if not getattr(test, "is_hypothesis_test", False) or PACKAGE_DIR not in Path(str(item.fspath)).parents:
            continue
        before.setdefault(test, test._hypothesis_internal_use_settings)
        marker = item.get_closest_marker("examples")
        scaled = {} if marker is None else {"max_examples": max(1, int(settings.default.max_examples * marker.args[0]))}
        test._hypothesis_internal_use_settings = settings(settings.default, **scaled)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every property under the run's hypothesis settings; with --op NAME, only the tests marked for
    that op (composite properties are marked for every op, and then draw expressions with it)."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    _hypothesis_settings(config, items)
    if run.config.quick:  # a verdict in seconds: the sweeps are for a thorough run
        _deselect(config, items, lambda item: item.get_closest_marker("exhaustive") is None)
    if run.config.op is None:
        return
    def involves(item: pytest.Item) -> bool:
        names = {name for marker in item.iter_markers("op") for name in marker.args}
        return run.config.op in names or "*" in names

    _deselect(config, items, involves)


def _deselect(config: pytest.Config, items: list[pytest.Item], keep) -> None:
    """Keep the items ``keep`` says yes to; the others are deselected (and counted so)."""
    kept = [item for item in items if keep(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not keep(item)])
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return []
    engine = run.engine
    module = sys.modules.get(engine.value_type.__module__)
    lines = [f"engine under test: {engine.name} ({getattr(module, '__file__', '?')})"]
    lines.append(f"shape: {engine.adapter.describe()}")
    lines.append(f"ops verified: {', '.join(engine.ops) or 'none'}")
    if engine.aliases:
        lines.append("aliases: " + ", ".join(f"{op} as .{method}" for op, method in engine.aliases))
    if engine.missing_ops:
        lines.append(f"ops skipped (not in this engine): {', '.join(engine.missing_ops)}")
    if engine.deselected_ops:
        lines.append(f"ops left out (not selected): {', '.join(engine.deselected_ops)}")
    helpers = _coverage(run).helpers
    if helpers:
        lines.append(f"not verified (not ops: they return no value of the engine): {', '.join(helpers)}")
    lines.append(f"hypothesis profile: {settings.get_current_profile_name()}")
    return lines


def _coverage(run: Run):
    if "coverage" not in run.cache:
        from properties.diagnosis.coverage import coverage

        run.cache["coverage"] = coverage(run.engine, run.config.not_ops)
    return run.cache["coverage"]


def _lacking(engine: EngineUnderTest, marker: pytest.Mark) -> str | None:
    """Why the engine cannot run a test marked ``needs(...)``, or None if it can."""
    names = marker.args or tuple(REGISTRY)
    has = [engine.supports(REGISTRY[n]) for n in names]
    if marker.kwargs.get("any") or not marker.args:
        return None if any(has) else f"{engine.name} has none of {', '.join(names) if marker.args else 'the registry ops'}"
    missing = [REGISTRY[n].method for n, ok in zip(names, has) if not ok]
    return f"{engine.name} lacks {', '.join(missing)}" if missing else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    run = item.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    ops = {name for marker in item.iter_markers("op") for name in marker.args}
    hung = run.hung & ops
    if hung:
        pytest.skip(f"{', '.join(sorted(hung))} did not return in an earlier test (see its finding)")
    if (run.config.quick and ops and "*" not in ops and ops <= {f.op for f in run.findings.findings}
            and is_hypothesis_test(getattr(item, "obj", None))):  # (one-shot checks of another cause still run)
        pytest.skip(f"{', '.join(sorted(ops))} has a finding already (a quick verdict looks no further at it)")
    for marker in item.iter_markers("needs"):
        reason = _lacking(run.engine, marker)
        if reason is not None:
            pytest.skip(reason)
    from properties.core.shrinking import limit_shrinking

    budget = run.config.shrink_seconds
    limit_shrinking(budget if not run.failed else max(1.0, budget / 5))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Each test within the time limit (an engine that hangs is a finding, not a dead session)."""
    run = item.config.stash.get(RUN_KEY, None)
    if run is None:
        return (yield)
    with time_limit(run.config.hang_seconds):
        return (yield)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Past the run's budget (``seconds``), the tests not started yet are not run."""
    run = item.config.stash.get(RUN_KEY, None)
    if run is not None and run.config.seconds is not None and nextitem is not None and not run.stopped:
        if time.monotonic() - run.started > run.config.seconds:
            run.stopped = f"the time budget of {run.config.seconds:g} s was spent"
            item.session.shouldstop = f"gradproof: {run.stopped}"


@pytest.fixture(scope="session")
def gradproof_run(pytestconfig: pytest.Config) -> Run:
    """The run this session serves: its configuration, its engine, its findings."""
    if RUN_KEY not in pytestconfig.stash:
        pytest.skip("this run verifies no engine (pass --engine MODULE:ATTR)")
    return pytestconfig.stash[RUN_KEY]


@pytest.fixture(scope="session")
def engine(gradproof_run: Run) -> EngineUnderTest:
    """The engine under test, as configured: a test that builds another engine for itself cannot
    change what the properties verify."""
    return gradproof_run.engine


@pytest.fixture(scope="session")
def not_ops(gradproof_run: Run) -> tuple[str, ...]:
    """Methods the user says are API, not ops (--not-an-op, [tool.gradproof] not-an-op)."""
    return gradproof_run.config.not_ops
