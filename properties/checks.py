"""The comparisons behind the properties, and the failure reports.

For one :class:`~properties.strategies.Case`, :func:`oracles` evaluates the
expression on the engine under test, on torch and in mpmath, and derives
from the computation how far a correct float64 engine may be from the truth
(:mod:`reference.error_bounds`).  Each ``check_*`` function compares one
aspect and raises :class:`CheckFailure` with a report and a runnable
reproducer; it returns the reasons for anything it could not judge (an
oracle that is unreliable at this point), which the properties record as
hypothesis events so they show in ``--hypothesis-show-statistics``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reference.backends import Evaluation, evaluate_engine, evaluate_torch
from reference.error_bounds import ErrorBounds, IllConditioned, error_bounds
from reference.mp_backend import DEFAULT_DPS, MPEvaluation, OutOfDomain, mp_gradient, mp_value
from properties.engine_under_test import EngineUnderTest
from properties.strategies import Case

SAFETY = 2.0  # the bounds are first order in u; this covers the neglected higher-order terms
UNIT_ROUNDOFF = 2.0**-53
VACUOUS = 1e300  # a bound this large admits any float: the point cannot be judged


class CheckFailure(AssertionError):
    """The engine disagrees with an oracle by more than a correct engine could."""


class Skip(Exception):
    """Nothing can be judged at this point; ``reason`` says why (it becomes a hypothesis event)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Oracles:
    case: Case
    engine: EngineUnderTest
    mp: MPEvaluation | None  # the central differences, computed when first needed (see gradient_oracle)
    bounds: ErrorBounds
    result: Evaluation | None  # the engine's, or None if it raised
    error: BaseException | None
    torch: Evaluation
    exact_value: Any = None  # the mpmath value, when mp has not been computed
    dps: int = DEFAULT_DPS

    @property
    def true_value(self):
        return self.exact_value if self.exact_value is not None else self.mp.value

    def gradient_oracle(self) -> MPEvaluation:
        """The mpmath central-difference gradient (the costly oracle: only the gradient check needs it)."""
        if self.mp is None:
            self.mp = mp_gradient(self.case.expression, self.case.inputs, self.dps, expected=self.bounds.adjoints)
        return self.mp

    def value_allowed(self, against: str = "mpmath") -> float:
        """mpmath is exact, so the engine may be off by its own bound; torch by its bound too."""
        return SAFETY * self.bounds.value * (2 if against == "torch" else 1)

    def truth(self, k: int) -> tuple[float, float]:
        """The true d f / d x_k and its uncertainty: the mpmath central difference where it is
        at least as accurate as float64 could be; else (a derivative too small to resolve
        next to the value) the registry's analytic partials chained in mpmath."""
        if self.central_difference_usable(k):
            mp = self.gradient_oracle()
            return float(mp.gradient[k]), float(mp.gradient_error[k])
        return float(self.bounds.adjoints[k]), 0.0

    def central_difference_usable(self, k: int) -> bool:
        mp = self.gradient_oracle()
        error = float(mp.gradient_error[k])
        return mp.kink[k] or error <= max(self.bounds.gradient[k], 1e-3 * UNIT_ROUNDOFF * abs(float(mp.gradient[k])))

    def gradient_allowed(self, k: int, against: str = "mpmath") -> float:
        if against == "torch":
            return 2 * SAFETY * self.bounds.gradient[k]
        return SAFETY * self.bounds.gradient[k] + 2 * self.truth(k)[1]


def oracles(case: Case, engine: EngineUnderTest, *, dps: int = DEFAULT_DPS, bounds: ErrorBounds | None = None) -> Oracles:
    """Evaluate ``case`` everywhere; raises :class:`Skip` where no check is meaningful.

    ``bounds`` replaces the error analysis of the recorded computation, for a caller
    that derived them otherwise (by hand, for a function the analysis cannot follow)."""
    expression, inputs = case.expression, case.inputs
    try:
        root, leaves = mp_value(expression, inputs, dps)
        bounds = bounds or error_bounds(root, leaves)
    except IllConditioned as exc:
        raise Skip(f"ill-conditioned: {exc.kind}") from None
    except OutOfDomain:
        raise Skip("ill-conditioned: the exact value leaves an op's domain") from None
    result, error = None, None
    try:
        result = evaluate_engine(engine.value_type, expression, inputs)
    except Exception as exc:  # reported as a failure by every check
        error = exc
    torch = evaluate_torch(expression.on_torch, inputs)
    return Oracles(case, engine, None, bounds, result, error, torch, exact_value=root.value, dps=dps)


def _engine_result(o: Oracles, check: str) -> Evaluation:
    __tracebackhide__ = True  # the report says it all
    if o.error is not None:
        raise CheckFailure(report(o, check, f"the engine raised {type(o.error).__name__}: {o.error}", failed=None))
    return o.result


def check_forward(o: Oracles) -> list[str]:
    """The engine's value agrees with mpmath within the derived bound."""
    __tracebackhide__ = True  # the report says it all
    result = _engine_result(o, "forward value vs mpmath")
    error = abs(result.value - float(o.true_value))
    if not error <= o.value_allowed():
        raise CheckFailure(report(o, "forward value vs mpmath", "the value differs from mpmath", failed="value"))
    return []


def check_gradient(o: Oracles) -> list[str]:
    """Every input's gradient agrees with the mpmath central difference within the derived bound."""
    __tracebackhide__ = True  # the report says it all
    result = _engine_result(o, "gradient vs mpmath")
    notes = []
    for k, grad in enumerate(result.gradient):
        if o.gradient_oracle().kink[k]:  # no derivative exists here; check_torch holds the engine to torch's convention
            notes.append("gradient vs mpmath not judged: kink or pole within the difference step")
            continue
        if not o.bounds.gradient[k] < VACUOUS:
            notes.append("gradient not judged: no useful bound (an intermediate may sink among the subnormals)")
            continue
        if not o.central_difference_usable(k):
            notes.append("gradient judged against mpmath's analytic derivative (central difference unresolved)")
        if not abs(grad - o.truth(k)[0]) <= o.gradient_allowed(k):
            raise CheckFailure(report(o, "gradient vs mpmath", f"d f / d x{k} differs from mpmath", failed=k))
    return notes


def check_torch(o: Oracles) -> list[str]:
    """Engine and torch agree: both are float64 engines, so each is within its bound of the truth."""
    __tracebackhide__ = True  # the report says it all
    result = _engine_result(o, "engine vs torch")
    if not abs(result.value - o.torch.value) <= o.value_allowed("torch"):
        raise CheckFailure(report(o, "engine vs torch", "the value differs from torch", failed="value", against="torch"))
    for k, grad in enumerate(result.gradient):
        # this holds at kinks too (relu at exactly 0), where the engine must follow torch's convention
        if not abs(grad - o.torch.gradient[k]) <= o.gradient_allowed(k, "torch"):
            raise CheckFailure(report(o, "engine vs torch", f"d f / d x{k} differs from torch", failed=k, against="torch"))
    return []


# ----- reports -----------------------------------------------------------------


def _fmt(x) -> str:
    return repr(float(x)) if isinstance(x, float) or not hasattr(x, "context") else x.context.nstr(x, 20)


def report(o: Oracles, check: str, what: str, *, failed, against: str = "mpmath") -> str:
    """A failure report: the check, the input, every backend's values, the error and the bound,
    and a reproducer that runs without the suite."""
    case, result = o.case, o.result
    n = case.expression.n_inputs
    rows = [("f", result.value if result else None, o.torch.value, o.true_value, o.value_allowed(against), 0.0)]
    for k in range(n):
        rows.append((f"df/dx{k}", result.gradient[k] if result else None, o.torch.gradient[k], o.truth(k)[0],
                     o.gradient_allowed(k, against), o.truth(k)[1]))
    header = f"{'':8} {'engine':>24} {'torch':>24} {'mpmath':>26} {'|error|':>10} {'allowed':>10}"
    lines = [f"{check} FAILED: {what}", f"engine under test: {o.engine.name}", "", case.expression.source(), ""]
    lines += ["inputs: " + ", ".join(f"x{k} = {x!r}" for k, x in enumerate(case.inputs)), "", header]
    for i, (label, mine, theirs, exact, allowed, oracle_error) in enumerate(rows):
        key = "value" if i == 0 else i - 1
        reference = theirs if against == "torch" else float(exact)
        error = abs(mine - reference) if mine is not None else math.nan
        mark = "  <-- FAILED" if key == failed else ""
        note = f" (oracle error {oracle_error:.1e})" if oracle_error and key != "value" else ""
        lines.append(f"{label:8} {_fmt(mine) if mine is not None else 'raised':>24} {_fmt(theirs):>24} "
                     f"{_fmt(exact):>26} {error:>10.2e} {allowed:>10.2e}{mark}{note}")
    lines += ["", "Reproducer (save as repro.py and run: python repro.py):", "", reproducer(o, against)]
    return "\n".join(lines)


def reproducer(o: Oracles, against: str = "mpmath") -> str:
    """A standalone script that shows the disagreement on the engine under test."""
    case = o.case
    n = case.expression.n_inputs
    if against == "torch":
        value, gradient = o.torch.value, list(o.torch.gradient)
        source = "torch (float64 autograd)"
    else:
        value, gradient = float(o.true_value), [o.truth(k)[0] for k in range(n)]
        source = f"mpmath ({DEFAULT_DPS} digits, central differences)"
    allowed_value = o.value_allowed(against)
    allowed_gradient = [o.gradient_allowed(k, against) for k in range(n)]
    return "\n".join([
        o.engine.import_line,
        "",
        case.expression.source(),
        "",
        f"inputs = {list(case.inputs)!r}  # exact: {[x.hex() for x in case.inputs]}",
        "leaves = [Value(x) for x in inputs]",
        "out = f(*leaves)",
        "out.backward()",
        f"expected_value = {value!r}  # {source}",
        f"expected_grad = {gradient!r}",
        f"allowed_value = {allowed_value!r}  # derived from the computation: see reference/error_bounds.py",
        f"allowed_grad = {allowed_gradient!r}",
        'print("value", out.data, "expected", expected_value, "error", abs(out.data - expected_value), "allowed", allowed_value)',
        "for k, leaf in enumerate(leaves):",
        '    print(f"d/dx{k}", leaf.grad, "expected", expected_grad[k], "error", abs(leaf.grad - expected_grad[k]), "allowed", allowed_grad[k])',
        "assert abs(out.data - expected_value) <= allowed_value, 'forward value'",
        "for k, leaf in enumerate(leaves):",
        "    assert abs(leaf.grad - expected_grad[k]) <= allowed_grad[k], f'gradient of x{k}'",
    ])


def judge(case: Case, engine: EngineUnderTest, *checks) -> list[str]:
    """Run ``checks`` on ``case``; returns what could not be judged, raises Skip or CheckFailure."""
    __tracebackhide__ = True  # the report says it all
    o = oracles(case, engine)
    return [reason for check in checks for reason in check(o)]


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
