"""A float64 stand-in for an mpmath context, so that a spec's ``mp``, ``partials`` and error
allowances can be evaluated in plain floats: fast, and accurate to a few ulps, which is all
the generator needs to choose operands (the judgment is always made in mpmath).

Overflow gives an infinity and an undefined result a nan (never an exception), so that the
caller can tell when a float decision is too close to call and fall back to mpmath.
"""

from __future__ import annotations

import math


def _guard(fn):
    def safe(*args):
        try:
            return fn(*args)
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return math.nan

    return staticmethod(safe)


def _power(x: float, e: float) -> float:
    if x == 0.0 and e < 0:
        return math.inf
    return math.pow(x, e)


def _sech(x: float) -> float:
    return 0.0 if abs(x) > 710.0 else 1.0 / math.cosh(x)


class FloatContext:
    """The subset of mpmath's context API that the op registry uses, in float64."""

    zero = 0.0
    one = 1.0
    inf = math.inf
    nan = math.nan
    mpf = float
    exp = _guard(math.exp)
    expm1 = _guard(math.expm1)
    log = _guard(math.log)
    log1p = _guard(math.log1p)
    sin = _guard(math.sin)
    cos = _guard(math.cos)
    tan = _guard(math.tan)
    tanh = _guard(math.tanh)
    cosh = _guard(math.cosh)
    sech = _guard(_sech)
    sqrt = _guard(math.sqrt)
    power = _guard(_power)
    fabs = staticmethod(abs)

    @staticmethod
    def isfinite(x: float) -> bool:
        return math.isfinite(x)

    @staticmethod
    def sign(x: float) -> float:
        return (x > 0) - (x < 0)


FLOAT = FloatContext()
