"""One expression on the engine under test and on torch.

An expression is any Python function of scalars written with operators and
methods, e.g. ``lambda a, b: (b * 3).sin() - a ** 0.5``; it runs unchanged on a
micrograd-style ``Value`` class, on float64 torch tensors and on the mpmath
backend (:mod:`reference.mp_backend`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class Evaluation:
    """A float64 backend's forward value and gradient (one entry per input)."""

    value: float
    gradient: tuple[float, ...]


def evaluate_engine(value_type: type, fn: Callable, inputs: Sequence[float]) -> Evaluation:
    """Run ``fn`` on fresh leaves of ``value_type`` and backpropagate from its result."""
    leaves = [value_type(float(x)) for x in inputs]
    out = fn(*leaves)
    if not isinstance(out, value_type):
        raise TypeError(f"the expression returned {type(out).__name__}, not {value_type.__name__}")
    out.backward()
    return Evaluation(float(out.data), tuple(float(leaf.grad) for leaf in leaves))


def evaluate_torch(fn: Callable, inputs: Sequence[float]) -> Evaluation:
    """Run ``fn`` on float64 0-dim CPU tensors with autograd."""
    import torch

    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in inputs]
    out = fn(*leaves)
    if out.requires_grad:
        out.backward()
    return Evaluation(
        float(out.item()),
        tuple(0.0 if leaf.grad is None else float(leaf.grad.item()) for leaf in leaves),
    )

