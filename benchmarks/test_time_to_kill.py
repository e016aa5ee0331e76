"""Seconds from starting pytest to the verdict, per mutant engine (run: pytest benchmarks/test_time_to_kill.py).

Each round is one ``python -m mutant_engines``-style run (``pytest -x properties/`` under the
``mutants`` profile, a fresh process) on one mutant. The peer is the control: the same command
on the correct engine, which must run every property to the end. Each mutant's extra_info
records its time as a fraction of the control's, so the numbers compare across machines.
Target (issue 7): median time to kill under 10 s; the median is printed at the end.
Slow by nature (~40 suite runs): not part of the default run.
"""

from __future__ import annotations

import statistics

import pytest

from mutant_engines import load, names
from mutant_engines.__main__ import CONTROL, run_suite

PROFILE, TIMEOUT = "mutants", 900.0
_seconds: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report_median():
    yield
    kills = [s for name, s in _seconds.items() if name != CONTROL]
    if kills:
        control = _seconds.get(CONTROL)
        print(f"\nmedian time to kill: {statistics.median(kills):.1f} s over {len(kills)} mutants"
              + (f" ({statistics.median(kills) / control:.2f} of the control's {control:.1f} s)" if control else ""))


def test_control_passes(benchmark):
    outcome = benchmark.pedantic(run_suite, args=("(control)", CONTROL, "-", PROFILE, TIMEOUT), rounds=1, iterations=1)
    assert outcome.verdict == "NO", f"the suite does not pass {CONTROL}: {outcome.caught_by}\n{outcome.output[-3000:]}"
    _seconds[CONTROL] = outcome.seconds


@pytest.mark.parametrize("name", names())
def test_time_to_kill(benchmark, name):
    outcome = benchmark.pedantic(run_suite, args=(name, f"mutant_engines.{name}:Value", load(name).KIND, PROFILE,
                                                  TIMEOUT), rounds=1, iterations=1)
    assert outcome.killed, f"{name} was not killed ({outcome.verdict}: {outcome.caught_by})"
    _seconds[name] = outcome.seconds
    benchmark.extra_info["caught_by"] = outcome.caught_by
    if CONTROL in _seconds:
        benchmark.extra_info["fraction_of_control"] = round(outcome.seconds / _seconds[CONTROL], 3)
