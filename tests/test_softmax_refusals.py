"""The seed's naive softmax outside its ops' domains is no finding of the softmax property: log(0) (a
probability underflowed), whether the engine refuses it any way it likes (an assertion) or answers it
(a log clamped at 1e-8 returns a finite loss: the log properties find that clamp), and exp beyond
709.8 (an exp clamped at 700 returns finite probabilities: the exp properties find that clamp)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from properties.core.config import resolve
from properties.core.engine_under_test import load_engine
from properties.core.session import Run, activated
from properties.test_softmax import test_stable_functions_agree_with_the_seeds_naive_softmax_where_it_is_finite as t


def _judge(engine: str, case: tuple) -> None:
    """The property on one case, on ``engine`` (a run of its own, active while it is judged)."""
    with activated(Run(resolve({"engine": engine}), load_engine(engine))):
        settings(database=None, max_examples=1)(given(st.just(case))(t.hypothesis.inner_test))()


@pytest.mark.parametrize("engine", ["correct_engines:AssertingLogValue", "mutant_engines.log_clipped_below:Value"])
def test_log_of_an_underflowed_probability_is_no_finding(engine):
    _judge(engine, ([0.0, -800.0], 1))  # p_1 = exp(-800) / (1 + exp(-800)) rounds to 0.0


def test_exp_beyond_its_overflow_is_no_finding_of_the_softmax():
    _judge("mutant_engines.exp_clamped_argument:Value", ([746.0000001180624, 754.3768673896368, 740.7126204692913, 746.0], 1))


def test_the_property_judges_and_fails_where_the_naive_softmax_is_wrong():
    """The same property is not vacuous: on an engine whose division adds 1e-8 to the divisor, the
    naive softmax of small probabilities (a sum of 1e-5) is wrong, and the property fails."""
    with pytest.raises(AssertionError, match="naive softmax"):
        _judge("mutant_engines.div_epsilon_guard:Value", ([-12.0, -13.0, -14.0], 0))
