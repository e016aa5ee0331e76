"""Does an op's backward reach the op below it?

An op is checked alone on leaves, whose own backward does nothing; so an op whose backward is
attached to its operand instead of to its result (``self._backward = _backward`` where
micrograd writes ``out._backward``) passes alone, and on top of a chain of its own kind too
(each one puts its closure where the next one's would run), yet cuts the graph below it:
under ``exp(x * 1.25)`` the ``*`` never runs its backward and x's gradient stays 0.  Here the op
is applied to ``x0 * 1.25`` (a verified ``*``) and x0's gradient is judged.
"""

from __future__ import annotations

from properties.core.checks import (
    CheckFailure, Skip, check_gradient, check_torch, gradient_mismatches, judge, oracles, torch_mismatches,
)
from properties.core.engine_under_test import EngineUnderTest
from properties.diagnosis.accumulation import ordinary_point
from properties.diagnosis.causes import Cause, severity
from properties.diagnosis.graph import graph_probes, graph_reproducer
from properties.diagnosis.probes import Probe, run_probe
from reference.expression import Case, Expression, Node
from reference.ops import REGISTRY

SCALE = 1.25  # x0 * 1.25: exact, and a slope the op's own derivative cannot be mistaken for


def above_a_product(op: str) -> Case:
    """``op(x0 * 1.25, x1)`` at an ordinary point of the op's domain."""
    spec = REGISTRY[op]
    operands, param = ordinary_point(spec)
    n = len(operands)
    nodes = [Node(input=k) for k in range(n + 1)]  # x0 .. x(n-1), then the 1.25 as a leaf
    nodes.append(Node(op="mul", args=(0, n)))
    nodes.append(Node(op=op, args=(n + 1,) + tuple(range(1, n)), param=param))
    inputs = (operands[0] / SCALE,) + tuple(operands[1:]) + (SCALE,)
    return Case(Expression(n + 1, tuple(nodes)), inputs)


def graph_sound(engine: EngineUnderTest) -> bool:
    """Do small graphs of ``*`` and ``+`` (a chain, diamonds, equal twins) get their gradients right?
    Where they do not, the traversal (or a harness op) is at fault, and no op can be said to cut
    the graph below it: that failure is the graph's own finding."""
    ops = [op for op in ("mul", "add") if engine.supports(REGISTRY[op])]
    for expression, inputs in graph_probes(ops):
        try:
            judge(Case(expression, inputs), engine, check_gradient, check_torch)
        except Skip:
            continue
        except CheckFailure:
            return False
    return True


def cut_below(engine: EngineUnderTest, op: str) -> Cause | None:
    """The cause when ``op`` gives the wrong gradient to the leaf under a ``*`` below it while the op
    and the ``*`` are each right alone at those operands; None where it does not, where either is
    wrong alone (a finding of its own), or where this cannot be asked (no ``*``, or the op raises)."""
    if op == "mul" or not engine.supports(REGISTRY["mul"]) or not engine.supports(REGISTRY[op]):
        return None
    case = above_a_product(op)
    try:
        o = oracles(case, engine)
    except Skip:
        return None
    if o.error is not None:
        return None
    found = [m for m in gradient_mismatches(o) + torch_mismatches(o) if m.component == 0]
    if not found:
        return None
    m = found[0]
    n = len(case.inputs) - 1
    node = case.expression.nodes[-1]
    operands = (case.inputs[0] * SCALE,) + tuple(case.inputs[1:n])
    if run_probe(engine, Probe(op, operands, node.param)).failed:
        return None  # wrong on a leaf too, at the same operands: its formula, which the op's own checks find
    if run_probe(engine, Probe("mul", (case.inputs[0], SCALE))).failed:
        return None  # the * below is wrong itself (its value or its derivative): its own finding
    product = f"({engine.source_of('mul', 'x0', f'x{n}')})"
    source = engine.source_of(op, product, *(f"x{k}" for k in range(1, n)), param=node.param)
    summary = (f"{op}, derivative: right on a leaf, but it cuts the graph below it: d/dx0 of {source} at "
               f"x0 = {case.inputs[0]!r} is {m.engine!r}, true {m.expected!r} ({m.against}): its backward is "
               "not the one its result runs (e.g. self._backward = ... where out._backward is meant)")
    note = f"{op} is right on a leaf: below it, the * does not get its gradient"
    return Cause(op=op, kind="derivative", severity=severity(m.relative_error, m.engine, m.expected),
                 summary=summary, reproducer=graph_reproducer(engine, case, note), relative_error=m.relative_error,
                 operands=case.inputs[:1], case=case)
