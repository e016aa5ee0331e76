"""The gradproof pytest plugin: options, hypothesis profiles, the report header and the findings.

Installed with this package and registered as a ``pytest11`` entry point, so
its options parse from any directory and in any project::

    pytest --pyargs properties --engine mypkg.engine:Value
    pytest -m regression --corpus /abs/dir --engine mypkg.engine:Value

Options (all listed under "gradproof" in ``pytest --help``):
  --engine MODULE:ATTR   the Value class under test ($GRADPROOF_ENGINE, [tool.gradproof] engine, else engine:Value)
  --alias OP=METHOD      verify registry op OP through the engine's method METHOD (repeatable)
  --op NAME              only what involves op NAME, with 5x the examples (a contributor's inner loop)
  --ops-module MODULE    import MODULE first: it registers specs for a downstream engine's own ops
  --not-an-op NAME       a public method of the engine that is API, not an op (e.g. zero_grad)
  --corpus DIR           more regression entries for pytest -m regression (the known traps always run)
  --findings PATH        write the run's root causes as JSON

The plugin stays out of the way of other projects that share the environment:
it loads an engine, a profile and prints its header only when the run verifies
an engine (an ``--engine`` option, the environment variable, or test paths in
this package).

Hypothesis profiles (choose with --hypothesis-profile=NAME):
  dev      the local default: random, 100 examples per property, failures saved to .hypothesis/
  ci       loaded whenever the CI environment variable is set: derandomized (the same examples
           every run), no example database, failures printed with a reproduction blob
  fuzz     long campaigns: 20,000 examples per property, no deadline, database on
  mutants  ci without the shrink phase: the fastest verdict on an engine known to be wrong
  smoke    ci with 10 examples per property: a quick pass
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from properties.engine_under_test import (
    ALIAS_ENV_VAR, ENV_VAR, EngineSpecError, EngineUnderTest, focus_on, parse_aliases, select_engine,
)
from properties.findings import Findings, causes_of, finding_key
from reference.ops import REGISTRY

OPS_ENV_VAR = "GRADPROOF_OPS"  # comma-separated modules, like --ops-module
ENGINE_KEY = pytest.StashKey[EngineUnderTest]()  # the engine chosen at configure time
PACKAGE_DIR = Path(__file__).resolve().parent
SHRINK_SECONDS = 10.0

# No deadline anywhere: an example's cost depends on the mpmath precision it needs, not on a bug.
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
# Our own "ci" replaces hypothesis' built-in one (which it loads whenever CI is set); the same
# settings as hypothesis' own, except that a slow example is not an error.
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20_000, deadline=None, print_blob=True)
# For mutation runs: one failure is all we need to know, so skip the shrink phase (~16x faster per mutant).
settings.register_profile(
    "mutants",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
# A quick pass (the suite's own tests run it on other engines): derandomized, 10 examples.
settings.register_profile("smoke", parent=settings.get_profile("ci"), max_examples=10)

MARKERS = (
    "op(name): the test verifies this registry op",
    "deep_graph: builds graphs deeper than Python's recursion limit",
    "slow: long-running; not part of the default run",
    "regression: replays the regression corpus (the known traps, and --corpus DIR)",
    "coverage_gate: the coverage gate, whose failure lists ops without a spec (not a bug of the engine)",
)


def default_profile() -> str:
    return "ci" if os.environ.get("CI") else "dev"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradproof", "autograd engine verification (gradproof)")
    group.addoption("--engine", default=None, metavar="MODULE:ATTR",
                    help=f"the micrograd-style Value class to verify (default: ${ENV_VAR}, "
                         "[tool.gradproof] engine in pyproject.toml, else engine:Value)")
    group.addoption("--alias", action="append", default=[], metavar="OP=METHOD",
                    help=f"verify registry op OP through the engine's method METHOD, e.g. log=ln "
                         f"(repeatable; also ${ALIAS_ENV_VAR} and [tool.gradproof] aliases)")
    group.addoption("--op", default=None, metavar="NAME",
                    help="run only what involves this registry op, with 5x the examples")
    group.addoption("--ops-module", action="append", default=[], metavar="MODULE",
                    help=f"import MODULE before collection so it can register op specs (also ${OPS_ENV_VAR})")
    group.addoption("--not-an-op", action="append", default=[], metavar="NAME",
                    help="a public method of the engine that is API, not an op (exempt from the coverage gate)")
    group.addoption("--shrink-seconds", type=float, default=SHRINK_SECONDS, metavar="N",
                    help=f"shrink the run's first failure for at most N seconds (default {SHRINK_SECONDS:g}), "
                         "later ones for a fifth of that: blame gives the minimal case anyway")
    group.addoption("--strict-ops", action="store_true",
                    help="fail the run when the engine lacks an operator its other ops imply (2 - x, given x - 2): "
                         "by default such a finding is reported, not failed")
    group.addoption("--findings", default=None, metavar="PATH",
                    help="write the run's findings (one per root cause) as JSON to PATH (README: 'Findings')")
    group.addoption("--corpus", action="append", default=[], metavar="DIR",
                    help="a directory of regression entries that pytest -m regression replays too "
                         "(repeatable; the suite's known traps always run)")


# ----- configuration ----------------------------------------------------------------------


def _project_table(config: pytest.Config) -> dict:
    """``[tool.gradproof]`` of the project's pyproject.toml (the rootdir's), or {}."""
    path = config.rootpath / "pyproject.toml"
    if not path.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise pytest.UsageError(f"{path}: cannot read [tool.gradproof]: {error}") from None
    table = data.get("tool", {}).get("gradproof", {})
    if not isinstance(table, dict):
        raise pytest.UsageError(f"{path}: [tool.gradproof] must be a table")
    return table


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
    """Does this run verify an engine?  Only then does the plugin load one and speak up."""
    if config.getoption("--engine") or os.environ.get(ENV_VAR):
        return True
    for path in _arg_paths(config):
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents or path in PACKAGE_DIR.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if not verifies_an_engine(config):
        return
    # torch warns on import when NumPy is absent; the suite never needs NumPy
    config.addinivalue_line("filterwarnings", "ignore:Failed to initialize NumPy:UserWarning")
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(default_profile())
    table = _project_table(config)
    modules = list(table.get("ops-modules", [])) + config.getoption("--ops-module")
    modules += [m for m in os.environ.get(OPS_ENV_VAR, "").split(",") if m]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise pytest.UsageError(f"--ops-module {module}: {error}") from None
    try:
        aliases = parse_aliases([f"{k}={v}" for k, v in table.get("aliases", {}).items()], "[tool.gradproof] aliases")
        aliases |= parse_aliases([os.environ.get(ALIAS_ENV_VAR, "")], ALIAS_ENV_VAR)
        aliases |= parse_aliases(config.getoption("--alias"))
        engine = select_engine(config.getoption("--engine") or table.get("engine"), aliases)
    except EngineSpecError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[ENGINE_KEY] = engine
    config.stash[FINDINGS_KEY] = Findings()
    _CONFIG["config"] = config
    from properties.coverage import missing_operators

    for cause in missing_operators(engine):
        config.stash[FINDINGS_KEY].add(cause, None)
    config.stash[NOT_OPS_KEY] = list(table.get("not-an-op", [])) + config.getoption("--not-an-op")
    op = config.getoption("--op")
    if op is not None:
        if op not in REGISTRY:
            raise pytest.UsageError(f"--op {op}: no such op; registered: {', '.join(REGISTRY)}")
        if op not in engine.ops:
            raise pytest.UsageError(f"--op {op}: {engine.name} has no {engine.method(REGISTRY[op])}")
        focus_on(op)
        current = settings.default
        settings.register_profile(f"op-{op}", parent=current, max_examples=5 * current.max_examples)
        settings.load_profile(f"op-{op}")


NOT_OPS_KEY = pytest.StashKey[list]()
_CONFIG: dict = {}  # the run's config, for hooks that are not given it (pytest_runtest_logreport)
FINDINGS_KEY = pytest.StashKey[Findings]()
FAILED_KEY = pytest.StashKey[list]()
COVERAGE_KEY = pytest.StashKey[object]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --op NAME keep only the tests marked for that op (composite properties are marked
    for every op, and then draw expressions that contain it)."""
    op = config.getoption("--op")
    if op is None or ENGINE_KEY not in config.stash:
        return
    keep, drop = [], []
    for item in items:
        names = {name for marker in item.iter_markers("op") for name in marker.args}
        (keep if op in names or "*" in names else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    if ENGINE_KEY not in config.stash:
        return []
    engine = config.stash[ENGINE_KEY]
    module = sys.modules.get(engine.value_type.__module__)
    lines = [f"engine under test: {engine.name} ({getattr(module, '__file__', '?')})"]
    lines.append(f"ops verified: {', '.join(engine.ops) or 'none'}")
    if engine.aliases:
        lines.append("aliases: " + ", ".join(f"{op} as .{method}" for op, method in engine.aliases))
    if engine.missing_ops:
        lines.append(f"ops skipped (not in this engine): {', '.join(engine.missing_ops)}")
    helpers = _coverage(config).helpers
    if helpers:
        lines.append(f"not verified (not ops: they return no value of the engine): {', '.join(helpers)}")
    lines.append(f"hypothesis profile: {settings.get_current_profile_name()}")
    return lines


def _coverage(config: pytest.Config):
    if COVERAGE_KEY not in config.stash:
        from properties.coverage import coverage

        config.stash[COVERAGE_KEY] = coverage(config.stash[ENGINE_KEY], config.stash.get(NOT_OPS_KEY, []))
    return config.stash[COVERAGE_KEY]


# ----- findings: every failure blamed on its root cause -------------------------------------


def cause_text(cause) -> str:
    """The lines a failure report leads with: the root cause, then a one-op reproducer."""
    lines = [f"ROOT CAUSE ({cause.kind}, {cause.severity}): {cause.summary}"]
    if cause.consequences:
        lines.append(f"(the op(s) {', '.join(cause.consequences)} fail through it)")
    lines += ["", "One-op reproducer (runs without gradproof):", ""]
    lines += ["    " + line for line in cause.reproducer.splitlines()]
    lines += ["", "Found by this property, in:", ""]
    return "\n".join(lines)


def lead_with_cause(report: pytest.TestReport, cause) -> None:
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


def pytest_runtest_setup(item: pytest.Item) -> None:
    config = item.config
    if ENGINE_KEY in config.stash:
        from properties.shrinking import limit_shrinking

        budget = config.getoption("--shrink-seconds")
        limit_shrinking(budget if not config.stash.get(FAILED_KEY, None) else max(1.0, budget / 5))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Blame each failure where it happened (a pytest-xdist worker, or this process) and send the
    cause along with the report: :func:`pytest_runtest_logreport` collects the findings."""
    report = yield
    config = item.config
    if report.when != "call" or ENGINE_KEY not in config.stash:
        return report
    engine = config.stash[ENGINE_KEY]
    if engine.detached:
        report.user_properties.append(("gradproof-detached", dict(engine.detached)))
    if not report.failed or call.excinfo is None:
        return report
    if item.get_closest_marker("coverage_gate") is not None:
        report.user_properties.append(("gradproof-unverified", getattr(call.excinfo.value, "names", [])))
        return report
    from properties.blame import blame

    config.stash.setdefault(FAILED_KEY, []).append(item.nodeid)
    cause = None
    for failure in causes_of(call.excinfo.value):
        if failure.cause is None and failure.case is not None:
            try:
                failure.cause = blame(failure.case, failure.engine or engine)
            except Exception as error:  # blame must never hide the property's own report
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


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    if config is None or ENGINE_KEY not in config.stash or report.when != "call":
        return
    from properties.blame import Cause

    findings = config.stash[FINDINGS_KEY]
    for key, value in report.user_properties:
        if key == "gradproof-cause":
            findings.add(Cause.from_dict(value), report.nodeid)
            findings.failed += 1
        elif key == "gradproof-unexplained":
            findings.add_unexplained(report.nodeid, value)
            findings.failed += 1
        elif key == "gradproof-unverified":
            findings.unverified = sorted(set(findings.unverified) | set(value))
        elif key == "gradproof-detached":
            config.stash[ENGINE_KEY].detached.update(value)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    """The findings last, after pytest's own summaries (its "short test summary info" lists every
    failing test: a hundred lines that would push the few root causes off the screen)."""
    result = yield
    if ENGINE_KEY in config.stash:
        _summary(terminalreporter, config)
    return result


def _summary(terminalreporter, config: pytest.Config) -> None:
    engine = config.stash[ENGINE_KEY]
    findings = config.stash[FINDINGS_KEY]
    terminalreporter.section("gradproof")
    terminalreporter.write_line(f"verified ops ({len(engine.ops)}): {', '.join(engine.ops) or 'none'}")
    terminalreporter.write_line(
        f"skipped ops ({len(engine.missing_ops)}, not in this engine): {', '.join(engine.missing_ops) or 'none'}"
    )
    _detached(config)
    if findings:
        findings.locate(engine)
    terminalreporter.section("gradproof findings", bold=True, red=bool(findings))
    for line in findings.lines(engine.name, findings.failed):
        terminalreporter.write_line(line)


def _detached(config: pytest.Config) -> None:
    """Findings for ops a subclass engine adds that the results of its inherited ops lack."""
    from properties.coverage import detached_ops

    findings = config.stash[FINDINGS_KEY]
    for cause in detached_ops(config.stash[ENGINE_KEY]):
        if finding_key(cause) not in findings.by_key:
            findings.add(cause, None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("--findings")
    if path and ENGINE_KEY in config.stash:
        _detached(config)
        findings = config.stash[FINDINGS_KEY]
        findings.locate(config.stash[ENGINE_KEY])
        findings.write(path, config.stash[ENGINE_KEY])


@pytest.fixture(scope="session")
def engine(pytestconfig: pytest.Config) -> EngineUnderTest:
    """The engine under test (see --engine), as configured: a test that selects another engine
    for itself cannot change what the properties verify."""
    if ENGINE_KEY not in pytestconfig.stash:
        pytest.skip("this run verifies no engine (pass --engine MODULE:ATTR)")
    return pytestconfig.stash[ENGINE_KEY]


@pytest.fixture(scope="session")
def not_ops(pytestconfig: pytest.Config) -> list[str]:
    """Methods the user says are API, not ops (--not-an-op, [tool.gradproof] not-an-op)."""
    return pytestconfig.stash.get(NOT_OPS_KEY, [])
