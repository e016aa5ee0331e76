"""The seed's naive softmax reaching log(0) (its probability underflowed) is outside log's domain:
no finding whether the engine refuses it any way it likes (an assertion) or answers it (a log clamped
at 1e-8 returns a finite loss: that clamp is found by the log properties, not here)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# logits [0, -800], target 1: the naive softmax gives p_1 = exp(-800) / (1 + exp(-800)) = 0.0
SCRIPT = """
from hypothesis import given, settings, strategies as st
from properties.test_softmax import test_stable_functions_agree_with_the_seeds_naive_softmax_where_it_is_finite as t
settings(database=None, max_examples=1)(given(st.just(([0.0, -800.0], 1)))(t.hypothesis.inner_test))()
print("judged")
"""


@pytest.mark.parametrize("engine", ["asserting_log_engine:Value", "mutant_engines.log_clipped_below:Value"])
def test_log_of_an_underflowed_probability_is_no_finding(engine):
    env = {**os.environ, "GRADPROOF_ENGINE": engine,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and "judged" in result.stdout, result.stderr[-3000:]
