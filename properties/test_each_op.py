"""Each op of the registry on its own: across its whole domain, inside a larger
expression (so a missing upstream factor shows), and at the edges of its domain.

The tests are generated from the registry: adding a spec adds its tests.  An
op the engine under test lacks is skipped, never failed.
"""

from __future__ import annotations

import math
import random
import zlib

import pytest
from hypothesis import given

from properties.catalog import alone, inside
from properties.core.checks import CheckFailure, Skip, check_forward, check_gradient, check_torch, judge
from properties.core.reproducers import one_op
from properties.core.session import active
from properties.diagnosis.accumulation import accumulation_cause, reference_op, two_roots
from properties.diagnosis.wiring import cut_below, graph_sound
from properties.values import edge_values
from reference.domains import SMALLEST_SUBNORMAL, Domain
from reference.expression import Case, Expression, Node
from reference.ops import REGISTRY, OpSpec

ALL_CHECKS = (check_forward, check_gradient, check_torch)


def _marks(spec: OpSpec) -> list:
    return [pytest.mark.needs(spec.name), pytest.mark.op(spec.name)]


def _alone(spec: OpSpec):
    prop = alone(spec)

    @pytest.mark.op(spec.name)
    @pytest.mark.needs(spec.name)
    @given(prop.drawn())
    def test(engine, case):
        prop.judge(case, engine)

    test.__doc__ = f"{spec.name} alone, anywhere in its domain: value and gradient vs mpmath and torch."
    return test


def _inside(spec: OpSpec):
    prop = inside(spec)

    @pytest.mark.op(spec.name)
    @pytest.mark.needs(spec.name, "mul")
    @given(prop.drawn())
    def test(engine, case):
        prop.judge(case, engine)

    test.__doc__ = f"{spec.name} below the root (times another input): its backward must use the upstream gradient."
    return test


REGISTERED = tuple(REGISTRY)  # the ops this module made tests for (an ops module may register more later)
for _name, _spec in REGISTRY.items():
    globals()[f"test_{_name}_alone"] = _alone(_spec)
    globals()[f"test_{_name}_inside_an_expression"] = _inside(_spec)


# ----- edges -------------------------------------------------------------------

ORDINARY_PARTNERS = (1.5, -2.75)


def _edge_cases() -> list:
    """(spec, Case) for every edge point of every operand of every op, deterministically, at the
    params the engine takes (the registry's, or its own where its method takes none)."""
    engine = active().engine
    cases = []
    for spec in REGISTRY.values():
        for param in engine.edge_params(spec) or (None,):
            domains = spec.operand_domains(param)
            for k, domain in enumerate(domains):
                for point in edge_values(domain):
                    if spec.arity == 1:
                        operand_sets = [(point,)]
                    else:  # the edge on one side, an ordinary value (or the same point) on the other
                        partners = [domains[1 - k].clip(p) for p in ORDINARY_PARTNERS] + [point]
                        operand_sets = [(point, q) if k == 0 else (q, point) for q in partners]
                        operand_sets = [(a, b) for a, b in operand_sets
                                        if domains[0].contains(a) and spec.second_domain(a, param).contains(b)]
                    for operands in operand_sets:
                        nodes = [Node(input=i) for i in range(len(operands))]
                        nodes.append(Node(op=spec.name, args=tuple(range(len(operands))), param=param))
                        case = Case(Expression(len(operands), tuple(nodes)), tuple(float(x) for x in operands))
                        label = f"{spec.name}{'' if param is None else f'^{param:g}'}({', '.join(map(repr, operands))})"
                        cases.append(pytest.param(spec, case, id=label, marks=_marks(spec)))
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function is test_op_at_the_edges_of_its_domain:
        metafunc.parametrize("spec, case", _edge_cases())


@pytest.mark.exhaustive
def test_op_at_the_edges_of_its_domain(engine, spec, case):
    """Exact zeros, +-1e-300, the domain's limits: value and gradient vs mpmath, and torch's
    convention where calculus has no derivative (relu at 0)."""
    try:
        judge(case, engine, *ALL_CHECKS)
    except Skip as skip:
        pytest.skip(skip.reason)


# ----- regimes ---------------------------------------------------------------------

POINTS_PER_REGIME = 8


def regime_points(domain: Domain, n: int, seed: str) -> list[float]:
    """``n`` points of ``domain``, the same every run: its edges first, then magnitudes spread
    evenly on a log scale across it, each sign where the domain has it."""
    rng = random.Random(zlib.crc32(seed.encode()))
    points = [p for p in edge_values(domain) if p != 0.0 or domain.zero][: n // 2]
    high = domain.max_abs
    if domain.lo > 0 or domain.hi < 0:  # one sign: from the end nearer 0
        low = max(domain.min_abs, SMALLEST_SUBNORMAL, min(abs(domain.lo), abs(domain.hi)))
    elif domain.min_abs > 0:  # a band of magnitudes: all of it
        low = domain.min_abs
    else:  # around 0: magnitudes within three decades of the largest (tiny ones are another regime's)
        low = max(SMALLEST_SUBNORMAL, high * 1e-3)
    while len(points) < n and high > 0:
        magnitude = math.exp(rng.uniform(math.log(max(low, SMALLEST_SUBNORMAL)), math.log(high)))
        x = domain.clip(-magnitude if rng.random() < 0.5 else magnitude)
        if domain.contains(x) and x not in points:
            points.append(x)
        elif len(points) == 0 and domain.contains(0.0):
            points.append(0.0)
        else:
            n -= 1
    return points


def _regime_cases(spec: OpSpec, regime, edge_params: tuple) -> list[Case]:
    cases = []
    params = regime.params or (edge_params[:1] if spec.has_param else (None,))
    for param in params:
        domains = spec.operand_domains(param)
        narrow = list(regime.domains) + [None, None]
        first_domain = domains[0] if narrow[0] is None else (domains[0].intersect(narrow[0]) or domains[0])
        for i, x in enumerate(regime_points(first_domain, POINTS_PER_REGIME, f"{spec.name}/{regime.name}/{param}")):
            operands = (x,)
            if spec.arity == 2:
                second = spec.second_domain(x, param)
                second = second if narrow[1] is None else (second.intersect(narrow[1]) or second)
                choices = regime_points(second, 2, f"{spec.name}/{regime.name}/{x!r}")
                if not choices:
                    continue
                operands = (x, choices[i % len(choices)])
            nodes = [Node(input=k) for k in range(len(operands))]
            nodes.append(Node(op=spec.name, args=tuple(range(len(operands))), param=param))
            cases.append(Case(Expression(len(operands), tuple(nodes)), operands))
    return cases


def _regimes() -> list:
    return [pytest.param(spec, regime, id=f"{spec.name}-{regime.name}", marks=_marks(spec))
            for spec in REGISTRY.values() for regime in spec.regimes]


@pytest.mark.parametrize("spec, regime", _regimes())
def test_each_op_in_each_of_its_regimes(engine, spec, regime):
    """Every run meets each regime of each op (sigmoid saturated beyond 36, exp near its underflow
    edge, log among the subnormals, pow with each sign and size of exponent), at points spread
    across it: a clamp or a branch anywhere on the real line is met."""
    judged = 0
    for case in _regime_cases(spec, regime, engine.edge_params(spec)):
        try:
            judge(case, engine, *ALL_CHECKS, regime=regime.name)
            judged += 1
        except Skip:
            continue
    if not judged:
        pytest.skip(f"no point of {spec.name}'s regime {regime.name!r} could be judged")


@pytest.mark.op("relu")
@pytest.mark.needs("relu")
def test_relu_at_zero_follows_torch(engine):
    """relu'(0) = 0, as torch defines it (a central difference would say 0.5)."""
    x = engine.leaf(0.0)
    y = engine.apply("relu", x)
    engine.backward(y)
    value, gradient = engine.number(y), engine.gradient(x)
    if not (value == 0.0 and gradient == 0.0):
        case = Case(Expression(1, (Node(input=0), Node(op="relu", args=(0,)))), (0.0,))
        repro = one_op(engine, (0.0,), engine.source_of("relu", "x0"))
        repro.expect("value", repro.value("out"), 0.0, 0.0)
        repro.expect("d out / d x0", repro.grad("x0"), 0.0, 0.0, "torch's convention at the kink")
        raise CheckFailure(f"relu at 0: value {value!r} (expected 0.0), gradient {gradient!r} (torch: 0.0)\n"
                           f"Reproducer:\n{repro.text()}", label="relu at 0", case=case, engine=engine)


def _accumulation_params() -> list:
    return [pytest.param(spec, id=spec.name, marks=_marks(spec)) for spec in REGISTRY.values()]


@pytest.mark.parametrize("spec", _accumulation_params())
def test_each_op_adds_to_the_gradient_its_operand_holds(engine, spec):
    """x * 1.25 alone, backward; then the op alone on the same x, backward: x's gradient is the
    sum of both uses.  One-op graphs, so an op whose backward assigns instead of adding is found
    whatever order the engine's sets iterate in (inside one graph it shows only when the
    overwriting use happens to come last)."""
    reference = reference_op(engine)
    if reference is None:
        pytest.skip(f"{engine.name} does not keep gradients across backward calls (or its * and + overwrite)")
    check = two_roots(engine, spec.name, reference)
    if check is None:
        pytest.skip(f"{spec.name} cannot be asked at an ordinary point (it raises, or its slope is 0 or not finite)")
    cause = accumulation_cause(engine, check, reference)
    if cause is None:
        return
    failure = CheckFailure(f"{cause.summary}\n\nReproducer:\n{cause.reproducer}", label="accumulation", engine=engine)
    failure.cause = cause
    raise failure


@pytest.mark.parametrize("spec", [p for p in _accumulation_params() if p.id != "mul"])
def test_each_op_passes_its_gradient_to_the_op_below(engine, spec):
    """The op on ``x0 * 1.25`` instead of a leaf: x0's gradient is the op's derivative times 1.25.
    An op whose backward is attached to its operand, not to its result, is right on a leaf (and
    on a chain of its own kind) and cuts the graph below it."""
    if not engine.supports(REGISTRY["mul"]):
        pytest.skip(f"{engine.name} has no * to put below {spec.name}")
    run = active()
    if "graph sound" not in run.cache:
        run.cache["graph sound"] = graph_sound(engine)
    if not run.cache["graph sound"]:  # the graph-structure properties find and report it
        pytest.skip("small graphs of * and + get wrong gradients: the traversal's finding, not the op's wiring")
    cause = cut_below(engine, spec.name)
    if cause is None:
        return
    failure = CheckFailure(f"{cause.summary}\n\nReproducer:\n{cause.reproducer}", label="wiring",
                           case=cause.case, engine=engine)
    failure.cause = cause
    raise failure
