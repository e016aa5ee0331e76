"""Probes: one op alone on the engine, judged against mpmath and torch within its own allowance.

A probe is the unit blame works in: an op on leaves (one leaf twice, or a plain-number second
operand), as the root or below an upstream factor.  A failing probe gives a :class:`Cause`
whose reproducer is the probe itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from properties.core.checks import (
    Mismatch, Oracles, Skip, forward_mismatches, gradient_mismatches, oracles, torch_mismatches,
)
from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import one_op
from properties.diagnosis.causes import Cause, severity
from reference.backends import EngineRaised
from reference.expression import Case, Expression, Node
from reference.ops import REGISTRY


@dataclass(frozen=True)
class Probe:
    """One op alone: on leaves with the given values (``same``: one leaf used twice; ``constant``:
    a plain-number second operand), optionally multiplied by a leaf ``upstream``."""

    op: str
    operands: tuple[float, ...]
    param: Any = None
    constant: float | None = None
    same: bool = False
    upstream: float | None = None

    @property
    def spec(self):
        return REGISTRY[self.op]

    def case(self) -> Case:
        n = len(self.operands)
        nodes = [Node(input=k) for k in range(n)]
        inputs = list(self.operands)
        if self.upstream is not None:
            nodes.append(Node(input=n))
            inputs.append(self.upstream)
        if self.spec.arity == 2 and self.same:
            args = (0, 0)
        elif self.spec.arity == 2 and self.constant is not None:
            nodes.append(Node(const=self.constant))
            args = (0, len(nodes) - 1)
        else:
            args = tuple(range(self.spec.arity))
        nodes.append(Node(op=self.op, args=args, param=self.param))
        if self.upstream is not None:
            nodes.append(Node(op="mul", args=(len(nodes) - 1, n)))
        return Case(Expression(len(inputs), tuple(nodes)), tuple(inputs))

    def call_text(self, templates: dict[str, str], constant: Callable[[float], str] = repr) -> str:
        """The op as source: ``x0.tanh()``, ``x0 * x0``, ``x0 + 3.0`` (``constant`` spells the 3.0)."""
        names = ["x0", "x0"] if self.same else [f"x{k}" for k in range(len(self.operands))]
        if self.spec.arity == 2 and self.constant is not None and not self.same:
            names = ["x0", constant(self.constant)]
        param = "" if self.param is None else repr(self.param)
        return self.spec.render(names[: self.spec.arity], param, templates.get(self.op))

    def describe(self) -> str:
        """``tanh(1e-100)``, ``x * x at x = 2.0``, ``3.0 - x at x = 1.5``."""
        values = ", ".join(repr(v) for v in self.operands)
        if self.constant is not None:
            values += f", {self.constant!r}"
        if self.same:
            return f"{self.call_text({})} at x0 = {self.operands[0]!r}"
        if self.spec.source.startswith("{0}.") or self.spec.has_param:
            params = "" if self.param is None else f", param {self.param!r}"
            return f"{self.op}({values}{params})"
        return f"{self.call_text({})} at " + ", ".join(f"x{k} = {v!r}" for k, v in enumerate(self.operands))


@dataclass
class Outcome:
    probe: Probe
    kind: str | None  # None: it passes (or cannot be judged); else forward, derivative, crash
    mismatch: Mismatch | None = None
    error: EngineRaised | None = None
    oracles: Oracles | None = None

    @property
    def failed(self) -> bool:
        return self.kind is not None


def run_probe(engine: EngineUnderTest, probe: Probe, *, value: bool = True, gradient: bool = True,
              cache: dict | None = None) -> Outcome:
    key = (probe, value, gradient)
    if cache is not None and key in cache:
        return cache[key]
    outcome = _run_probe(engine, probe, value, gradient)
    if cache is not None:
        cache[key] = outcome
    return outcome


def _run_probe(engine: EngineUnderTest, probe: Probe, value: bool, gradient: bool) -> Outcome:
    try:
        o = oracles(probe.case(), engine, values_only=not gradient)
    except Skip:
        return Outcome(probe, None)
    except Exception:  # the oracle cannot evaluate it (e.g. torch refuses): nothing to judge
        return Outcome(probe, None)
    if o.error is not None:
        if o.error.phase == "backward" and not gradient:
            return Outcome(probe, None, oracles=o)
        return Outcome(probe, "crash", error=o.error, oracles=o)
    operands = len(probe.operands)
    if value and probe.upstream is None:
        found = forward_mismatches(o) + [m for m in torch_mismatches(o) if m.component == "value"]
        if found:
            return Outcome(probe, "forward", found[0], oracles=o)
    if gradient:
        found = [m for m in gradient_mismatches(o) + torch_mismatches(o)
                 if m.component != "value" and m.component < operands]
        if found:
            return Outcome(probe, "derivative", found[0], oracles=o)
    return Outcome(probe, None, oracles=o)


def reproducer(engine: EngineUnderTest, probe: Probe, o: Oracles | None) -> str:
    """The probe as a script: its leaves, the op, backward, and the truth beside each result."""
    r = one_op(engine, probe.operands, probe.call_text(engine.templates, engine.constant_source), probe.upstream)
    if o is None:
        return r.text()
    judged = o.error is None
    if probe.upstream is None:
        r.expect("value", r.value("out"), float(o.true_value), o.value_allowed() if judged else None,
                 "mpmath, 50 digits")
    for k in range(len(probe.operands)):
        truth, allowed, note = o.expected_gradient(k)
        r.expect(f"d out / d x{k}", r.grad(f"x{k}"), truth, allowed if judged else None, note)
    return r.text()


def cause_from(engine: EngineUnderTest, outcome: Outcome, kind: str | None = None) -> Cause:
    """The cause a failing probe shows (``kind`` instead of the outcome's: accumulation)."""
    probe, o = outcome.probe, outcome.oracles
    kind = kind or outcome.kind
    what = probe.describe()
    shared = dict(reproducer=reproducer(engine, probe, o), operands=probe.operands, param=probe.param,
                  case=probe.case())
    if outcome.error is not None:
        err = outcome.error
        summary = (f"{probe.op}, crash: {what} raised {type(err.error).__name__} in {err.phase}: {err.error}"
                   + (f" (true value {float(o.true_value):.6g})" if o is not None else ""))
        return Cause(op=probe.op, kind="crash", severity="crash", summary=summary, **shared,
                     check="forward" if err.phase == "forward" else "gradient", phase=err.phase,
                     error=type(err.error).__name__)
    m = outcome.mismatch
    rel = m.relative_error
    shared["nonfinite"] = (m.engine is None or not math.isfinite(m.engine)) and m.expected is not None and math.isfinite(m.expected)
    if kind == "forward":
        summary = (f"{probe.op}, forward value: {what} returned {m.engine!r}, true {m.expected!r}"
                   f" ({m.against}), relative error {rel:.2g}")
    else:
        k = m.component
        upstream = "" if probe.upstream is None else f" below an upstream factor {probe.upstream!r}"
        label = "accumulation" if kind == "accumulation" else "derivative"
        summary = (f"{probe.op}, {label}: d/dx{k} of {what}{upstream} is {m.engine!r}, true {m.expected!r}"
                   f" ({m.against}), relative error {rel:.2g}")
        if probe.upstream is not None and m.engine is not None and o is not None:
            local = o.analytic(k) / probe.upstream if probe.upstream else math.nan
            if close(m.engine, local):
                summary += ": backward ignores the upstream gradient"
        if kind == "accumulation":
            summary += ": one use of the operand replaces the other"
        if m.against == "torch" and o is not None and m.engine is not None and o.gradient_oracle().kink[k]:
            summary += f" (at a kink, where the suite holds engines to torch's convention, {probe.op}' = {m.expected!r})"
    check = "torch" if m.against == "torch" else ("forward" if kind == "forward" else "gradient")
    return Cause(op=probe.op, kind=kind, severity=severity(rel, m.engine, m.expected), summary=summary,
                 relative_error=rel, check=check, **shared)


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300
