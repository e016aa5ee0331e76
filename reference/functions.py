"""Softmax, log-softmax and cross-entropy as the suite builds them from an engine's own ops.

The same code runs on any micrograd-style engine, on float64 torch tensors and on the
mpmath backend: every op goes through ``apply(op, *operands)`` (default: the op registry's
own spelling, ``x.exp()``, ``a - b``), so an engine that spells ``log`` as ``ln`` is
verified through its ``ln``.

Numerically stable: every logit is shifted by the largest one, m = max x_j, a plain
float read from the data: a constant that cancels (softmax(x - m) = softmax(x)), so the
gradients are those of softmax(x); exp(x_i - m) <= 1 cannot overflow while the sum is
>= 1, so log cannot see 0.

``SOURCE`` is the same three functions as text, with plain operators and methods, for
reproducers that must run without this suite.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from reference.expression import number_of
from reference.ops import REGISTRY

Apply = Callable[..., Any]
Number = Callable[[Any], float]  # the float a scalar holds


def registry_apply(op: str, *operands: Any) -> Any:
    return REGISTRY[op].call(*operands)


def _shifted(logits: Sequence, apply: Apply, number: Number = number_of) -> tuple[list, Any, list]:
    """z_i = x_i - max(x), e_i = exp(z_i) and their sum s = e_0 + e_1 + ..."""
    if not logits:
        raise ValueError("expected at least one logit, got an empty list")
    m = max(number(x) for x in logits)  # a constant shift: it cancels in every result below
    z = [apply("sub", x, m) for x in logits]  # z_i = x_i - m <= 0
    e = [apply("exp", zi) for zi in z]  # e_i in [0, 1]: cannot overflow
    s = e[0]
    for ei in e[1:]:
        s = apply("add", s, ei)  # s in [1, n]: log s >= 0 is finite
    return z, s, e


def softmax(logits: Sequence, apply: Apply = registry_apply, number: Number = number_of) -> list:
    """p_i = exp(x_i - m) / sum_j exp(x_j - m).  ``number`` reads the float a scalar holds."""
    _, s, e = _shifted(logits, apply, number)
    return [apply("truediv", ei, s) for ei in e]


def log_softmax(logits: Sequence, apply: Apply = registry_apply, number: Number = number_of) -> list:
    """log p_i = (x_i - m) - log sum_j exp(x_j - m)."""
    z, s, _ = _shifted(logits, apply, number)
    log_s = apply("log", s)
    return [apply("sub", zi, log_s) for zi in z]


def cross_entropy(logits: Sequence, target: int, apply: Apply = registry_apply, number: Number = number_of) -> Any:
    """-log_softmax(logits)[target], computed as log s - z_t; d/dx_i = softmax(x)_i - [i == target]."""
    z, s, _ = _shifted(logits, apply, number)
    return apply("sub", apply("log", s), z[target])


SOURCE = '''\
def _shifted(logits):
    m = max({number} for x in logits)
    z = [x - {shift} for x in logits]
    e = [zi.exp() for zi in z]
    s = e[0]
    for ei in e[1:]:
        s = s + ei
    return z, s, e


def softmax(logits):
    _, s, e = _shifted(logits)
    return [ei / s for ei in e]


def log_softmax(logits):
    z, s, _ = _shifted(logits)
    log_s = s.log()
    return [zi - log_s for zi in z]


def cross_entropy(logits, target):
    z, s, _ = _shifted(logits)
    return s.log() - z[target]
'''


def source(templates: dict[str, str] | None = None, number: str = "float(x.data)", shift: str = "m") -> str:
    """:data:`SOURCE` with an engine's own method names (``{"log": "{0}.ln()"}``), its way of
    reading a logit's number (``x.value``) and of making the shift an operand (``Value(m)``)."""
    from reference.expression import respell

    return respell(SOURCE.replace("{number}", number).replace("{shift}", shift), templates or {})
