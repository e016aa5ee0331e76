"""The seed notebook's numbers on every backend: the engine, torch and mpmath."""

import pytest

from engine import Value
from properties.core.adapters import Attributes
from reference.backends import evaluate_engine, evaluate_torch
from reference.mp_backend import mp_gradient

SEED_INPUTS = (2.0, 3.0, 4.0)
SEED_VALUE = 6.336362190988558
SEED_GRADIENT = [-12.353553390593273, 10.25699027111255, 0.0625]
LOGITS = (0.0, 3.0, -2.0, 1.0)
NLL = 2.1755153626167147
NLL_GRADIENT = [0.041772570515350445, 0.8390245074625319, 0.005653302662216329, -0.8864503806400986]


def seed_f(a, b, c):
    return -a**3 + (b * 3).sin() - 1.0 / c + b**2.5 - a**0.5


def seed_nll(*logits):
    """The seed's softmax and negative log likelihood with label 3, exactly as written there."""
    counts = [logit.exp() for logit in logits]
    denominator = sum(counts)
    probs = [c / denominator for c in counts]
    return -probs[3].log()


def mp_evaluate(fn, inputs):
    result = mp_gradient(fn, inputs)
    return float(result.value), [float(g) for g in result.gradient]


@pytest.mark.parametrize("backend", ["engine", "torch", "mpmath"])
@pytest.mark.parametrize("fn, inputs, value, gradient", [
    (seed_f, SEED_INPUTS, SEED_VALUE, SEED_GRADIENT),
    (seed_nll, LOGITS, NLL, NLL_GRADIENT),
], ids=["f(2, 3, 4)", "softmax-nll"])
def test_seed_numbers(backend, fn, inputs, value, gradient):
    if backend == "engine":
        result = evaluate_engine(Attributes(Value), fn, inputs)
        got_value, got_gradient = result.value, list(result.gradient)
    elif backend == "torch":
        result = evaluate_torch(fn, inputs)
        got_value, got_gradient = result.value, list(result.gradient)
    else:
        got_value, got_gradient = mp_evaluate(fn, inputs)
    assert got_value == pytest.approx(value, abs=1e-12)
    assert got_gradient == pytest.approx(gradient, abs=1e-12)
