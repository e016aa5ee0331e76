"""One expression on the engine under test and on torch.

An expression is any Python function of scalars written with operators and
methods, e.g. ``lambda a, b: (b * 3).sin() - a ** 0.5``; it runs unchanged on a
micrograd-style ``Value`` class, on float64 torch tensors and on the mpmath
backend (:mod:`reference.mp_backend`).  An
:class:`~reference.expression.Expression` also runs with an engine's own
spelling of an op (``calls``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

def qualified_name(cls: type) -> str:
    """``module.Class``: two classes named Value in two modules never read the same."""
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", getattr(cls, "__name__", repr(cls)))
    return name if module in (None, "builtins") else f"{module}.{name}"


class Access(Protocol):
    """How an engine's values are made and read (``properties.core.adapters.Adapter`` is one)."""

    def leaf(self, x: float) -> Any: ...
    def number(self, value: Any) -> float: ...
    def gradient(self, value: Any) -> float: ...
    def backward(self, value: Any) -> None: ...
    def is_value(self, obj: Any) -> bool: ...


@dataclass(frozen=True)
class Evaluation:
    """A float64 backend's forward value and gradient (one entry per input)."""

    value: float
    gradient: tuple[float, ...]


class EngineRaised(Exception):
    """The engine raised while computing the value (``phase="forward"``) or the gradient
    (``phase="backward"``); ``value`` is the forward value when forward succeeded."""

    def __init__(self, phase: str, error: BaseException, value: float | None = None):
        super().__init__(f"{phase} raised {type(error).__name__}: {error}")
        self.phase, self.error, self.value = phase, error, value


def _run(fn: Callable, leaves: list, calls: Mapping[str, Callable] | None, lift: Callable | None,
         number: Callable) -> Any:
    run = getattr(fn, "run", None)
    return run(leaves, calls, lift, number) if run is not None else fn(*leaves)


def _float(x: Any) -> float:
    if x is None:  # a leaf backward never reached: no gradient, as in torch
        return 0.0
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def evaluate_engine(access: Access, fn: Callable, inputs: Sequence[float],
                    calls: Mapping[str, Callable] | None = None, lift: Callable | None = None) -> Evaluation:
    """Run ``fn`` on fresh leaves of the engine (made and read through ``access``) and backpropagate
    from its result; ``lift`` makes plain-number constants values, for an engine whose ops take none.

    Raises :class:`EngineRaised` (saying whether forward or backward raised) if the engine
    raises, or if the result is not a value of the engine.
    """
    try:
        leaves = [access.leaf(float(x)) for x in inputs]
        out = _run(fn, leaves, calls, lift, access.number)
    except Exception as error:
        raise EngineRaised("forward", error) from error
    if not access.is_value(out):
        problem = TypeError(f"the expression returned {qualified_name(type(out))} {out!r}, which is not a value "
                            "of the engine")
        raise EngineRaised("forward", problem)
    try:
        value = _float(access.number(out))
    except Exception as error:
        raise EngineRaised("forward", error) from error
    try:
        access.backward(out)
        gradient = tuple(_float(access.gradient(leaf)) for leaf in leaves)
    except Exception as error:
        raise EngineRaised("backward", error, value) from error
    return Evaluation(value, gradient)


def evaluate_torch(fn: Callable, inputs: Sequence[float]) -> Evaluation:
    """Run ``fn`` on float64 0-dim CPU tensors with autograd."""
    import torch

    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in inputs]
    on_torch = getattr(fn, "on_torch", None)
    out = on_torch(*leaves) if on_torch is not None else fn(*leaves)
    if not isinstance(out, torch.Tensor):  # the function does not depend on its inputs
        return Evaluation(float(out), tuple(0.0 for _ in leaves))
    if out.requires_grad:
        out.backward()
    return Evaluation(
        float(out.item()),
        tuple(0.0 if leaf.grad is None else float(leaf.grad.item()) for leaf in leaves),
    )
