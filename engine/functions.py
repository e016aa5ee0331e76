"""Softmax, log-softmax and cross-entropy, built from a Value's own operations.

They take a list of micrograd-style scalars and use only their operators and
methods (``-``, ``+``, ``/``, ``exp()``, ``log()``), so gradients flow through
them on any engine, and the same code runs on float64 torch tensors and on the
suite's mpmath scalars.

Numerically stable: every logit is shifted by the largest one, m = max x_j.
The shift is a plain float read from the data, a constant that cancels
(softmax(x - m) = softmax(x)), so the gradients are those of softmax(x); and
exp(x_i - m) <= 1 cannot overflow while the sum is >= 1, so log cannot see 0.
"""

from __future__ import annotations

import math
from numbers import Integral


def _number(x) -> float:
    """The float value of a scalar: ``.data`` of a Value (or a tensor), else ``float(x)``."""
    return float(getattr(x, "data", x))


def _checked(logits, name: str) -> list:
    """The logits as a list, or a clear error: empty, not Value-like, or not finite."""
    logits = list(logits)
    if not logits:
        raise ValueError(f"{name}: expected at least one logit, got an empty list")
    for i, x in enumerate(logits):
        if not callable(getattr(x, "exp", None)):
            raise TypeError(
                f"{name}: logit {i} is {type(x).__name__} {x!r}; expected Value-like scalars, e.g. Value({x!r})"
            )
        if not math.isfinite(value := _number(x)):
            raise ValueError(f"{name}: logit {i} is {value!r}; logits must be finite")
    return logits


def _shifted(logits: list) -> tuple[list, object, list]:
    """z_i = x_i - max(x), e_i = exp(z_i) and their sum s."""
    m = max(_number(x) for x in logits)  # a constant shift: it cancels in every result below
    z = [x - m for x in logits]  # z_i = x_i - m <= 0, and 0 for the largest logit
    e = [zi.exp() for zi in z]  # e_i = exp(z_i) in [0, 1]: cannot overflow
    return z, sum(e[1:], e[0]), e  # s = sum_j e_j in [1, n]: log s >= 0 is finite


def softmax(logits) -> list:
    """p_i = exp(x_i) / sum_j exp(x_j), computed as exp(x_i - m) / sum_j exp(x_j - m)."""
    _, s, e = _shifted(_checked(logits, "softmax"))
    return [ei / s for ei in e]  # p_i = e_i / s


def log_softmax(logits) -> list:
    """log p_i = x_i - log sum_j exp(x_j), computed as (x_i - m) - log sum_j exp(x_j - m)."""
    z, s, _ = _shifted(_checked(logits, "log_softmax"))
    log_s = s.log()  # log sum_j exp(z_j) >= 0
    return [zi - log_s for zi in z]  # log p_i = z_i - log s


def cross_entropy(logits, target: int):
    """The negative log-likelihood of class ``target``: -log_softmax(logits)[target].

    d/dx_i = softmax(x)_i - [i == target].
    """
    logits = _checked(logits, "cross_entropy")
    if isinstance(target, bool) or not isinstance(target, Integral):
        raise TypeError(f"cross_entropy: target must be an int class index, got {type(target).__name__} {target!r}")
    if not 0 <= target < len(logits):
        raise IndexError(
            f"cross_entropy: target {target} is out of range for {len(logits)} logits (valid: 0 to {len(logits) - 1})"
        )
    z, s, _ = _shifted(logits)
    return s.log() - z[target]  # -log p_t = log s - z_t
