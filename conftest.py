"""Suite configuration: which engine is verified, hypothesis profiles, the report header.

Options:
  --engine MODULE:ATTR   the Value class under test (default: $GRADPROOF_ENGINE, else engine:Value)

Hypothesis profiles (choose with --hypothesis-profile=NAME):
  dev   the local default: random, 100 examples per property, failures saved to .hypothesis/
  ci    loaded whenever the CI environment variable is set: derandomized (the same examples
        every run), no example database, failures printed with a reproduction blob
  fuzz  long campaigns: 20,000 examples per property, no deadline, database on
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from properties.engine_under_test import ENV_VAR, EngineSpecError, current_engine, select_engine

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
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradproof", "autograd engine verification")
    group.addoption(
        "--engine",
        default=None,
        metavar="MODULE:ATTR",
        help=f"the micrograd-style Value class to verify (default: ${ENV_VAR}, else engine:Value)",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        select_engine(config.getoption("--engine"))
    except EngineSpecError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    engine = current_engine()
    module = __import__(engine.value_type.__module__, fromlist=["_"])
    lines = [f"engine under test: {engine.name} ({getattr(module, '__file__', '?')})"]
    lines.append(f"ops verified: {', '.join(engine.ops) or 'none'}")
    if engine.missing_ops:
        lines.append(f"ops skipped (not in this engine): {', '.join(engine.missing_ops)}")
    lines.append(f"hypothesis profile: {settings.get_current_profile_name()}")
    return lines


@pytest.fixture(scope="session")
def engine():
    """The engine under test (see --engine)."""
    return current_engine()
