"""The hand-derived gradient checker on the seed notebook's first exercise."""

import math

import pytest

from properties.gradcheck import GradientFormulaMismatch, check_gradient_formula
from reference.domains import Domain


def f(a, b, c):
    """The seed's f, written with methods so that it runs on every backend."""
    return -a**3 + (b * 3).sin() - 1.0 / c + b**2.5 - a**0.5


def gradf_correct(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 * c**-2]


def gradf_seed(a, b, c):
    """Exactly as the seed notebook wrote it: cos(3*b) * b instead of 3 * cos(3*b)."""
    first = -3 * a**2 - 0.5 * a**-0.5
    second = math.cos(3 * b) * b + 2.5 * b**1.5
    third = 1 * c**-2
    return [first, second, third]


DOMAINS = [Domain(1e-3, 10.0, min_abs=1e-3, zero=False), Domain(1e-3, 10.0, min_abs=1e-3, zero=False),
           Domain(0.5, 10.0, min_abs=0.5, zero=False)]


def test_the_seed_gradf_is_right_at_the_seed_point_only_by_luck():
    assert gradf_seed(2, 3, 4) == pytest.approx([-12.353553390593273, 10.25699027111255, 0.0625], abs=1e-12)
    assert gradf_seed(2, 2.5, 4)[1] != pytest.approx(gradf_correct(2, 2.5, 4)[1], rel=1e-3)


def test_the_correct_gradient_passes():
    check_gradient_formula(f, gradf_correct, DOMAINS, max_examples=150)


def test_the_seed_gradf_fails_away_from_b_equals_3():
    with pytest.raises(GradientFormulaMismatch) as failure:
        check_gradient_formula(f, gradf_seed, DOMAINS, max_examples=150, shrink=False)
    message = str(failure.value)
    assert "partial 1 of gradf_seed is wrong" in message
    assert "Reproducer:" in message and "print(gradf_seed(" in message


def test_bad_arguments_are_rejected():
    with pytest.raises(TypeError):
        check_gradient_formula(f, gradf_correct, [(0, 1)])
    with pytest.raises(ValueError):
        check_gradient_formula(f, gradf_correct, DOMAINS, max_examples=0)
