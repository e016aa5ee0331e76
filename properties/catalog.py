"""The suite's case properties, defined once: random expressions over every op the engine has, and
each op alone (anywhere in its domain, and below the root).

Each :class:`Property` draws its cases for an engine and names the checks a case must pass.  The
pytest properties (``test_composite.py``, ``test_each_op.py``) run them on the active run's
engine; a fuzzing campaign runs the same list, round after round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hypothesis import strategies as st

from properties.core.checks import CHECKS, judge_example
from properties.core.engine_under_test import EngineUnderTest
from properties.core.session import Run, active
from properties.strategies import cases, op_cases
from reference.expression import Case
from reference.ops import REGISTRY, OpSpec

ALL_CHECKS = tuple(CHECKS)  # forward, gradient, torch


@dataclass(frozen=True)
class Property:
    name: str  # "composite", "op-sin-alone", "op-sin-inside"
    cases: Callable[[Run], st.SearchStrategy[Case]]  # the cases, for a run's engine (and its --op)
    checks: tuple[str, ...]  # keys of properties.core.checks.CHECKS, run in this order
    op: str | None = None  # the op it verifies; None: every op the engine has

    def drawn(self) -> st.SearchStrategy[Case]:
        """The cases, drawn on the engine of the run that is active when a test runs."""
        return _on_active_run(self)

    def judge(self, case: Case, engine: EngineUnderTest) -> None:
        """Every check on ``case`` (inside a hypothesis test: skips become events)."""
        __tracebackhide__ = True  # the report says it all
        judge_example(case, engine, *(CHECKS[name] for name in self.checks))


@st.composite
def _on_active_run(draw, prop: Property) -> Case:
    run = active()
    key = ("cases", prop.name)
    if key not in run.cache:
        run.cache[key] = prop.cases(run)
    return draw(run.cache[key])


COMPOSITE = Property(
    "composite",
    lambda run: cases(ops=run.engine.ops, include=run.config.op, params=run.engine.params),
    ALL_CHECKS,
)


def alone(spec: OpSpec) -> Property:
    """``spec`` alone, anywhere in its domain: value and gradient vs mpmath and torch."""
    return Property(f"op-{spec.name}-alone", lambda run: op_cases(spec, params=run.engine.params.get(spec.name)),
                    ALL_CHECKS, spec.name)


def inside(spec: OpSpec) -> Property:
    """``spec`` below the root (times another input): its backward must use the upstream gradient."""
    return Property(f"op-{spec.name}-inside",
                    lambda run: op_cases(spec, upstream=True, params=run.engine.params.get(spec.name)),
                    ("gradient", "torch"), spec.name)


def properties(engine: EngineUnderTest) -> list[Property]:
    """The properties that apply to ``engine``: the random expressions over its ops, each of its
    ops alone, and (where it has ``*``, which puts an op below the root) each below the root."""
    found = [COMPOSITE] if engine.ops else []
    has_mul = engine.supports(REGISTRY["mul"])
    for op in engine.ops:
        found.append(alone(REGISTRY[op]))
        if has_mul:
            found.append(inside(REGISTRY[op]))
    return found
