"""The graph as blame sees it: small graphs of the harness ops, the engine's value at each node,
the names a reproducer gives nodes, and the reproducer of a graph.
"""

from __future__ import annotations

import math
from typing import Any

from properties.core.engine_under_test import EngineUnderTest
from properties.core.checks import oracles
from properties.core.reproducers import function
from reference.expression import Case, Expression, Node
from reference.mp_backend import mp_scalar_type
from reference.ops import REGISTRY

UPSTREAM_FALLBACK = -0.75  # the upstream factor when the engine's own is 1, 0 or unknown


def graph_reproducer(engine: EngineUnderTest, case: Case, note: str | None = None) -> str:
    """The graph, its inputs, each leaf's gradient beside the truth (the exact chain rule, in mpmath),
    asserted within the allowance a correct engine keeps; and ``note``, what is wrong."""
    r = function(engine, engine.source(case.expression), case.inputs)
    try:
        o = oracles(case, engine)
    except Exception:  # noqa: BLE001  (the oracles cannot judge it: the gradients are printed alone)
        o = None
    if o is not None:
        for k in range(len(case.inputs)):
            truth, allowed, remark = o.expected_gradient(k)
            r.expect(f"d out / d x{k}", r.grad(f"leaves[{k}]"), truth, allowed if o.error is None else None, remark)
    else:
        r.line(f"print([{r.grad('leaf')} for leaf in leaves])")
    if note:
        r.line(f"# {note}")
    return r.text()


def node_name(expression: Expression, i: int, templates: dict[str, str] | None = None) -> str:
    """Node i as the reproducer's source shows it (``x0``, ``x0 * x1``), or ``node v7`` where that
    source would be long."""
    text = _source(expression, i, templates or {})
    return text if text is not None and len(text) <= 40 else f"node v{i}"


def _source(expression: Expression, i: int, templates: dict[str, str], depth: int = 3) -> str | None:
    node = expression.nodes[i]
    if node.is_input:
        return f"x{node.input}"
    if node.const is not None:
        return repr(node.const)
    if depth == 0:
        return None
    operands = [_source(expression, a, templates, depth - 1) for a in node.args]
    if None in operands:
        return None
    spec = REGISTRY[node.op]
    return spec.render([f"({o})" if " " in o else o for o in operands], "" if node.param is None else repr(node.param),
                       templates.get(node.op))


def twin(engine: EngineUnderTest, expression: Expression, p: int, values: dict) -> str | None:
    """Another node of the graph that holds the same value as node ``p``."""
    mine = number(engine, values.get(p))
    for i, node in enumerate(expression.nodes):
        if i != p and node.const is None and engine.is_value(values.get(i)) and number(engine, values[i]) == mine:
            return node_name(expression, i, engine.templates)
    return None


def graph_probes(ops: list[str]) -> list[tuple[Expression, tuple[float, ...]]]:
    """Small graphs of the harness ops: a chain, two diamonds whose shared node is reached by
    paths of different lengths (a wrong order or a missing visited set shows there), and two
    distinct intermediates of equal value (a backward that tells nodes apart by value skips one)."""
    out = []
    combine = [op for op in ("mul", "add") if op in ops]
    if "mul" in ops:
        # ((x * a) * b) * c
        out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                   Node(op="mul", args=(0, 1)), Node(op="mul", args=(4, 2)), Node(op="mul", args=(5, 3)))),
                    (1.5, -2.75, 0.625, 1.25)))
        for top in combine:
            # u = x * a; v = u * b; w = v * c; out = w (top) u
            out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                       Node(op="mul", args=(0, 1)), Node(op="mul", args=(4, 2)),
                                       Node(op="mul", args=(5, 3)), Node(op=top, args=(6, 4)))),
                        (1.5, -2.75, 0.625, 1.25)))
    elif "add" in ops:
        out.append((Expression(2, (Node(input=0), Node(input=1), Node(op="add", args=(0, 1)),
                                   Node(op="add", args=(2, 1)), Node(op="add", args=(3, 2)))), (1.5, -2.75)))
    for op in combine[:1]:
        # u = x0 (op) x1; v = x2 (op) x3; out = u + v (or u * v), where u and v are equal in value
        top = "add" if "add" in ops else op
        out.append((Expression(4, (Node(input=0), Node(input=1), Node(input=2), Node(input=3),
                                   Node(op=op, args=(0, 1)), Node(op=op, args=(2, 3)), Node(op=top, args=(4, 5)))),
                    (1.5, 2.0, 0.75, 4.0) if op == "mul" else (1.5, 2.0, 0.5, 3.0)))
    return out


def partial_values(expression: Expression, leaves, engine: EngineUnderTest) -> dict:
    """The engine's node values up to the first op that raises."""
    values: dict[int, Any] = {}
    lift = engine.lift
    for i, node in enumerate(expression.nodes):
        if node.op is None:
            values[i] = leaves[node.input] if node.is_input else (lift(node.const) if lift else node.const)
    for i in expression._creation_order:
        node = expression.nodes[i]
        call = engine.calls.get(node.op) or REGISTRY[node.op].call
        try:
            args = [values[a] for a in node.args]
            values[i] = call(*args) if node.param is None else call(*args, node.param)
        except Exception:
            break
    return values


def grad_of(engine: EngineUnderTest, obj) -> float | None:
    """The gradient the engine left on ``obj`` (None where it cannot be read)."""
    try:
        return engine.gradient(obj)
    except (AttributeError, TypeError, ValueError):
        return None


def upstream_of(engine: EngineUnderTest, obj, truth=None) -> float:
    """An upstream factor for a probe below the root: the engine's own gradient at ``obj`` where it
    is ordinary (and the engine keeps gradients on intermediate nodes), else a fixed one."""
    g = None
    if obj is not None and engine.adapter.keeps_intermediate:
        g = grad_of(engine, obj)
    elif truth is not None:
        g = float(truth)
    if g is None or not math.isfinite(g) or g in (0.0, 1.0) or not 1e-10 <= abs(g) <= 1e10:
        return UPSTREAM_FALLBACK
    return g


def true_partial(engine: EngineUnderTest, expression: Expression, user: int, position: int,
                 values: dict) -> float | None:
    """The true partial of node ``user`` with respect to its operand ``position``, at the engine's operands."""
    node = expression.nodes[user]
    spec = REGISTRY[node.op]
    ctx = mp_scalar_type(50).ctx
    operands = [number(engine, values.get(a)) for a in node.args]
    if any(v is None for v in operands):
        return None
    try:
        partials = spec.partials(ctx, *map(ctx.mpf, operands), *([] if node.param is None else [node.param]))
        return float(partials[position])
    except (ArithmeticError, ValueError, TypeError):
        return None


def number(engine: EngineUnderTest, obj: Any) -> float | None:
    """The float an engine value (or a plain-number constant) holds."""
    try:
        return engine.number(obj) if engine.is_value(obj) else float(obj)
    except (TypeError, ValueError, AttributeError):
        return None
