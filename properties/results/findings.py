"""One finding per root cause: the run's failing tests grouped by what blame found.

Many tests fail for one bug (every property that touches a wrong ``tanh`` fails);
a finding is the bug: its op, kind and severity, the worst relative error seen,
where on the real line it shows, the failing tests it explains and one
reproducer.  ``pytest --findings=PATH`` writes the same as JSON::

    {"engine": "mypkg.engine:Value",
     "findings": [{"op": "tanh", "kind": "forward", "kinds": ["forward", "crash"], "severity": "wrong",
                   "summary": "tanh, forward value: tanh(1e-100) returned 0.0, true 1e-100, ...",
                   "met_at": "extreme", "relative_error": 1.0, "where": "x from -1e-08 to 1e-08",
                   "consequences": [], "tests": ["properties/test_each_op.py::test_tanh_alone", ...],
                   "reproducer": "from mypkg.engine import Value\\n..."}],
     "unexplained": [{"test": "...", "message": "..."}],
     "verified_ops": ["add", "radd", ...], "aliases": {"log": "ln"},
     "unverified_ops": ["gamma"],  # public ops of the engine that no spec covers (the coverage gate)
     "accuracy": {"exp": {"ordinary": {"value_ulps": 0.5, ...}}}}  # see properties.core.accuracy

``op`` is a registry name, or null for the graph (traversal, accumulation in
every op) and for storage; ``kind`` is forward, derivative, crash, traversal,
accumulation or unsupported (``kinds``: every kind the op showed, e.g. a formula
wrong near 0 that also overflows beyond 355: one finding); ``severity`` is crash,
wrong (relative error above 1e-3 or the wrong sign), imprecise (beyond the
derived bound, below that) or unsupported.  ``met_at`` is "ordinary" when the
finding shows at operands and a result within 1e-8 to 1e8 in magnitude (or 0),
or on any graph (the traversal, a recursion at 1,100 nodes): a bug a user will
meet; else "extreme".  Findings come ordinary first, then by severity.  A
passing run writes an empty list.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from properties.core.accuracy import Accuracy
from properties.core.watchdog import Hung, time_limit
from properties.diagnosis.causes import KINDS, Cause, kind_rank, severity_rank
from properties.diagnosis.probes import Probe, cause_from, run_probe
from reference.ops import REGISTRY

SCAN = (0.0, 5e-324, 1e-310, 1e-300, 1e-250, 1e-200, 1e-160, 1e-150, 1e-100, 1e-50, 1e-30, 1e-20, 1e-15, 1e-12,
        *(10.0 ** -k for k in range(10, 0, -1)), 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 60.0, 100.0, 300.0, 360.0,
        700.0, 712.0, 746.0, 800.0, *(10.0 ** k for k in range(3, 11)), 1e12, 1e15, 1e20, 1e30, 1e50, 1e100,
        1e150, 1e155, 1e200, 1e250, 1e300)  # where() scans an op at these points and their negatives


ORDINARY_MAGNITUDES = (1e-8, 1e8)  # operands and results this large in magnitude (or exactly 0) are ordinary
MET_AT = ("ordinary", "extreme")  # where a user meets a finding: the summary's groups, in this order


def remoteness(operands: tuple) -> float:
    """How far the operands are from ordinary numbers: the largest |log10 |x|| (0 counts as ordinary)."""
    return max((abs(math.log10(abs(v))) if math.isfinite(v) else math.inf for v in operands if v), default=0.0)


def ordinary(numbers: tuple) -> bool:
    """Are these numbers a training run would meet: 0, or within 1e-8 to 1e8 in magnitude?"""
    lo, hi = ORDINARY_MAGNITUDES
    return all(v == 0 or lo <= abs(v) <= hi for v in numbers)


@functools.lru_cache(maxsize=4096)
def ordinary_result(op: str, operands: tuple, param: Any = None) -> bool | None:
    """Is the op's true result at ``operands`` ordinary (judged in mpmath: a result that float64
    rounds to 0 or to inf is not), None where it is undefined."""
    import mpmath

    spec = REGISTRY[op]
    lo, hi = ORDINARY_MAGNITUDES
    try:
        with mpmath.workdps(30):
            value = spec.mp(mpmath.mp, *map(mpmath.mpf, operands), *(() if param is None else (param,)))
            value = abs(value.real if isinstance(value, mpmath.mpc) else value)
            return bool(value == 0 or lo <= value <= hi)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, ArithmeticError):
        return None


def met_at_ordinary(op: str | None, operands: tuple, param: Any = None) -> bool:
    """Does a failure of ``op`` at ``operands`` show at ordinary inputs: its operands and its result
    ordinary (a graph-wide failure, at no op's operands, always is: it shows on any graph)?"""
    if op is None or not operands:
        return True
    return ordinary(_numbers(operands, param)) and ordinary_result(op, operands, param) is not False


def _numbers(operands: tuple, param: Any) -> tuple:
    """The numbers a user passes: the operands, and a numeric param (the constant of ``1e300 - x``)."""
    numeric = isinstance(param, (int, float)) and not isinstance(param, bool)
    return tuple(operands) + ((float(param),) if numeric else ())


def finding_key(cause: Cause) -> tuple:
    """One finding per op (a formula wrong at small x that also overflows at large x is one bug),
    per graph kind and exception for the graph (a recursion is not a wrong sum of uses), and apart
    for a kind that stands apart (a missing operator, a backward that assigns)."""
    if KINDS[cause.kind].apart:
        return (cause.op, cause.kind)
    return (cause.op,) if cause.op is not None else (None, cause.kind, cause.error)


@dataclass
class Finding:
    first: Cause  # the first instance
    tests: list[str] = field(default_factory=list)
    instances: list[Cause] = field(default_factory=list)
    where: str = ""
    scanned: list[tuple] = field(default_factory=list)  # the operands where() saw it fail at

    @property
    def cause(self) -> Cause:
        """The representative instance, the input a user is likeliest to meet: a serious one
        (a crash or a wrong result) before an imprecise one; one at ordinary operands (within
        1e-10 to 1e10 of 1) before one far out, and among those the most telling kind (``c / x``
        computing ``x / c`` everywhere before its crash at c = 0); among far ones the least far
        (x / y crashing at y = 1e-160 before a lost subnormal gradient at y = 1.8e308)."""
        def rank(c: Cause) -> tuple:
            far = not ordinary(_numbers(c.operands, c.param))
            return (c.severity == "imprecise", far, 0 if far else kind_rank(c.kind), remoteness(c.operands),
                    severity_rank(c.severity), kind_rank(c.kind))
        return min(self.instances or [self.first], key=rank)

    @property
    def op(self) -> str | None:
        return self.first.op

    @property
    def met_at(self) -> str:
        """"ordinary" where a user meets it: at some ordinary operands with an ordinary result (or on
        any graph: the traversal, a recursion at 1,100 nodes, a missing operator); else "extreme"."""
        if self.op is None or self.kind in ("unsupported", "accumulation", "traversal"):
            return "ordinary"
        seen = [(c.operands, c.param) for c in self.instances] + [(ops, self.cause.param) for ops in self.scanned]
        return "ordinary" if any(met_at_ordinary(self.op, ops, param) for ops, param in seen) else "extreme"

    @property
    def inputs(self) -> list[tuple]:
        """Every operand tuple it was seen failing at: its instances', then the scan's."""
        return [c.operands for c in self.instances if c.operands] + self.scanned

    @property
    def nearest(self) -> tuple:
        """The least extreme operands it was seen failing at (the input a user would meet first)."""
        return min(self.inputs, key=lambda ops: (remoteness(ops), ops), default=())

    @property
    def summary(self) -> str:
        return self.cause.summary

    @property
    def reproducer(self) -> str:
        return self.cause.reproducer

    @property
    def kind(self) -> str:
        return self.cause.kind

    @property
    def kinds(self) -> list[str]:
        return sorted({c.kind for c in self.instances}, key=kind_rank)

    @property
    def severity(self) -> str:
        return min((c.severity for c in self.instances), key=severity_rank)

    @property
    def relative_error(self) -> float:
        """The worst relative error of its wrong results (a crash or a missing operator has none)."""
        return max((c.relative_error for c in self.instances
                    if c.kind not in ("crash", "unsupported") and c.error is None), default=math.inf)

    @property
    def consequences(self) -> list[str]:
        return sorted({op for c in self.instances for op in c.consequences})

    def to_json(self) -> dict:
        error = self.relative_error
        return {
            "op": self.op, "kind": self.kind, "kinds": self.kinds, "severity": self.severity,
            "summary": self.summary, "met_at": self.met_at,
            "relative_error": error if math.isfinite(error) else None, "where": self.where,
            "consequences": self.consequences, "tests": list(self.tests), "reproducer": self.reproducer,
        }


class Findings:
    """The run's findings, in the order they were first seen."""

    def __init__(self) -> None:
        self.by_key: dict[tuple, Finding] = {}
        self.unexplained: list[tuple[str, str]] = []
        self.failed = 0  # failing tests seen
        self.unverified: list[str] = []  # the engine's ops that no spec covers (the coverage gate)
        self.accuracy = Accuracy()  # every one-op case the run judged, measured in ulps

    def add(self, cause: Cause, test: str | None) -> Finding:
        key = finding_key(cause)
        finding = self.by_key.get(key)
        if finding is None:
            finding = self.by_key[key] = Finding(cause)
        finding.instances.append(cause)
        if test is not None and test not in finding.tests:
            finding.tests.append(test)
        return finding

    def add_unexplained(self, test: str, message: str) -> None:
        self.unexplained.append((test, message))

    @property
    def findings(self) -> list[Finding]:
        """Those met at ordinary inputs first, then those met only at extreme ones; in each group the
        worst first (crashes, then wrong results, imprecise ones, missing operators), each severity
        in the order found: the order of the summary and of the JSON."""
        return sorted(self.by_key.values(), key=lambda f: (MET_AT.index(f.met_at), severity_rank(f.severity)))

    def __bool__(self) -> bool:
        return bool(self.by_key) or bool(self.unexplained)

    def locate(self, engine, *, skip: set = frozenset(), seconds: float | None = None) -> None:
        """Fill in where each finding shows (a scan of its op along the real line), except for the
        ops in ``skip`` (they hang), each scan within ``seconds``."""
        for finding in self.findings:
            if not finding.where and finding.op not in skip:
                try:
                    with time_limit(seconds):
                        finding.where = where(finding, engine)
                except Hung:
                    finding.where = f"not scanned: the op did not return within {seconds:g} s"

    def to_json(self, engine) -> dict:
        return {"engine": engine.name, "findings": [f.to_json() for f in self.findings],
                "unexplained": [{"test": t, "message": m} for t, m in self.unexplained],
                "verified_ops": engine.ops, "aliases": dict(engine.aliases), "unverified_ops": self.unverified,
                "accuracy": self.accuracy.to_json()}

    def write(self, path: str | Path, engine) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_json(engine), indent=2) + "\n", encoding="utf-8")

    def lines(self, engine_name: str, failed_tests: int) -> list[str]:
        """The terminal summary: one block per finding, the worst first."""
        findings = self.findings
        explained = sum(len(f.tests) for f in findings)
        out = [f"engine: {engine_name}"]
        if self.unverified:
            out.append(f"not verified, no spec (the coverage gate fails): {', '.join(self.unverified)}")
        if not findings and not self.unexplained:
            return out + ["no findings"]
        head = f"{len(findings)} finding(s)"
        if failed_tests:
            head += f" explain {explained} of {failed_tests} failing test(s)"
        out.append(head + ":")
        group = None
        for n, f in enumerate(findings, 1):
            if f.met_at != group:
                group = f.met_at
                out += ["", GROUP_HEADINGS[group]]
            out += ["", " | ".join([f"[{n}] {f.op or '(engine)'}", " + ".join(f.kinds), f.severity,
                                    *_measure(f), *([f"shows at {f.where}"] if f.where else [])]),
                    f"    {f.cause.summary}"]
            if f.met_at == "extreme" and f.nearest:
                out.append(f"    first met at {_operands(f.nearest)} (the input nearest ordinary numbers that shows it)")
            if f.consequences:
                out.append(f"    also fails through it: {', '.join(f.consequences)}")
            tests = f.tests[:3] + ([f"... and {len(f.tests) - 3} more"] if len(f.tests) > 3 else [])
            if tests:
                out.append(f"    explains: {', '.join(tests)}")
            out.append("    reproducer:")
            out += [f"        {line}" for line in f.cause.reproducer.splitlines()]
        if self.unexplained:
            out += ["", f"{len(self.unexplained)} failing test(s) not traced to a root cause "
                        "(their reports stand on their own):"]
            out += [f"    {t}: {m}" for t, m in self.unexplained[:10]]
        if len(findings) > 1:  # the last lines of the run, on one screen: each finding in one line
            out += ["", "in short:"] + [f"[{n}] {finding_line(f.to_json())}" for n, f in enumerate(findings, 1)]
        return out


GROUP_HEADINGS = {
    "ordinary": "== met at ordinary inputs (operands and results within 1e-8 to 1e8, or 0; any graph): "
                "the bugs a user will meet ==",
    "extreme": "== met only at extreme inputs (beyond 1e-8 to 1e8): fix these after the others ==",
}


def _operands(operands: tuple) -> str:
    return f"x = {operands[0]:.3g}" if len(operands) == 1 else "(" + ", ".join(f"{v:.3g}" for v in operands) + ")"


def finding_line(finding: dict) -> str:
    """One line: ``[severity] summary``, and the op's other kinds of failure, which the severity
    may come from (``[crash] softsign, derivative: ... (also a crash)``)."""
    severity = finding.get("severity")
    if finding.get("met_at") == "extreme":
        severity = f"{severity}, extreme inputs" if severity else "extreme inputs"
    others = [k for k in finding.get("kinds", []) if k != finding.get("kind")]
    also = f" (also {' and '.join(KINDS[k].phrase if k in KINDS else k for k in others)})" if others else ""
    return (f"[{severity}] " if severity else "") + finding["summary"] + also


def _measure(finding: Finding) -> list[str]:
    """How far off the finding's results are, where a number says it: not for a crash or a missing
    operator alone; an infinite relative error is a wrong result where the truth is 0, or a
    non-finite one."""
    if finding.severity == "unsupported":
        return ["reported, not failing (--strict-ops fails it)"]
    error = finding.relative_error
    if math.isfinite(error):
        return [f"worst relative error {error:.2g}"]
    return [] if finding.severity == "crash" else ["relative error inf"]


def where(finding: Finding, engine) -> str:
    """Where on the real line the finding's op fails, from a scan of its operand (one-operand ops),
    else the operands it was seen at."""
    cause = finding.cause
    seen = sorted({c.operands for c in finding.instances if c.operands}, key=lambda ops: (remoteness(ops), ops))
    if cause.op is None or not KINDS[cause.kind].scanned:
        return ""
    spec = REGISTRY[cause.op]
    described = "; ".join(", ".join(f"{v:.3g}" for v in ops) for ops in seen[:3])
    param = cause.param if cause.param is not None or not spec.has_param else spec.default_param
    if spec.arity != 1 or (spec.has_param and param is None):
        return f"operands {described}" if described else ""
    domain = spec.operand_domains(param)[0]
    points = sorted({s * x for x in SCAN for s in (1.0, -1.0)} | {c.operands[0] for c in finding.instances if c.operands})
    points = [x for x in points if domain.contains(x)]
    failing, crashes = [], []
    for x in points:  # every kind at each point: a formula that is imprecise here may raise further out
        outcome = run_probe(engine, Probe(cause.op, (x,), param))
        failing.append(outcome.failed)
        if outcome.failed:
            finding.scanned.append((x,))
        if outcome.kind == "crash":
            crashes.append(outcome)
    if crashes and "crash" not in finding.kinds:  # the crash nearest ordinary numbers joins the finding
        nearest = min(crashes, key=lambda o: remoteness(o.probe.operands))
        finding.instances.append(cause_from(engine, nearest))
    if not any(failing):
        return f"x = {described}" if described else ""
    return _runs(points, failing)


def _runs(points: list[float], failing: list[bool]) -> str:
    """``x from -1e-08 to 1e-08; x >= 712``: the failing stretches of a sorted scan."""
    runs, start = [], None
    for i, bad in enumerate(failing + [False]):
        if bad and start is None:
            start = i
        elif not bad and start is not None:
            runs.append((start, i - 1))
            start = None
    if runs == [(0, len(points) - 1)]:
        return "every x scanned"
    parts = []
    for lo, hi in runs:
        a, b = points[lo], points[hi]
        if lo == hi:
            parts.append(f"x = {a:.3g}")
        elif lo == 0:
            parts.append(f"x <= {b:.3g}")
        elif hi == len(points) - 1:
            parts.append(f"x >= {a:.3g}")
        else:
            parts.append(f"x from {a:.3g} to {b:.3g}")
    return "; ".join(parts)


def causes_of(error: BaseException) -> list[Any]:
    """The check failures inside an exception (hypothesis may group several)."""
    found, stack = [], [error]
    while stack:
        e = stack.pop()
        if hasattr(e, "case") and hasattr(e, "cause"):
            found.append(e)
        stack.extend(getattr(e, "exceptions", ()) or ())
    return found
