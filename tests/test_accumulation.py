"""The accumulation check (properties/accumulation.py): x's gradient after two one-op backward
calls is the sum of both, on engines that keep gradients across calls."""

from __future__ import annotations

import pytest

from properties.diagnosis.accumulation import ordinary_point, reference_op, two_roots
from properties.core.engine_under_test import load_engine
from reference.ops import REGISTRY


@pytest.fixture(scope="module")
def shortcuts():
    """A correct engine whose ``x + 0``, ``x * 1`` and ``x ** 1`` are ``x`` itself (and ``0 + x``, ``1 * x``,
    through them): its backward then seeds x (``x.grad = 1``), which no op checked at an ordinary
    param meets."""
    return load_engine("mutant_engines._control_formulas:Value")


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
