"""Unit tests of engine.functions on this project's engine: the seed's numbers, errors, extremes, torch.

The laws (invariances, agreement with mpmath and torch at random points, on any engine) are
properties/test_softmax.py; here are the fixed cases.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F

from engine import Value, cross_entropy, log_softmax, softmax

U = 2.0**-53

# The seed notebook's example: logits [0, 3, -2, 1], label 3.
SEED_LOGITS = [0.0, 3.0, -2.0, 1.0]
SEED_PROBS = [0.04177257051535045, 0.839024507462532, 0.00565330266221633, 0.11354961935990122]
SEED_LOSS = 2.1755153626167147
SEED_GRADIENT = [0.041772570515350445, 0.8390245074625319, 0.005653302662216329, -0.8864503806400986]


def _tolerance(logits, magnitude):
    """A loose form of the bounds derived in properties/test_softmax.py: each of two float64
    implementations is within u (2 spread + |max| + n + 12) of the truth, relative to the
    magnitude (or 1), and SAFETY = 2 covers the second-order terms."""
    spread = max(logits) - min(logits)
    return 4 * U * (2 * spread + abs(max(logits)) + len(logits) + 12) * max(1.0, abs(magnitude))


def leaves(logits):
    return [Value(x) for x in logits]


def loss_and_gradient(logits, target):
    xs = leaves(logits)
    loss = cross_entropy(xs, target)
    loss.backward()
    return loss.data, [x.grad for x in xs]


def test_exported_from_engine():
    import engine

    assert {"softmax", "log_softmax", "cross_entropy"} <= set(engine.__all__)


# ----- the seed's numbers ------------------------------------------------------------------


def test_seed_loss_and_gradient():
    loss, grad = loss_and_gradient(SEED_LOGITS, 3)
    assert loss == pytest.approx(SEED_LOSS, abs=1e-12)
    assert grad == pytest.approx(SEED_GRADIENT, abs=1e-12)


def test_seed_probabilities():
    assert [p.data for p in softmax(leaves(SEED_LOGITS))] == pytest.approx(SEED_PROBS, abs=1e-12)
    expected = [math.log(p) for p in SEED_PROBS]
    assert [q.data for q in log_softmax(leaves(SEED_LOGITS))] == pytest.approx(expected, abs=1e-12)


def test_loss_is_minus_log_softmax_of_the_target():
    for target in range(4):
        loss, _ = loss_and_gradient(SEED_LOGITS, target)
        assert loss == -log_softmax(leaves(SEED_LOGITS))[target].data


# ----- errors ------------------------------------------------------------------------------


FUNCTIONS = {"softmax": softmax, "log_softmax": log_softmax, "cross_entropy": lambda xs: cross_entropy(xs, 0)}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_empty_list_is_a_value_error(name):
    with pytest.raises(ValueError, match=rf"^{name}: expected at least one logit, got an empty list$"):
        FUNCTIONS[name]([])


@pytest.mark.parametrize("target", [4, 100, -1, -5])
def test_target_out_of_range_is_an_index_error(target):
    message = rf"cross_entropy: target {target} is out of range for 4 logits \(valid: 0 to 3\)"
    with pytest.raises(IndexError, match=message):
        cross_entropy(leaves(SEED_LOGITS), target)


@pytest.mark.parametrize("target", [1.0, 3.0, "1", None, True, False, Value(1.0)])
def test_target_not_an_int_is_a_type_error(target):
    named = rf"cross_entropy: target must be an int class index, got {type(target).__name__} "
    with pytest.raises(TypeError, match=re.escape(named)):
        cross_entropy(leaves(SEED_LOGITS), target)


def test_empty_list_is_reported_before_the_target():
    with pytest.raises(ValueError, match="empty list"):
        cross_entropy([], 0)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_plain_numbers_are_a_type_error(name):
    with pytest.raises(TypeError, match=rf"^{name}: logit 1 is float 2\.0; expected Value-like scalars"):
        FUNCTIONS[name]([Value(1.0), 2.0])


def test_non_finite_logits_are_a_value_error():
    # Value refuses inf itself; another engine's scalars (here torch's) may hold it
    with pytest.raises(ValueError, match=r"softmax: logit 1 is inf; logits must be finite"):
        softmax([torch.tensor(0.0, dtype=torch.float64), torch.tensor(math.inf, dtype=torch.float64)])


# ----- extremes: no overflow, finite gradients ---------------------------------------------

EXTREMES = [
    [1000.0, -1000.0],
    [-1000.0, 1000.0, 0.0],
    [1000.0, 1000.0, 1000.0],
    [-1000.0, -1000.0],
    [1000.0, 999.0, -1000.0, 0.5],
    [0.0, 1e4],  # spreads of 1e4
    [-5000.0, 5000.0],
    [1000.0, 1000.0 - 1e4, 1000.0],
    [-1000.0, -1000.0 - 1e4],
    [709.0, 710.0, 800.0],  # exp overflows float64 from 709.8 on
    [-745.0, -746.0],  # and underflows from -745 on
]


@pytest.mark.parametrize("logits", EXTREMES, ids=str)
def test_extreme_logits_give_finite_results_and_gradients(logits):
    probs = [p.data for p in softmax(leaves(logits))]
    logs = [q.data for q in log_softmax(leaves(logits))]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert math.fsum(probs) == pytest.approx(1.0, abs=(len(logits) + 2) * U)  # see the sum-to-one property
    assert all(math.isfinite(q) and q <= 0.0 for q in logs)
    for target in range(len(logits)):
        loss, grad = loss_and_gradient(logits, target)
        assert math.isfinite(loss) and loss >= 0.0
        assert all(math.isfinite(g) for g in grad)
        # d loss / d x_i = softmax_i - [i == target], and sums to 0
        for i, (g, p) in enumerate(zip(grad, probs)):
            assert g == pytest.approx(p - (i == target), abs=_tolerance(logits, 1.0))
        assert math.fsum(grad) == pytest.approx(0.0, abs=_tolerance(logits, 1.0))


def test_exact_values_at_extremes():
    # exp(-1e4) underflows to 0: one class takes all the probability
    assert [p.data for p in softmax(leaves([1000.0, 1000.0 - 1e4]))] == [1.0, 0.0]
    assert [q.data for q in log_softmax(leaves([0.0, -1e4]))] == [0.0, -1e4]
    loss, grad = loss_and_gradient([1000.0, -9000.0], 1)
    assert (loss, grad) == (1e4, [1.0, -1.0])
    loss, grad = loss_and_gradient([1000.0, -9000.0], 0)
    assert (loss, grad) == (0.0, [0.0, 0.0])
    assert [p.data for p in softmax(leaves([1000.0] * 4))] == [0.25] * 4
    assert [p.data for p in softmax(leaves([-1000.0, -1000.0]))] == [0.5, 0.5]


def test_one_logit():
    assert [p.data for p in softmax(leaves([1000.0]))] == [1.0]
    assert [q.data for q in log_softmax(leaves([-1000.0]))] == [0.0]
    assert loss_and_gradient([123.0], 0) == (0.0, [0.0])


def test_ties_share_the_gradient():
    # the max is read from the data, a constant: a tie for the max needs no special gradient
    loss, grad = loss_and_gradient([2.0, 2.0], 0)
    assert loss == pytest.approx(math.log(2.0), abs=4 * U)
    assert grad == [-0.5, 0.5]


def test_any_iterable_of_values():
    assert [p.data for p in softmax(tuple(leaves(SEED_LOGITS)))] == [p.data for p in softmax(leaves(SEED_LOGITS))]
    assert cross_entropy(iter(leaves(SEED_LOGITS)), 3).data == cross_entropy(leaves(SEED_LOGITS), 3).data


def test_results_keep_the_engines_type():
    class Traced(Value):
        __slots__ = ()

    assert all(type(p) is Traced for p in softmax([Traced(x) for x in SEED_LOGITS]))
    assert type(cross_entropy([Traced(x) for x in SEED_LOGITS], 0)) is Traced


# ----- torch ---------------------------------------------------------------------------------

TORCH_CASES = [
    (SEED_LOGITS, 3),
    ([0.5], 0),
    ([1.0, 1.0, 1.0], 1),
    ([-3.25, 7.5, 0.0, 2.0, -1.0, 4.0], 4),
    ([1000.0, 999.5, -1000.0], 1),
    ([-1000.0, -1000.5, -999.0, -1001.0], 0),
    ([0.0, 1e4, 5e3], 2),
    ([float(k % 7) - 3.0 for k in range(20)], 13),
]


@pytest.mark.parametrize("logits, target", TORCH_CASES, ids=str)
def test_agrees_with_torch_functional(logits, target):
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    reference = F.cross_entropy(x, torch.tensor(target))
    reference.backward()
    loss, grad = loss_and_gradient(logits, target)
    assert loss == pytest.approx(reference.item(), abs=_tolerance(logits, loss))
    for mine, theirs in zip(grad, x.grad.tolist()):
        assert mine == pytest.approx(theirs, abs=_tolerance(logits, 1.0))
    for mine, theirs in zip(softmax(leaves(logits)), F.softmax(x.detach(), dim=0).tolist()):
        assert mine.data == pytest.approx(theirs, abs=_tolerance(logits, 1.0))
    for mine, theirs in zip(log_softmax(leaves(logits)), F.log_softmax(x.detach(), dim=0).tolist()):
        assert mine.data == pytest.approx(theirs, abs=_tolerance(logits, theirs))


@pytest.mark.parametrize("logits, target", TORCH_CASES, ids=str)
def test_runs_on_torch_tensors_too(logits, target):
    # the functions only use the scalars' own operations: on 0-dim tensors they are torch's autograd
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in logits]
    loss = cross_entropy(xs, target)
    loss.backward()
    mine, grad = loss_and_gradient(logits, target)
    assert loss.item() == pytest.approx(mine, abs=_tolerance(logits, mine))
    assert [x.grad.item() for x in xs] == pytest.approx(grad, abs=_tolerance(logits, 1.0))
