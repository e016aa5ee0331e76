"""How accurate each op is: its worst error in ulps, per regime, measured on the points the run judges.

Every one-op case a check judges (an op of the registry on leaves, each used once) is measured
where it is judged: the error of the engine's value against mpmath's, and of each partial against
the exact chain rule, in ulps of the true number (``|engine - true| / ulp(true)``), beside the
allowance a correct float64 engine has there (the derived bound, in the same ulps).  Per op and
per regime of the op (:attr:`reference.ops.OpSpec.regimes`: the narrowest whose stretches hold
the point, or ``elsewhere``), an :class:`Accuracy` keeps the worst of each and the input
it was met at, and a sample of the points (every one past its allowance among them) for the report's plots.

A worker measures into the run's pending record; the door sends each test's points to the one
that writes the findings (:meth:`Accuracy.drain`, :meth:`Accuracy.merge`).  The JSON::

    "accuracy": {"exp": {"ordinary": {"value_ulps": 0.5, "partial_ulps": [0.5], "at": [-17.2],
                                      "allowance_used": 0.25, "points": 120}, ...}, ...}

``allowance_used`` is the worst error over its allowance at the same point: at most 1 on an engine
the checks pass.  An infinite error (a non-finite result where the truth is finite) is null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from reference.domains import SMALLEST_SUBNORMAL
from reference.ops import REGISTRY

ELSEWHERE = "elsewhere"  # a point in none of its op's regimes


def ulps(engine: float, true: float) -> float:
    """|engine - true| in units in the last place of ``true`` (of the smallest subnormal at 0)."""
    if engine == true:
        return 0.0
    if not (math.isfinite(engine) and math.isfinite(true)):
        return math.inf
    return abs(engine - true) / math.ulp(abs(true))


def regime_of(op: str, operands: tuple, param: Any = None) -> str:
    """The op's regime a point lies in: of those whose stretches hold every operand (at one of their
    params), the narrowest (fewest decades of magnitude; the later listed on a tie), so that
    log(1.0) is "near 1", not "ordinary"; else :data:`ELSEWHERE`."""
    found, narrowest = ELSEWHERE, math.inf
    for regime in REGISTRY[op].regimes:
        if regime.params and param not in regime.params:
            continue
        if all(d is None or d.contains(x) for d, x in zip(regime.domains, operands)):
            width = sum(_decades(d) for d in regime.domains)
            if width <= narrowest:
                found, narrowest = regime.name, width
    return found


def _decades(domain) -> float:
    """How many decades of magnitude a regime's stretch spans (an unnarrowed operand: all of them)."""
    if domain is None:
        return 2 * 324.0
    high = max(domain.max_abs, SMALLEST_SUBNORMAL)
    return math.log10(high) - math.log10(max(domain.min_abs, SMALLEST_SUBNORMAL))


@dataclass(frozen=True)
class Point:
    """One judged one-op case: its operands, and each error beside its allowance, in ulps."""

    op: str
    operands: tuple
    param: Any
    value_ulps: float
    value_allowed: float
    partial_ulps: tuple
    partial_allowed: tuple
    regime: str = ""

    @property
    def allowance_used(self) -> float:
        """The worst error over its allowance (0 where the allowance is 0 and the error too)."""
        pairs = [(self.value_ulps, self.value_allowed), *zip(self.partial_ulps, self.partial_allowed)]
        return max((e / a if a > 0 else (0.0 if e == 0 else math.inf) for e, a in pairs), default=0.0)

    def to_list(self) -> list:
        return [self.op, list(self.operands), self.param, self.value_ulps, self.value_allowed,
                list(self.partial_ulps), list(self.partial_allowed), self.regime]

    @classmethod
    def from_list(cls, data: list) -> "Point":
        op, operands, param, value, allowed, partials, partials_allowed, regime = data
        return cls(op, tuple(operands), param, value, allowed, tuple(partials), tuple(partials_allowed), regime)


@dataclass
class Worst:
    """One regime of one op: its worst errors and where they were met."""

    value_ulps: float = 0.0
    at: tuple = ()
    partial_ulps: list = field(default_factory=list)
    partial_at: list = field(default_factory=list)
    allowance_used: float = 0.0
    points: int = 0

    def add(self, point: Point) -> None:
        self.points += 1
        if point.value_ulps > self.value_ulps or not self.at:
            self.value_ulps, self.at = point.value_ulps, point.operands
        for k, error in enumerate(point.partial_ulps):
            if k >= len(self.partial_ulps):
                self.partial_ulps.append(error)
                self.partial_at.append(point.operands)
            elif error > self.partial_ulps[k]:
                self.partial_ulps[k], self.partial_at[k] = error, point.operands
        self.allowance_used = max(self.allowance_used, point.allowance_used)

    def to_json(self) -> dict:
        return {"value_ulps": _number(self.value_ulps), "partial_ulps": [_number(e) for e in self.partial_ulps],
                "at": list(self.at), "partial_at": [list(a) for a in self.partial_at],
                "allowance_used": _number(self.allowance_used), "points": self.points}


class Accuracy:
    """The worst errors per op and regime, and a sample of the points (for the plots)."""

    SAMPLE = 2000  # points kept per op for its plot: a long campaign measures millions

    def __init__(self) -> None:
        self.points: list[Point] = []  # measured here and not yet sent on (see drain)
        self.samples: dict[str, list[Point]] = {}
        self._worst: dict[str, dict[str, Worst]] = {}
        self._seen: dict[str, int] = {}

    def measure(self, op: str, operands: tuple, param: Any, value: tuple[float, float, float],
                partials: list[tuple[float, float, float]], regime: str | None = None) -> None:
        """Record one judged point: ``value`` and each of ``partials`` as (engine, true, allowed)."""
        point = Point(op, tuple(operands), param, ulps(value[0], value[1]), _allowed(value[2], value[1]),
                      tuple(ulps(e, t) for e, t, _ in partials), tuple(_allowed(a, t) for _, t, a in partials),
                      regime or regime_of(op, operands, param))
        self.points.append(point)
        self._add(point)

    def _add(self, point: Point) -> None:
        self._worst.setdefault(point.op, {}).setdefault(point.regime, Worst()).add(point)
        sample, seen = self.samples.setdefault(point.op, []), self._seen.get(point.op, 0)
        if len(sample) < self.SAMPLE:
            sample.append(point)
        elif point.allowance_used > 1 or not seen % 7:  # past the allowance always shows; else a spread
            sample[seen % self.SAMPLE] = point
        self._seen[point.op] = seen + 1

    def drain(self) -> list[list]:
        """The points measured since the last drain, as plain data (what a worker sends)."""
        out, self.points = [p.to_list() for p in self.points], []
        return out

    def merge(self, data: list[list]) -> None:
        """Fold in the points another process measured (its :meth:`drain`)."""
        for item in data:
            self._add(Point.from_list(item))

    def __bool__(self) -> bool:
        return bool(self._worst)

    def worst(self) -> dict[str, dict[str, Worst]]:
        """Per op (the registry's order), per regime (the op's order, ``elsewhere`` last)."""
        order = {op: i for i, op in enumerate(REGISTRY)}
        out = {}
        for op in sorted(self._worst, key=lambda o: order.get(o, len(order))):
            names = [r.name for r in REGISTRY[op].regimes] if op in REGISTRY else []
            regimes = self._worst[op]
            out[op] = {r: regimes[r] for r in sorted(regimes, key=lambda r: names.index(r) if r in names
                                                      else len(names))}
        return out

    def to_json(self) -> dict:
        return {op: {regime: worst.to_json() for regime, worst in regimes.items()}
                for op, regimes in self.worst().items()}


    def lines(self) -> list[str]:
        """The compact table ``--accuracy`` shows: one row per op and regime."""
        rows = [("op", "regime", "points", "value ulps", "partial ulps", "at", "of allowance")]
        for op, regimes in self.worst().items():
            for regime, w in regimes.items():
                rows.append((op, regime, str(w.points), ulps_text(w.value_ulps),
                             " ".join(ulps_text(e) for e in w.partial_ulps) or "-",
                             ", ".join(f"{x:.3g}" for x in w.at), f"{w.allowance_used:.2g}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        out = ["  ".join(c.ljust(w) if i in (0, 1, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
               for r in rows]
        out.insert(1, "  ".join("-" * w for w in widths))
        return out


def worst_op(profile: dict) -> str:
    """The op farthest off in an accuracy profile (the JSON's ``accuracy``): the most of its allowance
    used, then the most ulps; ``exp 22 ulp, small (5.5x its allowance)``, or "" for an empty profile."""
    ranked = []
    for op, regimes in profile.items():
        for regime, w in regimes.items():
            errors = [e if e is not None else math.inf for e in [w["value_ulps"], *w["partial_ulps"]]]
            used = w["allowance_used"] if w["allowance_used"] is not None else math.inf
            ranked.append((used, max(errors), op, regime))
    if not ranked:
        return ""
    used, error, op, regime = max(ranked, key=lambda t: (t[0] > 1, t[0] if t[0] > 1 else t[1], t[1]))
    share = f"{used:.2g}x its allowance" if math.isfinite(used) else "where a correct engine is exact"
    return f"{op} {ulps_text(error)} ulp, {regime} ({share})"


def _allowed(allowed: float, true: float) -> float:
    return allowed / math.ulp(abs(true)) if math.isfinite(allowed) and math.isfinite(true) else math.inf


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def ulps_text(x: float) -> str:
    """An error in ulps as a table shows it: 3 significant digits, ``1.2e+15`` past a million."""
    if not math.isfinite(x):
        return "inf"
    return f"{x:.3g}" if x < 1e6 else f"{x:.1e}"
