"""The accuracy profile: each op's worst error in ulps, per regime, from the points the run judges."""

from __future__ import annotations

import json
import math

import pytest

from properties import run
from properties.core.accuracy import ELSEWHERE, Accuracy, regime_of, ulps, worst_op
from reference.ops import REGISTRY


def test_ulps_count_units_in_the_last_place_of_the_truth():
    assert ulps(1.0, 1.0) == 0.0
    assert ulps(1.0 + 2 * 2.0**-52, 1.0) == 2.0
    assert ulps(0.0, 5e-324) == 1.0  # among the subnormals, a unit is the smallest subnormal
    assert ulps(math.inf, 1e308) == math.inf and ulps(math.nan, 1.0) == math.inf


def test_a_point_lies_in_its_ops_narrowest_regime_or_elsewhere():
    assert regime_of("exp", (0.5,)) == "ordinary"
    assert regime_of("exp", (1e-5,)) == "small"  # in ordinary's stretch too: the narrower one
    assert regime_of("exp", (1e-9,)) == "tiny"
    assert regime_of("exp", (-720.0,)) == "underflow edge"
    assert regime_of("add", (1e5, 1e5)) == ELSEWHERE
    assert regime_of("log", (1.0,)) == "near 1"  # listed before ordinary, and narrower
    assert regime_of("pow", (2.0,), 0.5) != regime_of("pow", (2.0,), -3.0)  # a regime of exponents


def test_the_worst_point_of_each_regime_is_kept_with_its_input():
    accuracy = Accuracy()
    accuracy.measure("exp", (1e-7,), None, (1.0000001, 1.0000001000000050, 1e-16), [(1.0, 1.00000010000000, 1e-16)])
    accuracy.measure("exp", (2e-7,), None, (1.0000002, 1.0000002000000020, 1e-16), [(1.0, 1.00000020000000, 1e-16)])
    small = accuracy.to_json()["exp"]["small"]
    assert small["points"] == 2 and small["at"] == [1e-7] and small["partial_at"] == [[2e-7]]
    assert small["value_ulps"] == ulps(1.0000001, 1.0000001000000050) > 0
    assert small["allowance_used"] > 1  # 1e-7 away where 1e-16 is allowed
    assert worst_op(accuracy.to_json()).startswith("exp ")
    moved = Accuracy()
    moved.merge(json.loads(json.dumps(accuracy.drain())))  # what a pytest-xdist worker sends
    assert moved.to_json() == {"exp": {"small": small}} and accuracy.points == []  # sent once


@pytest.fixture(scope="module")
def exp_off_near_zero():
    """A quick verdict on an engine whose exp is 1 + x for |x| < 1e-6 (22 ulps off at 1e-7)."""
    return run("mutant_engines.exp_linear_small:Value", ops=["exp", "mul", "log"], profile="quick", quick=True)


def test_a_run_profiles_every_regime_of_every_op_it_verifies(exp_off_near_zero):
    profile = exp_off_near_zero.json["accuracy"]
    assert set(profile) == {"exp", "mul", "log"}
    for op, regimes in profile.items():
        assert {r.name for r in REGISTRY[op].regimes} <= set(regimes), op
        for regime, worst in regimes.items():
            assert worst["points"] > 0 and len(worst["partial_ulps"]) == REGISTRY[op].arity
            assert len(worst["at"]) == REGISTRY[op].arity


def test_a_correct_op_stays_within_its_allowance_and_the_faulty_one_does_not(exp_off_near_zero):
    profile = exp_off_near_zero.json["accuracy"]
    for op in ("mul", "log"):  # the mutant's own, correct ops
        assert all(w["allowance_used"] <= 1 for w in profile[op].values()), profile[op]
    small = profile["exp"]["small"]
    assert small["allowance_used"] > 1 and small["value_ulps"] > 10 and abs(small["at"][0]) < 1e-6
    assert all(w["allowance_used"] <= 1 for r, w in profile["exp"].items() if r != "small")
    assert worst_op(profile).startswith("exp ") and "small" in worst_op(profile)


def test_the_accuracy_table_has_a_row_per_op_and_regime(exp_off_near_zero):
    lines = exp_off_near_zero.accuracy.lines()
    assert lines[0].split()[:2] == ["op", "regime"]
    rows = {tuple(line.split()[:2]) for line in lines[2:]}
    assert ("exp", "small") in rows and ("mul", "ordinary") in rows
    assert len(lines) == 2 + sum(len(r) for r in exp_off_near_zero.json["accuracy"].values())


def test_a_long_run_keeps_every_worst_but_only_a_sample_of_points_to_plot():
    accuracy = Accuracy()
    for k in range(Accuracy.SAMPLE + 500):
        accuracy.measure("exp", (k * 1e-3,), None, (1.0, 1.0, 1e-16), [(1.0, 1.0, 1e-16)])
    accuracy.measure("exp", (7.0,), None, (2.0, 1.0, 1e-16), [(1.0, 1.0, 1e-16)])  # past its allowance, last
    assert len(accuracy.samples["exp"]) == Accuracy.SAMPLE
    assert any(p.operands == (7.0,) for p in accuracy.samples["exp"])
    assert sum(w.points for w in accuracy.worst()["exp"].values()) == Accuracy.SAMPLE + 501
    assert accuracy.to_json()["exp"]["ordinary"]["at"] == [7.0]


def test_the_worst_op_of_an_engine_wrong_where_the_truth_is_exact():
    accuracy = Accuracy()
    accuracy.measure("log", (1.0,), None, (-1e-8, 0.0, 0.0), [(1.0, 1.0, 1e-16)])  # mikegrad's log(1)
    assert worst_op(accuracy.to_json()) == "log inf ulp, near 1 (where a correct engine is exact)"
