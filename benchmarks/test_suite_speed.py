"""What the suite itself costs (run: pytest benchmarks/ --benchmark-columns=mean,median,rounds).

Per example: each oracle on one fixed 20-op expression, and the examples per second of the
main property. The default run's 2-minute budget and the mutants' time to kill follow from these.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from engine import Value
from properties import strategies
from properties.core.checks import Skip, check_forward, check_gradient, check_torch, judge, oracles
from properties.core.engine_under_test import EngineUnderTest
from properties.strategies import cases
from reference.error_bounds import IllConditioned, check_operand, forward_error
from reference.mp_backend import OutOfDomain, mp_scalar_type
from properties.core.adapters import Attributes
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
    benchmark(evaluate_engine, Attributes(Value), CASE.expression, CASE.inputs)


def test_torch_forward_and_backward(benchmark):
    benchmark(evaluate_torch, CASE.expression, CASE.inputs)


def test_mpmath_value_and_error_bounds(benchmark):
    benchmark(lambda: error_bounds(*mp_value(CASE.expression, CASE.inputs)))


def test_mpmath_central_difference_gradient(benchmark):
    expected = error_bounds(*mp_value(CASE.expression, CASE.inputs)).adjoints
    benchmark(mp_gradient, CASE.expression, CASE.inputs, expected=expected)


def test_all_three_checks_on_one_example(benchmark):
    benchmark(judge, CASE, ENGINE, check_forward, check_gradient, check_torch)


EXAMPLES = 100


def _composite_property(strategy, central_differences: bool):
    """The random-expression property (all three checks), ``EXAMPLES`` derandomized examples."""

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def prop(case):
        try:
            o = oracles(case, ENGINE)
        except Skip:
            return  # ill-conditioned points count as examples too
        if central_differences:
            o.gradient_oracle()
        for check in (check_forward, check_gradient, check_torch):
            check(o)

    return prop


def test_composite_property_examples_per_second(benchmark):
    """Examples per second of the random-expression property, generation and oracles included,
    against its peer measured in the same run: the same property with expressions drawn as
    before issue 11 (every node's value and rounding tracked in mpmath while drawing, the
    size drawn up front).  (The central differences, which that property also computed on
    every example, are now computed only where the engine and the exact chain rule disagree:
    ``test_mpmath_central_difference_gradient`` is what that saves per example.)"""
    import time

    start = time.perf_counter()
    _composite_property(legacy_cases(), central_differences=False)()
    peer = EXAMPLES / (time.perf_counter() - start)
    start = time.perf_counter()
    benchmark.pedantic(_composite_property(cases(), central_differences=False), rounds=1)
    rate = EXAMPLES / (time.perf_counter() - start)
    benchmark.extra_info.update(examples=EXAMPLES, per_second=round(rate, 1), peer_per_second=round(peer, 1),
                                speedup=round(rate / peer, 2))
    print(f"\ncomposite property: {rate:.1f} examples/s; drawn as before issue 11: {peer:.1f}/s ({rate / peer:.1f}x)")


# ----- the peer: expressions drawn with every node tracked in mpmath (the generator before issue 11) -----


class _LegacyBuilder(strategies._Builder):
    """Node values in mpmath at 30 digits, with mpmath error tracking, as the generator was."""

    def __init__(self, inputs):
        super().__init__(inputs)
        scalar = mp_scalar_type(30)
        self.values = [scalar.leaf(x) for x in inputs]

    def admits(self, spec, k, param, i, first=None):
        value, error = self.values[i], self.errors[i]
        domain = spec.operand_domains(param)[k] if first is None else spec.second_domain(float(self.values[first]), param)
        if not domain.contains(float(value)):
            return False
        try:
            check_operand(spec, k, value.value if hasattr(value, "value") else value, error, param)
        except IllConditioned:
            return False
        return True

    def apply(self, spec, args, param=None):
        operands = [self.values[a] for a in args]
        try:
            value = spec.call(*operands) if param is None else spec.call(*operands, param)
        except OutOfDomain:
            return False
        plain = [o.value if hasattr(o, "value") else o for o in operands]
        try:
            partials = spec.partials(value.ctx, *plain, *([] if param is None else [param]))
        except (ArithmeticError, ValueError):
            return False
        amplification = max([1] + [abs(d) * self.amplification[a] for d, a in zip(partials, args)])
        if amplification > strategies.MAX_AMPLIFICATION:
            return False
        self.nodes.append(strategies.Node(op=spec.name, args=args, param=param))
        self.values.append(value)
        self.errors.append(forward_error(spec, plain, [self.errors[a] for a in args], param, value.value, partials))
        self.amplification.append(amplification)
        self.used.update(args)
        return True


def legacy_cases():
    """cases(), drawn by the legacy builder, the size drawn up front (1 to 40 ops), as it was."""
    from hypothesis import strategies as st

    @st.composite
    def draw_cases(draw):
        original = strategies._Builder
        strategies._Builder = _LegacyBuilder
        try:
            size = draw(st.integers(1, 40))
            return draw(cases(min_ops=size, max_ops=size))
        finally:
            strategies._Builder = original

    return draw_cases()
