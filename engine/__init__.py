"""The minimal scalar autograd engine that this suite verifies (and ships as its default)."""

from engine.value import Value

__all__ = ["Value"]
