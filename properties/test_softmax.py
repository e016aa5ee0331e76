"""Softmax, log-softmax and cross-entropy (reference.functions) on the engine under test, and their laws.

The functions are generic: they are built from whatever ``Value`` class
``--engine`` selects, through its own spelling of each op, so these properties
verify that engine's exp, log, -, + and / as they compose into a softmax.  An
engine without one of those ops has the whole module reported as skipped.
Every failure names the truth (mpmath or torch) as what was expected, and its
reproducer inlines the few lines of softmax it needs.

Every tolerance is derived from the float64 computation (see "Error bounds"),
never guessed: a correct engine stays inside it, a bug of 1e-10 relative does
not.  Comparisons of two float64 results allow the sum of their two bounds;
comparisons with the truth (mpmath) allow one.  SAFETY (2, from
properties.checks) covers the second-order terms that first-order bounds drop.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import event, given, note
from hypothesis import strategies as st

from properties.core.checks import SAFETY, CheckFailure
from properties.softmax_cases import (
    LOG_FLOAT_MAX, SHIFTS, assert_close, blame_log_softmax, blame_loss, blame_softmax, engine_component,
    engine_log_softmax, engine_loss, engine_softmax, judge, logit_lists, loss_cases, naive_softmax, params_text,
    registry_apply, reproducer, traced, as_leaves, engine, value_of, grad_of, backward_of,
)
from reference import functions
from reference.expression import Case, Function
from reference.softmax_bounds import ETA, T, U, exact, gamma, point

BUILT_FROM = ("add", "sub", "truediv", "exp", "log")  # what softmax, log_softmax and cross_entropy are built from
pytestmark = [
    pytest.mark.op(*BUILT_FROM),  # kept by --op for any of them
    pytest.mark.needs(*BUILT_FROM),
]


# ----- the laws ------------------------------------------------------------------------------


@given(logit_lists())
def test_probabilities_lie_in_unit_interval_and_sum_to_one(logits):
    # The same computed e_i are in every numerator and in s, so their errors (and the shift's)
    # cancel: sum_i e_i / s_computed lies in [1 / (1 + gamma(n-1)), 1 / (1 - gamma(n-1))], each
    # division adds gamma(2) (a * (1/b) included) and at most eta among the subnormals, and
    # math.fsum rounds once (u).  A rigorous bound, growing with the length; no SAFETY needed.
    # Each p_i >= 0 exactly, and p_i <= 1 + gamma(2): a rounded sum of nonnegative terms is at
    # least each of them, so e_i / s <= 1 before the division's own rounding.
    p = engine_softmax(logits)
    n = len(logits)
    truth = exact(logits)
    for i, pi in enumerate(p):
        if not 0.0 <= pi <= 1.0 + gamma(2):
            assert_close(f"softmax[{i}] in [0, 1]", pi, truth.p[i], 0.0, logits, "print(softmax(logits))",
                         blame=blame_softmax(i))
    high = (1 + gamma(2)) / (1 - gamma(n - 1)) + n * ETA
    low = (1 - gamma(2)) / (1 + gamma(n - 1)) - n * ETA
    allowed = max(high * (1 + U) - 1, 1 - low * (1 - U))
    call = f"import math; print(math.fsum({value_of('p')} for p in softmax(logits)))"
    assert_close("sum of the probabilities", math.fsum(p), 1.0, allowed, logits, call,
                 blame=[blame_softmax(j) for j in range(n)])


@given(loss_cases(), SHIFTS)
def test_shift_invariance(case, c):
    # softmax(x + c) = softmax(x) exactly, but x_i + c rounds, by tau_i <= u |fl(x_i + c)|, and
    # softmax(x + tau) moves by dp_j = p_j (tau_j - sum_k p_k tau_k), log p_j by tau_j - sum_k p_k tau_k:
    # the allowed difference scales with max |x_i + c| u, plus each side's own bound.
    logits, t = case
    shifted = [x + c for x in logits]
    note(f"shifted logits: {shifted!r}")
    a, b = point(logits), point(shifted)
    tau = [U * abs(x) for x in shifted]
    mean_tau = math.fsum(p * v for p, v in zip(a.p, tau))
    move_log = [v + mean_tau for v in tau]
    move_p = [p * v for p, v in zip(a.p, move_log)]
    truth = exact(logits)
    shift = engine().adapter.leaf_source(f"{value_of('x')} + {c!r}")
    call = f"print(softmax(logits), softmax([{shift} for x in logits]))"
    for j, (p, q, ba, bb) in enumerate(zip(engine_softmax(logits), engine_softmax(shifted), a.softmax(), b.softmax())):
        allowed = SAFETY * (ba + bb + move_p[j])
        assert_close(f"softmax(x + c)[{j}] vs softmax(x)[{j}], c = {c!r}", q, p, allowed, logits, call,
                     truth=truth.p[j], blame=blame_softmax(j), also=shifted)
    lps = zip(engine_log_softmax(logits), engine_log_softmax(shifted), a.log_softmax(), b.log_softmax())
    for j, (p, q, ba, bb) in enumerate(lps):
        allowed = SAFETY * (ba + bb + move_log[j])
        assert_close(f"log_softmax(x + c)[{j}] vs log_softmax(x)[{j}], c = {c!r}", q, p, allowed, logits, call,
                     truth=truth.lp[j], blame=blame_log_softmax(j), also=shifted)
    (loss, grad), (loss_c, grad_c) = engine_loss(logits, t), engine_loss(shifted, t)
    call = f"loss = cross_entropy(logits, {t}); {backward_of('loss')}; print(loss, [{grad_of('x')} for x in logits])"
    allowed = SAFETY * (a.loss(t) + b.loss(t) + move_log[t])
    assert_close(f"cross_entropy(x + c, {t}) vs cross_entropy(x, {t}), c = {c!r}", loss_c, loss, allowed, logits, call,
                 truth=-truth.lp[t], blame=blame_loss(t), also=shifted)
    true_gradient = truth.loss_gradient(t)
    for i, (g, h, ba, bb) in enumerate(zip(grad, grad_c, a.loss_gradient(t), b.loss_gradient(t))):
        allowed = SAFETY * (ba + bb + move_p[i])
        assert_close(f"d loss / d x{i} at x + c vs at x, c = {c!r}", h, g, allowed, logits, call,
                     truth=true_gradient[i], blame=blame_loss(t), also=shifted)


@given(loss_cases())
def test_loss_gradient_is_softmax_minus_onehot_and_sums_to_zero(case):
    # Each of the engine's gradient and softmax is within its bound of the same truth
    # p_i - [i = t] (resp. p_i); the sum of the gradient is within the sum of the bounds of 0.
    # math.fsum adds no error worth counting (it rounds the exact sum once).
    logits, t = case
    a = point(logits)
    loss, grad = engine_loss(logits, t)
    p = engine_softmax(logits)
    bound_g, bound_p = a.loss_gradient(t), a.softmax()
    call = f"loss = cross_entropy(logits, {t}); {backward_of('loss')}; print([{grad_of('x')} for x in logits], softmax(logits))"
    blame = [blame_loss(t)] + [blame_softmax(j) for j in range(len(logits))]
    assert_close("sum of the gradient", math.fsum(grad), 0.0, SAFETY * math.fsum(bound_g), logits, call, blame=blame)
    for i, (g, pi) in enumerate(zip(grad, p)):
        onehot = 1.0 if i == t else 0.0
        difference = math.fsum([g, -pi, onehot])  # g - (p - onehot), rounded once
        assert_close(f"d loss / d x{i} - (softmax[{i}] - onehot[{i}])", difference, 0.0,
                     SAFETY * (bound_g[i] + bound_p[i]), logits, call, blame=blame)


@given(loss_cases(), st.data())
def test_permutation_equivariance(case, data):
    # Permuting the logits permutes every result: softmax(x[order])[k] = softmax(x)[order[k]],
    # the loss with the target moved along is unchanged, and so is each gradient component.
    # Only the order of the sum changes; each side is within its own bound of the same truth.
    logits, t = case
    order = data.draw(st.permutations(range(len(logits))), label="order")
    permuted = [logits[i] for i in order]
    t_permuted = order.index(t)
    a, b = point(logits), point(permuted)
    call = f"print(softmax(logits), softmax([logits[i] for i in {order!r}]))"
    p, q = engine_softmax(logits), engine_softmax(permuted)
    lp, lq = engine_log_softmax(logits), engine_log_softmax(permuted)
    (bp, bq), (blp, blq) = (a.softmax(), b.softmax()), (a.log_softmax(), b.log_softmax())
    truth = exact(logits)
    for k, i in enumerate(order):
        assert_close(f"softmax(x[order])[{k}] vs softmax(x)[{i}]", q[k], p[i], SAFETY * (bp[i] + bq[k]), logits, call,
                     truth=truth.p[i], blame=blame_softmax(i))
        assert_close(f"log_softmax(x[order])[{k}] vs log_softmax(x)[{i}]", lq[k], lp[i],
                     SAFETY * (blp[i] + blq[k]), logits, call, truth=truth.lp[i], blame=blame_log_softmax(i))
    (loss, grad), (loss_q, grad_q) = engine_loss(logits, t), engine_loss(permuted, t_permuted)
    call = f"print(cross_entropy(logits, {t}), cross_entropy([logits[i] for i in {order!r}], {t_permuted}))"
    assert_close("cross_entropy(x[order], t') vs cross_entropy(x, t)", loss_q, loss,
                 SAFETY * (a.loss(t) + b.loss(t_permuted)), logits, call, truth=-truth.lp[t], blame=blame_loss(t))
    bg, bh = a.loss_gradient(t), b.loss_gradient(t_permuted)
    true_gradient = truth.loss_gradient(t)
    for k, i in enumerate(order):
        assert_close(f"d loss / d x[order][{k}] vs d loss / d x{i}", grad_q[k], grad[i],
                     SAFETY * (bg[i] + bh[k]), logits, call, truth=true_gradient[i], blame=blame_loss(t))


def _all_finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


@pytest.mark.needs("radd")  # the seed's sum() starts at 0
@given(loss_cases())
def test_stable_functions_agree_with_the_seeds_naive_softmax_where_it_is_finite(case):
    # Where the naive softmax overflows (exp beyond 709.8) or its sum underflows to 0, the stable
    # functions must still give finite values and gradients.  Where it is finite (and so is its exact
    # value: an exp that returns a number beyond 709.8 is exp's own finding), both are within
    # their bounds of the same truth (the naive one's bound: Point.naive_softmax), and so is the
    # seed's loss -log(naive p_t): relative error r of p_t moves its log by -log(1 - r) at most,
    # and the log rounds by T u.
    logits, t = case
    a = point(logits)
    p, lp = engine_softmax(logits), engine_log_softmax(logits)
    loss, grad = engine_loss(logits, t)
    truth = exact(logits)
    if not (_all_finite(p) and _all_finite(lp) and _all_finite([loss]) and _all_finite(grad)):
        raise CheckFailure(f"non-finite result: softmax {p}, log_softmax {lp}, loss {loss}, gradient {grad}\n"
                           + reproducer(f"loss = cross_entropy(logits, {t}); {backward_of('loss')}", logits),
                           label="stable softmax stays finite", engine=engine(),
                           case=traced([blame_loss(t)] + [blame_softmax(j) for j in range(len(logits))], logits))
    try:
        probabilities = naive_softmax(as_leaves(logits))
        naive = [engine().number(v) for v in probabilities]
        naive_loss = -engine().number(engine().apply("log", probabilities[t]))  # the seed's loss: -probs[t].log()
    except Exception as error:  # exp or the sum overflows; 0 / 0; log(0): inputs an engine may refuse any way it
        # likes (ValueError, OverflowError, scalargrad's `assert self.data > 0`)
        event(f"naive softmax fails ({type(error).__name__}); the stable functions stay finite")
        return
    if not (_all_finite(naive) and math.isfinite(naive_loss)):
        event("naive softmax is not finite; the stable functions stay finite")
        return
    if max(logits) > LOG_FLOAT_MAX or a.m + a.ell > LOG_FLOAT_MAX:  # an exp(x_i) or their sum overflows
        event("naive softmax finite where exp overflows: exp's own properties judge that; not compared")
        return
    bound = a.naive_softmax()
    if bound is None:
        event("naive softmax finite but its sum is subnormal: not compared")
        return
    event("naive softmax finite: compared")
    # each against the truth: the naive formula is no oracle (where it is wrong, the stable one is right)
    call = "print(naive_softmax(logits))"
    for i, (theirs, b) in enumerate(zip(naive, bound)):
        assert_close(f"the seed's naive softmax[{i}] vs mpmath", theirs, truth.p[i], SAFETY * b, logits, call,
                     blame=lambda xs, i=i: naive_softmax(xs, registry_apply)[i], naive=True)
    if naive[t] == 0.0:  # p_t underflowed: the seed's loss is -log(0), outside log's domain
        event("naive softmax[t] underflows to 0: the seed's loss is not defined")
        return
    r = bound[t] / a.p[t] if a.p[t] else math.inf
    if r < 0.5:
        allowed = SAFETY * (-math.log1p(-r) + T * U * abs(naive_loss) + ETA)
        assert_close("the seed's loss -log(naive softmax[t]) vs mpmath", naive_loss, -truth.lp[t], allowed, logits,
                     f"print(-naive_softmax(logits)[{t}].log())", naive=True,
                     blame=lambda xs: -registry_apply("log", naive_softmax(xs, registry_apply)[t]))


@given(loss_cases(), st.data())
def test_agrees_with_torch_functional(case, data):
    # torch.nn.functional in float64 is another correct implementation: each is within its own
    # bound of the truth (Point.torch_*: torch may associate differently), so they differ by at
    # most the sum.  Forward: softmax, log_softmax, cross_entropy; backward: cross_entropy and one
    # component of softmax (which goes through the division).
    logits, t = case
    j = data.draw(st.integers(0, len(logits) - 1), label="softmax component")
    a = point(logits)
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    reference = F.cross_entropy(x, torch.tensor(t))
    reference.backward()
    torch_p = F.softmax(x.detach(), dim=0).tolist()
    torch_lp = F.log_softmax(x.detach(), dim=0).tolist()
    y = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    F.softmax(y, dim=0)[j].backward()
    call = "print(softmax(logits), log_softmax(logits))"
    for i, (mine, theirs, b, bt) in enumerate(zip(engine_softmax(logits), torch_p, a.softmax(), a.torch_softmax())):
        assert_close(f"softmax[{i}] vs torch", mine, theirs, SAFETY * (b + bt), logits, call, against="torch",
                     blame=blame_softmax(i))
    bounds = zip(a.log_softmax(), a.torch_log_softmax())
    for i, (mine, theirs, (b, bt)) in enumerate(zip(engine_log_softmax(logits), torch_lp, bounds)):
        assert_close(f"log_softmax[{i}] vs torch", mine, theirs, SAFETY * (b + bt), logits, call, against="torch",
                     blame=blame_log_softmax(i))
    loss, grad = engine_loss(logits, t)
    call = f"loss = cross_entropy(logits, {t}); {backward_of('loss')}; print(loss, [{grad_of('x')} for x in logits])"
    assert_close("cross_entropy vs torch", loss, reference.item(), SAFETY * (a.loss(t) + a.torch_log_softmax()[t]),
                 logits, call, against="torch", blame=blame_loss(t))
    bounds = zip(a.loss_gradient(t), a.torch_loss_gradient(t))
    for i, (mine, theirs, (b, bt)) in enumerate(zip(grad, x.grad.tolist(), bounds)):
        assert_close(f"d cross_entropy / d x{i} vs torch", mine, theirs, SAFETY * (b + bt), logits, call,
                     against="torch", blame=blame_loss(t))
    _, grad_j = engine_component(logits, j)
    call = f"p = softmax(logits)[{j}]; {backward_of('p')}; print([{grad_of('x')} for x in logits])"
    bounds = zip(a.component_gradient(j), a.torch_component_gradient(j))
    for i, (mine, theirs, (b, bt)) in enumerate(zip(grad_j, y.grad.tolist(), bounds)):
        assert_close(f"d softmax[{j}] / d x{i} vs torch", mine, theirs, SAFETY * (b + bt), logits, call,
                     against="torch", blame=blame_softmax(j))


@given(logit_lists())
def test_softmax_and_log_softmax_agree_with_mpmath(logits):
    # Each component within its derived bound of the truth (40 digits: exact at this scale).
    a, truth = point(logits), exact(logits)
    for i, (mine, true, b) in enumerate(zip(engine_softmax(logits), truth.p, a.softmax())):
        assert_close(f"softmax[{i}] vs mpmath", mine, true, SAFETY * b, logits, "print(softmax(logits))",
                     blame=blame_softmax(i))
    for i, (mine, true, b) in enumerate(zip(engine_log_softmax(logits), truth.lp, a.log_softmax())):
        assert_close(f"log_softmax[{i}] vs mpmath", mine, true, SAFETY * b, logits, "print(log_softmax(logits))",
                     blame=blame_log_softmax(i))


@given(loss_cases())
def test_loss_and_gradient_agree_with_mpmath_and_torch(case):
    logits, t = case
    n = len(logits)
    text = f"{functions.source()}\n\ndef f({params_text(n)}):\n    return cross_entropy([{params_text(n)}], {t})"
    function = Function(lambda *xs, apply, number: functions.cross_entropy(list(xs), t, apply, number), n, text)
    a = point(logits)
    judge(Case(function, tuple(logits)), a.loss(t), a.loss_gradient(t), exact(logits).loss_gradient(t))


@given(loss_cases())
def test_softmax_component_and_gradient_agree_with_mpmath_and_torch(case):
    logits, j = case
    n = len(logits)
    text = f"{functions.source()}\n\ndef f({params_text(n)}):\n    return softmax([{params_text(n)}])[{j}]"
    function = Function(lambda *xs, apply, number: functions.softmax(list(xs), apply, number)[j], n, text)
    a = point(logits)
    judge(Case(function, tuple(logits)), a.softmax()[j], a.component_gradient(j), exact(logits).component_gradient(j))


# ----- the seed's numbers --------------------------------------------------------------------

SEED_LOGITS = [0.0, 3.0, -2.0, 1.0]
SEED_TARGET = 3
SEED_LOSS = 2.1755153626167147
SEED_GRADIENT = [0.041772570515350445, 0.8390245074625319, 0.005653302662216329, -0.8864503806400986]


def test_the_seeds_numbers():
    # The seed's numbers are float64 results themselves: the engine may differ from them by its
    # own bound plus their (measured) distance from the truth.
    a, truth = point(SEED_LOGITS), exact(SEED_LOGITS)
    loss, grad = engine_loss(SEED_LOGITS, SEED_TARGET)
    call = (f"loss = cross_entropy(logits, {SEED_TARGET}); {backward_of('loss')}; "
            f"print(loss, [{grad_of('x')} for x in logits])")
    allowed = SAFETY * a.loss(SEED_TARGET) + float(abs(SEED_LOSS + truth.lp[SEED_TARGET]))
    assert_close("the seed's loss", loss, SEED_LOSS, allowed, SEED_LOGITS, call, blame=blame_loss(SEED_TARGET))
    true_gradient = truth.loss_gradient(SEED_TARGET)
    for i, (g, seed) in enumerate(zip(grad, SEED_GRADIENT)):
        allowed = SAFETY * a.loss_gradient(SEED_TARGET)[i] + float(abs(seed - true_gradient[i]))
        assert_close(f"the seed's d loss / d x{i}", g, seed, allowed, SEED_LOGITS, call, blame=blame_loss(SEED_TARGET))
