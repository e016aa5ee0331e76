"""The comparisons behind the properties, and the failure reports.

For one :class:`~reference.expression.Case`, :func:`oracles` evaluates the
expression on the engine under test, on torch and in mpmath, and derives
from the computation how far a correct float64 engine may be from the truth
(:mod:`reference.error_bounds`).  Each ``*_mismatches`` function compares one
aspect and returns what disagrees (structured: blame reads it); each
``check_*`` raises :class:`CheckFailure` with a report and returns the reasons
for anything it could not judge, which the properties record as hypothesis
events (``--hypothesis-show-statistics``).

The true gradient: the registry's analytic partials chained in mpmath at the
exact values (``bounds.adjoints``, 50 digits), which the registry's own tests
hold to central differences for every op.  Where the engine disagrees with it,
the mpmath central difference (the seed notebook's symmetric derivative, taken
at high precision) is the arbiter: a failure is only ever declared against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from reference.backends import EngineRaised, Evaluation, evaluate_torch
from reference.domains import UNIT_ROUNDOFF
from reference.error_bounds import ErrorBounds, IllConditioned, error_bounds
from reference.mp_backend import DEFAULT_DPS, MPEvaluation, OutOfDomain, mp_gradient, mp_value
from reference.expression import Case
from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import function
from properties.core.session import current

SAFETY = 2.0  # the bounds are first order in u; this covers the neglected higher-order terms
VACUOUS = 1e300  # a bound this large admits any float: the point cannot be judged
MAX_SOURCE_LINES = 30  # a report shows at most this much of an expression's source


class CheckFailure(AssertionError):
    """The engine disagrees with an oracle by more than a correct engine could.

    ``label`` names the comparison ("gradient vs mpmath", "wide sum"); ``case`` (what failed, when
    the check knows it) and ``engine`` let blame find the op at fault; ``mismatch`` is the number
    that was wrong, ``raised`` what the engine raised (either says in which phase it failed);
    ``cause`` is what blame found (:class:`properties.diagnosis.causes.Cause`), set by the plugin."""

    def __init__(self, message: str, *, label: str | None = None, case: Any = None,
                 engine: EngineUnderTest | None = None, mismatch: "Mismatch | None" = None,
                 raised: EngineRaised | None = None):
        super().__init__(message)
        self.label, self.case, self.engine, self.mismatch, self.raised = label, case, engine, mismatch, raised
        self.cause = None


class Skip(Exception):
    """Nothing can be judged at this point; ``reason`` says why (it becomes a hypothesis event)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Mismatch:
    """One number the engine got wrong (or could not compute)."""

    label: str  # the comparison: "forward value vs mpmath", "gradient vs mpmath", "engine vs torch"
    component: Any  # "value", or the input index k of d f / d x_k
    engine: float | None  # None: the engine raised
    expected: float
    allowed: float
    against: str = "mpmath"

    @property
    def error(self) -> float:
        return math.nan if self.engine is None else abs(self.engine - self.expected)

    @property
    def relative_error(self) -> float:
        """|engine - expected| / |expected| (inf where the truth is 0 and the engine is not)."""
        if self.engine is None or not math.isfinite(self.engine):
            return math.inf
        if self.expected == 0:
            return 0.0 if self.engine == 0 else math.inf
        return abs(self.engine - self.expected) / abs(self.expected)

    @property
    def what(self) -> str:
        return "the value" if self.component == "value" else f"d f / d x{self.component}"


@dataclass
class Oracles:
    case: Case
    engine: EngineUnderTest
    mp: MPEvaluation | None  # the central differences, computed when first needed (see gradient_oracle)
    bounds: ErrorBounds
    result: Evaluation | None  # the engine's, or None if it raised
    error: EngineRaised | None
    torch: Evaluation
    exact_value: Any = None  # the mpmath value, when mp has not been computed
    dps: int = DEFAULT_DPS
    notes: list = field(default_factory=list)

    @property
    def true_value(self):
        return self.exact_value if self.exact_value is not None else self.mp.value

    def gradient_oracle(self) -> MPEvaluation:
        """The mpmath central-difference gradient (the costly oracle: computed only when needed)."""
        if self.mp is None:
            self.mp = mp_gradient(self.case.expression, self.case.inputs, self.dps, expected=self.bounds.adjoints)
        return self.mp

    def value_allowed(self, against: str = "mpmath") -> float:
        """mpmath is exact, so the engine may be off by its own bound; torch by its bound too."""
        return SAFETY * self.bounds.value * (2 if against == "torch" else 1)

    def analytic(self, k: int) -> float:
        return float(self.bounds.adjoints[k])

    def truth(self, k: int) -> tuple[float, float]:
        """The true d f / d x_k and its uncertainty: the mpmath central difference where it is
        at least as accurate as float64 could be; else (a derivative too small to resolve
        next to the value) the registry's analytic partials chained in mpmath."""
        if self.central_difference_usable(k):
            mp = self.gradient_oracle()
            return float(mp.gradient[k]), float(mp.gradient_error[k])
        return self.analytic(k), 0.0

    def central_difference_usable(self, k: int) -> bool:
        mp = self.gradient_oracle()
        error = float(mp.gradient_error[k])
        return mp.kink[k] or error <= max(self.bounds.gradient[k], 1e-3 * UNIT_ROUNDOFF * abs(float(mp.gradient[k])))

    def expected_gradient(self, k: int) -> tuple[float, float, str]:
        """What a reproducer holds d f / d x_k to: the truth and its allowance, or at a kink (where no
        derivative exists) torch's convention; and a note saying which."""
        if self.mp is not None and self.mp.kink[k] and self.torch is not None:
            return float(self.torch.gradient[k]), self.gradient_allowed(k, "torch"), "at a kink: torch's convention"
        if self.mp is not None:
            return float(self.truth(k)[0]), self.gradient_allowed(k), ""
        return float(self.analytic(k)), self.gradient_allowed(k), ""

    def gradient_allowed(self, k: int, against: str = "mpmath") -> float:
        if against == "torch":
            return 2 * SAFETY * self.bounds.gradient[k]
        if self.mp is None:  # judged against the analytic gradient, which is exact
            return SAFETY * self.bounds.gradient[k]
        return SAFETY * self.bounds.gradient[k] + 2 * self.truth(k)[1]


def oracles(case: Case, engine: EngineUnderTest, *, dps: int = DEFAULT_DPS, bounds: ErrorBounds | None = None,
            values_only: bool = False) -> Oracles:
    """Evaluate ``case`` everywhere; raises :class:`Skip` where no check is meaningful.

    ``bounds`` replaces the error analysis of the recorded computation, for a caller
    that derived them otherwise (by hand, for a function the analysis cannot follow);
    ``values_only`` judges the value where the gradients may overflow (they are not judged)."""
    expression, inputs = case.expression, case.inputs
    try:
        root, leaves = mp_value(expression, inputs, dps)
        bounds = bounds or error_bounds(root, leaves, values_only=values_only)
    except IllConditioned as exc:
        raise Skip(f"ill-conditioned: {exc.kind}") from None
    except OutOfDomain:
        raise Skip("ill-conditioned: the exact value leaves an op's domain") from None
    result, error = None, None
    try:
        result = engine.evaluate(expression, inputs)
    except EngineRaised as exc:  # reported as a failure by every check
        error = exc
    torch = evaluate_torch(expression, inputs)
    return Oracles(case, engine, None, bounds, result, error, torch, exact_value=root.value, dps=dps)


# ----- comparisons ----------------------------------------------------------------------


def raised_mismatch(o: Oracles, label: str) -> Mismatch | None:
    if o.error is None:
        return None
    return Mismatch(label, "value" if o.error.phase == "forward" else 0, None, float(o.true_value), 0.0)


def forward_mismatches(o: Oracles) -> list[Mismatch]:
    """The engine's value against mpmath's, within the derived bound."""
    if o.error is not None:
        return [raised_mismatch(o, "forward value vs mpmath")]
    truth = float(o.true_value)
    if not abs(o.result.value - truth) <= o.value_allowed():
        return [Mismatch("forward value vs mpmath", "value", o.result.value, truth, o.value_allowed())]
    return []


def gradient_mismatches(o: Oracles) -> list[Mismatch]:
    """Every input's gradient against the analytic one; where they disagree, against the central
    difference.  Reasons for components that cannot be judged go to ``o.notes``."""
    if o.error is not None:
        return [raised_mismatch(o, "gradient vs mpmath")]
    out = []
    for k, grad in enumerate(o.result.gradient):
        if not o.bounds.gradient[k] < VACUOUS:
            o.notes.append("gradient not judged: no useful bound (an intermediate may sink among the subnormals)")
            continue
        if abs(grad - o.analytic(k)) <= SAFETY * o.bounds.gradient[k]:
            continue  # agrees with the exact chain rule: nothing to arbitrate
        if o.gradient_oracle().kink[k]:  # no derivative exists here; check_torch holds the engine to torch's convention
            o.notes.append("gradient vs mpmath not judged: kink or pole within the difference step")
            continue
        if not o.central_difference_usable(k):
            o.notes.append("gradient judged against mpmath's analytic derivative (central difference unresolved)")
        truth = o.truth(k)[0]
        if not abs(grad - truth) <= o.gradient_allowed(k):
            out.append(Mismatch("gradient vs mpmath", k, grad, truth, o.gradient_allowed(k)))
    return out


def torch_mismatches(o: Oracles) -> list[Mismatch]:
    """Engine and torch agree: both are float64 engines, so each is within its bound of the truth."""
    if o.error is not None:
        return [raised_mismatch(o, "engine vs torch")]
    out = []
    if not abs(o.result.value - o.torch.value) <= o.value_allowed("torch"):
        if torch_is_off(o, "value"):
            o.notes.append("engine vs torch not judged: torch's own value is off the truth here")
        else:
            out.append(Mismatch("engine vs torch", "value", o.result.value, o.torch.value, o.value_allowed("torch"),
                                "torch"))
    for k, grad in enumerate(o.result.gradient):
        # this holds at kinks too (relu at exactly 0), where the engine must follow torch's convention
        if not abs(grad - o.torch.gradient[k]) <= o.gradient_allowed(k, "torch"):
            if torch_is_off(o, k):
                o.notes.append("engine vs torch not judged: torch's own gradient is off the truth here")
                continue
            out.append(Mismatch("engine vs torch", k, grad, o.torch.gradient[k], o.gradient_allowed(k, "torch"), "torch"))
    return out


def torch_is_off(o: Oracles, component) -> bool:
    """Is torch itself farther from the truth than a correct float64 engine may be (0 * (1/x) is
    nan at x = 5e-324, where 0 / x is 0)?  Then it is no oracle at this point; mpmath still is.
    A gradient at a kink has no truth but a convention, which torch defines: never off there."""
    if component == "value":
        return not abs(o.torch.value - float(o.true_value)) <= o.value_allowed()
    theirs = o.torch.gradient[component]
    if abs(theirs - o.analytic(component)) <= SAFETY * o.bounds.gradient[component]:
        return False
    if o.gradient_oracle().kink[component]:
        return False
    return not abs(theirs - o.truth(component)[0]) <= o.gradient_allowed(component)


def _check(o: Oracles, mismatches: list[Mismatch]) -> list[str]:
    __tracebackhide__ = True  # the report says it all
    if mismatches:
        first = mismatches[0]
        raise CheckFailure(report(o, first), label=first.label, case=o.case, engine=o.engine, mismatch=first,
                           raised=o.error)
    notes, o.notes[:] = list(o.notes), []
    return notes


def check_forward(o: Oracles) -> list[str]:
    """The engine's value agrees with mpmath within the derived bound."""
    __tracebackhide__ = True
    return _check(o, forward_mismatches(o))


def check_gradient(o: Oracles) -> list[str]:
    """Every input's gradient agrees with mpmath within the derived bound."""
    __tracebackhide__ = True
    return _check(o, gradient_mismatches(o))


def check_torch(o: Oracles) -> list[str]:
    """The engine's value and gradient agree with torch float64 autograd."""
    __tracebackhide__ = True
    return _check(o, torch_mismatches(o))


# ----- reports -----------------------------------------------------------------


def _fmt(x) -> str:
    return repr(float(x)) if isinstance(x, float) or not hasattr(x, "context") else x.context.nstr(x, 20)


def clipped_source(text: str, limit: int = MAX_SOURCE_LINES) -> str:
    """At most ``limit`` lines of ``text``: no report is more than a screenful."""
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[: limit - 2] + [f"    ... ({len(lines) - limit + 2} more lines)", lines[-1]])


def headline(m: Mismatch, o: Oracles) -> str:
    if m.engine is None:
        phase = o.error.phase if o.error is not None else "forward"
        return f"{m.label} FAILED: the engine raised in {phase}: {type(o.error.error).__name__}: {o.error.error}"
    return f"{m.label} FAILED: {m.what} differs from {m.against}"


def report(o: Oracles, m: Mismatch, *, full_reproducer: bool = True) -> str:
    """A failure report: the check, the input, every backend's values, the error and the bound,
    and a reproducer that runs without the suite."""
    case, result = o.case, o.result
    n = case.expression.n_inputs
    engine_value = result.value if result else (o.error.value if o.error is not None else None)
    rows = [("f", engine_value, o.torch.value, o.true_value, o.value_allowed(m.against), 0.0)]
    for k in range(n):  # the failing component against its arbiter; the others against the chain rule
        truth, oracle_error = o.truth(k) if m.component == k and m.against == "mpmath" else (o.analytic(k), 0.0)
        allowed = o.gradient_allowed(k, m.against) if m.component == k or m.against == "torch" else SAFETY * o.bounds.gradient[k]
        rows.append((f"df/dx{k}", result.gradient[k] if result else None, o.torch.gradient[k], truth, allowed,
                     oracle_error))
    header = f"{'':8} {'engine':>24} {'torch':>24} {'mpmath':>26} {'|error|':>10} {'allowed':>10}"
    lines = [headline(m, o), f"engine under test: {o.engine.name}", "",
             clipped_source(o.engine.source(case.expression)), ""]
    lines += ["inputs: " + ", ".join(f"x{k} = {x!r}" for k, x in enumerate(case.inputs)), "", header]
    for i, (label, mine, theirs, exact, allowed, oracle_error) in enumerate(rows[:12]):
        key = "value" if i == 0 else i - 1
        reference = theirs if m.against == "torch" else float(exact)
        error = abs(mine - reference) if mine is not None else math.nan
        mark = "  <-- FAILED" if key == m.component else ""
        note = f" (oracle error {oracle_error:.1e})" if oracle_error and key != "value" else ""
        shown = _fmt(mine) if mine is not None else "raised"
        lines.append(f"{label:8} {shown:>24} {_fmt(theirs):>24} "
                     f"{_fmt(exact):>26} {error:>10.2e} {allowed:>10.2e}{mark}{note}")
    if len(rows) > 12:
        lines.append(f"... ({len(rows) - 12} more inputs)")
    if full_reproducer and len(case.expression.source().splitlines()) <= MAX_SOURCE_LINES:
        lines += ["", "Reproducer (save as repro.py and run: python repro.py):", "", reproducer(o, m.against)]
    return "\n".join(lines)


def reproducer(o: Oracles, against: str = "mpmath") -> str:
    """A standalone script that shows the disagreement on the engine under test."""
    n = o.case.expression.n_inputs
    r = function(o.engine, o.engine.source(o.case.expression), o.case.inputs)
    if against == "torch":
        value, gradient, source = o.torch.value, list(o.torch.gradient), "torch (float64 autograd)"
    else:
        value, gradient = float(o.true_value), [o.truth(k)[0] if o.mp is not None else o.analytic(k) for k in range(n)]
        source = f"mpmath, {DEFAULT_DPS} digits; allowed: derived from the computation"
    r.expect("value", r.value("out"), value, o.value_allowed(against), source)
    for k in range(n):
        r.expect(f"d out / d x{k}", r.grad(f"leaves[{k}]"), gradient[k], o.gradient_allowed(k, against))
    return r.text()


def judge(case: Case, engine: EngineUnderTest, *checks, regime: str | None = None) -> list[str]:
    """Run ``checks`` on ``case``; returns what could not be judged, raises Skip or CheckFailure.
    A one-op case is measured for the run's accuracy profile first (in ``regime``, if given)."""
    __tracebackhide__ = True  # the report says it all
    o = oracles(case, engine)
    measure(o, regime)
    return [reason for check in checks for reason in check(o)]


def measure(o: Oracles, regime: str | None = None) -> None:
    """Record a one-op case (a registry op on leaves, each used once) in the active run's accuracy
    profile: the value against mpmath, each partial against the exact chain rule, in ulps."""
    run = current()
    nodes = getattr(o.case.expression, "nodes", None)  # a Function (softmax's) is no one-op case
    if run is None or o.error is not None or not nodes or nodes[-1].op is None:
        return
    top, leaves = nodes[-1], nodes[:-1]
    if any(n.input is None for n in leaves) or sorted(top.args) != list(range(len(leaves))):
        return
    operands = tuple(o.case.inputs[nodes[a].input] for a in top.args)
    partials = [(o.result.gradient[nodes[a].input], o.analytic(nodes[a].input),
                 SAFETY * o.bounds.gradient[nodes[a].input] if o.bounds.gradient[nodes[a].input] < VACUOUS
                 else math.inf) for a in top.args]
    run.measured.measure(top.op, operands, top.param, (o.result.value, float(o.true_value), o.value_allowed()),
                         partials, regime)


def judge_example(case: Case, engine: EngineUnderTest, *checks) -> None:
    """:func:`judge` inside a hypothesis test: skips become events (and rejections)."""
    __tracebackhide__ = True  # the report says it all
    from hypothesis import event, reject

    try:
        reasons = judge(case, engine, *checks)
    except Skip as skip:
        event(f"skipped, {skip.reason}")
        reject()
    for reason in sorted(set(reasons)):
        event(reason)


CHECKS = {"forward": check_forward, "gradient": check_gradient, "torch": check_torch}  # what a corpus entry names
