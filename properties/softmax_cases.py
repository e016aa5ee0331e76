"""Softmax, log-softmax and cross-entropy on the engine under test: the logits the properties draw,
the functions run on the active run's engine, and the comparisons whose failures blame can trace.
The properties themselves are in ``test_softmax.py``; the bound model is
:mod:`reference.softmax_bounds`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from hypothesis import event
from hypothesis import strategies as st

from properties.core.checks import CheckFailure, Oracles, check_forward, check_gradient, check_torch
from properties.core.engine_under_test import EngineUnderTest
from properties.core.reproducers import Reproducer
from properties.core.session import active
from properties.values import floats_in
from reference import functions
from reference.backends import EngineRaised, evaluate_torch
from reference.domains import FLOAT_MAX, Domain
from reference.error_bounds import ErrorBounds
from reference.expression import Case, trace
from reference.mp_backend import mp_gradient, mp_value

def engine() -> EngineUnderTest:
    """The engine under test: the active run's."""
    return active().engine


def as_leaves(logits: list[float]) -> list:
    """The logits as leaves of the engine under test."""
    return [engine().leaf(x) for x in logits]


def value_of(name: str) -> str:
    """Source reading the number of ``name`` as the engine's users write it (``p.data``)."""
    return engine().adapter.number_source(name)


def grad_of(name: str) -> str:
    """Source reading the gradient of ``name`` (``x.grad``)."""
    return engine().adapter.gradient_source(name)


def backward_of(name: str) -> str:
    """Source running backward from ``name`` (``loss.backward()``)."""
    return engine().adapter.backward_source(name)

# ----- logits ------------------------------------------------------------------------------

MAX_LOGITS = 20
SCALE = Domain(-1000.0, 1000.0)  # huge magnitudes: exp overflows float64 beyond 709.8
SPREAD = Domain(0.0, 1e4)  # distances below the largest logit
ORDINARY_LOGITS = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
LARGE = st.floats(500.0, SCALE.hi)  # where exp overflows (709.8) or underflows (-745)
# floats_in's edges (+-1000, 0, +-1, tiny) and every magnitude, or a large magnitude of either sign
HUGE = st.one_of(floats_in(SCALE), LARGE, LARGE.map(lambda x: -x))
SHAPES = ("ordinary", "huge", "clustered", "wide", "duplicates", "all equal")


@st.composite
def logit_lists(draw, max_len: int = MAX_LOGITS) -> list[float]:
    """1 to ``max_len`` logits of one shape: ordinary (in [-10, 10]); huge (any magnitude up to
    1000, +-1000 included); clustered (a huge common offset plus ordinary differences); wide
    (spread up to 1e4 below a huge offset); duplicates (drawn from 1 to 3 values); all equal.
    Shrinks towards few ordinary logits."""
    n = draw(st.integers(1, max_len))
    shape = draw(st.sampled_from(SHAPES))
    if shape == "ordinary":
        return [draw(ORDINARY_LOGITS) for _ in range(n)]
    if shape == "huge":
        return [draw(HUGE) for _ in range(n)]
    base = draw(HUGE)
    if shape == "clustered":
        return [base + draw(ORDINARY_LOGITS) for _ in range(n)]
    if shape == "wide":
        return [base - draw(floats_in(SPREAD)) for _ in range(n)]
    if shape == "duplicates":
        pool = [base] + [draw(HUGE) for _ in range(draw(st.integers(0, 2)))]
        return [pool[draw(st.integers(0, len(pool) - 1))] for _ in range(n)]
    return [base] * n


@st.composite
def loss_cases(draw) -> tuple[list[float], int]:
    """Logits and a target class."""
    logits = draw(logit_lists())
    return logits, draw(st.integers(0, len(logits) - 1))


SHIFTS = HUGE  # c up to +-1000: 0, tiny, ordinary and huge

# ----- the functions on the engine under test ----------------------------------------------


def softmax(logits: list) -> list:
    return functions.softmax(logits, engine().apply, engine().number)


def log_softmax(logits: list) -> list:
    return functions.log_softmax(logits, engine().apply, engine().number)


def cross_entropy(logits: list, target: int):
    return functions.cross_entropy(logits, target, engine().apply, engine().number)


def blame_softmax(j: int):
    return lambda xs: functions.softmax(xs)[j]


def blame_log_softmax(j: int):
    return lambda xs: functions.log_softmax(xs)[j]


def blame_loss(t: int):
    return lambda xs: functions.cross_entropy(xs, t)


def on_engine(compute, logits: list[float], blame, what: str):
    """``compute()`` on the engine; if the engine raises, a failure that blame can trace."""
    __tracebackhide__ = True
    try:
        return compute()
    except Exception as error:  # raised below, outside this block: hypothesis tells failures apart by their context
        raised = f"{type(error).__name__}: {error}"
    raise CheckFailure(f"{what}: the engine raised {raised}\nengine under test: {engine().name}\n"
                       + reproducer(f"print({what})", logits), label=what, case=traced(blame, logits), engine=engine())


def engine_softmax(logits: list[float]) -> list[float]:
    return on_engine(lambda: [engine().number(p) for p in softmax(as_leaves(logits))], logits,
                     [blame_softmax(j) for j in range(len(logits))], "softmax(logits)")


def engine_log_softmax(logits: list[float]) -> list[float]:
    return on_engine(lambda: [engine().number(q) for q in log_softmax(as_leaves(logits))], logits,
                     [blame_log_softmax(j) for j in range(len(logits))], "log_softmax(logits)")


def engine_loss(logits: list[float], target: int) -> tuple[float, list[float]]:
    """cross_entropy and its gradient."""

    def compute():
        leaves = as_leaves(logits)
        loss = cross_entropy(leaves, target)
        engine().backward(loss)
        return engine().number(loss), [engine().gradient(leaf) for leaf in leaves]

    return on_engine(compute, logits, blame_loss(target), f"cross_entropy(logits, {target})")


def engine_component(logits: list[float], j: int) -> tuple[float, list[float]]:
    """softmax(x)_j and its gradient (this exercises the division's backward)."""

    def compute():
        leaves = as_leaves(logits)
        p = softmax(leaves)[j]
        engine().backward(p)
        return engine().number(p), [engine().gradient(leaf) for leaf in leaves]

    return on_engine(compute, logits, blame_softmax(j), f"softmax(logits)[{j}]")


registry_apply = functions.registry_apply


LOG_FLOAT_MAX = math.log(FLOAT_MAX)  # 709.78: exp overflows float64 beyond it


def naive_softmax(logits, apply=None):
    """The seed notebook's softmax: no shift, so exp overflows beyond 709.8 (its sum() starts at 0)."""
    apply = apply or engine().apply
    counts = [apply("exp", logit) for logit in logits]
    denominator = apply("radd", counts[0], 0) if len(counts) == 1 else sum(counts)
    return [apply("truediv", c, denominator) for c in counts]


NAIVE_SOURCE = """def naive_softmax(logits):  # the seed notebook's
    counts = [logit.exp() for logit in logits]
    denominator = sum(counts)
    return [c / denominator for c in counts]
"""


def reproducer(call: str, logits: list[float], naive: bool = False) -> str:
    a = engine().adapter
    text = functions.source(engine().templates, f"float({a.number_source('x')})", "m" if a.numbers else a.leaf_source("m"))
    script = Reproducer(engine()).line(text + (NAIVE_SOURCE if naive else ""),
                                        f"logits = [{engine().adapter.leaf_source('x')} for x in {logits!r}]", call)
    return "Reproducer (runs without gradproof):\n" + script.text()


def traced(blame, logits: list[float]) -> list[Case]:
    """The computations (functions of the logits) as expressions of registry ops: what blame
    inspects, one after the other, until one of them shows the op at fault."""
    cases = []
    for fn in blame if isinstance(blame, list) else [blame]:
        try:
            cases.append(Case(trace(lambda *xs, _fn=fn: _fn(list(xs)), logits), tuple(logits)))
        except Exception:  # the exact computation leaves an op's domain: nothing to blame on
            pass
    return cases


def assert_close(what: str, got: float, expected: float, allowed: float, logits: list[float], call: str, *,
                 truth: Any = None, against: str = "mpmath", blame: Any = None, naive: bool = False,
                 also: list[float] | None = None) -> None:
    """|got - expected| <= allowed.  ``expected`` is the truth (mpmath or torch), or, for a law
    that compares the engine with itself, the engine's other result: then ``truth`` is shown too.
    ``blame`` is a function of the logits that computed ``got`` (blame traces it)."""
    __tracebackhide__ = True
    error = float(abs(got - expected))  # expected may be an mpmath number: the difference is taken exactly
    if error <= allowed:
        return
    if truth is None:
        detail = f"got {got!r}, expected {float(expected)!r} ({against})"
    else:
        detail = f"got {got!r} and {float(expected)!r}, which must agree; the truth is {float(truth)!r} (mpmath)"
    message = (f"{what}: {detail}: |error| {error:.3e} > allowed {allowed:.3e}\n"
               f"engine under test: {engine().name}\n" + reproducer(call, logits, naive))
    cases = (traced(blame, logits) + (traced(blame, also) if also else [])) if blame else []
    raise CheckFailure(message, label=what, case=cases, engine=engine())


# ----- through properties.core.checks: mpmath central differences, torch, and the failure reports ---
#
# reference.error_bounds cannot analyse these tapes yet: it gives x_max - m (an exact 0) an
# error of eta, and exp then finds that error "too large for a first-order bound" relative to
# |0|, so oracles() would skip every example.  The bounds are therefore the ones derived above,
# handed to the same checks (which add SAFETY, the central difference's own error, and twice
# the bound for torch running this same function on float64 tensors).

# Gradient components below _TINY_GRADIENT are judged against mpmath's analytic derivative (as
# check_gradient does wherever the central difference is unresolved): resolving them would take
# hundreds of digits per input, and where the loss itself rounds to 0 at the working precision
# mp_gradient reports their unresolved difference as an exact 0 with no error.
_TINY_GRADIENT = 1e-30


def params_text(n: int) -> str:
    """``x0, x1, ...``: the parameters of a function of ``n`` logits."""
    return ", ".join(f"x{k}" for k in range(n))


class _Oracles(Oracles):
    """The oracles of a softmax case: the central differences, computed only where the engine
    disagrees with the exact adjoints (as :func:`properties.core.checks.oracles` does), hold the
    components below _TINY_GRADIENT to the adjoints."""

    def gradient_oracle(self):
        if self.mp is None:
            adjoints = self.bounds.adjoints
            tiny = [abs(g) < _TINY_GRADIENT for g in adjoints]
            mp = mp_gradient(self.case.expression, self.case.inputs,
                             expected=[0 if t else g for t, g in zip(tiny, adjoints)])
            self.mp = replace(mp, gradient_error=tuple(mp.ctx.inf if t else e for t, e in zip(tiny, mp.gradient_error)),
                              kink=tuple(k and not t for t, k in zip(tiny, mp.kink)))
        return self.mp


def judge(case: Case, value_bound: float, gradient_bounds: list[float], adjoints: list) -> None:
    __tracebackhide__ = True  # the report says it all
    bounds = ErrorBounds(value_bound, tuple(gradient_bounds), tuple(adjoints))
    result, error = None, None
    try:
        result = engine().evaluate(case.expression, case.inputs)
    except EngineRaised as exc:  # reported as a failure by every check
        error = exc
    exact = mp_value(case.expression, case.inputs)[0].value
    o = _Oracles(case, engine(), None, bounds, result, error, evaluate_torch(case.expression, case.inputs),
                 exact_value=exact)
    for check in (check_forward, check_gradient, check_torch):
        for reason in check(o):
            event(reason)
