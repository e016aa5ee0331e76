"""How far a correct float64 engine may be from the true value and gradient.

A running error analysis (Wilkinson's, done in mpmath on the recorded tape):
every op of a correct engine may round its result and its local derivatives
by a few units of float64's roundoff u (the spec says how many), and
evaluates them at its own computed operands, not the true ones.  Carrying
those errors through the graph, forward for the value and backward for the
adjoints, gives a bound per input that follows the computation: tight where
the expression is well conditioned (so a bug of 1e-10 relative in one op
stands out), wide where it is not, and never tighter than rounding can be.

Where an operand's error interval reaches a kink, a pole or the edge of its
op's domain, no such bound exists (a correct engine may take either branch):
the analysis reports the point as ill-conditioned instead of guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reference.domains import HALF_MAX, SMALLEST_NORMAL, SMALLEST_SUBNORMAL, UNIT_ROUNDOFF
from reference.mp_backend import MPScalar
from reference.ops import OpSpec

LINEAR_LIMIT = 1e-3
OVERFLOW_LIMIT = HALF_MAX  # adjoints beyond this may overflow in a correct engine (a sum of two terms)


class IllConditioned(Exception):
    """No meaningful error bound exists at this point; ``reason`` says why and
    ``kind`` names the category (for statistics)."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class ErrorBounds:
    """Bounds on |engine - truth| for a correct float64 engine (before any safety factor)."""

    value: float
    gradient: tuple[float, ...]  # one per input
    adjoints: tuple  # the true d(root)/d(input) from the registry's partials, in mpmath


def topological_order(root: MPScalar) -> list[MPScalar]:
    """Every scalar the root was computed from, each after its operands (post-order)."""
    order: list[MPScalar] = []
    seen: set[int] = set()
    stack: list[tuple[MPScalar, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.operands if isinstance(p, MPScalar))
    return order


NORMAL_MAG = -1022 + 4  # 2**-1022 is the smallest normal; 4 binades of margin over mpmath's mag()


def _underflow(eta, result, start, factors):
    """Error from an intermediate that sinks among the subnormals (absolute error eta there)
    and is then scaled back up: an engine may form start * f or start / f for any factor f
    on its way to ``result``, in any order (torch forms upstream * c before dividing by x**2).
    ``factors`` are (f, mag(f)) pairs: an intermediate whose magnitude is clearly normal (by the
    binary exponents alone) is not formed in mpmath at all."""
    worst = 0
    if not factors:
        return worst
    m = start.context.mag(start) if hasattr(start, "context") else 0
    for f, mf in factors:
        if m + mf <= NORMAL_MAG:
            intermediate = start * f
            if 0 < intermediate < SMALLEST_NORMAL and result > intermediate:
                worst = max(worst, eta * result / intermediate)
        if f and m - mf <= NORMAL_MAG:
            intermediate = start / f
            if 0 < intermediate < SMALLEST_NORMAL and result > intermediate:
                worst = max(worst, eta * result / intermediate)
    return worst


def _call(fn, ctx, values, param):
    return fn(ctx, *values) if param is None else fn(ctx, *values, param)


def _corners(values, errors):
    """The operand vectors with each inexact operand moved by -error and +error."""
    vectors = [[]]
    for v, e in zip(values, errors):
        vectors = [vec + [v + s * e] for vec in vectors for s in ((-1, 1) if e else (0,))]
    return vectors


def check_operand(spec: OpSpec, k: int, v: Any, e: Any, param: Any = None) -> None:
    """Raise :class:`IllConditioned` if operand ``k`` = v +- e leaves the first-order regime,
    reaches a kink or pole, or leaves the op's domain."""
    if not e:
        return
    ctx = v.context if hasattr(v, "context") else None
    show = (lambda x: ctx.nstr(x, 8)) if ctx else (lambda x: f"{float(x):.8g}")
    if not spec.multilinear and e > LINEAR_LIMIT * (min(abs(v), 1) if spec.periodic else abs(v)):
        raise IllConditioned("rounding error too large for a first-order bound",
                             f"{spec.name}: operand {k} = {show(v)} is uncertain by {show(e)}")
    singular = spec.singular_points(param)
    for point in singular[k] if k < len(singular) else ():
        if v - e <= point <= v + e:
            raise IllConditioned("rounding may cross a kink or pole",
                                 f"{spec.name}: operand {k} = {show(v)} +- {show(e)} straddles {point}")
    limits = spec.operand_limits(param)
    if k < len(limits) and not (limits[k][0] <= v - e and v + e <= limits[k][1]):
        raise IllConditioned("rounding may leave an op's domain",
                             f"{spec.name}: operand {k} = {show(v)} +- {show(e)} leaves the domain")


def forward_error(spec: OpSpec, values: list, errors: list, param: Any, out: Any, partials=None) -> Any:
    """Bound on |computed - true| of one op's result, given bounds on its operands' errors:
    the true op at the computed operands (first order, and at the corners of the
    error box, which catches curvature), then the op's own rounding."""
    ctx = out.context
    if out == 0 and not any(errors):  # exact operands and an exact zero: x * 0, sin(0), 0 / x, log(1)
        return ctx.zero
    if partials is None:
        partials = _call(spec.partials, ctx, values, param)
    propagated = sum((abs(d) * e for d, e in zip(partials, errors)), ctx.zero)
    for corner in _corners(values, errors):
        propagated = max(propagated, abs(_call(spec.mp, ctx, corner, param) - out))
    own = ctx.mpf(_call(spec.forward_ulps, ctx, values, param)) * UNIT_ROUNDOFF * abs(out)
    return propagated + own + (0 if spec.exact_underflow else ctx.mpf(SMALLEST_SUBNORMAL))


def error_bounds(root: MPScalar, leaves: tuple[MPScalar, ...], *, values_only: bool = False) -> ErrorBounds:
    """Bounds on the forward and gradient errors of any correct float64 engine.

    Raises :class:`IllConditioned` where no bound exists; with ``values_only``, gradients that
    may overflow float64 get infinite bounds instead (nothing is judged of them: the value is).
    """
    ctx = root.ctx
    u = ctx.mpf(UNIT_ROUNDOFF)
    eta = ctx.mpf(SMALLEST_SUBNORMAL)
    order = topological_order(root)
    err: dict[int, Any] = {}  # forward error bound per node
    local: dict[int, list] = {}  # (parent, partial, partial error bound) per node
    for node in order:
        spec = node.spec
        if spec is None:
            err[id(node)] = ctx.zero
            continue
        values = [o.value if isinstance(o, MPScalar) else o for o in node.operands]
        errors = [err[id(o)] if isinstance(o, MPScalar) else ctx.zero for o in node.operands]
        for k, (v, e) in enumerate(zip(values, errors)):
            check_operand(spec, k, v, e, node.param)
        out = node.value
        partials = _call(spec.partials, ctx, values, node.param)
        if not values_only and any(isinstance(o, MPScalar) and abs(d) > OVERFLOW_LIMIT
                                   for o, d in zip(node.operands, partials)):
            # a correct engine's local derivative is inf there; below an upstream 0 that makes nan
            raise IllConditioned("gradients overflow float64", f"a local derivative of {spec.name} reaches "
                                 f"{ctx.nstr(max(abs(d) for d in partials), 3)}")
        err[id(node)] = forward_error(spec, values, errors, node.param, out, partials)
        # local derivatives: rounding of the formula, and evaluation at the computed operands
        scale = partials if spec.derivative_scale is None else _call(spec.derivative_scale, ctx, values, node.param)
        ulps = ctx.mpf(_call(spec.derivative_ulps, ctx, values, node.param))
        shifted = [_call(spec.partials, ctx, corner, node.param) for corner in _corners(values, errors)]
        # magnitudes a correct engine may multiply or divide by when it forms a partial or a term
        factors = [] if spec.exact_underflow else [  # a sum's partials are +-1: nothing to scale by
            (f, ctx.mag(f)) for f in (abs(ctx.mpf(m)) for m in [*values, out, *partials]
                                      + ([] if node.param is None else [node.param]))]
        edges = []
        for k, parent in enumerate(node.operands):
            if not isinstance(parent, MPScalar):
                continue
            sensitivity = max((abs(s[k] - partials[k]) for s in shifted), default=ctx.zero)
            partial_err = ulps * u * abs(scale[k]) + eta + sensitivity
            partial_err += _underflow(eta, abs(partials[k]), ctx.one, factors)
            edges.append((parent, ctx.mpf(partials[k]), partial_err))
        local[id(node)] = (edges, factors)

    # backward: adjoint a_p = sum over uses of a_node * partial, each term and sum rounded
    adjoint: dict[int, Any] = {id(root): ctx.one}
    adjoint_err: dict[int, Any] = {id(root): ctx.zero}
    terms_abs: dict[int, Any] = {}
    terms_count: dict[int, int] = {}
    for node in reversed(order):
        key = id(node)
        if terms_count.get(key, 0) > 1:  # a sum of m terms rounds by at most (m-1) u sum|terms|
            adjoint_err[key] += (terms_count[key] - 1) * u * terms_abs[key]
        a, ea = adjoint.get(key, ctx.zero), adjoint_err.get(key, ctx.zero)
        edges, factors = local.get(key, ((), ()))
        for parent, partial, partial_err in edges:
            p = id(parent)
            term = a * partial
            term_err = ea * abs(partial) + abs(a) * partial_err + ea * partial_err
            term_err += _underflow(eta, abs(term), abs(a), factors)
            magnitude = abs(term) + term_err
            adjoint[p] = adjoint.get(p, ctx.zero) + term
            adjoint_err[p] = adjoint_err.get(p, ctx.zero) + term_err + u * magnitude + eta
            terms_abs[p] = terms_abs.get(p, ctx.zero) + magnitude
            terms_count[p] = terms_count.get(p, 0) + 1
    biggest = max((abs(a) for a in adjoint.values()), default=ctx.zero)
    if biggest > OVERFLOW_LIMIT:
        if not values_only:
            raise IllConditioned("gradients overflow float64", f"an adjoint reaches {ctx.nstr(biggest, 3)}")
        return ErrorBounds(float(err[id(root)]), tuple(math.inf for _ in leaves),
                           tuple(adjoint.get(id(leaf), ctx.zero) for leaf in leaves))
    gradient_bounds = tuple(float(adjoint_err.get(id(leaf), 0)) for leaf in leaves)
    adjoints = tuple(adjoint.get(id(leaf), ctx.zero) for leaf in leaves)
    return ErrorBounds(float(err[id(root)]), gradient_bounds, adjoints)
