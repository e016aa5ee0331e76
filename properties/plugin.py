"""The gradproof pytest plugin: the door through which pytest runs the properties on an engine.

Installed with this package and registered as a ``pytest11`` entry point, so its options parse
from any directory and in any project (write path options with ``=``)::

    pytest --pyargs properties --engine mypkg.engine:Value --findings=findings.json
    pytest -m regression --corpus=/abs/dir --engine mypkg.engine:Value

Options (all listed under "gradproof" in ``pytest --help``):
  --engine MODULE:ATTR   the Value class under test ($GRADPROOF_ENGINE, [tool.gradproof] engine, else engine:Value)
  --alias OP=METHOD      verify registry op OP through the engine's method METHOD (repeatable)
  --op NAME              only what involves op NAME, with 5x the examples (a contributor's inner loop)
  --ops-module MODULE    import MODULE first: it registers specs for a downstream engine's own ops
  --not-an-op NAME       a public method of the engine that is API, not an op (e.g. zero_grad)
  --corpus=DIR           more regression entries for pytest -m regression (the known traps always run)
  --findings=PATH        write the run's root causes as JSON
  --value-attr NAME, --grad-attr NAME, --backward NAME, --adapter MODULE:CLASS
                         the engine's shape, where probing a * b + a cannot find it

The settings resolve in :mod:`properties.core.config`, as for every door; the hypothesis
profiles (``--hypothesis-profile=NAME``: dev, ci, fuzz, mutants, smoke) are registered there.

The plugin stays out of the way of other projects that share the environment: it starts a run,
loads a profile and prints its header only when the run verifies an engine (an ``--engine``
option, the environment variable, test paths in this package, or a run the Python API asked
for).  Each hook is thin: the run (:mod:`properties.core.session`), blame
(:mod:`properties.diagnosis.blame`) and the findings (:mod:`properties.results.findings`) do
the work.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

from properties.core.config import ENGINE_ENV, SHRINK_SECONDS, ConfigError, resolve, spaced_path_options
from properties.core.engine_under_test import EngineUnderTest, from_config
from properties.core.session import Run, activate, current, deactivate, pending_request
from properties.core.watchdog import Hung, time_limit
from properties.diagnosis.causes import Cause
from properties.diagnosis.hangs import hang_cause
from properties.results.findings import Findings, causes_of, finding_key
from reference.ops import REGISTRY

RUN_KEY = pytest.StashKey[Run]()  # the run this session serves
PROFILE_KEY = pytest.StashKey[str]()  # the hypothesis profile before it, restored after
SETTINGS_KEY = pytest.StashKey[dict]()  # each hypothesis test's settings before this run, restored after
PACKAGE_DIR = Path(__file__).resolve().parent

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


# ----- the run ------------------------------------------------------------------------------


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


def _options(config: pytest.Config) -> dict:
    """This door's own settings, for :func:`properties.core.config.resolve`."""
    return {"engine": config.getoption("--engine"), "aliases": config.getoption("--alias"),
            "not_ops": config.getoption("--not-an-op"), "ops_modules": config.getoption("--ops-module"),
            "profile": config.getoption("hypothesis_profile", None), "op": config.getoption("--op"),
            "strict_ops": config.getoption("--strict-ops"), "shrink_seconds": config.getoption("--shrink-seconds"),
            "findings": config.getoption("--findings"), "corpus": config.getoption("--corpus"),
            "value_attr": config.getoption("--value-attr"), "grad_attr": config.getoption("--grad-attr"),
            "backward": config.getoption("--backward"), "adapter": config.getoption("--adapter"),
            "ops": None if config.getoption("--ops") is None else config.getoption("--ops").split(","),
            "hang_seconds": config.getoption("--hang-seconds"), "seconds": config.getoption("--seconds")}


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
        run_config = request.config if request is not None else resolve(_options(config), root=config.rootpath)
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
    from properties.diagnosis.coverage import missing_operators

    for cause in missing_operators(engine):
        run.findings.add(cause, None)
    config.stash[RUN_KEY] = run
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
    if run.config.quick and ops and "*" not in ops and ops <= {f.op for f in run.findings.findings}:
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


# ----- findings: every failure blamed on its root cause -------------------------------------


def cause_text(cause: Cause) -> str:
    """The lines a failure report leads with: the root cause, then a one-op reproducer."""
    lines = [f"ROOT CAUSE ({cause.kind}, {cause.severity}): {cause.summary}"]
    if cause.consequences:
        lines.append(f"(the op(s) {', '.join(cause.consequences)} fail through it)")
    lines += ["", "One-op reproducer (runs without gradproof):", ""]
    lines += ["    " + line for line in cause.reproducer.splitlines()]
    lines += ["", "Found by this property, in:", ""]
    return "\n".join(lines)


def lead_with_cause(report: pytest.TestReport, cause: Cause) -> None:
    """Put the root cause at the top of the failure's report, and make it the summary line's
    message.  The report stays pytest's own (a traceback with one more entry first), so it
    travels from a pytest-xdist worker like any other."""
    from _pytest._code.code import ReprEntryNative

    longrepr = report.longrepr
    chain = getattr(longrepr, "chain", None)
    traceback = chain[0][0] if chain else getattr(longrepr, "reprtraceback", None)
    if traceback is None or not hasattr(traceback, "reprentries"):
        report.longrepr = f"{cause_text(cause)}\n{longrepr}"
        return
    traceback.reprentries.insert(0, ReprEntryNative([cause_text(cause) + "\n"]))
    crashes = [getattr(longrepr, "reprcrash", None)] + [c for _, c, _ in chain or ()]
    for crash in crashes:
        if crash is not None:
            crash.message = f"root cause: {cause.summary}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Blame each failure where it happened (a pytest-xdist worker, or this process) and send the
    cause along with the report: :func:`pytest_runtest_logreport` collects the findings."""
    report = yield
    run = item.config.stash.get(RUN_KEY, None)
    if report.when != "call" or run is None:
        return report
    engine = run.engine
    if engine.detached:
        report.user_properties.append(("gradproof-detached", dict(engine.detached)))
    if not report.failed or call.excinfo is None:
        return report
    if item.get_closest_marker("coverage_gate") is not None:
        report.user_properties.append(("gradproof-unverified", getattr(call.excinfo.value, "names", [])))
        return report
    from properties.diagnosis.blame import blame

    run.failed.append(item.nodeid)
    cause = hang_cause(engine, call.excinfo) if call.excinfo.errisinstance(Hung) else None
    if cause is not None and cause.op is not None:
        run.set_aside(cause.op)
    for failure in causes_of(call.excinfo.value) if cause is None else ():
        if failure.cause is None and failure.case is not None:
            try:
                with time_limit(run.config.hang_seconds):
                    failure.cause = blame(failure.case, failure.engine or engine)
            except (Exception, Hung) as error:  # blame must never hide the property's own report
                report.sections.append(("gradproof", f"blame failed: {type(error).__name__}: {error}"))
        if failure.cause is not None:
            cause = failure.cause
            break
    if cause is None:
        message = str(call.excinfo.value).strip().splitlines()
        report.user_properties.append(("gradproof-unexplained", message[0][:200] if message else call.excinfo.typename))
        return report
    report.user_properties.append(("gradproof-cause", cause.to_dict()))
    lead_with_cause(report, cause)
    return report


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.total = len(session.items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    run = current()
    if run is None:
        return
    if run.progress is not None and report.when == "teardown":  # every test has one, a skipped one too
        run.done += 1
        run.progress(run.done, run.total, len(run.failed))
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "gradproof-cause":
            run.findings.add(Cause.from_dict(value), report.nodeid)
            run.findings.failed += 1
        elif key == "gradproof-unexplained":
            run.findings.add_unexplained(report.nodeid, value)
            run.findings.failed += 1
        elif key == "gradproof-unverified":
            run.findings.unverified = sorted(set(run.findings.unverified) | set(value))
        elif key == "gradproof-detached":
            run.engine.detached.update(value)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    """The findings last, after pytest's own summaries (its "short test summary info" lists every
    failing test: a hundred lines that would push the few root causes off the screen)."""
    result = yield
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        _summary(terminalreporter, run)
    return result


def _summary(terminalreporter, run: Run) -> None:
    engine, findings = run.engine, run.findings
    terminalreporter.section("gradproof")
    terminalreporter.write_line(f"verified ops ({len(engine.ops)}): {', '.join(engine.ops) or 'none'}")
    terminalreporter.write_line(
        f"skipped ops ({len(engine.missing_ops)}, not in this engine): {', '.join(engine.missing_ops) or 'none'}"
    )
    _finish(run)
    terminalreporter.section("gradproof findings", bold=True, red=bool(findings))
    for line in findings.lines(engine.name, findings.failed):
        terminalreporter.write_line(line)


def _finish(run: Run) -> None:
    """The findings complete: ops a subclass engine adds that the results of its inherited ops
    lack, and where on the real line each finding shows."""
    from properties.diagnosis.coverage import detached_ops

    for cause in detached_ops(run.engine):
        if finding_key(cause) not in run.findings.by_key:
            run.findings.add(cause, None)
    run.findings.locate(run.engine, skip=run.hung, seconds=run.config.hang_seconds)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None and not hasattr(session.config, "workerinput"):
        _finish(run)
        if run.config.findings:
            run.findings.write(run.config.findings, run.engine)


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
