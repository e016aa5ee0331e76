"""One plot per op: its error in ulps against x, across the real line, as inline SVG.

The x axis is log-symmetric: every decade of magnitude gets the same width, from the smallest
subnormal to the largest float, on each side of 0 (``sign(x) * (log10|x| + 325)``), so that a
formula lost below 1e-8 and one overflowing beyond 710 show on one plot.  The y axis is the error
in ulps, on a log scale (an exact result sits on the floor, an infinite one at the ceiling).  The
allowance a correct engine has at each point is a grey band; a finding's inputs are red lines.

Needs matplotlib (the ``report`` extra); :func:`available` says whether it is there.
"""

from __future__ import annotations

import io
import math
import re

from properties.core.accuracy import Point

FLOOR, CEILING = 0.1, 1e20  # exact results are drawn at FLOOR, infinite errors and allowances at CEILING
DECADES = 325.0  # log10 of the smallest subnormal, negated, and a little more: 5e-324 lands at 1.7
TICKS = (0.0, 1e-300, 1e-200, 1e-100, 1.0, 1e100, 1e200, 1e300)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def log_symmetric(x: float) -> float:
    """Where ``x`` lies on the axis: each decade one unit, 0 in the middle."""
    if x == 0 or math.isnan(x):
        return 0.0
    if math.isinf(x):
        return math.copysign(DECADES + 309, x)
    return math.copysign(math.log10(abs(x)) + DECADES, x)


def _shown(ulps: float) -> float:
    if not math.isfinite(ulps):
        return CEILING
    return min(max(ulps, FLOOR), CEILING)


def op_plot(op: str, points: list[Point], marked: list[float], *, arity: int) -> str:
    """The SVG of one op's plot (an ``<svg>`` element, without the XML prologue)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    points = sorted(points, key=lambda p: log_symmetric(p.operands[0]))
    xs = [log_symmetric(p.operands[0]) for p in points]
    figure = Figure(figsize=(7.5, 3.0), dpi=96)
    axes = figure.subplots()
    allowed = [_shown(min([p.value_allowed, *p.partial_allowed], default=p.value_allowed)) for p in points]
    axes.fill_between(xs, FLOOR, allowed, step="mid", color="0.85", label="allowance (value or partial, the tighter)")
    axes.scatter(*_distinct(xs, [_shown(p.value_ulps) for p in points]), s=9, color="tab:blue", label="value",
                 zorder=3)
    for k, color in zip(range(arity), ("tab:orange", "tab:green")):
        ys = [_shown(p.partial_ulps[k]) for p in points if k < len(p.partial_ulps)]
        if ys:
            axes.scatter(*_distinct([x for x, p in zip(xs, points) if k < len(p.partial_ulps)], ys), s=9,
                         marker="s", color=color, label=f"d/dx{k}" if arity > 1 else "derivative", zorder=3)
    for n, x in enumerate(marked):
        axes.axvline(log_symmetric(x), color="tab:red", linestyle="--", linewidth=1,
                     label="a finding's input" if n == 0 else None)
    axes.set_yscale("log")
    axes.set_ylim(FLOOR / 2, CEILING * 2)
    low, high = (min(xs + [log_symmetric(x) for x in marked]), max(xs + [log_symmetric(x) for x in marked]))
    axes.set_xlim(low - 15, high + 15)
    ticks = sorted({sign * t for t in TICKS for sign in (1.0, -1.0)}, key=log_symmetric)
    shown = [t for t in ticks if low - 15 <= log_symmetric(t) <= high + 15]
    axes.set_xticks([log_symmetric(t) for t in shown], [_tick(t) for t in shown], fontsize=7)
    axes.set_xlabel("x" + (" (the first operand)" if arity > 1 else "") + ", each decade one step", fontsize=8)
    axes.set_ylabel("error in ulps", fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_title(f"{op}: error in ulps against x", fontsize=9)
    axes.legend(fontsize=6, loc="upper left", framealpha=0.8)
    figure.tight_layout()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as text: a third of the size
        figure.savefig(out, format="svg", metadata={"Date": None})
    return re.sub(r"^.*?(<svg)", r"\1", out.getvalue(), count=1, flags=re.S)


def _distinct(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """The points that differ on the plot (a tenth of a decade apart on either axis): one mark each."""
    seen = {(round(x, 1), round(math.log10(y), 1)): (x, y) for x, y in zip(xs, ys)}
    return [x for x, _ in seen.values()], [y for _, y in seen.values()]


def _tick(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) == 1:
        return "1" if x > 0 else "-1"
    return f"{x:.0e}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
