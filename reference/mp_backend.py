"""The mpmath backend: the same expression evaluated at high precision.

:func:`mp_scalar_type` builds a scalar class that implements the same protocol
as the engine's ``Value`` (operators and methods, one per spec of the op
registry) on mpmath numbers of a private context, so mpmath's global precision
is never touched.  Every result remembers the spec and operands that made it,
which is the tape that :mod:`reference.error_bounds` analyses.

:func:`mp_gradient` is the seed's symmetric derivative taken in mpmath, with a
step chosen from the working precision, and an estimate of its own error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from numbers import Real
from typing import Any, Callable, Sequence

from mpmath.ctx_mp import MPContext

from reference.domains import FLOAT_MAX
from reference.ops import REGISTRY, OpSpec

DEFAULT_DPS = 50


class OutOfDomain(ArithmeticError):
    """An op was applied outside its real domain (mpmath would go complex or infinite)."""


class MPScalar:
    """Base of the generated scalar classes; see :func:`mp_scalar_type`."""

    __slots__ = ("value", "spec", "operands", "param")
    ctx: MPContext

    def __init__(self, value, spec: OpSpec | None = None, operands: tuple = (), param: Any = None):
        self.value = value
        self.spec = spec
        self.operands = operands  # MPScalar parents, or plain mpf constants
        self.param = param

    @classmethod
    def leaf(cls, x: float) -> "MPScalar":
        return cls(cls.ctx.mpf(x))

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"MPScalar({self.ctx.nstr(self.value, 20)})"


def _apply(spec: OpSpec, operands: tuple, param: Any = None) -> MPScalar:
    first = operands[0]
    cls, ctx = type(first), first.ctx
    values = [o.value if isinstance(o, MPScalar) else o for o in operands]
    args = values if param is None else [*values, param]
    try:
        out = spec.mp(ctx, *args)
    except (ValueError, ZeroDivisionError) as error:
        raise OutOfDomain(f"{spec.name}{tuple(float(v) for v in args)}: {error}") from None
    if not isinstance(out, ctx.mpf) and not isinstance(out, Real):
        raise OutOfDomain(f"{spec.name}{tuple(float(v) for v in args)} is not real: {out}")
    out = ctx.mpf(out)
    if not ctx.isfinite(out) or abs(out) > FLOAT_MAX:  # beyond float64, no engine can be judged
        raise OutOfDomain(f"{spec.name}{tuple(float(v) for v in args)} is not finite in float64")
    return cls(out, spec, tuple(operands), param)


def _method(spec: OpSpec) -> Callable:
    if spec.arity == 2:

        def binary(self, other):
            if isinstance(other, MPScalar):
                return _apply(spec, (self, other))
            if isinstance(other, Real):
                return _apply(spec, (self, self.ctx.mpf(other)))
            return NotImplemented

        return binary
    if spec.has_param:

        def with_param(self, param):
            if not isinstance(param, Real) or isinstance(param, MPScalar):
                return NotImplemented
            return _apply(spec, (self,), param)

        return with_param
    return lambda self: _apply(spec, (self,))


@lru_cache(maxsize=None)
def _scalar_type(dps: int, ops: tuple[str, ...]) -> type[MPScalar]:
    ctx = MPContext()
    ctx.dps = dps
    namespace: dict[str, Any] = {"__slots__": (), "ctx": ctx}
    for name in ops:
        spec = REGISTRY[name]
        namespace[spec.method] = _method(spec)
    return type(f"MPScalar{dps}", (MPScalar,), namespace)


def mp_scalar_type(dps: int = DEFAULT_DPS) -> type[MPScalar]:
    """A scalar class with every registered op, computing with ``dps`` significant digits."""
    if not isinstance(dps, int) or dps < 20:
        raise ValueError(f"dps must be an int >= 20 (float64 needs 17 digits), got {dps!r}")
    return _scalar_type(dps, tuple(REGISTRY))


@dataclass(frozen=True)
class MPEvaluation:
    """The high-precision value of an expression, its gradient and how far to trust it."""

    value: Any  # mpf
    root: MPScalar  # with its tape
    leaves: tuple[MPScalar, ...]
    gradient: tuple  # mpf per input
    gradient_error: tuple  # mpf per input: an estimate of |gradient - true gradient|
    kink: tuple[bool, ...]  # per input: the left and right derivatives differ

    @property
    def ctx(self) -> MPContext:
        return self.root.ctx


def mp_value(fn: Callable, inputs: Sequence[float], dps: int = DEFAULT_DPS) -> tuple[MPScalar, tuple[MPScalar, ...]]:
    """Evaluate ``fn`` once at ``inputs``; returns the root (with its tape) and the leaves."""
    cls = mp_scalar_type(dps)
    leaves = tuple(cls.leaf(x) for x in inputs)
    root = fn(*leaves)
    if not isinstance(root, MPScalar):  # the expression does not depend on its inputs
        root = cls(cls.ctx.mpf(root))
    return root, leaves


MAX_DPS = 1500


def _central_difference(fn: Callable, inputs: Sequence[float], i: int, h, dps: int, flat_ok: bool = True):
    """Central difference in input i with ``dps`` digits: (estimate, error or None if unresolved, kink).

    A function that is exactly 0 at x and x +- h is taken as flat only if ``flat_ok``
    (a value of 0 can also be a tiny value lost to rounding next to 1)."""
    cls = mp_scalar_type(min(dps - dps % 10 + 10, MAX_DPS))
    work = cls.ctx

    def f_at(offset):
        shifted = [cls.leaf(v) for v in inputs]
        shifted[i] = cls(shifted[i].value + offset)
        out = fn(*shifted)
        return out.value if isinstance(out, MPScalar) else work.mpf(out)

    h = work.mpf(h)
    f0, f_plus, f_minus, f_plus2, f_minus2 = (f_at(k * h) for k in (0, 1, -1, 2, -2))
    central = (f_plus - f_minus) / (2 * h)
    central2 = (f_plus2 - f_minus2) / (4 * h)
    right, left = (f_plus - f0) / h, (f0 - f_minus) / h
    scale = max(abs(right), abs(left))
    resolution = 4 * work.eps * max(abs(f0), abs(f_plus), abs(f_minus)) / h
    if scale < resolution * 10**20 and (scale or f0 or not flat_ok):  # fewer than 20 digits survive
        return central, None, False
    gap = abs(right - left)
    # a kink keeps its jump as the step doubles; a smooth curve's gap (h f'') doubles with it
    gap2 = abs((f_plus2 - f0) - (f0 - f_minus2)) / (2 * h)
    kink = bool(gap > work.mpf(10) ** -12 * max(scale, work.mpf(10) ** -300) and gap2 < 1.5 * gap)
    return central, gap + abs(central2 - central) + resolution, kink


def _tape(root: MPScalar) -> list[MPScalar]:
    """Every scalar the root was computed from, the root included (any order)."""
    nodes, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            stack.extend(o for o in node.operands if isinstance(o, MPScalar))
    return nodes


def _reachable_ids(root: MPScalar) -> set[int]:
    return {id(node) for node in _tape(root)}


def _tape_magnitude(root: MPScalar) -> Any:
    """The largest magnitude among the values and constants on the tape."""
    ctx = root.ctx
    magnitudes = [abs(node.value) for node in _tape(root)]
    magnitudes += [abs(ctx.mpf(o)) for node in _tape(root) for o in node.operands if not isinstance(o, MPScalar)]
    return max(magnitudes)


def mp_gradient(
    fn: Callable, inputs: Sequence[float], dps: int = DEFAULT_DPS, *, expected: Sequence | None = None
) -> MPEvaluation:
    """Value and central-difference gradient of ``fn`` at ``inputs`` in mpmath.

    For input i the step is h = 10**(-dps/2) * min(|x_i|, 1), or 10**(-dps/2)
    when x_i = 0: small against the scale on which ops vary (|x| for log and
    pow, 1 for sin), so truncation (h**2 times the third derivative) is
    negligible.  The differences are taken with enough extra digits that
    x +- h and every value on the tape are resolved to ``dps`` digits beyond
    the step, so rounding is negligible too: with 50 digits, the result is
    good to ~1e-25 relative.

    The error estimate is the gap between the right and left one-sided
    differences (h f'' where f is smooth, the jump where a kink lies within
    the step) plus the change from step h to 2h (Richardson) plus rounding.
    A pole or domain boundary within 2h gives nan with an infinite error.

    A derivative far smaller than the value (1e-300 next to 1) needs more
    digits still: they are added until the difference is resolved, or up to
    MAX_DPS, after which the error is infinite.  ``expected`` (rough
    magnitudes of the derivatives, e.g. from the registry's analytic partials)
    only chooses those digits up front; where it is exactly 0 no extra digits
    are spent, and an unresolved difference is reported as such.
    """
    root, leaves = mp_value(fn, inputs, dps)
    ctx = root.ctx
    magnitude = _tape_magnitude(root)
    gradient, errors, kinks = [], [], []
    reachable = _reachable_ids(root)
    for i, x in enumerate(inputs):
        if id(leaves[i]) not in reachable:  # the expression does not depend on this input
            gradient.append(ctx.zero)
            errors.append(ctx.zero)
            kinks.append(False)
            continue
        h = ctx.mpf(10) ** (-(dps // 2)) * (min(abs(ctx.mpf(x)), 1) if x != 0 else 1)
        extra = int(ctx.log10(max(magnitude, abs(ctx.mpf(x)), ctx.one) / h)) + 10
        hint = None if expected is None else abs(ctx.mpf(expected[i]))
        if hint:  # enough digits that the difference keeps dps of them
            extra = max(extra, int(ctx.log10(max(magnitude, ctx.one) / (h * hint))) + 10)
        while True:
            try:
                central, error, kink = _central_difference(fn, inputs, i, h, dps + extra, flat_ok=not hint)
            except OutOfDomain:  # a pole or domain boundary lies within 2h
                central, error, kink = ctx.nan, ctx.inf, True
                break
            if error is not None or dps + extra >= MAX_DPS or hint == 0:
                break
            extra *= 2  # the difference was not resolved: a tiny derivative next to a large value
        gradient.append(ctx.mpf(central))
        errors.append(ctx.mpf(error if error is not None else ctx.inf))
        kinks.append(kink)
    return MPEvaluation(root.value, root, leaves, tuple(gradient), tuple(errors), tuple(kinks))
