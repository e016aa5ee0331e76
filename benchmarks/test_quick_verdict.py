"""A verdict in seconds: ``gradproof check`` (the quick budget) against the whole suite on the same
engines, in one run (run: ``pytest benchmarks/test_quick_verdict.py -n 0 -s``).

Each round is a fresh process, torch's import included: ``gradproof check mutant_engines.NAME:Value``
(what a learner runs), then ``pytest properties/ --engine ...`` with the profile ``mutants`` (the
whole suite, no shrinking: what the mutant table runs), on a sample of mutants of every kind and on
the correct engine.  The quick verdict must blame the mutated op, and take a fraction of the full
run's time (the ratio is the measure: the machines are shared).  Target (issue 18): at most 15 s wall
time on 2 cores for an engine with one bug; ``python -m mutant_engines --quick`` measures its kill
rate over every mutant (at least 95 %).  Slow by nature: not part of the default run.
"""

from __future__ import annotations

import statistics

import pytest

from mutant_engines import load
from mutant_engines.__main__ import CONTROL, run_suite

TIMEOUT = 900.0
SAMPLE = ("sin_deriv_neg_cos", "mul_forward_off", "overwrite_add_only", "traversal_bfs_order", "log_clipped_below",
          "tanh_via_exp2x", "relu_grad_one_at_zero", "float32_storage")
_ratios: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report_ratios():
    yield
    if _ratios:
        print(f"\nquick verdict / whole suite: median {statistics.median(_ratios.values()):.2f} "
              f"over {len(_ratios)} engines: {_ratios}")


@pytest.mark.parametrize("name", (None,) + SAMPLE)
def test_quick_verdict_against_the_whole_suite(benchmark, name):
    engine = CONTROL if name is None else f"mutant_engines.{name}:Value"
    module = None if name is None else load(name)
    category, blame = ("-", (None, ())) if module is None else (module.CATEGORY, module.BLAME)
    quick = benchmark.pedantic(run_suite, args=(name or "(control)", engine, category, None, TIMEOUT, blame, False, True),
                               rounds=1, iterations=1)
    full = run_suite(name or "(control)", engine, category, "mutants", TIMEOUT, blame)
    if module is None:
        assert quick.verdict == "NO" and full.verdict == "NO", (quick.output[-2000:], full.output[-2000:])
    else:
        assert quick.killed and quick.right, f"{name}: the quick verdict blames {quick.blamed}, not {module.BLAME}"
        assert full.killed and full.right
    _ratios[name or "(control)"] = round(quick.seconds / full.seconds, 3)
    benchmark.extra_info.update(quick_seconds=round(quick.seconds, 1), full_seconds=round(full.seconds, 1),
                                ratio=_ratios[name or "(control)"])
    assert quick.seconds < full.seconds / 2, f"{name}: quick {quick.seconds:.1f} s, whole suite {full.seconds:.1f} s"
