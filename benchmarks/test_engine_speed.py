"""Engine speed against micrograd 0.1.0, measured in the same process (run: pytest benchmarks/).

Each benchmark times this project's engine and micrograd on the same work and
records the ratio in the benchmark's extra_info (shown with --benchmark-verbose
or in the JSON from --benchmark-json). Targets: >= 3x on the MLP and the wide sum.
"""

from __future__ import annotations

import gc
import math
import random
import time

import pytest

from engine import Value

micrograd = pytest.importorskip("micrograd.engine", reason="micrograd 0.1.0 is a dev dependency")
MicroValue = micrograd.Value


def mlp_step(value_type, params, samples):
    """Forward and backward of a 3-16-16-1 relu MLP with squared loss over 32 samples."""
    (w1, b1), (w2, b2), (w3, b3) = params
    loss = value_type(0.0)
    for x, y in samples:
        h = [sum((wi * xi for wi, xi in zip(row, x)), b).relu() for row, b in zip(w1, b1)]
        h = [sum((wi * hi for wi, hi in zip(row, h)), b).relu() for row, b in zip(w2, b2)]
        out = sum((wi * hi for wi, hi in zip(w3[0], h)), b3[0])
        loss = loss + (out - y) ** 2
    loss.backward()
    return loss


def make_params(value_type, rng):
    def layer(n_in, n_out):
        return ([[value_type(rng.uniform(-1, 1)) for _ in range(n_in)] for _ in range(n_out)],
                [value_type(0.0) for _ in range(n_out)])
    return layer(3, 16), layer(16, 16), layer(16, 1)


SAMPLES = [([random.Random(i).uniform(-1, 1) for _ in range(3)], random.Random(-i).uniform(-1, 1)) for i in range(32)]


def wide_sum(value_type, n=100_000):
    """Sum of n products, added pairwise (depth log2 n, so micrograd's recursive sort copes)."""
    xs = [value_type(float(i % 7)) for i in range(n)]
    ys = [value_type(float(i % 5)) for i in range(n)]
    terms = [x * y for x, y in zip(xs, ys)]
    while len(terms) > 1:
        terms = [a + b for a, b in zip(terms[::2], terms[1::2])] + terms[len(terms) - len(terms) % 2:]
    total = terms[0]
    total.backward()
    return total


def speedup(ours, theirs, repeat=5) -> float:
    """micrograd's best time over ours, timed alternately, each run starting from a collected heap
    (so neither engine pays for the other's garbage)."""
    best = {ours: math.inf, theirs: math.inf}
    for _ in range(repeat):
        for fn in (ours, theirs):
            gc.collect()
            start = time.perf_counter()
            fn()
            best[fn] = min(best[fn], time.perf_counter() - start)
    return best[theirs] / best[ours]


def test_mlp_forward_backward(benchmark):
    ours = make_params(Value, random.Random(0))
    theirs = make_params(MicroValue, random.Random(0))
    benchmark(mlp_step, Value, ours, SAMPLES)
    ratio = speedup(lambda: mlp_step(Value, ours, SAMPLES), lambda: mlp_step(MicroValue, theirs, SAMPLES), repeat=9)
    benchmark.extra_info["speedup_vs_micrograd"] = round(ratio, 2)
    print(f"\nMLP forward+backward: {ratio:.2f}x micrograd")


def test_wide_sum_of_100k_products(benchmark):
    benchmark.pedantic(wide_sum, args=(Value,), rounds=3)
    ratio = speedup(lambda: wide_sum(Value), lambda: wide_sum(MicroValue), repeat=3)
    benchmark.extra_info["speedup_vs_micrograd"] = round(ratio, 2)
    print(f"\nwide sum of 100,000 products: {ratio:.2f}x micrograd")


def test_chain_of_a_million_nodes(benchmark):
    """micrograd cannot run this at all: its recursive topological sort exceeds Python's recursion limit."""

    def chain():
        x = Value(0.5)
        y = x
        for _ in range(1_000_000):
            y = y + 0.0
        y.backward()
        return x

    x = benchmark.pedantic(chain, rounds=1)
    assert x.grad == 1.0
    with pytest.raises(RecursionError):
        a = MicroValue(0.5)
        b = a
        for _ in range(5_000):
            b = b + 0.0
        b.backward()
