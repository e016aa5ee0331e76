"""The accumulation check (properties/accumulation.py): x's gradient after two one-op backward
calls is the sum of both, on engines that keep gradients across calls."""

from __future__ import annotations

import sys
import types

import pytest

import engine.value
from properties.accumulation import ordinary_point, reference_op, two_roots
from properties.engine_under_test import load_engine
from reference.ops import REGISTRY


class Shortcuts(engine.value.Value):
    """Correct: ``x + 0``, ``0 + x``, ``x * 1``, ``1 * x`` and ``x ** 1`` are ``x`` itself.  Its
    backward then seeds x (``x.grad = 1``), which no op checked at an ordinary param meets."""

    __slots__ = ()

    def __add__(self, other):
        return self if other is not None and not isinstance(other, engine.value.Value) and other == 0 else (
            super().__add__(other))

    __radd__ = __add__

    def __mul__(self, other):
        return self if not isinstance(other, engine.value.Value) and other == 1 else super().__mul__(other)

    __rmul__ = __mul__

    def __pow__(self, exponent):
        return self if exponent == 1 else super().__pow__(exponent)


@pytest.fixture(scope="module")
def shortcuts():
    module = types.ModuleType("shortcut_engine_for_accumulation")
    module.Value = Shortcuts
    sys.modules[module.__name__] = module
    yield load_engine(f"{module.__name__}:Value")
    del sys.modules[module.__name__]


def test_an_ordinary_param_is_never_an_identity_element():
    for spec in REGISTRY.values():
        if spec.has_param:
            _, param = ordinary_point(spec)
            assert param not in (0.0, 1.0), spec.name


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_an_engine_that_returns_x_for_identities_passes(shortcuts, op):
    check = two_roots(shortcuts, op)
    assert check is not None and check.ok, check


def test_an_overwriting_op_fails_and_the_others_pass():
    mutant = load_engine("mutant_engines.overwrite_add_only:Value")
    assert reference_op(mutant) == ("mul", 1.25)
    assert not two_roots(mutant, "add").ok
    assert two_roots(mutant, "sin").ok and two_roots(mutant, "mul").ok
