"""The baseline checks the README compares the suite with (mutant_engines/_alternatives.py).

They must pass the correct engine (or the comparison would flatter the suite) and must
be able to fail (or it would flatter the baselines)."""

from __future__ import annotations

import pytest

from mutant_engines._alternatives import verdicts


def test_both_pass_the_correct_engine():
    assert verdicts("engine:Value") == (None, None)


@pytest.mark.parametrize("mutant, fixed_catches, gradcheck_catches", [
    ("traversal_not_reversed", True, False),  # the fixed expressions are graphs; gradcheck sees single ops
    ("tanh_deriv_one_minus_t", False, True),  # no fixed expression uses tanh
    ("sin_deriv_neg_cos", True, True),
    ("exp_forward_off", False, False),  # 1e-10 relative is far inside both tolerances
])
def test_each_catches_what_its_checks_reach(mutant, fixed_catches, gradcheck_catches):
    fixed, gradcheck = verdicts(f"mutant_engines.{mutant}:Value")
    assert (fixed is not None, gradcheck is not None) == (fixed_catches, gradcheck_catches), (fixed, gradcheck)


def test_the_runner_summarizes_each_category_and_all():
    from mutant_engines.__main__ import Outcome, category_summary, table

    right = [{"op": "sin", "kind": "forward"}]
    outcomes = [Outcome("a", "zero-only", "yes", 3.0, "t1", findings=right, unexplained=[], blame=("sin", "forward"),
                        fixed_points="caught", gradcheck="missed"),
                Outcome("b", "zero-only", "NO", 9.0, "-", findings=[], unexplained=[], blame=("sin", "forward"),
                        fixed_points="missed", gradcheck="missed"),
                Outcome("c", "tiny-only", "yes", 4.0, "t2", findings=right, unexplained=[], blame=("exp", "forward"),
                        fixed_points="missed", gradcheck="caught")]
    rows = [line.split() for line in category_summary(outcomes).splitlines()[2:]]
    assert rows == [["zero-only", "2", "1", "1", "1", "1", "0"], ["tiny-only", "1", "1", "0", "0", "0", "1"],
                    ["all", "3", "2", "1", "1", "1", "1"]]
    markdown = category_summary(outcomes, markdown=True).splitlines()
    assert markdown[0] == "| category | mutants | suite | all causes found | blamed right | fixed points | gradcheck |"
    assert markdown[2] == "| zero-only | 2 | 1 | 1 | 1 | 1 | 0 |"
    assert markdown[-1] == "| **all** | **3** | **2** | **1** | **1** | **1** | **1** |"
    assert [o.causes for o in outcomes] == ["1/1", "0/1", "0/1"]
    lines = table(outcomes).splitlines()
    assert lines[0].split()[:4] == ["mutant", "category", "killed", "seconds"] and len(lines) == 2 + len(outcomes)
    assert lines[2].split()[:7] == ["a", "zero-only", "yes", "3.0", "sin/forward", "1/1", "yes"]
    assert lines[3].split() == ["b", "zero-only", "NO", "9.0", "nothing", "0/1", "NO", "missed", "missed", "-"]
    assert lines[4].split()[4:7] == ["sin/forward", "0/1", "NO"]  # c's bug is in exp: blamed wrong
