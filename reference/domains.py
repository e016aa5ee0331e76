"""Where an op's operands may lie: the generator builds inputs from these.

A domain is an interval of the reals with an optional hole at zero and a
smallest nonzero magnitude.  The magnitude limits keep the op's result *and*
its derivatives finite in float64, so that every generated point can be
checked; the interval encodes the mathematical domain (log: x > 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FLOAT_MAX = 1.7976931348623157e308
UNIT_ROUNDOFF = 2.0**-53  # float64 rounds to nearest within this relative error
# The smallest positive float64 (a subnormal): also the absolute error of a result that lands among the subnormals.
SMALLEST_SUBNORMAL = 5e-324


@dataclass(frozen=True)
class Domain:
    lo: float = -FLOAT_MAX
    hi: float = FLOAT_MAX
    min_abs: float = 0.0  # nonzero values are at least this large in magnitude
    zero: bool = True  # is exactly 0.0 allowed

    def __post_init__(self) -> None:
        for name in ("lo", "hi", "min_abs"):  # ints would leak into draws (and break x.hex())
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.lo <= self.hi:
            raise ValueError(f"empty domain: lo={self.lo!r} > hi={self.hi!r}")
        if self.min_abs < 0:
            raise ValueError(f"min_abs must be >= 0, got {self.min_abs!r}")

    @property
    def max_abs(self) -> float:
        return max(abs(self.lo), abs(self.hi))

    def contains(self, x: float) -> bool:
        if not (self.lo <= x <= self.hi):
            return False
        if x == 0:
            return self.zero
        return abs(x) >= self.min_abs

    def clip(self, x: float) -> float:
        """``x`` mapped into the domain: reflected if its negation fits, else the nearest point."""
        if not self.lo <= x <= self.hi and self.lo <= -x <= self.hi:
            x = -x
        x = min(max(x, self.lo), self.hi)
        if x == 0 and self.zero:
            return x
        if abs(x) < self.min_abs or x == 0:
            sign = math.copysign(1.0, x)
            candidate = sign * self.min_abs if self.min_abs > 0 else sign * SMALLEST_SUBNORMAL
            if self.lo <= candidate <= self.hi:
                return candidate
            candidate = -candidate
            if self.lo <= candidate <= self.hi:
                return candidate
            return self.lo if self.lo != 0 else self.hi
        return x

    def intersect(self, other: "Domain") -> "Domain | None":
        """The points in both (None if there are none)."""
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        if lo > hi:
            return None
        domain = Domain(lo, hi, min_abs=max(self.min_abs, other.min_abs), zero=self.zero and other.zero)
        has_nonzero = domain.hi >= max(domain.min_abs, SMALLEST_SUBNORMAL) or domain.lo <= -max(domain.min_abs, SMALLEST_SUBNORMAL)
        return domain if has_nonzero or (domain.zero and lo <= 0.0 <= hi) else None

    def edges(self) -> list[float]:
        """Special points of the domain that every op is tested at."""
        points = [0.0, -0.0, 1.0, -1.0, self.lo, self.hi, self.min_abs, -self.min_abs, 1e-300, -1e-300, 1e-8, -1e-8]
        seen: list[float] = []
        for p in points:
            p = float(p)
            if self.contains(p) and not any(p == q and math.copysign(1, p) == math.copysign(1, q) for q in seen):
                seen.append(p)
        return seen


REALS = Domain()
HALF_MAX = FLOAT_MAX / 2  # sums of two, and an adjoint of two terms, stay finite
SMALLEST_NORMAL = 2.2250738585072014e-308


def magnitudes(lo: float, hi: float) -> Domain:
    """|x| in [lo, hi], either sign."""
    return Domain(-hi, hi, min_abs=lo, zero=lo == 0.0)


ZERO = Domain(0.0, 0.0)


@dataclass(frozen=True)
class Regime:
    """A stretch of an op's domain where engines take another branch, switch formula or lose
    precision (sigmoid saturated beyond 36, exp near its underflow edge): every run meets each.

    ``domains`` has one entry per operand, None where the op's own domain applies; ``params``
    are the params the regime is about (pow: exponents of one sign and size), or () for any."""

    name: str
    domains: tuple = (None,)
    params: tuple = ()


@dataclass(frozen=True)
class Params:
    """The constants an op is drawn at (an exponent, a slope, a reflected operand), as data that
    the strategies draw from: any float of ``span``; or one of ``listed`` or, as often, a uniform
    float of ``uniform`` rounded to ``digits`` (``power_of_ten``: ten to that power); or, with
    only ``listed``, one of those."""

    listed: tuple = ()
    span: Domain | None = None
    uniform: tuple[float, float] | None = None
    digits: int = 3
    power_of_ten: bool = False

    def __post_init__(self) -> None:
        if self.span is None and self.uniform is None and not self.listed:
            raise ValueError("Params needs listed values, a span or a uniform range")
        if self.span is not None and (self.uniform is not None or self.listed):
            raise ValueError("Params takes a span alone: any float of it")


def fixed(param) -> Params:
    """The one param an engine's method takes (``x.leaky_relu()`` at its own slope)."""
    return Params(listed=(param,))
