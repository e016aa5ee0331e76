"""A node's gradient is the sum of its uses: the last step of blame (properties/diagnosis/blame.py).

Every op of an example is right alone, yet a node's gradient is not the sum of its uses'
contributions: the first such node (root first) and how: overwritten (an op's backward assigns its
operand's gradient, which that op shows alone, in two one-op graphs; or a primitive it calls does),
an op right on a leaf that cuts the graph below it (properties/diagnosis/wiring.py), never
propagated (a backward that tells nodes apart by value), counted twice, or propagated before
all of its uses were added; or the uses' backward drops the upstream gradient.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from properties.diagnosis.accumulation import accumulation_cause, ordinary_point, reference_op, two_roots
from properties.diagnosis.causes import WRONG, Cause
from properties.diagnosis.graph import graph_reproducer, grad_of, node_name, number, true_partial, twin, upstream_of
from properties.diagnosis.primitives import calls_primitive, primitive_steps
from properties.diagnosis.probes import Probe, cause_from, close
from properties.diagnosis.wiring import cut_below
from reference.expression import Expression, Node
from reference.mp_backend import mp_scalar_type
from reference.ops import REGISTRY


TRAVERSAL_NOTE = "every op of f is right alone: a node's gradient is not the sum over its uses"


class SumOfUses:
    """Diagnosis's last step (a mixin: it uses the diagnosis's engine, cache, probes and example)."""

    _case: Any = None  # the example being analysed

    def _accumulation(self, expression: Expression, order: list[int], values: dict) -> Cause | None:
        """Every op is right alone: the first node (root first) whose gradient is not the sum of its uses."""
        uses: dict[int, list[tuple[int, int]]] = {}
        for i in order:
            for position, a in enumerate(expression.nodes[i].args):
                uses.setdefault(a, []).append((i, position))
        root = len(expression.nodes) - 1
        nodes_root_first = [root] + [i for i in reversed(order) if i != root]
        nodes_root_first += [i for i in range(expression.n_inputs) if i not in nodes_root_first]
        for p in nodes_root_first[1:]:
            node = expression.nodes[p]
            if node.const is not None or p not in uses:
                continue
            obj = values.get(p)
            if not self.engine.is_value(obj):
                continue
            contributions, partials = [], []
            for user, position in uses[p]:
                partial = true_partial(self.engine, expression, user, position, values)
                upstream = grad_of(self.engine, values.get(user))
                if partial is None or upstream is None:
                    contributions = None
                    break
                contributions.append(upstream * partial)
                partials.append(partial)
            actual = grad_of(self.engine, obj)
            if contributions is None or actual is None:
                continue
            expected = math.fsum(contributions)
            scale = math.fsum(abs(c) for c in contributions)
            if abs(actual - expected) <= 1e-7 * scale + 1e-300:
                continue
            upstreams = [grad_of(self.engine, values.get(user)) for user, _ in uses[p]]
            if close(actual, math.fsum(partials), 1e-7) and any(not close(g, 1.0) for g in upstreams):
                return self._ignores_upstream(expression, p, uses[p], values, upstreams)
            return self._graph_cause(expression, p, actual, contributions, uses[p], values)
        return None

    def _graph_cause(self, expression, p, actual, contributions, uses, values) -> Cause:
        name = node_name(expression, p, self.engine.templates)
        expected = math.fsum(contributions)
        rel = abs(actual - expected) / abs(expected) if expected else math.inf
        ops = sorted({expression.nodes[u].op for u, _ in uses})
        overwriting = [c for c in map(self._overwriter, ops) if c is not None] if len(contributions) > 1 else []
        if overwriting:  # a use's backward replaced what the others had added, and an op does that alone
            return self._overwritten(overwriting, name, actual, expected, len(contributions))
        for op in sorted(self._case.expression.ops()) if self._case is not None else ():
            cut = self._cut_below(op)  # an op right on a leaf whose backward never reaches the op below it
            if cut is not None:
                return cut
        if close(actual, 0.0) or actual == 0.0:
            how = "never propagated: backward did not reach it"
            for node in [u for u, _ in uses] + [p]:  # the use whose backward never ran, or p itself
                same = twin(self.engine, expression, node, values)
                if same is not None:
                    how += (f" ({node_name(expression, node, self.engine.templates)} and {same} hold the same value, "
                            f"{number(self.engine, values[node])!r}: "
                            "backward seems to tell nodes apart by value, e.g. a visited set of .data or a "
                            "__hash__/__eq__ on .data)")
                    break
        elif any(close(actual, expected + c, 1e-7) for c in contributions) or close(actual, 2 * expected, 1e-7):
            how = "counted twice: a use was propagated more than once"
        else:
            how = "propagated before all of its uses were added"
        summary = (f"traversal: the gradient of {name} {self._where(expression)} is {actual!r}, but the sum of its "
                   f"{len(contributions)} use(s) is {expected!r}: {how}")
        return Cause(op=None, kind="traversal", severity="wrong" if rel > WRONG or not math.isfinite(rel) else "imprecise",
                     summary=summary, reproducer=graph_reproducer(self.engine, self._case, TRAVERSAL_NOTE), relative_error=rel,
                     case=self._case)

    @staticmethod
    def _where(expression: Expression) -> str:
        return "in the graph of the reproducer" if len(expression.source().splitlines()) <= 8 else "in the example"

    def _overwritten(self, overwriting: list[Cause], name: str, actual: float, expected: float, n: int) -> Cause:
        """The op (or the primitive it calls) whose backward assigns; backward itself where every op does."""
        cause = overwriting[0]
        if len({c.op for c in overwriting}) >= len(self.engine.ops):
            return replace(cause, op=None, consequences=(), summary=(
                f"accumulation: backward assigns a node's gradient instead of adding to it: the gradient of {name} "
                f"is {actual!r}, but the sum of its {n} uses is {expected!r}"))
        return cause

    def _ignores_upstream(self, expression, p, uses, values, upstreams) -> Cause:
        """A node's gradient is the sum of its uses' local partials alone: their backward drops
        the upstream gradient.  Blamed on the op of the first such use, with a probe that shows it."""
        user, _ = next((u for u, g in zip(uses, upstreams) if not close(g, 1.0)), uses[0])
        probe = replace(self._operands(expression, user, values), upstream=upstream_of(self.engine, values.get(user)))
        outcome = self.probe(probe)
        if outcome.failed:
            return cause_from(self.engine, outcome)
        op = expression.nodes[user].op
        return Cause(op=op, kind="derivative", severity="wrong",
                     summary=f"{op}, derivative: its backward ignores the upstream gradient",
                     reproducer=graph_reproducer(self.engine, self._case, f"{op}'s backward ignores the upstream gradient"))

    def _cut_below(self, op: str) -> Cause | None:
        key = ("cut below", op)
        if key not in self.cache:
            self.cache[key] = cut_below(self.engine, op)
        return self.cache[key]

    def _overwriter(self, op: str) -> Cause | None:
        """The accumulation cause when ``op``'s backward (or that of a primitive it calls: a ``b ** -1``
        inside ``a / b``) overwrites its operand's gradient instead of adding to it, else None."""
        key = ("overwrites", op)
        if key not in self.cache:
            self.cache[key] = self._overwrite_probe(op)
        return self.cache[key]

    def _overwrite_probe(self, op: str) -> Cause | None:
        """x used by a reference op and by ``op``, each the root of its own one-op graph
        (properties/diagnosis/accumulation.py): nothing to traverse, so a wrong traversal cannot pass
        for an overwrite.  Only where the engine does not keep gradients across backward calls is
        the shared x probed inside one graph, in both orders of creation."""
        spec = REGISTRY[op]
        if not self.engine.supports(REGISTRY["mul"]) or not self.engine.supports(spec):
            return None
        reference = reference_op(self.engine)
        check = two_roots(self.engine, op, reference) if reference is not None else None
        if check is not None:
            if not check.ok:
                return accumulation_cause(self.engine, check, reference)
            probe = Probe(op, check.operands, check.param)
            for step in dict.fromkeys(s.op for s in primitive_steps(probe)):
                if step != op and self.engine.supports(REGISTRY[step]):
                    inner = two_roots(self.engine, step, reference)
                    if inner is not None and not inner.ok and calls_primitive(self.engine, probe, step):
                        return accumulation_cause(self.engine, inner, reference).with_consequence(op)
            return None
        operands, param = ordinary_point(spec)
        inputs = list(operands)
        ctx = mp_scalar_type(50).ctx
        partial = float(spec.partials(ctx, *map(ctx.mpf, inputs), *([] if param is None else [param]))[0])
        use = Node(op=op, args=(0, 1) if spec.arity == 2 else (0,), param=param)
        if not self._shared_in_one_graph(inputs, use, partial):
            return None
        return Cause(op=op, kind="accumulation", severity="wrong", reproducer=graph_reproducer(self.engine, self._case, f"{op} assigns its operand's gradient instead of adding to it"),
                     summary=(f"{op}, accumulation: its backward assigns its operand's gradient instead of adding to it "
                              f"(x used by {REGISTRY[op].source.format('x', 'y')} and by x * 1.25 in one graph)"),
                     operands=operands, param=param)

    def _shared_in_one_graph(self, inputs: list[float], use: Node, partial: float) -> bool:
        c = len(inputs)
        for op_first in (True, False):
            nodes = [Node(input=k) for k in range(c + 1)]
            scale = Node(op="mul", args=(0, c))
            nodes += [use, scale] if op_first else [scale, use]
            nodes.append(Node(op="add", args=(c + 1, c + 2)))
            leaves = [self.engine.leaf(v) for v in inputs + [1.25]]
            try:
                self.engine.backward(self.engine.run(Expression(c + 1, tuple(nodes)), leaves))
                got = self.engine.gradient(leaves[0])
            except Exception:
                return False
            if not close(got, partial + 1.25, 1e-9):
                return True
        return False
