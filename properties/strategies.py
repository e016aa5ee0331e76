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

import math
from typing import Iterable, Mapping

from hypothesis import strategies as st

from reference.domains import Domain
from reference.expression import Case, Expression, Node
from reference.error_bounds import SMALLEST_SUBNORMAL, UNIT_ROUNDOFF, IllConditioned, check_operand
from reference.float_context import FLOAT
from reference.mp_backend import mp_scalar_type, mp_value
from reference.domains import Params
from reference.ops import REGISTRY, OpSpec
from properties.values import floats_in, param_values

LEAF_DOMAIN = Domain(-1e100, 1e100)
UPSTREAM_FACTOR = Domain(-1e10, 1e10, min_abs=1e-10)  # ordinary scales: it is there to be a factor != 1
_TRACKING_DPS = 30  # node values while building: enough to tell a domain edge from a rounding error


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
    return draw(BYTE) % n


def _pick(draw, candidates: list[int], unused: set[int], avoid: int | None = None) -> int:
    """One of ``candidates`` (newest first).  Mostly a node nothing uses yet, the newest
    half of those times (this builds depth and keeps what is drawn live); otherwise any
    node, which builds shared subexpressions."""
    fresh = [i for i in candidates if i in unused and i != avoid]
    mode, index = draw(_MODE), draw(BYTE)  # always two choices
    if fresh and mode < 4:
        return fresh[0 if mode < 2 else index % len(fresh)]
    return candidates[index % len(candidates)]


class _Builder:
    """The DAG being drawn, with each node's value, the rounding error a correct engine may
    have accumulated in it, and its amplification: the largest product of partial derivatives
    along any path into it, which bounds the gradients it can produce.

    Values and errors are tracked in floats (each op's definition evaluated in float64, see
    :mod:`reference.float_context`): the float value is itself a correct engine's, within the
    tracked error of the truth, so every decision is made with twice that error as margin, and
    only an op whose float evaluation overflows or is undefined is evaluated in mpmath.  The
    judgment of a case is always made in mpmath (:mod:`reference.error_bounds`)."""

    def __init__(self, inputs: tuple[float, ...]):
        self.nodes: list[Node] = [Node(input=k) for k in range(len(inputs))]
        self.values: list[float] = [float(x) for x in inputs]
        self.errors: list[float] = [0.0] * len(inputs)
        self.amplification: list[float] = [1.0] * len(inputs)
        self.used: set[int] = set()

    def value_nodes(self) -> tuple[list[int], set[int]]:
        """Nodes that hold values (newest first), and those that nothing uses yet."""
        newest_first = [i for i in range(len(self.nodes) - 1, -1, -1) if self.nodes[i].const is None]
        return newest_first, set(newest_first) - self.used

    def admits(self, spec: OpSpec, k: int, param, i: int, first: int | None = None) -> bool:
        """Node ``i`` may be operand ``k`` of ``spec`` (whose first operand is node ``first``): inside
        the domain, and far enough from its edges, kinks and poles that a correct engine's rounding
        cannot cross them."""
        value, error = self.values[i], self.errors[i]
        domain = spec.operand_domains(param)[k] if first is None else spec.second_domain(self.values[first], param)
        if not domain.contains(value):
            return False
        try:
            check_operand(spec, k, value, 2.0 * error, param)  # 2x: the float value is off by up to error
        except IllConditioned:
            return False
        return True

    def constant(self, value: float) -> int:
        self.nodes.append(Node(const=value))
        self.values.append(value)
        self.errors.append(0.0)
        self.amplification.append(0.0)
        return len(self.nodes) - 1

    def apply(self, spec: OpSpec, args: tuple[int, ...], param=None) -> bool:
        """Append ``spec`` applied to ``args``, unless its gradients could overflow float64."""
        operands = [self.values[a] for a in args]
        extra = [] if param is None else [param]
        try:
            value = float(spec.mp(FLOAT, *operands, *extra))
            partials = [float(d) for d in spec.partials(FLOAT, *operands, *extra)]
        except (ArithmeticError, ValueError):
            return False
        if not (math.isfinite(value) and all(math.isfinite(d) for d in partials)):
            exact = _exact(spec, operands, extra)  # too close to call in floats
            if exact is None:
                return False
            value, partials = exact
        amplification = max([1.0] + [abs(d) * self.amplification[a] for d, a in zip(partials, args)])
        if not amplification <= MAX_AMPLIFICATION:
            return False
        self.nodes.append(Node(op=spec.name, args=args, param=param))
        self.values.append(value)
        self.errors.append(_float_error(spec, operands, [self.errors[a] for a in args], param, value, partials))
        self.amplification.append(amplification)
        self.used.update(args)
        return True

    def trim(self) -> None:
        """Drop trailing constants that were drawn for an op that did not apply."""
        while self.nodes[-1].const is not None:
            for column in (self.nodes, self.values, self.errors, self.amplification):
                column.pop()


def _exact(spec: OpSpec, operands: list[float], extra: list) -> tuple[float, list[float]] | None:
    """The op's value and partials in mpmath (where floats overflow or lose them), or None if not finite."""
    ctx = mp_scalar_type(_TRACKING_DPS).ctx
    values = [ctx.mpf(v) for v in operands]
    try:
        value = spec.mp(ctx, *values, *extra)
        partials = [float(d) for d in spec.partials(ctx, *values, *extra)]
    except (ArithmeticError, ValueError):
        return None
    value = float(value)
    if not (math.isfinite(value) and all(math.isfinite(d) for d in partials)):
        return None
    return value, partials


def _exactly_zero(spec: OpSpec, operands: list[float], extra: list) -> bool:
    """Is the op's exact result 0 (not one that float64 rounds to 0)?"""
    ctx = mp_scalar_type(_TRACKING_DPS).ctx
    try:
        return spec.mp(ctx, *[ctx.mpf(v) for v in operands], *extra) == 0
    except (ArithmeticError, ValueError):
        return False


def _float_error(spec: OpSpec, values: list[float], errors: list[float], param, out: float, partials) -> float:
    """:func:`reference.error_bounds.forward_error`, estimated in floats."""
    extra = [] if param is None else [param]
    if out == 0.0 and not any(errors) and _exactly_zero(spec, values, extra):
        return 0.0  # log(1.0), 0 * x: not a product that underflowed to 0 (1e-300 * -1e-24 is -1e-324)
    propagated = math.fsum(abs(d) * e for d, e in zip(partials, errors))
    if any(errors):
        for signs in ((-1, -1), (-1, 1), (1, -1), (1, 1))[: 2 ** len(values)]:
            corner = [v + s * e for v, s, e in zip(values, signs, errors)]
            try:
                shifted = float(spec.mp(FLOAT, *corner, *extra))
            except (ArithmeticError, ValueError):
                shifted = math.inf
            propagated = max(propagated, abs(shifted - out))
    own = float(spec.forward_ulps(FLOAT, *values, *extra)) * UNIT_ROUNDOFF * abs(out)
    return propagated + own + (0.0 if spec.exact_underflow else SMALLEST_SUBNORMAL)


MORE_ODDS = 15  # another op with odds 15:1 at each step: 16 ops on average, fewer when shrunk
_MORE = st.integers(0, MORE_ODDS)
BYTE = st.integers(0, 255)
_MODE = st.integers(0, 4)
_SHAPE = st.integers(0, 9)
_FOCUS = st.integers(0, 2)
MAX_AMPLIFICATION = 1e200  # leaves room below float64's 1.8e308 for the values themselves


def _try_op(draw, spec: OpSpec, dag: _Builder, params: Mapping[str, Params]) -> bool:
    """Apply ``spec`` to drawn earlier nodes that it admits; False if it applies to none.

    Every call makes the same choices whatever the outcome, which keeps
    hypothesis' mutations of the choice sequence aligned."""
    candidates, unused = dag.value_nodes()
    param = draw(param_values(params.get(spec.name, spec.params))) if spec.has_param else None
    firsts = [i for i in candidates if dag.admits(spec, 0, param, i)]
    first = _pick(draw, firsts or candidates, unused)
    if not firsts:
        return False
    if spec.arity == 1:
        return dag.apply(spec, (first,), param)
    seconds = [i for i in candidates if dag.admits(spec, 1, None, i, first)]
    shape, constant = draw(_SHAPE), draw(floats_in(spec.second_domain(float(dag.values[first]))))
    second = _pick(draw, seconds or candidates, unused, avoid=first)
    if spec.constant_operand and (not seconds or shape < 2):
        return dag.apply(spec, (first, dag.constant(constant)))  # x + 3.0
    if not seconds:
        return False
    if first in seconds and shape == 2:
        return dag.apply(spec, (first, first))  # x * x, x - x, x / x
    return dag.apply(spec, (first, second))


@st.composite
def _steps(draw, dag: _Builder, specs: list[OpSpec], include: str | None, params: Mapping[str, Params]) -> None:
    """One more op on the DAG: the drawn op, or the next one that applies here."""
    start = _index(draw, len(specs))
    focus = include is not None and draw(_FOCUS) == 0
    order = ([REGISTRY[include]] if focus else []) + [specs[(start + k) % len(specs)] for k in range(len(specs))]
    for spec in order:
        if _try_op(draw, spec, dag, params):
            return


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
            if dag.admits(spec, 0, None, a) and dag.admits(spec, 1, None, b, a) and dag.apply(spec, (a, b)):
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
    params: Mapping[str, Params] | None = None,
) -> Case:
    """Random expression DAGs over ``ops`` (default: every registered op) with valid inputs.

    ``min_ops``/``max_ops`` bound the number of op nodes drawn (after ``min_ops``, each
    step decides whether to draw one more, so shrinking removes ops); then the ops
    that nothing uses are folded into one root with binary ops (up to
    ``max_ops - 1`` more), so that everything drawn counts.  ``max_inputs``
    bounds the number of inputs; ``include``
    names an op that is drawn a third of the time (and tried on the root at the
    end if it is still missing), for a contributor checking one op; ``params`` replaces the
    params of the ops it names (an engine whose method takes none: ``reference.domains.fixed``).
    """
    specs = _resolve(ops)
    if include is not None and include not in [s.name for s in specs]:
        raise ValueError(f"include={include!r} is not among the ops {[s.name for s in specs]}")
    if not 1 <= min_ops <= max_ops:
        raise ValueError(f"need 1 <= min_ops <= max_ops, got min_ops={min_ops}, max_ops={max_ops}")
    if max_inputs < 1:
        raise ValueError(f"max_inputs must be >= 1, got {max_inputs}")
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = tuple(draw(floats_in(leaf_domain)) for _ in range(n_inputs))
    dag = _Builder(inputs)
    for n_ops in range(max_ops):
        # "one more op?" at each step (like st.lists): shrinking that stops early removes ops
        if n_ops >= min_ops and draw(_MORE) == 0:
            break
        draw(_steps(dag, specs, include, params or {}))  # one span per op: the shrinker can delete an op in the middle
    _fold(draw, [s for s in specs if s.arity == 2], dag)
    dag.trim()
    if include is not None and include not in Expression(n_inputs, tuple(dag.nodes)).ops():
        spec = REGISTRY[include]
        root = len(dag.nodes) - 1
        param = draw(param_values((params or {}).get(include, spec.params))) if spec.has_param else None
        if dag.admits(spec, 0, param, root):
            if spec.arity == 1:
                dag.apply(spec, (root,), param)
            elif dag.admits(spec, 1, None, root, root):
                dag.apply(spec, (root, root))
    return Case(Expression(n_inputs, tuple(dag.nodes)), inputs)


def _narrowed(domain: Domain, regime_domain: Domain | None) -> Domain:
    """The op's domain within a regime's (the op's whole domain where they do not meet)."""
    if regime_domain is None:
        return domain
    return domain.intersect(regime_domain) or domain


@st.composite
def op_cases(draw, spec: OpSpec, *, upstream: bool = False, params: Params | None = None) -> Case:
    """``spec`` alone on inputs drawn across its whole domain, one of its regimes at a time.

    The regime is drawn first (sigmoid saturated beyond 36, exp near its underflow edge, pow with
    negative integer exponents: ``spec.regimes``), or the whole domain; so that every regime is
    met however narrow it is on the real line.  Binary ops get two inputs, the same input twice,
    or a constant second operand, the second drawn where the first allows it (``spec.joint``).
    With ``upstream=True`` the op is not the root: its result is multiplied by one more input, so
    a missing upstream factor shows.  ``params`` replaces the spec's (an engine whose method takes
    no param is verified at its own: ``reference.domains.fixed``)."""
    regimes = spec.regimes
    pick, param_pick = draw(BYTE) % (len(regimes) + 1), draw(BYTE)
    regime = regimes[pick] if pick < len(regimes) else None  # the last: anywhere
    param = None
    if spec.has_param:
        param = draw(param_values(params or spec.params))
        if regime is not None and regime.params and params is None:
            param = regime.params[param_pick % len(regime.params)]
    domains = spec.operand_domains(param)
    narrow = list(regime.domains) + [None] * 2 if regime is not None else [None, None]
    inputs = [draw(floats_in(_narrowed(domains[0], narrow[0])))]
    nodes = [Node(input=0)]
    if spec.arity == 2:
        second = _narrowed(spec.second_domain(inputs[0], param), narrow[1])
        form = draw(st.sampled_from(["two", "same", "constant"] if spec.constant_operand else ["two", "same"]))
        if form == "same" and second.contains(inputs[0]):
            args = (0, 0)
        elif form == "constant":
            nodes.append(Node(const=draw(floats_in(second))))
            args = (0, 1)
        else:
            inputs.append(draw(floats_in(second)))
            nodes.append(Node(input=1))
            args = (0, 1)
    else:
        args = (0,)
    nodes.append(Node(op=spec.name, args=args, param=param))
    if upstream:  # a factor that keeps the product (and its gradient) finite
        root, _ = mp_value(Expression(len(inputs), tuple(nodes)), inputs)
        size = max([1.0, abs(float(root.value))] + [abs(float(d)) for d in _partials(spec, root, param)])
        biggest = min(UPSTREAM_FACTOR.hi, 1e300 / size)
        factor = draw(floats_in(Domain(-biggest, biggest, min_abs=min(UPSTREAM_FACTOR.min_abs, biggest))))
        inputs.append(-0.75 * factor if factor == 1.0 else factor)  # 1.0 would hide a missing factor
        nodes.append(Node(input=len(inputs) - 1))
        nodes.append(Node(op="mul", args=(len(nodes) - 2, len(nodes) - 1)))
    return Case(Expression(len(inputs), tuple(nodes)), tuple(inputs))


def _partials(spec: OpSpec, root, param) -> tuple:
    """The op's partials at its operands (the root of a one-op expression)."""
    values = [o.value if hasattr(o, "value") else o for o in root.operands]
    try:
        return spec.partials(root.ctx, *values, *([] if param is None else [param]))
    except (ArithmeticError, ValueError):
        return ()


__all__ = ["Case", "cases", "op_cases", "floats_in", "LEAF_DOMAIN"]
