"""Does each op add to the gradient its operand already holds, or overwrite it?

x is first the operand of a reference op (``x * 1.25``) alone, backward on that; then of the op
alone, backward again.  x's gradient must be the sum of the two uses.  Each graph is one op deep,
so nothing is traversed: a wrong traversal cannot pass for an overwrite, and an overwrite shows
whatever order the engine's sets happen to iterate in (a shared node inside one graph shows it
only when the overwriting use comes last).

It needs an engine that keeps gradients across backward calls, as micrograd does; one that zeroes
them at each call (or whose ``*`` and ``+`` both overwrite) cannot be asked this way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import Reproducer
from properties.diagnosis.causes import Cause
from properties.diagnosis.primitives import calls_primitive, primitive_steps
from properties.diagnosis.probes import Probe
from reference.ops import REGISTRY, OpSpec

REFERENCES = (("mul", 1.25), ("add", 0.5))  # x * 1.25 (d/dx 1.25), else x + 0.5 (d/dx 1)
TOLERANCE = 1e-6  # relative: an overwrite loses a whole use; float32 storage rounds at 6e-8


@dataclass(frozen=True)
class TwoRoots:
    """x's gradient after ``reference`` alone (``held``), then after ``op`` alone (``got``), and
    what ``op`` alone gives a fresh x (``alone``)."""

    op: str
    operands: tuple[float, ...]
    param: Any
    reference: str
    constant: float
    held: float
    alone: float
    got: float

    @property
    def expected(self) -> float:
        return self.held + self.alone

    @property
    def ok(self) -> bool:
        return abs(self.got - self.expected) <= TOLERANCE * (abs(self.held) + abs(self.alone))

    @property
    def relative_error(self) -> float:
        return abs(self.got - self.expected) / abs(self.expected) if self.expected else math.inf

    def call(self, engine: EngineUnderTest) -> str:
        return Probe(self.op, self.operands, self.param).call_text(engine.templates, engine.constant_source)

    def summary(self, engine: EngineUnderTest) -> str:
        how = ("it holds this op's contribution alone" if math.isclose(self.got, self.alone, rel_tol=TOLERANCE)
               else "not the sum")
        return (f"{self.op}, accumulation: its backward overwrites the gradient its operand already holds: "
                f"{engine.adapter.gradient_source('x0')} was {self.held!r}, after {self.call(engine)}'s backward it "
                f"is {self.got!r}, "
                f"expected {self.held!r} + {self.alone!r} = {self.expected!r} ({how})")

    def reproducer(self, engine: EngineUnderTest) -> str:
        ref = engine.templates.get(self.reference) or REGISTRY[self.reference].source
        a = engine.adapter
        constant = engine.constant_source(self.constant)
        return Reproducer(engine).leaves(self.operands).line(
            a.backward_source(f"({ref.format('x0', constant)})"),
            f"print({a.gradient_source('x0')})  # {self.held!r}: one use so far",
            a.backward_source(f"({self.call(engine)})"),
            f"print({a.gradient_source('x0')})  # expected {self.expected!r}: both uses ({self.alone!r} from {self.op} alone)").text()

    def cause(self, engine: EngineUnderTest, consequences: tuple[str, ...] = ()) -> Cause:
        return Cause(op=self.op, kind="accumulation", severity="wrong", summary=self.summary(engine),
                     reproducer=self.reproducer(engine), relative_error=self.relative_error, operands=self.operands,
                     param=self.param, consequences=consequences)


def ordinary_point(spec: OpSpec) -> tuple[tuple[float, ...], Any]:
    """Operands near 0.625 (and 1.5) inside ``spec``'s domain, and its usual param: not 0 or 1, where
    an engine may legitimately return the operand itself (``0 + x``, ``x ** 1``) and its backward
    then seeds that operand instead of adding to it."""
    ordinary = [p for p in spec.edge_params if p not in (0.0, 1.0)] or list(spec.edge_params) or [None]
    param = spec.default_param if spec.default_param is not None else ordinary[0]
    domains = spec.operand_domains(param)
    return (domains[0].clip(0.625),) + ((domains[1].clip(1.5),) if spec.arity == 2 else ()), param


def reference_op(engine: EngineUnderTest) -> tuple[str, float] | None:
    """The first reference op whose two backward calls on one x add up (the engine keeps
    gradients across calls and that op adds), or None."""
    for op, constant in REFERENCES:
        if not engine.supports(REGISTRY[op]):
            continue
        try:
            x = engine.leaf(0.625)
            for _ in range(2):
                engine.backward(engine.apply(op, x, engine.adapter.constant(constant)))
            d = 1.0 if op == "add" else constant
            if math.isclose(engine.gradient(x), 2 * d, rel_tol=1e-12):
                return op, constant
        except Exception:
            continue
    return None


def two_roots(engine: EngineUnderTest, op: str, reference: tuple[str, float] | None = None) -> TwoRoots | None:
    """The check for ``op`` at an ordinary point of its domain, or None where it cannot be asked
    (no reference op, the op raises there, or its derivative there is not finite)."""
    spec = REGISTRY[op]
    reference = reference or reference_op(engine)
    if reference is None or not engine.supports(spec):
        return None
    operands, param = ordinary_point(spec)
    extra = () if param is None else (param,)
    try:
        fresh = [engine.leaf(v) for v in operands]
        engine.backward(engine.apply(op, *fresh, *extra))
        alone = engine.gradient(fresh[0])
        leaves = [engine.leaf(v) for v in operands]
        engine.backward(engine.apply(reference[0], leaves[0], engine.adapter.constant(reference[1])))
        held = engine.gradient(leaves[0])
        engine.backward(engine.apply(op, *leaves, *extra))
        got = engine.gradient(leaves[0])
    except Exception:
        return None
    if not all(math.isfinite(v) for v in (alone, held, got)) or alone == 0.0:
        return None
    return TwoRoots(op, operands, param, reference[0], reference[1], held, alone, got)


def accumulation_cause(engine: EngineUnderTest, check: TwoRoots, reference: tuple[str, float]) -> Cause | None:
    """The cause when the op of ``check`` overwrites its operand's gradient, or None: the op's own, or
    that of a primitive it is built from and calls, which overwrites too (the op is its consequence)."""
    if check.ok:
        return None
    op = check.op
    probe = Probe(op, check.operands, check.param)
    steps = dict.fromkeys(s.op for s in primitive_steps(probe) if engine.supports(REGISTRY[s.op]))
    for step in steps:
        inner = two_roots(engine, step, reference)
        if inner is not None and not inner.ok and calls_primitive(engine, probe, step):
            return inner.cause(engine, consequences=(op,))
    return check.cause(engine)
