"""Blame: from a failing example to the op at fault, with a one-op reproducer.

A failing property says *that* an engine is wrong; blame says *where*.  It needs
nothing from the engine beyond its public ops, its values' numbers and gradients: it
re-runs each op of the failing expression alone on the engine, at the engine's
own operand values (the same node twice where the expression used one node
twice), as the root and then below an upstream factor, and compares each with
mpmath and torch within that op's own allowance.  In order:

1. **storage**: a leaf made from ``x`` holds ``x``.
2. **the harness**: ``*`` (which applies the upstream factor) and ``+`` (which the
   graph probes use) alone, two operands and one operand twice; a fault in them
   is blamed on them (``x + x`` wrong while ``x + y`` is right: accumulation).
3. **the graph**: a chain and two diamonds of verified ``*`` and ``+``, and ``x0 * x1 + x2 * x3``
   with equal terms.  A traversal bug breaks every chain, including the ones an engine builds
   internally (``a - b`` as ``a + (-b)``), so it is found before any op is blamed; a backward
   that tells nodes apart by value (a visited set of ``.data``) never runs one term's step.
4. **forward**: the first node (in creation order) whose value differs from its op
   applied, in mpmath, to the engine's own operand values; or that raised.
5. **derivative**: the first edge in backward order whose contribution differs from
   the true partial at the engine's operand values times an upstream factor (the
   engine's own upstream gradient there); or the op whose backward raised.
6. **traversal or accumulation**: every op is right alone, yet a node's gradient
   is not the sum of its uses: the node and how (overwritten, counted twice,
   propagated before all uses were added, never propagated).

A faulty primitive makes the ops built on it fail too: when an op fails alone,
the primitives it is commonly built from (the registry's ``built_from``: ``a - b``
from ``-b`` and ``+``, ``a / b`` from ``b ** -1`` and ``*``) are probed at the values
it would give them, and a failing primitive is blamed instead, the op listed as
its consequence.  A crash that follows a wrong value is blamed on the wrong value
(forward values are checked first).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import DEEP, one_op, recursion, storage
from properties.diagnosis.causes import Cause, Symptom, severity
from properties.diagnosis.graph import (
    graph_probes, number, partial_values, upstream_of,
)
from properties.diagnosis.primitives import calls_primitive, primitive_steps
from properties.diagnosis.uses import SumOfUses
from properties.diagnosis.probes import Outcome, Probe, cause_from, run_probe
from reference.expression import Case, Expression, Function, trace
from reference.ops import REGISTRY

HARNESS_POINTS = (1.5, -2.75, 0.625)  # where the harness ops are verified
DEAD_PROBES = (("mul", 2.0), ("add", 0.5))  # x * 2.0, x + 0.5: a backward that computes nothing
MAX_NODE_PROBES = 300  # distinct ops probed per example (a wide sum has thousands)


@dataclass
class Diagnosis(SumOfUses):
    engine: EngineUnderTest
    cache: dict = field(default_factory=dict)
    primitives: bool = True  # blame a failing op's primitive where the op calls it (else the op itself)

    def probe(self, probe: Probe, **kw) -> Outcome:
        return run_probe(self.engine, probe, cache=self.cache, **kw)

    # -- 1. storage --
    def storage(self, values: Iterable[float]) -> Cause | None:
        for x in list(values)[:8] + [0.1, 1 / 3, 1e-300, 123456.789]:
            try:
                stored = self.engine.number(self.engine.leaf(x))
            except Exception:
                continue
            if stored != x and not (x != x):
                rel = abs(stored - x) / abs(x) if x else math.inf
                read = self.engine.adapter.number_source(self.engine.adapter.leaf_source(repr(x)))
                summary = (f"storage: {read} is {stored!r}: the engine does not keep float64 values "
                           f"(relative error {rel:.2g})")
                return Cause(op=None, kind="forward", severity=severity(rel, stored, x), summary=summary,
                             reproducer=storage(self.engine, x), relative_error=rel, operands=(x,))
        return None

    def dead(self) -> Cause | None:
        """Backward gives no gradient at all: on ``x * 2.0`` and on ``x + 0.5`` (whichever the engine
        has) x's gradient stays 0.  One cause for the engine, not one per op."""
        engine, shown = self.engine, None
        for op, c in DEAD_PROBES:
            if not engine.supports(REGISTRY[op]):
                continue
            try:
                x = engine.leaf(1.5)
                out = engine.apply(op, x, engine.adapter.constant(c))
                engine.backward(out)
                if engine.gradient(x) != 0.0:
                    return None
            except Exception:
                return None
            shown = shown or (op, c, out)
        if shown is None:
            return None
        op, c, out = shown
        try:
            seeded = engine.gradient(out)
        except Exception:
            seeded = None
        how = ("the root's own gradient is not set to 1 (backward has no seed)" if seeded in (None, 0.0)
               else "the root's gradient is 1, but no op's backward runs")
        call = engine.source_of(op, "x0", engine.constant_source(c))
        r = one_op(engine, (1.5,), call)
        r.expect("d out / d x0", r.grad("x0"), 2.0 if op == "mul" else 1.0, 0.0)
        return Cause(op=None, kind="traversal", severity="wrong", reproducer=r.text(), operands=(1.5,),
                     summary=f"backward computes no gradient: after {call} and backward, x0's gradient is 0: {how}")

    # -- 2. the harness --
    def verify(self, op: str) -> Cause | None:
        """``op`` alone at ordinary points, as the root: two operands, then one operand twice
        (accumulation).  Below an upstream factor it is a graph of two ops: the graph probes see that."""
        spec = REGISTRY[op]
        if not self.engine.supports(spec):
            return None
        a, b, c = HARNESS_POINTS
        for probe in (Probe(op, (a, b)), Probe(op, (b, c))):
            outcome = self.probe(probe)
            if outcome.failed:
                return cause_from(self.engine, outcome)
        same = self.probe(Probe(op, (a,), same=True))
        if same.failed:
            return cause_from(self.engine, same, "accumulation" if same.kind == "derivative" else None)
        return None

    # -- 3. the graph --
    def graph(self, ops: list[str]) -> Cause | None:
        """A chain and two diamonds of verified ops, each checked node by node."""
        for expression, inputs in graph_probes(ops):
            cause = self.analyse(Case(expression, inputs), probes=False)
            if cause is not None:
                return cause
        return None

    def graph_level(self, ops_in_cases: set[str]) -> Cause | None:
        """The harness ops, then small graphs of the ones that pass: an op whose backward assigns
        (the accumulation of that op, or of backward itself when both assign), a harness op the case
        uses that is wrong alone, or a traversal the faulty ops cannot disturb."""
        engine = self.engine
        harness = {op: self.verify(op) for op in ("mul", "add") if engine.supports(REGISTRY[op])}
        overwrites = [op for op, cause in harness.items() if cause is not None and cause.kind == "accumulation"]
        if len(overwrites) > 1:  # x * x and x + x both lose a use: backward itself overwrites
            first = harness[overwrites[0]]
            return replace(first, op=None, summary=(
                "accumulation: backward assigns a node's gradient instead of adding to it: "
                + " and ".join(f"{REGISTRY[op].source.format('x', 'x')}" for op in overwrites)
                + " have the wrong gradient, while the same ops on two different values are right"))
        for op, cause in harness.items():
            if cause is not None and op in ops_in_cases:
                return cause
        self.cache["mul verified"] = harness.get("mul") is None
        return self.graph([op for op, cause in harness.items() if cause is None])

    # -- 4.-6. one example --
    def analyse(self, case: Case, *, probes: bool = True, graph: bool = True) -> Cause | None:
        """The op at fault in ``case``: its first wrong value, its first wrong edge; then (``graph``)
        the first node whose gradient is not the sum of its uses."""
        expression, inputs = case.expression, case.inputs
        self._case = case
        engine = self.engine
        try:
            leaves = [engine.leaf(float(x)) for x in inputs]
        except Exception:
            return None
        values = partial_values(expression, leaves, engine)
        order = list(expression._creation_order)
        root = values.get(len(expression.nodes) - 1)
        backward_raised = False
        if engine.is_value(root):  # backward first: a recursion is the graph's, whatever the values
            try:
                engine.backward(root)
            except RecursionError:
                summary = (f"backward recurses: RecursionError on a graph {expression.depth()} ops deep "
                           f"(Python's limit is {sys.getrecursionlimit()}; the reproducer builds {DEEP}, past a "
                           "notebook's 3000)")
                return Cause(op=None, kind="traversal", severity="crash", summary=summary,
                             reproducer=recursion(engine), case=case, phase="backward", error="RecursionError")
            except Exception:
                backward_raised = True
        if probes:
            cause = self._forward(expression, order, values)
            if cause is not None:
                return cause
        if not engine.is_value(root):
            return None
        if backward_raised:
            return self._derivatives(expression, order, values) if probes else None
        if probes:
            cause = self._derivatives(expression, order, values)
            if cause is not None:
                return cause
        if not graph or not engine.adapter.keeps_intermediate:  # (the nodes' own gradients cannot be read)
            return None
        return self._accumulation(expression, order, values)

    def _operands(self, expression: Expression, i: int, values: dict) -> Probe | None:
        """The probe for node i at the engine's own operand values."""
        node = expression.nodes[i]
        spec = REGISTRY[node.op]
        args = [number(self.engine, values.get(a)) for a in node.args]
        if any(v is None or not math.isfinite(v) for v in args):
            return None
        if not spec.operand_domains(node.param)[0].contains(args[0]) or (
                spec.arity == 2 and not spec.second_domain(args[0], node.param).contains(args[1])):
            return None  # the engine's operands are outside the op's domain: an earlier value is at fault
        if spec.arity == 2 and node.args[0] == node.args[1]:
            return Probe(node.op, (args[0],), node.param, same=True)
        if spec.arity == 2 and expression.nodes[node.args[1]].const is not None:
            return Probe(node.op, (args[0],), node.param, constant=args[1])
        return Probe(node.op, tuple(args), node.param)

    def _forward(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """The first op whose value is wrong alone, in creation order, or the op that raised."""
        for count, i in enumerate(order):
            if count >= MAX_NODE_PROBES:
                break
            probe = self._operands(expression, i, values)
            if probe is None:
                break
            outcome = self.probe(probe, gradient=False)
            if outcome.failed:
                return self._root_cause(outcome)
            if i not in values:  # the engine raised here, but not alone: nothing more to learn forward
                break
        return None

    def _derivatives(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """The first edge, in backward order, that is wrong alone (at the root, then below an upstream
        factor: the engine's own upstream gradient there) or whose backward raises alone."""
        for count, i in enumerate(reversed(order)):
            if count >= MAX_NODE_PROBES:
                break
            probe = self._operands(expression, i, values)
            if probe is None:
                continue
            outcome = self.probe(probe)
            if not outcome.failed and self._has_mul():
                outcome = self.probe(replace(probe, upstream=upstream_of(self.engine, values.get(i))))
            if outcome.failed:
                return self._root_cause(outcome)
        return None

    def _has_mul(self) -> bool:
        return self.engine.supports(REGISTRY["mul"]) and self.cache.get("mul verified", True)

    def _root_cause(self, outcome: Outcome, chain: tuple[str, ...] = ()) -> Cause:
        """The cause of a failing op probe, or of the primitive it is built from."""
        cause = cause_from(self.engine, outcome)
        probe = outcome.probe
        if probe.same:  # x * x wrong: is x * y at the same values right?
            two = self.probe(replace(probe, operands=probe.operands * 2, same=False), value=outcome.kind == "forward")
            if not two.failed and outcome.kind == "derivative":
                overwriter = self._overwriter(probe.op)  # the op's own backward assigns, or a primitive's does
                cause = overwriter if overwriter is not None else cause_from(self.engine, outcome, "accumulation")
                if overwriter is not None and overwriter.op != probe.op:
                    return overwriter
        for step in primitive_steps(probe) if self.primitives else ():
            if not self.engine.supports(REGISTRY[step.op]) or step.op in chain + (probe.op,):
                continue
            inner = self.probe(step, gradient=outcome.kind != "forward")
            if inner.failed and inner.kind in (outcome.kind, "crash", "forward") and self._calls(probe, step.op):
                return self._root_cause(inner, chain + (probe.op,)).with_consequence(probe.op)
            if outcome.kind == "derivative" and self._cut_below(step.op) is not None and self._calls(probe, step.op):
                return self._cut_below(step.op).with_consequence(probe.op)  # e.g. sigmoid's exp above a -x
        return cause

    def _calls(self, probe: Probe, primitive: str) -> bool:
        """Does the engine's op, at this probe, call the engine's method for ``primitive`` (micrograd's
        ``a - b`` calls ``-b``)?  Only then can the failing primitive be its cause: an ``a - b``
        with a wrong backward of its own, or a ``c / x`` computed as ``c * x ** -1`` when ``/``
        fails, has a bug of its own.  Where the engine's class cannot be watched: yes."""
        key = ("calls", probe, primitive)
        if key not in self.cache:
            self.cache[key] = calls_primitive(self.engine, probe, primitive)
        return self.cache[key]

def as_cases(case: Any) -> list[Case]:
    """A case, or several, with Functions traced into Expressions."""
    out = []
    for c in case if isinstance(case, (list, tuple)) else [case]:
        if c is None:
            continue
        if isinstance(c.expression, Function):
            try:
                c = Case(trace(c.expression, c.inputs), c.inputs)
            except Exception:
                continue
        out.append(c)
    return out


def isolated(case: Case) -> bool:
    """One op on leaves (or constants), no node used twice: no traversal or accumulation can make such
    a graph fail, only the op itself."""
    expression = case.expression
    ops = [node for node in expression.nodes if node.op is not None]
    return (len(ops) == 1 and len(set(ops[0].args)) == len(ops[0].args)
            and all(expression.nodes[a].op is None for a in ops[0].args))


def blame(case: Any, engine: EngineUnderTest, symptom: Symptom | None = None) -> Cause | None:
    """The root cause of ``case`` (a Case, a list of them, Functions included) failing on ``engine``
    with ``symptom`` (how it failed), or None where blame cannot tell (the report then stands on its
    own).  The cause must be able to produce the symptom: a forward failure is never put down to
    the traversal, a crash never to a cause that raises something else; and an op alone on leaves
    is judged on its own, whatever the graph does elsewhere."""
    cases = as_cases(case)
    if not cases:
        return None
    symptom = symptom or Symptom()
    d = Diagnosis(engine)
    cause = d.storage([x for c in cases for x in c.inputs])
    if cause is not None:
        return cause
    if symptom.phase != "forward":
        cause = d.dead()
        if cause is not None:
            return cause
    if symptom.phase != "forward" and not all(isolated(c) for c in cases):
        cause = d.graph_level({op for c in cases for op in c.expression.ops()})
        if cause is not None and symptom.explained_by(cause):
            for c in cases:  # the graph is broken, but an op of this example fails in a way it cannot
                own = d.analyse(c, graph=False)
                if own is not None and own.beyond_the_graph and symptom.explained_by(own):
                    return own
            return cause
    for c in cases:
        graph = symptom.phase != "forward" and not isolated(c)
        cause = d.analyse(c, graph=graph)
        if cause is not None and not symptom.explained_by(cause) and cause.consequences:
            # the primitive fails otherwise than the op did (kaitorch's b ** -1 raises in forward where
            # its a / b, calling it on b + 1e-8, raises in backward): the op's own failure is the cause
            cause = Diagnosis(engine, primitives=False).analyse(c, graph=graph)
        if cause is not None and symptom.explained_by(cause):
            return cause
    return None
