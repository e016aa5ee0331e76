"""The generators (properties/values.py, properties/strategies.py): they produce what the
properties need, only valid points, every feature the suite relies on, and small
readable counterexamples when shrinking.
"""

from __future__ import annotations

import math
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import NoSuchExample
from hypothesis import strategies as st

from engine.value import Value
from properties.strategies import LEAF_DOMAIN, Case, cases, op_cases
from properties.values import edge_values, floats_in
from properties.core.adapters import Attributes
from reference.backends import evaluate_engine
from reference.domains import FLOAT_MAX, Domain
from reference.expression import Expression
from reference.mp_backend import MPScalar, mp_scalar_type
from reference.ops import EXPONENTS, REGISTRY

QUIET = dict(database=None, deadline=None, suppress_health_check=list(HealthCheck))


def _counterexample(strategy, condition, examples: int):
    """An example satisfying ``condition`` among ``examples`` generated ones, or None."""
    try:
        return find(strategy, condition, settings=settings(max_examples=examples, phases=[Phase.generate], **QUIET))
    except NoSuchExample:
        return None


def _first(strategy):
    """Draw one example (so that a lazy strategy runs its argument checks)."""
    return find(strategy, lambda _: True, settings=settings(max_examples=10, **QUIET))


# ----- floats_in ------------------------------------------------------------------------------


def _registry_domains() -> list:
    out = []
    for name, spec in REGISTRY.items():
        params = [None] if not spec.has_param else sorted(set(spec.edge_params) | set(EXPONENTS if name == "pow" else ()))
        for param in params:
            for k, domain in enumerate(spec.operand_domains(param)):
                out.append(pytest.param(domain, id=f"{name}{'' if param is None else f'({param:.3g})'}[{k}]"))
    return out


OTHER_DOMAINS = [
    Domain(),
    Domain(-1.0, 1.0),
    Domain(0.0, 5.0, zero=False),
    Domain(-1e-5, 1e-5, min_abs=1e-7),
    Domain(-1e-5, 1e-5, min_abs=1e-7, zero=False),
    Domain(3.0, 3.0),
    Domain(-2.0, -1.0),
    Domain(1e-300, 1e-299, min_abs=1e-300, zero=False),
    Domain(-FLOAT_MAX, -1e300),
    Domain(-0.3, 0.2, min_abs=0.25, zero=False),  # only [-0.3, -0.25]
    Domain(0.0, 5e-324, zero=False),  # one subnormal
    LEAF_DOMAIN,
]


@pytest.mark.parametrize("domain", _registry_domains() + [pytest.param(d, id=repr(d)) for d in OTHER_DOMAINS])
def test_floats_in_stays_inside_the_domain(domain):
    seen = set()

    @settings(max_examples=30)
    @given(floats_in(domain))
    def check(x):
        assert isinstance(x, float) and math.isfinite(x)
        assert domain.contains(x), f"{x!r} outside {domain}"
        seen.add(x)

    check()
    assert seen
    for edge in edge_values(domain):  # the edges it over-represents are inside too
        assert domain.contains(edge), f"edge {edge!r} outside {domain}"


@st.composite
def domains(draw) -> Domain:
    """Arbitrary domains with a nonzero point (see the xfail below for those without)."""
    bound = st.floats(-1e300, 1e300, allow_nan=False)
    lo, hi = sorted([draw(bound), draw(bound)])
    min_abs = draw(st.sampled_from([0.0, 1e-300, 1e-8, 0.5, 1.0, 1e10]))
    zero = draw(st.booleans())
    domain = Domain(lo, hi, min_abs=min_abs, zero=zero)
    has_nonzero_point = hi >= max(min_abs, 5e-324) or lo <= -max(min_abs, 5e-324)
    if not has_nonzero_point:
        domain = Domain(lo, hi, min_abs=0.0, zero=True) if lo <= 0 <= hi else Domain(lo, hi)
    return domain


@settings(max_examples=200)
@given(st.data())
def test_floats_in_stays_inside_arbitrary_domains(data):
    domain = data.draw(domains(), label="domain")
    x = data.draw(floats_in(domain), label="x")
    assert isinstance(x, float) and math.isfinite(x)
    assert domain.contains(x), f"{x!r} outside {domain}"


@pytest.mark.xfail(strict=True, reason=(
    "A domain whose only member is 0 (min_abs above both |lo| and |hi|, zero=True) makes Domain.clip "
    "fall through to 'return self.lo if self.lo != 0 else self.hi', which is outside the domain, so "
    "floats_in returns e.g. -1e-38 for Domain(-1e-38, 0.0, min_abs=1e-8).  (An empty domain such as "
    "Domain(0.2, 0.4, min_abs=0.5) is accepted too.)  Fix: in clip's fallback return 0.0 when "
    "self.zero and lo <= 0 <= hi; reject domains without any member in __post_init__."))
@pytest.mark.parametrize("domain", [Domain(-1.175494351e-38, 0.0, min_abs=1e-8), Domain(-0.5, 0.5, min_abs=1.0)])
def test_floats_in_a_domain_whose_only_member_is_zero(domain):
    @settings(max_examples=50, **QUIET)
    @given(floats_in(domain))
    def check(x):
        assert x == 0.0 and domain.contains(x)

    check()


def test_floats_in_returns_floats_for_a_domain_with_int_bounds():
    assert _counterexample(floats_in(Domain(-10, 10)), lambda x: type(x) is not float, 500) is None


@pytest.mark.parametrize("not_a_domain", [(0.0, 1.0), None, "reals", REGISTRY["log"]])
def test_floats_in_rejects_a_non_domain(not_a_domain):
    with pytest.raises(TypeError, match="Domain"):
        _first(floats_in(not_a_domain))


# ----- cases(): validity ----------------------------------------------------------------------------


def _node_values(expression: Expression, inputs) -> list:
    """Every node's value on the 50-digit mpmath backend (the builder tracked them at 30)."""
    cls = mp_scalar_type(50)
    values: list = []
    for node in expression.nodes:
        if node.op is None:
            values.append(cls.leaf(inputs[node.input]) if node.is_input else node.const)
            continue
        spec = REGISTRY[node.op]
        args = [values[a] for a in node.args]
        values.append(spec.call(*args) if node.param is None else spec.call(*args, node.param))  # OutOfDomain fails
    return values


@settings(max_examples=60)
@given(cases())
def test_every_op_of_a_case_is_applied_inside_its_domain(case):
    expression = case.expression
    assert len(case.inputs) == expression.n_inputs >= 1
    assert all(type(x) is float and math.isfinite(x) and LEAF_DOMAIN.contains(x) for x in case.inputs)
    values = _node_values(expression, case.inputs)
    for i, node in enumerate(expression.nodes):
        if node.op is None:
            continue
        spec = REGISTRY[node.op]
        assert len(node.args) == spec.arity and (node.param is not None) == spec.has_param
        domains = spec.operand_domains(node.param)
        for k, a in enumerate(node.args):
            operand = values[a]
            if not isinstance(operand, MPScalar):  # a plain constant: allowed as the second operand
                assert k == 1 and spec.constant_operand and expression.nodes[a].const is not None
            v = float(operand.value if isinstance(operand, MPScalar) else operand)
            assert domains[k].contains(v), f"node {i} {node.op}: operand {k} = {v!r} outside {domains[k]}"
    # the engine evaluates it without raising, with a finite value and gradient
    result = evaluate_engine(Attributes(Value), expression, case.inputs)
    assert math.isfinite(result.value) and all(math.isfinite(g) for g in result.gradient)
    assert math.isfinite(float(values[-1].value if isinstance(values[-1], MPScalar) else values[-1]))


@settings(max_examples=30)
@given(cases(max_ops=3, max_inputs=1, ops=["sin", "mul"]))
def test_cases_respects_ops_and_max_inputs(case):
    assert case.expression.n_inputs == 1
    assert case.expression.ops() <= {"sin", "mul"}
    assert {n.op for n in case.expression.nodes if n.op} <= {"sin", "mul"}


@settings(max_examples=30)
@given(cases(min_ops=4, max_ops=6))
def test_cases_draws_at_least_min_ops(case):
    assert sum(1 for node in case.expression.nodes if node.op is not None) >= 4


def test_cases_stays_within_its_documented_size():
    """max_ops ops are drawn, then the loose ones are folded into the root: at most 2 * max_ops - 1."""
    too_many = _counterexample(cases(max_ops=3), lambda c: sum(1 for n in c.expression.nodes if n.op) > 5, 300)
    assert too_many is None, str(too_many)


# ----- cases(): reachability -------------------------------------------------------------------------


def _engine_values(expression: Expression, inputs) -> list[float]:
    """Every node's value on the engine (floats: enough to see the sign of a base)."""
    values: list = []
    for node in expression.nodes:
        if node.op is None:
            values.append(Value(inputs[node.input]) if node.is_input else node.const)
            continue
        spec = REGISTRY[node.op]
        args = [values[a] for a in node.args]
        values.append(spec.call(*args) if node.param is None else spec.call(*args, node.param))
    return [getattr(v, "data", v) for v in values]


def _features(case: Case) -> set[str]:
    expression = case.expression
    nodes = expression.nodes
    live = expression.live()
    values = _engine_values(expression, case.inputs)
    found = set()
    if expression.size() >= 40:
        found.add("size >= 40")
    if expression.depth() >= 8:
        found.add("depth >= 8")
    if expression.shared_ops() > 0:
        found.add("shared op node")
    for i in live:
        node = nodes[i]
        if node.op is None:
            continue
        if len(node.args) == 2 and node.args[0] == node.args[1]:
            found.add(f"same operand twice: {node.op}")
        if len(node.args) == 2 and nodes[node.args[1]].const is not None:
            found.add(f"constant on the right: {node.op}")
        if node.op in ("radd", "rsub", "rmul", "rtruediv"):
            found.add(f"reflected: {node.op}")
        if node.op == "pow":
            base = values[node.args[0]]
            if float(node.param).is_integer() and base < 0:
                found.add("pow: negative base, integer exponent")
            if not float(node.param).is_integer():
                found.add("pow: fractional exponent")
    used = {nodes[i].input for i in live if nodes[i].is_input}
    for k, x in enumerate(case.inputs):
        if k not in used:
            continue
        if x == 0:
            found.add("exact zero input")
        elif abs(x) < 1e-100:
            found.add("tiny input")
        elif abs(x) > 1e50:
            found.add("huge input")
    return found


REQUIRED = [
    "size >= 40", "depth >= 8", "shared op node",
    "same operand twice: mul", "same operand twice: sub", "same operand twice: truediv",
    "constant on the right: add", "constant on the right: sub", "constant on the right: mul",
    "constant on the right: truediv",
    "reflected: radd", "reflected: rsub", "reflected: rmul", "reflected: rtruediv",
    "pow: negative base, integer exponent", "pow: fractional exponent",
    "exact zero input", "tiny input", "huge input",
]


def test_cases_reach_every_feature_the_properties_need():
    """A counting run of 100 examples; a feature it missed must then be found by a search of up
    to 1000 more (generation only, no shrinking)."""
    counts: Counter = Counter()

    @settings(max_examples=100, **QUIET)
    @given(cases())
    def count(case):
        counts["examples"] += 1
        counts.update(_features(case))

    count()
    unreachable = [feature for feature in REQUIRED if not counts[feature]
                   and _counterexample(cases(), lambda c, f=feature: f in _features(c), 1000) is None]
    assert not unreachable, f"never generated: {unreachable}; counts in {counts['examples']} examples: {dict(counts)}"


# ----- shrinking ----------------------------------------------------------------------------------


class _OutOfTime(BaseException):
    """Stops hypothesis.find (a BaseException, so hypothesis does not treat it as a failure)."""


def _shrink_within(strategy, condition, seconds: float):
    """hypothesis.find(strategy, condition), stopped after ``seconds``: the smallest case found
    (by op count) and whether the shrinker finished."""
    start, best = time.monotonic(), []

    def tracked(case):
        if time.monotonic() - start > seconds:
            raise _OutOfTime
        if condition(case):
            best.append(case)
            best.sort(key=lambda c: c.expression.size())
            del best[1:]
            return True
        return False

    try:  # derandomized: the same search whatever --hypothesis-seed says (a lucky draw may be small)
        return find(strategy, tracked, settings=settings(max_examples=1000, derandomize=True, **QUIET)), True
    except _OutOfTime:
        return best[0] if best else None, False


@pytest.mark.slow  # 3 s of shrinking, a known limit: run by .ci/run (pytest -m slow)
@pytest.mark.xfail(strict=True, reason=(
    "Shrinking is faster than it was but still short of the minimal expression in 3 s.  Values are "
    "tracked in floats while drawing, each op is one span that the shrinker can delete, and each step "
    "decides whether to draw one more: find(cases(), sin and mul) now shrinks to 9 ops in 3 s and to 4 "
    "in 10 s (((0.0 + x2).sin() + 0.0) * 0.0), where it was 29 to 32 ops after hypothesis' 5-minute "
    "limit.  It does not reach x0.sin() * x0: the fold that combines loose ops into the root, and the "
    "constants drawn for binary ops, keep nodes the shrinker cannot remove one at a time.  Blame makes "
    "this matter less: a failure's report leads with the one-op case."))
def test_shrinking_ends_in_a_small_readable_expression():
    case, finished = _shrink_within(
        cases(), lambda c: "sin" in c.expression.ops() and "mul" in c.expression.ops(), seconds=3.0)
    assert case is not None
    assert case.expression.size() <= 3, f"after {'a finished' if finished else '3 s of'} shrinking:\n{case}"
    assert len(case.expression.source().splitlines()) <= 3, str(case)


# ----- argument validation ------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    (dict(ops=["nope"]), "unknown ops"),
    (dict(ops=["sin", "nope"]), "nope"),
    (dict(ops=[]), "at least one"),
    (dict(min_ops=5, max_ops=2), "min_ops"),
    (dict(min_ops=0), "min_ops"),
    (dict(max_inputs=0), "max_inputs"),
])
def test_cases_rejects_bad_arguments_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _first(cases(**kwargs))


# ----- op_cases ---------------------------------------------------------------------------------------

SPECS = [pytest.param(spec, id=name) for name, spec in REGISTRY.items()]


@pytest.mark.parametrize("spec", SPECS)
def test_op_cases_with_upstream_puts_the_op_below_the_root(spec):
    @settings(max_examples=15)
    @given(op_cases(spec, upstream=True))
    def check(case):
        nodes = case.expression.nodes
        root = nodes[-1]
        assert root.op == "mul" and len(root.args) == 2
        below, factor = (nodes[a] for a in root.args)
        assert below.op == spec.name  # the op's result is multiplied by ...
        assert factor.is_input and factor.input == case.expression.n_inputs - 1  # ... one more input
        assert math.isfinite(case.inputs[-1])
        assert spec.name in case.expression.ops()

    check()


def test_the_upstream_factor_is_never_one():
    one = _counterexample(op_cases(REGISTRY["sin"], upstream=True), lambda c: c.inputs[-1] == 1.0, 2000)
    assert one is None, str(one)


@pytest.mark.parametrize("spec", SPECS)
def test_op_cases_alone_has_the_op_at_the_root_inside_its_domain(spec):
    @settings(max_examples=15)
    @given(op_cases(spec))
    def check(case):
        root = case.expression.nodes[-1]
        assert root.op == spec.name
        assert case.expression.size() == 1
        domains = spec.operand_domains(root.param)
        values = _node_values(case.expression, case.inputs)
        for k, a in enumerate(root.args):
            v = values[a]
            assert domains[k].contains(float(v.value if isinstance(v, MPScalar) else v))

    check()


def test_a_result_that_underflows_to_zero_is_not_tracked_as_an_exact_zero():
    """-x1 * x0 at x0 = -1e-24, x1 = -1e-300 is -1e-324, which float64 rounds to -0.0: drawn as an
    exact 0, it was taken as a base inside the domain of x ** 1.5 (hypothesis found it)."""
    from properties.strategies import _float_error

    mul = REGISTRY["mul"]
    assert _float_error(mul, [1e-300, -1e-24], [0.0, 0.0], None, -0.0, [-1e-24, 1e-300]) > 0
    assert _float_error(mul, [0.0, 3.0], [0.0, 0.0], None, 0.0, [3.0, 0.0]) == 0.0
    assert _float_error(REGISTRY["log"], [1.0], [0.0], None, 0.0, [1.0]) == 0.0
