"""The op registry: one spec per op, and everything else is driven by it.

A spec says how to call the op (with Python operators and methods, so the same
call works on the engine, on torch tensors and on the mpmath backend), what it
means mathematically (its value and partial derivatives in mpmath), where its
operands may lie, where it has kinks or poles, and how much rounding error a
correct float64 implementation may commit in its result and its derivatives.

The strategies, the mpmath backend, the per-op and composite properties and the
coverage gate all read this table.  Adding an op means adding one spec here (or
registering one from another package, see :func:`register`).

Error allowances are in units of u = 2**-53, the unit roundoff of float64, and
are deliberately generous (a few u): they admit every legitimate formula, yet a
bug of 1e-10 relative is ~10**6 u, far outside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from reference.domains import (
    FLOAT_MAX, HALF_MAX, SMALLEST_NORMAL, SMALLEST_SUBNORMAL, UNIT_ROUNDOFF, ZERO, Domain, Params, Regime, magnitudes,
)

Number = Any  # an mpmath mpf, or a Python float


@dataclass(frozen=True)
class OpSpec:
    """One op of a micrograd-style ``Value``.

    ``arity`` counts the operands that are values (1 or 2); ``param`` is a
    constant that is not differentiated (the exponent of ``**``, the left
    operand of a reflected operator such as ``3 - x``).  ``call`` takes the
    operands, then the param if the op has one.
    """

    name: str
    method: str  # the attribute of the Value class that this op exercises
    arity: int
    call: Callable[..., Any]
    source: str  # Python source, formatted with the operands as {0}, {1} and the param as {p}
    mp: Callable[..., Number]  # (ctx, *operands[, param]) -> value
    partials: Callable[..., tuple]  # (ctx, *operands[, param]) -> d value / d operand, one per operand
    domains: Callable[..., tuple[Domain, ...]]  # ([param]) -> one Domain per operand
    params: Params | None = None  # the constants the op is drawn at (properties.values draws them)
    singular: Callable[..., tuple[tuple[float, ...], ...]] = lambda *p: ((),) * 2
    forward_ulps: Callable[..., float] = lambda *a: 1.0  # (ctx, *operands[, param]) -> ulps
    derivative_ulps: Callable[..., float] = lambda *a: 4.0
    derivative_scale: Callable[..., tuple] | None = None  # magnitude of the terms of each partial
    torch_call: Callable[..., Any] | None = None  # when torch spells the op differently
    constant_operand: bool = False  # the second operand may be a plain number (x + 3)
    number_first: bool = False  # a plain number on the left (3 + x): an engine whose ops take no
    # plain numbers has no such op (its 3 would be lifted: Value(3) + x is the op on two values)
    edge_params: tuple = ()  # params that the edge tests use
    periodic: bool = False  # varies on an absolute scale of 1 (sin, cos), not relative to |x|
    multilinear: bool = False  # degree <= 1 in each operand: error propagation is exact at any size
    exact_underflow: bool = False  # results among the subnormals are exact (sums and negation are)
    limits: Callable[..., tuple[tuple[float, float], ...]] | None = None  # where the op is defined and
    # finite, per operand (default: the domains' intervals, which the generator may draw narrower)
    # how engines commonly build this op from others, at the values it would give them:
    # (operands[, param]) -> [(op, (value operands...), constant or param), ...]; blame probes these
    built_from: Callable[..., list] | None = None
    # binary ops: where the second operand may lie given the first (a / b: b large enough that a / b
    # and a / b**2 stay finite); None: its own domain
    joint: Callable[[float], Domain] | None = None
    regimes: tuple[Regime, ...] = ()  # named stretches of the domain that every run visits
    implied_by: tuple[str, ...] = ()  # ops whose presence makes users expect this one (3 - x, given x - 3)
    spellings: tuple[str, ...] = ()  # other method names engines commonly give this same op (abs for __abs__)
    default_param: Any = None  # the param an engine's method uses when called without one
    param_optional: bool = False  # engines commonly spell the op without its param (x.leaky_relu())
    doc: str = ""

    @property
    def has_param(self) -> bool:
        return self.params is not None

    def operand_domains(self, param: Any = None) -> tuple[Domain, ...]:
        return self.domains() if param is None else self.domains(param)

    def second_domain(self, first: float, param: Any = None) -> Domain:
        """Where the second operand of a binary op may lie, given the first."""
        own = self.operand_domains(param)[1]
        if self.joint is None:
            return own
        return own.intersect(self.joint(first)) or self.joint(first)

    def singular_points(self, param: Any = None) -> tuple[tuple[float, ...], ...]:
        return self.singular() if param is None else self.singular(param)

    def operand_limits(self, param: Any = None) -> tuple[tuple[float, float], ...]:
        if self.limits is not None:
            return self.limits() if param is None else self.limits(param)
        return tuple((d.lo, d.hi) for d in self.operand_domains(param))

    def render(self, operands: list[str], param: str = "", template: str | None = None) -> str:
        """Python source for this op, given the source of its operands and of its param; with
        ``template`` (an engine's own spelling, see :meth:`template`) instead of ``source``."""
        return (template or self.source).format(*operands, p=param)

    def template(self, method: str | None = None, with_param: bool = True) -> str:
        """``source``, or for another method name ``{0}.name({1}, {p})``: the op as a method call
        on its first operand, with the other operands and the param as arguments (``x.__rsub__(c)``
        is ``c - x``); without the param if the engine's method takes none (``x.leaky_relu()``)."""
        if (method is None or method == self.method) and with_param:
            return self.source
        args = [f"{{{k}}}" for k in range(1, self.arity)] + (["{p}"] if self.has_param and with_param else [])
        return f"{{0}}.{method or self.method}({', '.join(args)})"

    def call_via(self, method: str | None = None, with_param: bool = True) -> Callable[..., Any]:
        """``call``, or the same op reached through another method name (see :meth:`template`)."""
        if (method is None or method == self.method) and with_param:
            return self.call
        name, keep = method or self.method, self.arity - 1 + (1 if self.has_param and with_param else 0)

        def call(first, *rest):
            return getattr(first, name)(*rest[:keep])

        return call


def method_in(template: str) -> str | None:
    """The method name a template calls on its first operand (``{0}.ln()`` -> ``ln``), if any."""
    if template.startswith("{0}.") and "(" in template:
        return template[4:template.index("(")]
    return None


REGISTRY: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    """Add ``spec`` to the registry (a downstream engine registers its own ops this way)."""
    if spec.name in REGISTRY and REGISTRY[spec.name] != spec:
        raise ValueError(f"an op named {spec.name!r} is already registered")
    if spec.arity not in (1, 2):
        raise ValueError(f"{spec.name}: arity must be 1 or 2, got {spec.arity}")
    REGISTRY[spec.name] = spec
    return spec


# ----- shared pieces ---------------------------------------------------------
#
# Domains span every float64 at which an op's value and partials are finite (below FINITE, which
# leaves room for a sum of two terms); where one operand limits another (a / b), ``joint`` says how.
# A domain narrower than that says why in one line.

FINITE = HALF_MAX  # values and partials of one op stay below this
EVERYWHERE = Domain(-FLOAT_MAX, FLOAT_MAX)
SUMMANDS = Domain(-HALF_MAX, HALF_MAX)  # the sum of two stays finite
RECIPROCAL_OF_FINITE = 1.0 / FINITE * (1 + 1e-12)  # the smallest x whose 1/x is below FINITE
FACTOR = Domain(-FINITE, FINITE)  # a product's partials are its factors: they must be finite too


def _divisors(a: float) -> Domain:
    """b with a / b, 1 / b and a / b**2 all finite."""
    smallest = max(abs(a) / FINITE, math.sqrt(abs(a)) / math.sqrt(FINITE), 1.0 / FINITE)  # no underflow in a / F
    return Domain(-FLOAT_MAX, FLOAT_MAX, min_abs=smallest * (1 + 1e-12), zero=False)


def _factors(a: float) -> Domain:
    """b with a * b finite (and b itself finite: it is a partial)."""
    biggest = FINITE if abs(a) <= 1.0 else FINITE / abs(a)
    return Domain(-biggest, biggest)


def _constants(lo: float, hi: float) -> Params:
    """A plain-number operand: ordinary floats, every magnitude, the edges of [lo, hi]."""
    return Params(span=Domain(lo, hi))


def _no_singular(*_):
    return ((), ())


ORDINARY = Domain(-10.0, 10.0)
TINY = magnitudes(SMALLEST_SUBNORMAL, 1e-8)
SMALL = magnitudes(1e-8, 1e-2)  # where a Taylor shortcut (sin x = x, exp x = 1 + x) is already wrong
SUBNORMAL = magnitudes(SMALLEST_SUBNORMAL, SMALLEST_NORMAL)
HUGE = magnitudes(1e100, HALF_MAX)
SUM_REGIMES = (
    Regime("ordinary", (ORDINARY, ORDINARY)),
    Regime("subnormal", (SUBNORMAL, SUBNORMAL)),
    Regime("huge", (HUGE, HUGE)),
    Regime("tiny and huge", (TINY, HUGE)),
)
UNARY_SIZES = (Regime("ordinary", (ORDINARY,)), Regime("tiny", (TINY,)), Regime("huge", (HUGE,)))

# ----- arithmetic ------------------------------------------------------------

register(OpSpec(
    name="add", method="__add__", arity=2, call=lambda a, b: a + b, source="{0} + {1}",
    mp=lambda ctx, a, b: a + b, partials=lambda ctx, a, b: (1, 1),
    domains=lambda: (SUMMANDS, SUMMANDS), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),) * 2,
    singular=_no_singular, constant_operand=True, regimes=SUM_REGIMES,
    multilinear=True, exact_underflow=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="radd", number_first=True, method="__radd__", arity=1, call=lambda x, c: c + x, source="{p} + {0}",
    implied_by=("add",), built_from=lambda x, c: [("add", (x,), c)],
    mp=lambda ctx, x, c: c + x, partials=lambda ctx, x, c: (1,),
    domains=lambda c: (SUMMANDS,), params=_constants(-HALF_MAX, HALF_MAX), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),),
    singular=_no_singular, edge_params=(0.0, 1.0, -3.0),
    regimes=(Regime("ordinary", (ORDINARY,)), Regime("huge constant", (ORDINARY,), (1e300, -1e300)),
             Regime("tiny", (TINY,), (1.0, 0.0))),
    multilinear=True, exact_underflow=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="sub", method="__sub__", arity=2, call=lambda a, b: a - b, source="{0} - {1}",
    built_from=lambda a, b: [("neg", (b,), None), ("mul", (b,), -1.0), ("add", (a, -b), None)],
    mp=lambda ctx, a, b: a - b, partials=lambda ctx, a, b: (1, -1),
    domains=lambda: (SUMMANDS, SUMMANDS), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),) * 2,
    singular=_no_singular, constant_operand=True, regimes=SUM_REGIMES,
    multilinear=True, exact_underflow=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="rsub", number_first=True, method="__rsub__", arity=1, call=lambda x, c: c - x, source="{p} - {0}",
    implied_by=("sub",),
    built_from=lambda x, c: [("neg", (x,), None), ("mul", (x,), -1.0), ("radd", (-x,), c), ("sub", (c, x), None)],
    mp=lambda ctx, x, c: c - x, partials=lambda ctx, x, c: (-1,),
    domains=lambda c: (SUMMANDS,), params=_constants(-HALF_MAX, HALF_MAX), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),),
    singular=_no_singular, edge_params=(0.0, 1.0, -3.0),
    regimes=(Regime("ordinary", (ORDINARY,)), Regime("huge constant", (ORDINARY,), (1e300, -1e300)),
             Regime("tiny", (TINY,), (1.0, 0.0))),
    multilinear=True, exact_underflow=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="mul", method="__mul__", arity=2, call=lambda a, b: a * b, source="{0} * {1}",
    mp=lambda ctx, a, b: a * b, partials=lambda ctx, a, b: (b, a),
    domains=lambda: (FACTOR, FACTOR), joint=_factors, limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),) * 2,
    singular=_no_singular, constant_operand=True,
    regimes=(Regime("ordinary", (ORDINARY, ORDINARY)), Regime("a zero factor", (ZERO, None)),
             Regime("tiny", (TINY, TINY)), Regime("huge by tiny", (HUGE, TINY)),
             # the product sinks among the subnormals or to 0, its partials (the factors) still finite
             Regime("underflow", (magnitudes(1e-200, 1e-160), magnitudes(1e-200, 1e-160)))),
    multilinear=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="rmul", number_first=True, method="__rmul__", arity=1, call=lambda x, c: c * x, source="{p} * {0}",
    implied_by=("mul",), built_from=lambda x, c: [("mul", (x,), c)],
    mp=lambda ctx, x, c: c * x, partials=lambda ctx, x, c: (c,),
    domains=lambda c: (_factors(c),), params=_constants(-1e150, 1e150), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),),
    singular=_no_singular, edge_params=(0.0, 2.0, -0.5),
    regimes=(Regime("ordinary", (ORDINARY,)), Regime("zero constant", (ORDINARY,), (0.0,)),
             Regime("tiny", (TINY,), (2.0, -0.5))),
    multilinear=True, derivative_ulps=lambda *a: 0.0,
))
register(OpSpec(
    name="truediv", method="__truediv__", arity=2, call=lambda a, b: a / b, source="{0} / {1}",
    built_from=lambda a, b: [("pow", (b,), -1.0), ("mul", (a, 1.0 / b), None)],
    mp=lambda ctx, a, b: a / b, partials=lambda ctx, a, b: (1 / b, -a / (b * b)),
    domains=lambda: (EVERYWHERE, Domain(-FLOAT_MAX, FLOAT_MAX, min_abs=RECIPROCAL_OF_FINITE, zero=False)),
    joint=_divisors,
    singular=lambda *p: ((), (0.0,)), constant_operand=True,
    regimes=(Regime("ordinary", (ORDINARY, magnitudes(0.1, 10.0))), Regime("a zero dividend", (ZERO, None)),
             # where b ** -1 (a / b computed as a * b ** -1) has a slope beyond float64
             Regime("tiny divisor", (magnitudes(1e-300, 1e-200), magnitudes(1e-250, 1e-155))),
             Regime("huge", (HUGE, HUGE)),
             # the quotient sinks among the subnormals or to 0, its partials still finite
             Regime("underflow", (magnitudes(1e-300, 1e-290), magnitudes(1e20, 1e60)))),
    forward_ulps=lambda *a: 2.0,  # a * (1/b) is as legitimate as a / b
    doc="true division or multiplication by the reciprocal",
))


def _reciprocals(c: float) -> tuple[Domain]:
    """x with c / x and c / x**2 finite."""
    smallest = max(abs(c) / FINITE, math.sqrt(abs(c)) / math.sqrt(FINITE), SMALLEST_SUBNORMAL)  # no underflow in c / F
    return (Domain(-FLOAT_MAX, FLOAT_MAX, min_abs=smallest * (1 + 1e-12), zero=False),)


register(OpSpec(
    name="rtruediv", number_first=True, method="__rtruediv__", arity=1, call=lambda x, c: c / x, source="{p} / {0}",
    implied_by=("truediv",),
    built_from=lambda x, c: [("pow", (x,), -1.0), ("truediv", (c, x), None), ("mul", (1.0 / x,), c),
                             ("rmul", (1.0 / x,), c)],
    mp=lambda ctx, x, c: c / x, partials=lambda ctx, x, c: (-c / (x * x),),
    domains=_reciprocals, params=_constants(-1e100, 1e100), singular=lambda *p: ((0.0,),),
    edge_params=(1.0, 2.0, -3.0, 0.0),
    regimes=(Regime("ordinary", (magnitudes(0.1, 10.0),)),
             Regime("tiny divisor", (magnitudes(1e-154, 1e-100),), (1e-200, 1e-160)),
             Regime("huge", (HUGE,), (1.0, -3.0)),
             Regime("underflow", (magnitudes(1e299, 1e305),), (1e-15, -1e-10))),  # c / x among the subnormals or 0
    forward_ulps=lambda *a: 2.0,
))
register(OpSpec(
    name="neg", method="__neg__", arity=1, call=lambda x: -x, source="-{0}",
    implied_by=("sub",), built_from=lambda x: [("mul", (x,), -1.0), ("rmul", (x,), -1.0)],
    mp=lambda ctx, x: -x, partials=lambda ctx, x: (-1,),
    domains=lambda: (EVERYWHERE,), limits=lambda *p: ((-FLOAT_MAX, FLOAT_MAX),), singular=_no_singular,
    regimes=(*UNARY_SIZES, Regime("subnormal", (SUBNORMAL,))),
    multilinear=True, exact_underflow=True, forward_ulps=lambda *a: 0.0, derivative_ulps=lambda *a: 0.0,
))

# ----- power -----------------------------------------------------------------

EXPONENTS = (2.0, 3.0, -1.0, 0.5, -2.0, 1.0, 0.0, 4.0, -3.0, 1.5, -0.5, 2.5, 1.0 / 3.0, -1.5)


def _pow_domain(e: float) -> tuple[Domain]:
    """Bases for which x**e and e*x**(e-1) are finite and real."""
    log_finite = math.log(FINITE)
    biggest = min(FLOAT_MAX, math.exp(log_finite / max(abs(e), 1.0)))
    # e * x ** (e - 1) below FINITE, the factor e included (x ** -2 at x = 2.2e-103: x ** -3 is below it, 2 x ** -3 is not)
    smallest = math.exp((math.log(max(abs(e), 1.0)) - log_finite) / abs(e - 1.0)) * (1 + 1e-12) if e < 1.0 else 0.0
    smallest = max(smallest, SMALLEST_SUBNORMAL) if e < 1.0 else 0.0
    if e.is_integer():
        # x ** 0 = 1 everywhere, 0 ** 0 included (torch's convention, and mpmath's), with slope 0
        return (Domain(-biggest, biggest, min_abs=smallest, zero=e >= 1.0 or e == 0.0),)
    return (Domain(0.0, biggest, min_abs=smallest, zero=e > 1.0),)


# Integer and fractional exponents; the base is then drawn from the exponent's domain.
POW_EXPONENTS = Params(listed=EXPONENTS, uniform=(-3.0, 4.0))


def _pow_value(ctx, x, e):
    if x < 0:  # real only for an integer exponent (mpmath would go complex)
        if not float(e).is_integer():
            raise ValueError(f"a negative base to a fractional power is not real: {x} ** {e}")
        return ctx.power(x, int(e))
    return ctx.power(x, e)


def _pow_partial(ctx, x, e):
    if x == 0:
        if e == 0 or e > 1:
            return (ctx.zero,)
        return (ctx.one,) if e == 1 else (ctx.inf,)
    return (e * _pow_value(ctx, x, e) / x,)


def _pow_ulps(ctx, x, e):
    # exp(e * log x) is a legitimate way to compute a power: allow its conditioning
    return 2.0 + (float(abs(e * ctx.log(abs(x)))) if x != 0 else 0.0)


def _pow_derivative_ulps(ctx, x, e):
    # e * exp((e - 1) * log x): the roundings of e - 1, of log x and of their product each move the
    # exponent by u |(e - 1) log x| (e * x ** (e - 1) by libm's pow only the first)
    return 4.0 + 3.0 * (float(abs((e - 1) * ctx.log(abs(x)))) if x != 0 else 0.0)


register(OpSpec(
    name="pow", method="__pow__", arity=1, call=lambda x, e: x**e, source="{0} ** {p}",
    built_from=lambda x, e: [("log", (x,), None), ("exp", (e * math.log(x),), None)] if x > 0 else [],
    mp=_pow_value, partials=_pow_partial, domains=_pow_domain, params=POW_EXPONENTS,
    singular=lambda e: ((0.0,),) if e < 1.0 and e != 0.0 else ((),),
    forward_ulps=_pow_ulps, derivative_ulps=_pow_derivative_ulps,
    edge_params=(2.0, 3.0, -1.0, 0.5, 0.0, 1.0, -2.0, 1.5),
    regimes=(Regime("positive integer exponents, negative bases", (Domain(-10.0, -0.1),), (2.0, 3.0, 4.0)),
             Regime("negative integer exponents", (magnitudes(0.1, 10.0),), (-1.0, -2.0, -3.0)),
             Regime("fractional exponents", (Domain(0.1, 10.0),), (0.5, 1.5, 1.0 / 3.0, 2.5)),
             Regime("negative fractional exponents", (Domain(0.1, 10.0),), (-0.5, -1.5)),
             Regime("exponents 0 and 1", (None,), (0.0, 1.0)),
             Regime("a zero base", (ZERO,), (1.0, 2.0, 3.0, 1.5)),
             Regime("tiny bases", (Domain(0.0, 1e-100, min_abs=SMALLEST_SUBNORMAL, zero=False),), (0.5, 2.0, -0.5))),
    doc="a real-number exponent; negative bases only with integer exponents",
))

# ----- elementary functions --------------------------------------------------

TRANSCENDENTAL_ULPS = 4.0  # libm is within 1 ulp; leave room for other correct formulas
TORCH_SOFTPLUS_THRESHOLD = 20.0  # F.softplus returns x beyond it
EXP_MAX = 709.0  # exp(709) = 8.2e307: beyond, the value or its slope is no longer below FINITE

register(OpSpec(
    name="exp", method="exp", arity=1, limits=lambda: ((-math.inf, 709.78),),
    call=lambda x: x.exp(), source="{0}.exp()",
    mp=lambda ctx, x: ctx.exp(x), partials=lambda ctx, x: (ctx.exp(x),),
    domains=lambda: (Domain(-FLOAT_MAX, EXP_MAX),), singular=_no_singular,
    regimes=(Regime("ordinary", (Domain(-30.0, 30.0),)), Regime("tiny", (TINY,)), Regime("small", (SMALL,)),
             Regime("underflow edge", (Domain(-760.0, -700.0),)), Regime("overflow edge", (Domain(690.0, EXP_MAX),)),
             Regime("far below", (Domain(-FLOAT_MAX, -1e3),))),
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
))
register(OpSpec(
    name="log", method="log", arity=1, limits=lambda: ((0.0, math.inf),),
    call=lambda x: x.log(), source="{0}.log()",
    mp=lambda ctx, x: ctx.log(x), partials=lambda ctx, x: (1 / x,),
    # from the subnormal where 1/x (the slope) is still finite
    domains=lambda: (Domain(RECIPROCAL_OF_FINITE, FLOAT_MAX, min_abs=RECIPROCAL_OF_FINITE, zero=False),),
    singular=lambda *p: ((0.0,),),
    regimes=(Regime("subnormals", (Domain(RECIPROCAL_OF_FINITE, SMALLEST_NORMAL),)),
             Regime("tiny", (Domain(SMALLEST_NORMAL, 1e-8),)), Regime("near 1", (Domain(1.0 - 1e-8, 1.0 + 1e-8),)),
             Regime("ordinary", (Domain(1e-3, 1e3),)), Regime("huge", (Domain(1e100, FLOAT_MAX),))),
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
))
TRIG_REGIMES = (Regime("ordinary", (ORDINARY,)), Regime("tiny", (TINY,)), Regime("small", (SMALL,)),
                Regime("large", (magnitudes(1e3, 1e15),)),
                Regime("huge", (magnitudes(1e15, FLOAT_MAX),)))
register(OpSpec(
    name="sin", method="sin", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.sin(), source="{0}.sin()",
    mp=lambda ctx, x: ctx.sin(x), partials=lambda ctx, x: (ctx.cos(x),),
    domains=lambda: (EVERYWHERE,), singular=_no_singular, periodic=True, regimes=TRIG_REGIMES,
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
))
register(OpSpec(
    name="cos", method="cos", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.cos(), source="{0}.cos()",
    mp=lambda ctx, x: ctx.cos(x), partials=lambda ctx, x: (-ctx.sin(x),),
    domains=lambda: (EVERYWHERE,), singular=_no_singular, periodic=True, regimes=TRIG_REGIMES,
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
))
register(OpSpec(
    name="tanh", method="tanh", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.tanh(), source="{0}.tanh()",
    built_from=lambda x: [("exp", (2.0 * x,), None), ("exp", (-2.0 * x,), None), ("exp", (x,), None),
                          ("exp", (-x,), None)],
    mp=lambda ctx, x: ctx.tanh(x), partials=lambda ctx, x: (ctx.sech(x) ** 2,),
    # everywhere: tanh is +-1 in float64 from |x| = 19.1 on, and a stable formula never overflows
    domains=lambda: (EVERYWHERE,), singular=_no_singular,
    regimes=(Regime("tiny", (magnitudes(1e-300, 1e-8),)), Regime("near 0", (magnitudes(1e-8, 1e-2),)),
             Regime("ordinary", (Domain(-5.0, 5.0),)), Regime("saturated", (magnitudes(19.0, 350.0),)),
             Regime("beyond exp's overflow", (magnitudes(355.0, 1e4),)), Regime("far", (magnitudes(1e4, FLOAT_MAX),))),
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
    # 1 - t*t loses everything but an absolute error of ~u once |t| is near 1
    derivative_ulps=lambda *a: 12.0, derivative_scale=lambda ctx, x: (ctx.sech(x) ** 2 + ctx.tanh(x) ** 2,),
))
register(OpSpec(
    name="sigmoid", method="sigmoid", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.sigmoid(), source="{0}.sigmoid()",
    built_from=lambda x: [("exp", (-x,), None), ("exp", (x,), None)],
    mp=lambda ctx, x: 1 / (1 + ctx.exp(-x)), partials=lambda ctx, x: (ctx.exp(-x) / (1 + ctx.exp(-x)) ** 2,),
    domains=lambda: (EVERYWHERE,), singular=_no_singular,
    regimes=(Regime("tiny", (TINY,)), Regime("small", (SMALL,)), Regime("ordinary", (Domain(-30.0, 30.0),)),
             Regime("saturated below", (Domain(-745.0, -36.0),)), Regime("saturated above", (Domain(36.0, 745.0),)),
             Regime("exp's underflow edge", (Domain(-760.0, -700.0),)),
             Regime("exp's overflow edge", (Domain(700.0, 760.0),)), Regime("far", (magnitudes(1e3, FLOAT_MAX),))),
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS,
    # s * (1 - s) keeps only an absolute error of ~u * s once s is near 1
    derivative_ulps=lambda *a: 8.0, derivative_scale=lambda ctx, x: (1 / (1 + ctx.exp(-x)),),
    doc="the logistic function 1 / (1 + exp(-x)); a stable formula never overflows",
))
KINK_REGIMES = (Regime("zero", (ZERO,)), Regime("ordinary", (ORDINARY,)), Regime("tiny", (magnitudes(SMALLEST_SUBNORMAL, 1e-300),)),
                Regime("huge", (magnitudes(1e300, FLOAT_MAX),)))
register(OpSpec(
    name="relu", method="relu", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.relu(), source="{0}.relu()",
    mp=lambda ctx, x: x if x > 0 else ctx.zero, partials=lambda ctx, x: (ctx.one if x > 0 else ctx.zero,),
    domains=lambda: (EVERYWHERE,), singular=lambda *p: ((0.0,),), regimes=KINK_REGIMES,
    forward_ulps=lambda *a: 0.0, derivative_ulps=lambda *a: 0.0,
    doc="relu'(0) = 0, as torch defines it",
))

# ----- ops that published engines add --------------------------------------------------

register(OpSpec(
    name="abs", method="__abs__", spellings=("abs",), arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: abs(x), source="abs({0})",
    mp=lambda ctx, x: ctx.fabs(x), partials=lambda ctx, x: (ctx.sign(x),),
    domains=lambda: (EVERYWHERE,), singular=lambda *p: ((0.0,),), regimes=KINK_REGIMES,
    multilinear=True, exact_underflow=True, forward_ulps=lambda *a: 0.0, derivative_ulps=lambda *a: 0.0,
    doc="|x|, also spelled x.abs(); abs'(0) = 0, as torch defines it",
))
register(OpSpec(
    name="pos", method="__pos__", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: +x, source="+{0}",
    mp=lambda ctx, x: +x, partials=lambda ctx, x: (1,),
    domains=lambda: (EVERYWHERE,), singular=_no_singular, regimes=UNARY_SIZES,
    multilinear=True, exact_underflow=True, forward_ulps=lambda *a: 0.0, derivative_ulps=lambda *a: 0.0,
    doc="+x: the same value, and a gradient that flows through it",
))
register(OpSpec(
    name="sqrt", method="sqrt", arity=1, limits=lambda: ((0.0, math.inf),),
    call=lambda x: x.sqrt(), source="{0}.sqrt()", built_from=lambda x: [("pow", (x,), 0.5)],
    mp=lambda ctx, x: ctx.sqrt(x), partials=lambda ctx, x: (1 / (2 * ctx.sqrt(x)),),
    # x = 0 is left out: the slope is infinite there
    domains=lambda: (Domain(0.0, FLOAT_MAX, min_abs=SMALLEST_SUBNORMAL, zero=False),), singular=lambda *p: ((0.0,),),
    regimes=(Regime("subnormal", (Domain(SMALLEST_SUBNORMAL, SMALLEST_NORMAL),)), Regime("tiny", (Domain(SMALLEST_NORMAL, 1e-8),)),
             Regime("ordinary", (Domain(1e-3, 1e3),)), Regime("huge", (Domain(1e100, FLOAT_MAX),))),
    forward_ulps=lambda ctx, x: _pow_ulps(ctx, x, 0.5),  # x ** 0.5 (via exp and log) is legitimate
    derivative_ulps=lambda ctx, x: 2.0 + _pow_ulps(ctx, x, -0.5),
))
register(OpSpec(
    name="tan", method="tan", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.tan(), source="{0}.tan()", built_from=lambda x: [("sin", (x,), None), ("cos", (x,), None)],
    mp=lambda ctx, x: ctx.tan(x), partials=lambda ctx, x: (1 / ctx.cos(x) ** 2,),
    # no hole at the poles pi/2 + k pi: no float64 is one, and rounding that crosses one makes the bound vacuous
    domains=lambda: (EVERYWHERE,), singular=_no_singular, periodic=True,
    regimes=(*TRIG_REGIMES, Regime("near a pole", (Domain(1.5707963, 1.5707964),))),
    forward_ulps=lambda *a: TRANSCENDENTAL_ULPS + 2.0,  # sin(x) / cos(x) is legitimate
    derivative_ulps=lambda *a: 8.0, derivative_scale=lambda ctx, x: (1 + ctx.tan(x) ** 2,),
))


SLOPES = (0.01, 0.1, 0.2, 0.02, 0.3, 0.0, 0.5)

register(OpSpec(
    name="leaky_relu", method="leaky_relu", arity=1, limits=lambda *p: ((-math.inf, math.inf),),
    call=lambda x, s: x.leaky_relu(s), source="{0}.leaky_relu({p})",
    torch_call=lambda x, s: __import__("torch").nn.functional.leaky_relu(x, s),
    mp=lambda ctx, x, s: x if x > 0 else s * x, partials=lambda ctx, x, s: (ctx.one if x > 0 else ctx.mpf(s),),
    domains=lambda s: (EVERYWHERE,), params=Params(listed=SLOPES, uniform=(0.0, 1.0)), singular=lambda *p: ((0.0,),), regimes=KINK_REGIMES,
    multilinear=True, forward_ulps=lambda *a: 1.0, derivative_ulps=lambda *a: 0.0,
    edge_params=(0.01, 0.2), default_param=0.01, param_optional=True,
    doc="x for x > 0, slope * x below; the slope at 0 is the negative slope, as torch defines it",
))
register(OpSpec(
    name="softplus", method="softplus", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.softplus(), source="{0}.softplus()",
    built_from=lambda x: [("exp", (x,), None), ("log", (1.0 + math.exp(x),), None)] if x < 700 else [],
    # torch's F.softplus returns x itself above its threshold (20): logaddexp is the exact function
    torch_call=lambda x: __import__("torch").logaddexp(x, __import__("torch").zeros_like(x)),
    mp=lambda ctx, x: ctx.log1p(ctx.exp(x)), partials=lambda ctx, x: (1 / (1 + ctx.exp(-x)),),
    domains=lambda: (EVERYWHERE,), singular=_no_singular,
    regimes=(Regime("tiny", (TINY,)), Regime("small", (SMALL,)), Regime("ordinary", (Domain(-30.0, 30.0),)),
             Regime("large", (Domain(30.0, 700.0),)), Regime("beyond exp's overflow", (Domain(710.0, 1e4),)),
             Regime("large negative", (Domain(-1e4, -30.0),)), Regime("far", (magnitudes(1e4, FLOAT_MAX),))),
    # torch's F.softplus is x itself from 20 on (slope 1): what it drops, log1p(exp(-x)) < exp(-x) of the
    # value (relative to x) and exp(-x) of the slope (relative to it), is allowed there
    forward_ulps=lambda ctx, x: TRANSCENDENTAL_ULPS + (ctx.exp(-x) / (x * UNIT_ROUNDOFF) if x >= TORCH_SOFTPLUS_THRESHOLD else 0),
    derivative_ulps=lambda ctx, x: 8.0 + (ctx.exp(-x) / UNIT_ROUNDOFF if x >= TORCH_SOFTPLUS_THRESHOLD else 0),
    derivative_scale=lambda ctx, x: (1 / (1 + ctx.exp(-x)),),
    doc="log(1 + exp(x)); a stable formula never overflows (x + log1p(exp(-x)) for large x)",
))
register(OpSpec(
    name="softsign", method="softsign", arity=1, limits=lambda: ((-math.inf, math.inf),),
    call=lambda x: x.softsign(), source="{0}.softsign()",
    built_from=lambda x: [("abs", (x,), None), ("radd", (abs(x),), 1.0), ("truediv", (x, 1.0 + abs(x)), None)],
    torch_call=lambda x: __import__("torch").nn.functional.softsign(x),
    mp=lambda ctx, x: x / (1 + ctx.fabs(x)), partials=lambda ctx, x: (1 / (1 + ctx.fabs(x)) ** 2,),
    domains=lambda: (EVERYWHERE,), singular=_no_singular,
    regimes=(Regime("zero", (ZERO,)), Regime("small", (SMALL,)), *UNARY_SIZES),
    # autograd through x / (1 + |x|) (torch's own softsign too) forms the slope as 1/(1+|x|) - |x|/(1+|x|)^2:
    # terms of size 1/(1+|x|) that cancel to 1/(1+|x|)^2, so only an absolute error of ~u/(1+|x|) is owed
    forward_ulps=lambda *a: 3.0, derivative_ulps=lambda *a: 8.0,
    derivative_scale=lambda ctx, x: (1 / (1 + ctx.fabs(x)),),
    doc="x / (1 + |x|); its slope is 1 at 0 (both sides agree)",
))


def _rpow_domain(c: float) -> tuple[Domain]:
    """Exponents for which c ** x and its slope c ** x log c stay finite."""
    bound = FLOAT_MAX if c == 1.0 else min(FLOAT_MAX, math.log(FINITE / max(1.0, abs(math.log(c)))) / abs(math.log(c)))
    return (Domain(-bound, bound),)


BASES = (2.0, 10.0, 0.5, math.e, 1.0, 3.0, 0.1)

register(OpSpec(
    name="rpow", number_first=True, method="__rpow__", arity=1, call=lambda x, c: c ** x, source="{p} ** {0}",
    built_from=lambda x, c: [("exp", (x * math.log(c),), None), ("rmul", (x,), math.log(c))],
    mp=lambda ctx, x, c: ctx.power(c, x), partials=lambda ctx, x, c: (ctx.power(c, x) * ctx.log(c),),
    domains=_rpow_domain, params=Params(listed=BASES, uniform=(-3.0, 3.0), power_of_ten=True), limits=lambda c: ((-math.inf, math.inf),), singular=_no_singular,
    edge_params=(2.0, 10.0, 0.5, 1.0),
    regimes=(Regime("bases above 1", (ORDINARY,), (2.0, 10.0, math.e)), Regime("bases below 1", (ORDINARY,), (0.5, 0.1)),
             Regime("base 1", (None,), (1.0,)), Regime("tiny exponents", (TINY,), (2.0, 10.0)),
             Regime("near overflow", (Domain(600.0, 1000.0),), (2.0,))),
    forward_ulps=lambda ctx, x, c: 2.0 + float(abs(x * ctx.log(c))),  # exp(x log c) is legitimate
    derivative_ulps=lambda ctx, x, c: 6.0 + float(abs(x * ctx.log(c))),
    doc="c ** x for a constant c > 0: the gradient flows to the exponent x",
))
