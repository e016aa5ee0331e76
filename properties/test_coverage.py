"""The coverage gate: every op of the engine under test is verified by some spec.

A public method that returns a value of the engine is an op; one that no spec
covers fails the gate, and the message names the registry op it behaves like
(an alias to pass) or says how to add a spec.  Methods that are not ops
(helpers) are listed in the report header as not verified, and never fail.
"""

import pytest

from properties.diagnosis.coverage import coverage, missing_operators

pytestmark = pytest.mark.op("*")


class OpsWithoutSpec(AssertionError):
    """The gate's failure: ``names`` are the engine's ops that no spec covers."""

    def __init__(self, message: str, names: list[str]):
        super().__init__(message)
        self.names = names


@pytest.mark.coverage_gate
def test_every_public_op_of_the_engine_has_a_spec(engine, not_ops):
    """A public method or arithmetic operator that computes a value, with no spec, would go unverified."""
    unverified = coverage(engine, not_ops).unverified
    if unverified:
        cls = f"{engine.value_type.__module__}.{engine.value_type.__qualname__}"
        lines = [f"{engine.name} has {len(unverified)} op(s) that no spec covers, so nothing verifies them:"]
        lines += [f"  - {cls}.{u.name}: {u.advice()}" for u in unverified]
        lines += [
            "",
            "A spec is one register(OpSpec(name=..., method=..., call=..., mp=..., partials=..., domains=...))",
            "in reference/ops.py, or in your own package loaded with --ops-module MODULE (CONTRIBUTING.md).",
        ]
        __tracebackhide__ = True
        raise OpsWithoutSpec("\n".join(lines), [u.name for u in unverified])


def test_the_operators_its_other_ops_imply_exist(engine, gradproof_run):
    """``2 - x`` when the engine has ``x - 2``: a missing one is a finding of kind unsupported in the
    run's summary; with --strict-ops it fails the run."""
    missing = missing_operators(engine)
    if not missing:
        return
    text = "\n".join(f"  - {cause.summary}" for cause in missing)
    if gradproof_run.config.strict_ops:
        pytest.fail(f"{engine.name} lacks operators its users will write:\n{text}", pytrace=False)
    pytest.skip(f"{len(missing)} missing operator(s), reported as findings (--strict-ops fails them):\n{text}")
