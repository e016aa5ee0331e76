"""Each op of the registry on its own: across its whole domain, inside a larger
expression (so a missing upstream factor shows), and at the edges of its domain.

The tests are generated from the registry: adding a spec adds its tests.  An
op the engine under test lacks is skipped, never failed.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from properties.checks import CheckFailure, Skip, check_forward, check_gradient, check_torch, judge, judge_example
from properties.engine_under_test import current_engine
from properties.strategies import Case, op_cases
from properties.values import edge_values
from reference.expression import Expression, Node
from reference.ops import REGISTRY, OpSpec

ENGINE = current_engine()
ALL_CHECKS = (check_forward, check_gradient, check_torch)


def _lacks(spec: OpSpec) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not ENGINE.supports(spec), reason=f"{ENGINE.name} has no {spec.method} (op {spec.name!r})"
    )


def _marks(spec: OpSpec) -> list:
    return [_lacks(spec), pytest.mark.op(spec.name)]


def _alone(spec: OpSpec):
    @pytest.mark.op(spec.name)
    @_lacks(spec)
    @given(op_cases(spec))
    def test(engine, case):
        judge_example(case, engine, *ALL_CHECKS)

    test.__doc__ = f"{spec.name} alone, anywhere in its domain: value and gradient vs mpmath and torch."
    return test


def _inside(spec: OpSpec):
    needs_mul = pytest.mark.skipif(not ENGINE.supports(REGISTRY["mul"]), reason=f"{ENGINE.name} has no __mul__")

    @pytest.mark.op(spec.name)
    @_lacks(spec)
    @needs_mul
    @given(op_cases(spec, upstream=True))
    def test(engine, case):
        judge_example(case, engine, check_gradient, check_torch)

    test.__doc__ = f"{spec.name} below the root (times another input): its backward must use the upstream gradient."
    return test


for _name, _spec in REGISTRY.items():
    globals()[f"test_{_name}_alone"] = _alone(_spec)
    globals()[f"test_{_name}_inside_an_expression"] = _inside(_spec)


# ----- edges -------------------------------------------------------------------

ORDINARY_PARTNERS = (1.5, -2.75)


def _edge_cases() -> list:
    """(spec, Case) for every edge point of every operand of every op, deterministically."""
    cases = []
    for spec in REGISTRY.values():
        for param in spec.edge_params or (None,):
            domains = spec.operand_domains(param)
            for k, domain in enumerate(domains):
                for point in edge_values(domain):
                    if spec.arity == 1:
                        operand_sets = [(point,)]
                    else:  # the edge on one side, an ordinary value (or the same point) on the other
                        partner_domain = domains[1 - k]
                        partners = [domain.clip(p) for p in ORDINARY_PARTNERS] + [point]
                        operand_sets = [(point, q) if k == 0 else (q, point)
                                        for q in partners if partner_domain.contains(q)]
                    for operands in operand_sets:
                        nodes = [Node(input=i) for i in range(len(operands))]
                        nodes.append(Node(op=spec.name, args=tuple(range(len(operands))), param=param))
                        case = Case(Expression(len(operands), tuple(nodes)), tuple(float(x) for x in operands))
                        label = f"{spec.name}{'' if param is None else f'^{param:g}'}({', '.join(map(repr, operands))})"
                        cases.append(pytest.param(spec, case, id=label, marks=_marks(spec)))
    return cases


@pytest.mark.parametrize("spec, case", _edge_cases())
def test_op_at_the_edges_of_its_domain(engine, spec, case):
    """Exact zeros, +-1e-300, the domain's limits: value and gradient vs mpmath, and torch's
    convention where calculus has no derivative (relu at 0)."""
    try:
        judge(case, engine, *ALL_CHECKS)
    except Skip as skip:
        pytest.skip(skip.reason)


@pytest.mark.op("relu")
def test_relu_at_zero_follows_torch(engine):
    """relu'(0) = 0, as torch defines it (a central difference would say 0.5)."""
    if not engine.supports(REGISTRY["relu"]):
        pytest.skip(f"{engine.name} has no relu")
    x = engine.value_type(0.0)
    y = engine.apply("relu", x)
    y.backward()
    if not (y.data == 0.0 and x.grad == 0.0):
        case = Case(Expression(1, (Node(input=0), Node(op="relu", args=(0,)))), (0.0,))
        raise CheckFailure(f"relu at 0: value {y.data!r} (expected 0.0), gradient {x.grad!r} (torch: 0.0)\n"
                           f"Reproducer:\n{engine.import_line}\nx = Value(0.0); y = x.relu(); y.backward(); "
                           "print(y.data, x.grad)  # expected 0.0 0.0", check="relu at 0", case=case, engine=engine)
