"""Hypothesis strategies for expressions and their inputs.

Importable by users::

    from hypothesis import given
    from properties.strategies import cases

    @given(cases(ops=["mul", "sin"], max_ops=10))
    def test_my_engine(case): ...

A :class:`Case` is an :class:`~reference.expression.Expression` (a DAG of
registry ops) with inputs at which every op is inside its domain.  Inputs and
structure are drawn together, bottom-up: each new op is applied only to
earlier nodes whose current values its domain admits, so nothing is drawn and
then thrown away.  Shrinking removes ops from the end, moves operand choices
to the most recent node (chains) and the op choice to the first registered op
(``add``), and inputs towards small ordinary numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from hypothesis import strategies as st

from reference.domains import Domain
from reference.expression import Expression, Node
from reference.error_bounds import IllConditioned, check_operand, forward_error
from reference.mp_backend import MPScalar, OutOfDomain, mp_scalar_type, mp_value
from reference.ops import REGISTRY, OpSpec
from properties.values import floats_in

LEAF_DOMAIN = Domain(-1e100, 1e100)
UPSTREAM_FACTOR = Domain(-1e10, 1e10, min_abs=1e-10)  # ordinary scales: it is there to be a factor != 1
_TRACKING_DPS = 30  # node values while building: enough to tell a domain edge from a rounding error


@dataclass(frozen=True, repr=False)
class Case:
    """An expression and the inputs it is evaluated at."""

    expression: Expression
    inputs: tuple[float, ...]

    def __str__(self) -> str:
        args = ", ".join(f"x{k}={x!r}" for k, x in enumerate(self.inputs))
        return f"{self.expression.source()}\n# at {args}"

    def __repr__(self) -> str:
        """Short: hypothesis prints it as the falsifying example (the report has the source)."""
        inputs = self.inputs if len(self.inputs) <= 6 else f"({len(self.inputs)} inputs)"
        return f"Case({self.expression!r}, inputs={inputs!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis' pretty printer: the same short form
        printer.text(repr(self))


def _resolve(ops: Iterable[str] | None) -> list[OpSpec]:
    names = list(REGISTRY) if ops is None else list(ops)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown ops {unknown}; registered: {sorted(REGISTRY)}")
    if not names:
        raise ValueError("ops must name at least one registered op")
    return [REGISTRY[n] for n in names]


def _index(draw, n: int) -> int:
    """An index below ``n`` drawn from a fixed range, so that a replayed or mutated choice
    sequence stays valid when the number of candidates changes (fewer invalid examples);
    it still shrinks to 0."""
    return draw(st.integers(0, 255)) % n


def _pick(draw, candidates: list[int], unused: set[int], avoid: int | None = None) -> int:
    """One of ``candidates`` (newest first).  Mostly a node nothing uses yet, the newest
    half of those times (this builds depth and keeps what is drawn live); otherwise any
    node, which builds shared subexpressions."""
    fresh = [i for i in candidates if i in unused and i != avoid]
    mode, index = draw(st.integers(0, 4)), draw(st.integers(0, 255))  # always two choices
    if fresh and mode < 4:
        return fresh[0 if mode < 2 else index % len(fresh)]
    return candidates[index % len(candidates)]


class _Builder:
    """The DAG being drawn, with each node's value (in mpmath), the rounding error a correct
    engine may have accumulated in it, and its amplification: the largest product of
    partial derivatives along any path into it, which bounds the gradients it can produce."""

    def __init__(self, inputs: tuple[float, ...]):
        scalar = mp_scalar_type(_TRACKING_DPS)
        self.nodes: list[Node] = [Node(input=k) for k in range(len(inputs))]
        self.values: list = [scalar.leaf(x) for x in inputs]
        self.errors: list = [0] * len(inputs)
        self.amplification: list = [1] * len(inputs)

    def value_nodes(self) -> tuple[list[int], set[int]]:
        """Nodes that hold values (newest first), and those that nothing uses yet."""
        used = {a for node in self.nodes for a in node.args}
        newest_first = [i for i in range(len(self.nodes) - 1, -1, -1) if self.nodes[i].const is None]
        return newest_first, set(newest_first) - used

    def admits(self, spec: OpSpec, k: int, param, i: int) -> bool:
        """Node ``i`` may be operand ``k`` of ``spec``: inside the domain, and far enough from
        its edges, kinks and poles that a correct engine's rounding cannot cross them."""
        value, error = self.values[i].value, self.errors[i]
        if not spec.operand_domains(param)[k].contains(float(value)):
            return False
        try:
            check_operand(spec, k, value, error, param)
        except IllConditioned:
            return False
        return True

    def constant(self, value: float) -> int:
        self.nodes.append(Node(const=value))
        self.values.append(value)
        self.errors.append(0)
        self.amplification.append(0)
        return len(self.nodes) - 1

    def apply(self, spec: OpSpec, args: tuple[int, ...], param=None) -> bool:
        """Append ``spec`` applied to ``args``, unless its gradients could overflow float64."""
        operands = [self.values[a] for a in args]
        try:
            value = spec.call(*operands) if param is None else spec.call(*operands, param)
        except OutOfDomain:
            return False
        plain = [o.value if isinstance(o, MPScalar) else o for o in operands]
        partials = spec.partials(value.ctx, *plain) if param is None else spec.partials(value.ctx, *plain, param)
        amplification = max([1] + [abs(d) * self.amplification[a] for d, a in zip(partials, args)])
        if amplification > MAX_AMPLIFICATION:
            return False
        self.nodes.append(Node(op=spec.name, args=args, param=param))
        self.values.append(value)
        self.errors.append(forward_error(spec, plain, [self.errors[a] for a in args], param, value.value, partials))
        self.amplification.append(amplification)
        return True

    def trim(self) -> None:
        """Drop trailing constants that were drawn for an op that did not apply."""
        while self.nodes[-1].const is not None:
            for column in (self.nodes, self.values, self.errors, self.amplification):
                column.pop()


MAX_AMPLIFICATION = 1e200  # leaves room below float64's 1.8e308 for the values themselves


def _try_op(draw, spec: OpSpec, dag: _Builder) -> bool:
    """Apply ``spec`` to drawn earlier nodes that it admits; False if it applies to none.

    Every call makes the same choices whatever the outcome, which keeps
    hypothesis' mutations of the choice sequence aligned."""
    candidates, unused = dag.value_nodes()
    param = spec.params(draw) if spec.has_param else None
    firsts = [i for i in candidates if dag.admits(spec, 0, param, i)]
    first = _pick(draw, firsts or candidates, unused)
    if not firsts:
        return False
    if spec.arity == 1:
        return dag.apply(spec, (first,), param)
    seconds = [i for i in candidates if dag.admits(spec, 1, None, i)]
    shape, constant = draw(st.integers(0, 9)), draw(floats_in(spec.operand_domains()[1]))
    second = _pick(draw, seconds or candidates, unused, avoid=first)
    if spec.constant_operand and (not seconds or shape < 2):
        return dag.apply(spec, (first, dag.constant(constant)))  # x + 3.0
    if not seconds:
        return False
    if first in seconds and shape == 2:
        return dag.apply(spec, (first, first))  # x * x, x - x, x / x
    return dag.apply(spec, (first, second))


def _fold(draw, binary: list[OpSpec], dag: _Builder) -> None:
    """Combine the ops that nothing uses into one root with binary ops, so that all of them count."""
    while binary:
        loose = [i for i in dag.value_nodes()[1] if dag.nodes[i].op is not None]
        if len(loose) < 2:
            return
        a, b = sorted(loose)[-2:]
        start = _index(draw, len(binary))
        for offset in range(len(binary)):
            spec = binary[(start + offset) % len(binary)]
            if dag.admits(spec, 0, None, a) and dag.admits(spec, 1, None, b) and dag.apply(spec, (a, b)):
                break
        else:
            return


@st.composite
def cases(
    draw,
    *,
    ops: Iterable[str] | None = None,
    min_ops: int = 1,
    max_ops: int = 40,
    max_inputs: int = 4,
    leaf_domain: Domain = LEAF_DOMAIN,
    include: str | None = None,
) -> Case:
    """Random expression DAGs over ``ops`` (default: every registered op) with valid inputs.

    ``min_ops``/``max_ops`` bound the number of op nodes drawn; then the ops
    that nothing uses are folded into one root with binary ops (up to
    ``max_ops - 1`` more), so that everything drawn counts.  ``max_inputs``
    bounds the number of inputs; ``include``
    names an op that is drawn a third of the time (and tried on the root at the
    end if it is still missing), for a contributor checking one op.
    """
    specs = _resolve(ops)
    if include is not None and include not in [s.name for s in specs]:
        raise ValueError(f"include={include!r} is not among the ops {[s.name for s in specs]}")
    if not 1 <= min_ops <= max_ops:
        raise ValueError(f"need 1 <= min_ops <= max_ops, got min_ops={min_ops}, max_ops={max_ops}")
    if max_inputs < 1:
        raise ValueError(f"max_inputs must be >= 1, got {max_inputs}")
    # The size first: hypothesis extends a novel prefix by at most 5x its simplest
    # completion, and a prefix that fixes the size completes to an example that large.
    n_ops = draw(st.integers(min_ops, max_ops))
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = tuple(draw(floats_in(leaf_domain)) for _ in range(n_inputs))
    dag = _Builder(inputs)
    for _ in range(n_ops):
        start = _index(draw, len(specs))
        focus = include is not None and draw(st.integers(0, 2)) == 0
        order = ([REGISTRY[include]] if focus else []) + [specs[(start + k) % len(specs)] for k in range(len(specs))]
        for spec in order:  # the drawn op, or the next one that applies here
            if _try_op(draw, spec, dag):
                break
    _fold(draw, [s for s in specs if s.arity == 2], dag)
    dag.trim()
    if include is not None and include not in Expression(n_inputs, tuple(dag.nodes)).ops():
        spec = REGISTRY[include]
        root = len(dag.nodes) - 1
        param = spec.params(draw) if spec.has_param else None
        if dag.admits(spec, 0, param, root):
            if spec.arity == 1:
                dag.apply(spec, (root,), param)
            elif dag.admits(spec, 1, None, root):
                dag.apply(spec, (root, root))
    return Case(Expression(n_inputs, tuple(dag.nodes)), inputs)


@st.composite
def op_cases(draw, spec: OpSpec, *, upstream: bool = False) -> Case:
    """``spec`` alone on inputs drawn across its whole domain.

    Binary ops get two inputs, the same input twice, or a constant second
    operand.  With ``upstream=True`` the op is not the root: its result is
    multiplied by one more input, so a missing upstream factor shows.
    """
    param = spec.params(draw) if spec.has_param else None
    domains = spec.operand_domains(param)
    inputs = [draw(floats_in(domains[0]))]
    nodes = [Node(input=0)]
    if spec.arity == 2:
        form = draw(st.sampled_from(["two", "same", "constant"] if spec.constant_operand else ["two", "same"]))
        if form == "same" and domains[1].contains(inputs[0]):
            args = (0, 0)
        elif form == "constant":
            nodes.append(Node(const=draw(floats_in(domains[1]))))
            args = (0, 1)
        else:
            inputs.append(draw(floats_in(domains[1])))
            nodes.append(Node(input=1))
            args = (0, 1)
    else:
        args = (0,)
    nodes.append(Node(op=spec.name, args=args, param=param))
    if upstream:  # a factor that keeps the product (and its gradient) finite
        result = abs(float(mp_value(Expression(len(inputs), tuple(nodes)), inputs)[0].value))
        biggest = min(UPSTREAM_FACTOR.hi, 1e300 / max(result, 1.0))
        factor = draw(floats_in(Domain(-biggest, biggest, min_abs=min(UPSTREAM_FACTOR.min_abs, biggest))))
        inputs.append(-0.75 * factor if factor == 1.0 else factor)  # 1.0 would hide a missing factor
        nodes.append(Node(input=len(inputs) - 1))
        nodes.append(Node(op="mul", args=(len(nodes) - 2, len(nodes) - 1)))
    return Case(Expression(len(inputs), tuple(nodes)), tuple(inputs))


__all__ = ["Case", "cases", "op_cases", "floats_in", "LEAF_DOMAIN"]
