"""Suite configuration: which engine is verified, hypothesis profiles, the report header.

Options (all also listed under "gradproof" in ``pytest --help``):
  --engine MODULE:ATTR   the Value class under test (default: $GRADPROOF_ENGINE, else engine:Value)
  --op NAME              only what involves op NAME, with 5x the examples (a contributor's inner loop)
  --ops-module MODULE    import MODULE first: it registers specs for a downstream engine's own ops
  --not-an-op NAME       a public method of the engine that is API, not an op (e.g. zero_grad)
  --corpus DIR           the regression corpus pytest -m regression replays (default: corpus/)

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
import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from properties.engine_under_test import ENV_VAR, EngineSpecError, current_engine, focus_on, select_engine
from reference.ops import REGISTRY

OPS_ENV_VAR = "GRADPROOF_OPS"  # comma-separated modules, like --ops-module
ENGINE_KEY = pytest.StashKey()  # the EngineUnderTest chosen by --engine

# No deadline anywhere: an example's cost depends on the mpmath precision it needs, not on a bug.
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
# Our own "ci" replaces hypothesis' built-in one, which it loads whenever CI is set.
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", max_examples=20_000, deadline=None, print_blob=True)
# For mutation runs: one failure is all we need to know, so skip the shrink phase (~16x faster per mutant).
settings.register_profile(
    "mutants",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],  # a mutant may be slow; we only want its verdict
)
# A quick pass (the suite's own tests run it on other engines): derandomized, 10 examples.
settings.register_profile("smoke", parent=settings.get_profile("ci"), max_examples=10)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradproof", "autograd engine verification")
    group.addoption("--engine", default=None, metavar="MODULE:ATTR",
                    help=f"the micrograd-style Value class to verify (default: ${ENV_VAR}, else engine:Value)")
    group.addoption("--op", default=None, metavar="NAME",
                    help="run only what involves this registry op, with 5x the examples")
    group.addoption("--ops-module", action="append", default=[], metavar="MODULE",
                    help=f"import MODULE before collection so it can register op specs (also ${OPS_ENV_VAR})")
    group.addoption("--not-an-op", action="append", default=[], metavar="NAME",
                    help="a public method of the engine that is API, not an op (exempt from the coverage gate)")
    group.addoption("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"),
                    metavar="DIR", help="the regression corpus that pytest -m regression replays (default: corpus/)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "op(name): the test verifies this registry op")
    modules = config.getoption("--ops-module") + [m for m in os.environ.get(OPS_ENV_VAR, "").split(",") if m]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise pytest.UsageError(f"--ops-module {module}: {error}") from None
    try:
        engine = select_engine(config.getoption("--engine"))
    except EngineSpecError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[ENGINE_KEY] = engine
    op = config.getoption("--op")
    if op is not None:
        if op not in REGISTRY:
            raise pytest.UsageError(f"--op {op}: no such op; registered: {', '.join(REGISTRY)}")
        if op not in engine.ops:
            raise pytest.UsageError(f"--op {op}: {engine.name} has no {REGISTRY[op].method}")
        focus_on(op)
        current = settings.default
        settings.register_profile(f"op-{op}", parent=current, max_examples=5 * current.max_examples)
        settings.load_profile(f"op-{op}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --op NAME keep only the tests marked for that op (composite properties are marked
    for every op, and then draw expressions that contain it)."""
    op = config.getoption("--op")
    if op is None:
        return
    keep, drop = [], []
    for item in items:
        names = {name for marker in item.iter_markers("op") for name in marker.args}
        (keep if op in names or "*" in names else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    engine = current_engine()
    module = __import__(engine.value_type.__module__, fromlist=["_"])
    lines = [f"engine under test: {engine.name} ({getattr(module, '__file__', '?')})"]
    lines.append(f"ops verified: {', '.join(engine.ops) or 'none'}")
    if engine.missing_ops:
        lines.append(f"ops skipped (not in this engine): {', '.join(engine.missing_ops)}")
    lines.append(f"hypothesis profile: {settings.get_current_profile_name()}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    engine = current_engine()
    terminalreporter.section("gradproof")
    terminalreporter.write_line(f"engine: {engine.name}")
    terminalreporter.write_line(f"verified ops ({len(engine.ops)}): {', '.join(engine.ops) or 'none'}")
    terminalreporter.write_line(
        f"skipped ops ({len(engine.missing_ops)}, not in this engine): {', '.join(engine.missing_ops) or 'none'}"
    )


@pytest.fixture(scope="session")
def engine(pytestconfig):
    """The engine under test (see --engine), as configured: a test that selects another engine
    for itself cannot change what the properties verify."""
    return pytestconfig.stash[ENGINE_KEY]
