"""Hypothesis strategies for the numbers that go into ops.

Values are built inside their domain (mapped onto it, never filtered), with
the points where engines break over-represented: exact zeros where legal,
magnitudes from 1e-300 to the domain's limit, both signs, and the domain's
own edges.  Shrinking goes towards small ordinary numbers first.
"""

from __future__ import annotations

import math
from functools import lru_cache

from hypothesis import strategies as st

from reference.domains import SMALLEST_NORMAL, SMALLEST_SUBNORMAL, Domain, Params

_KIND = st.integers(0, 2)
_ORDINARY_FLOATS = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
_MANTISSA = st.floats(1.0, 10.0, exclude_max=True)
_CHOICE = st.integers(0, 255)
TINY_EDGES = (SMALLEST_SUBNORMAL, SMALLEST_NORMAL, 1e-300, 1e-200, 1e-100, 1e-30, 1e-15, 1e-8)


@lru_cache(maxsize=1024)
def _edges(domain: Domain) -> tuple[float, ...]:
    return tuple(_edge_values(domain))


def edge_values(domain: Domain) -> list[float]:
    """The points of ``domain`` where engines break: zeros, tiny and extreme magnitudes, its limits."""
    return list(_edges(domain))


def _edge_values(domain: Domain) -> list[float]:
    points = domain.edges() + [p for t in TINY_EDGES for p in (t, -t) if domain.contains(p)]
    points += [math.nextafter(p, 0.0) for p in (domain.lo, domain.hi) if domain.contains(math.nextafter(p, 0.0))]
    unique: list[float] = []
    for p in points:
        if not any(p == q and math.copysign(1, p) == math.copysign(1, q) for q in unique):
            unique.append(p)
    return unique


def floats_in(domain: Domain) -> st.SearchStrategy[float]:
    """Floats of ``domain``: ordinary values, every magnitude, and the domain's edges.

    Every draw makes the same five choices whatever kind of value it returns,
    so that hypothesis' mutations of a choice sequence stay aligned (no overruns).
    Shrinks towards ordinary values near 0.  (One strategy object per domain.)
    """
    if not isinstance(domain, Domain):
        raise TypeError(f"floats_in needs a Domain, got {type(domain).__name__}")
    return _floats_in(domain)


@lru_cache(maxsize=4096)
def _floats_in(domain: Domain) -> st.SearchStrategy[float]:
    return _draw_float(domain)


@st.composite
def _draw_float(draw, domain: Domain) -> float:
    edges = _edges(domain)
    smallest = max(domain.min_abs, 1e-300)
    low = math.floor(math.log10(smallest))
    high = max(low, math.floor(math.log10(domain.max_abs)) if domain.max_abs > 0 else low)
    kind = draw(_KIND)  # 0: ordinary, 1: any magnitude, 2: an edge
    ordinary = draw(_ORDINARY_FLOATS)
    mantissa = draw(_MANTISSA)
    exponent = draw(st.integers(low, high))
    choice = draw(_CHOICE)
    if kind == 0:
        return domain.clip(ordinary)
    if kind == 1:
        x = mantissa * 10.0**exponent
        return domain.clip(-x if choice % 2 else x)
    return edges[choice % len(edges)]


def param_values(params: Params) -> st.SearchStrategy:
    """The params of an op (``OpSpec.params``): any float of its span; or, with a uniform range,
    one of the listed values or (as often) a uniform float rounded; or one of the listed values.
    (One strategy object per ``Params``.)"""
    if not isinstance(params, Params):
        raise TypeError(f"param_values needs reference.domains.Params, got {type(params).__name__}")
    return _param_values(params)


@lru_cache(maxsize=256)
def _param_values(params: Params) -> st.SearchStrategy:
    if params.span is not None:
        return floats_in(params.span)
    if params.uniform is None:
        return st.just(params.listed[0]) if len(params.listed) == 1 else st.sampled_from(params.listed)
    return _listed_or_uniform(params)


@st.composite
def _listed_or_uniform(draw, params: Params):
    listed, index, anywhere = draw(st.booleans()), draw(st.integers(0, 255)), draw(st.floats(*params.uniform))
    if listed and params.listed:
        return params.listed[index % len(params.listed)]
    value = round(anywhere, params.digits)
    return 10.0**value if params.power_of_ten else value
