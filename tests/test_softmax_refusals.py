"""The seed's naive softmax outside its ops' domains is no finding of the softmax property: log(0) (a
probability underflowed), whether the engine refuses it any way it likes (an assertion) or answers it
(a log clamped at 1e-8 returns a finite loss: the log properties find that clamp), and exp beyond
709.8 (an exp clamped at 700 returns finite probabilities: the exp properties find that clamp)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
from hypothesis import given, settings, strategies as st
from properties.test_softmax import test_stable_functions_agree_with_the_seeds_naive_softmax_where_it_is_finite as t
settings(database=None, max_examples=1)(given(st.just({case!r}))(t.hypothesis.inner_test))()
print("judged")
"""


def _judge(engine: str, case: tuple) -> None:
    env = {**os.environ, "GRADPROOF_ENGINE": engine,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(case=case)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "judged" in result.stdout, result.stderr[-3000:]


@pytest.mark.parametrize("engine", ["asserting_log_engine:Value", "mutant_engines.log_clipped_below:Value"])
def test_log_of_an_underflowed_probability_is_no_finding(engine):
    _judge(engine, ([0.0, -800.0], 1))  # p_1 = exp(-800) / (1 + exp(-800)) rounds to 0.0


def test_exp_beyond_its_overflow_is_no_finding_of_the_softmax():
    _judge("mutant_engines.exp_clamped_argument:Value", ([746.0000001180624, 754.3768673896368, 740.7126204692913, 746.0], 1))
