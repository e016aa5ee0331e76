"""What the suite itself costs (run: pytest benchmarks/ --benchmark-columns=mean,median,rounds).

Per example: each oracle on one fixed 20-op expression, and the examples per second of the
main property. The default run's 2-minute budget and the mutants' time to kill follow from these.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine import Value
from properties.checks import check_forward, check_gradient, check_torch, judge
from properties.engine_under_test import EngineUnderTest
from properties.strategies import cases
from reference.backends import evaluate_engine, evaluate_torch
from reference.error_bounds import error_bounds
from reference.mp_backend import mp_gradient, mp_value

ENGINE = EngineUnderTest("engine:Value", Value)


def _fixed_case():
    """The first derandomized composite case with at least 20 live ops."""
    found = []

    @settings(max_examples=500, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(cases(min_ops=20, max_ops=25))
    def pick(case):
        if not found and case.expression.size() >= 20:
            found.append(case)

    pick()
    return found[0]


CASE = _fixed_case()


def test_engine_forward_and_backward(benchmark):
    benchmark(evaluate_engine, Value, CASE.expression, CASE.inputs)


def test_torch_forward_and_backward(benchmark):
    benchmark(evaluate_torch, CASE.expression.on_torch, CASE.inputs)


def test_mpmath_value_and_error_bounds(benchmark):
    benchmark(lambda: error_bounds(*mp_value(CASE.expression, CASE.inputs)))


def test_mpmath_central_difference_gradient(benchmark):
    expected = error_bounds(*mp_value(CASE.expression, CASE.inputs)).adjoints
    benchmark(mp_gradient, CASE.expression, CASE.inputs, expected=expected)


def test_all_three_checks_on_one_example(benchmark):
    benchmark(judge, CASE, ENGINE, check_forward, check_gradient, check_torch)


def test_composite_property_examples_per_second(benchmark):
    """50 derandomized examples of the gradient property, generation included."""

    @settings(max_examples=50, derandomize=True, database=None, deadline=None)
    @given(cases())
    def prop(case):
        try:
            judge(case, ENGINE, check_gradient)
        except Exception as exc:  # Skip: ill-conditioned points count as examples too
            if type(exc).__name__ != "Skip":
                raise

    benchmark.pedantic(prop, rounds=1)
    benchmark.extra_info["examples"] = 50
