"""The coverage gate: every op of the engine under test is verified by some spec."""

import pytest

from properties.engine_under_test import uncovered_methods

pytestmark = pytest.mark.op("*")


def test_every_public_op_of_the_engine_has_a_spec(engine, request):
    """A public method or arithmetic operator that no registry spec covers would go unverified."""
    missing = uncovered_methods(engine.value_type, request.config.getoption("--not-an-op"))
    if missing:
        lines = [f"{engine.name} has {len(missing)} op(s) that no spec covers, so nothing verifies them:"]
        lines += [f"  - {engine.value_type.__name__}.{name}" for name in missing]
        lines += [
            "",
            "Add a spec for each (CONTRIBUTING.md, 'Adding an op'): register(OpSpec(name=..., method=...,",
            "call=..., mp=..., partials=..., domains=...)) in reference/ops.py, or in your own package",
            "loaded with --ops-module MODULE.  If a method is API rather than an op (like zero_grad),",
            "pass --not-an-op NAME.",
        ]
        pytest.fail("\n".join(lines), pytrace=False)
