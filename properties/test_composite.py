"""Random expression DAGs over every op the engine has, checked against mpmath and torch."""

import pytest
from hypothesis import given

from properties.checks import check_forward, check_gradient, check_torch, judge_example
from properties.engine_under_test import current_engine, focus_op
from properties.strategies import cases

ENGINE = current_engine()
pytestmark = [
    pytest.mark.skipif(not ENGINE.ops, reason=f"{ENGINE.name} has none of the registry's ops"),
    pytest.mark.op("*"),  # every op: kept by --op, which makes the expressions contain that op
]
EXPRESSIONS = cases(ops=ENGINE.ops or None, include=focus_op())


@given(EXPRESSIONS)
def test_forward_value_agrees_with_mpmath(engine, case):
    judge_example(case, engine, check_forward)


@given(EXPRESSIONS)
def test_gradient_agrees_with_mpmath_central_difference(engine, case):
    judge_example(case, engine, check_gradient)


@given(EXPRESSIONS)
def test_engine_agrees_with_torch(engine, case):
    judge_example(case, engine, check_torch)
