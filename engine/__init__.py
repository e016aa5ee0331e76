"""The minimal scalar autograd engine that this suite verifies (and ships as its default)."""

from engine.functions import cross_entropy, log_softmax, softmax
from engine.value import Value

__all__ = ["Value", "softmax", "log_softmax", "cross_entropy"]
