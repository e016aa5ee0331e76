"""The tolerance policy (reference/error_bounds.py), tested on its own.

* SOUNDNESS: three alternative float64 engines, each correct but computing
  with different (legitimate) formulas, stay within SAFETY times the derived
  bounds on random expressions.  A bound that is too tight for a correct
  engine would make the suite report false failures.
* TIGHTNESS: an engine with one op off by 1e-10 (value) or 1e-9 (one local
  derivative) relative is rejected on simple well-conditioned expressions.
  A bound that is too loose would let real bugs through.
* IllConditioned is raised where no bound exists (rounding may cross a kink
  or a pole), and exact computations get exact (zero-width) bounds.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from numbers import Real

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.value import Value as ProjectValue
from properties.core.checks import CheckFailure, Skip, check_forward, check_gradient, check_torch, oracles
from properties.core.engine_under_test import EngineUnderTest
from properties.strategies import Case, cases
from reference.backends import evaluate_engine
from reference.domains import SMALLEST_SUBNORMAL
from reference.error_bounds import IllConditioned, error_bounds
from reference.expression import Expression, Node
from reference.mp_backend import mp_value
from reference.ops import REGISTRY

U = 2.0**-53


def _number(x, what: str) -> float:
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"{what}: expected a real number, got {type(x).__name__}")


# ----- engine (a): other legitimate formulas ------------------------------------------


def _backward_with_stored_derivatives(root) -> None:
    """Backward for the two engines below that store each node's local derivatives in ``_local``
    (written apart from the project's engine and the oracle on purpose: it must not share their bugs)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents)
    root.grad = 1.0
    for node in reversed(order):
        for parent, d in zip(node._parents, node._local):
            parent.grad += d * node.grad


class FormulaValue:
    """Correct, but not the formulas of engine/value.py: a / b as a * (1/b), a - b as
    a + (-b), tanh' = 1/cosh(x)**2, x**e = exp(e log x), local derivatives stored per node."""

    __slots__ = ("data", "grad", "_parents", "_local")

    def __init__(self, data, _parents=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents
        self._local = _local

    def _wrap(self, other, what):
        return other if isinstance(other, FormulaValue) else FormulaValue(_number(other, what))

    def __add__(self, other):
        other = self._wrap(other, "+")
        return FormulaValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __radd__(self, c):
        return FormulaValue(_number(c, "+") + self.data, (self,), (1.0,))

    def __sub__(self, other):
        other = self._wrap(other, "-")
        return FormulaValue(self.data + (-other.data), (self, other), (1.0, -1.0))

    def __rsub__(self, c):
        return FormulaValue((-self.data) + _number(c, "-"), (self,), (-1.0,))

    def __mul__(self, other):
        other = self._wrap(other, "*")
        return FormulaValue(self.data * other.data, (self, other), (other.data, self.data))

    def __rmul__(self, c):
        c = _number(c, "*")
        return FormulaValue(c * self.data, (self,), (c,))

    def __truediv__(self, other):
        other = self._wrap(other, "/")
        a, r = self.data, 1.0 / other.data
        return FormulaValue(a * r, (self, other), (r, -(a * r) * r))

    def __rtruediv__(self, c):
        c, r = _number(c, "/"), 1.0 / self.data
        return FormulaValue(c * r, (self,), (-(c * r) * r,))

    def __neg__(self):
        return FormulaValue(-self.data, (self,), (-1.0,))

    def __pow__(self, e):
        x, e = self.data, _number(e, "**")
        if x == 0.0:
            out = 1.0 if e == 0.0 else 0.0
            d = 0.0 if (e == 0.0 or e > 1.0) else (1.0 if e == 1.0 else math.inf)
        else:
            # |x|**e via exp and log; a negative base only with an integer exponent
            sign = -1.0 if x < 0 and int(e) % 2 else 1.0
            sign_d = -1.0 if x < 0 and (int(e) - 1) % 2 else 1.0
            log_abs = math.log(abs(x))
            out = sign * math.exp(e * log_abs)
            d = e * sign_d * math.exp((e - 1.0) * log_abs) if e != 0.0 else 0.0
        return FormulaValue(out, (self,), (d,))

    def exp(self):
        out = math.exp(self.data)
        return FormulaValue(out, (self,), (math.exp(self.data),))

    def log(self):
        return FormulaValue(math.log(self.data), (self,), (1.0 / self.data,))

    def sin(self):
        return FormulaValue(math.sin(self.data), (self,), (math.cos(self.data),))

    def cos(self):
        return FormulaValue(math.cos(self.data), (self,), (-math.sin(self.data),))

    def tanh(self):
        x = self.data
        d = 0.0 if abs(x) > 350.0 else 1.0 / math.cosh(x) ** 2
        return FormulaValue(math.tanh(x), (self,), (d,))

    def sigmoid(self):
        x = self.data
        z = math.exp(-abs(x))
        s = 1.0 / (1.0 + z)
        d = z / (1.0 + z) ** 2  # e^-|x| / (1 + e^-|x|)^2: the derivative is even
        return FormulaValue(s if x >= 0 else 1.0 - s if x > -1.0 else z * s, (self,), (d,))

    def relu(self):
        return FormulaValue(self.data if self.data > 0 else 0.0, (self,), (1.0 if self.data > 0 else 0.0,))

    def backward(self):
        _backward_with_stored_derivatives(self)


# ----- engine (b): every op correctly rounded --------------------------------------------

_CR_CTX = mpmath.MPContext()
_CR_CTX.dps = 60


class RoundedValue:
    """Each op's value and local derivatives computed in mpmath at 60 digits from the
    float operands and rounded once to float64 (a 'correctly rounded' engine); methods
    generated from the registry."""

    __slots__ = ("data", "grad", "_parents", "_local")

    def __init__(self, data, _parents=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents
        self._local = _local

    def backward(self):
        _backward_with_stored_derivatives(self)


def _rounded_method(spec):
    ctx = _CR_CTX

    def apply(operands, param):
        values = [ctx.mpf(o.data) for o in operands]
        args = values if param is None else [*values, param]
        out = float(spec.mp(ctx, *args))
        local = tuple(float(d) for d in spec.partials(ctx, *args))
        return RoundedValue(out, tuple(operands), local)

    if spec.arity == 2:
        return lambda self, other: apply(
            (self, other if isinstance(other, RoundedValue) else RoundedValue(_number(other, spec.name))), None)
    if spec.has_param:
        return lambda self, param: apply((self,), _number(param, spec.name))
    return lambda self: apply((self,), None)


for _spec in REGISTRY.values():
    setattr(RoundedValue, _spec.method, _rounded_method(_spec))


# ----- engine (c): micrograd's closures ----------------------------------------------------


class ClosureValue:
    """micrograd's design: a _backward closure per node, a recursive topological sort,
    subtraction as a + (-b), neg as x * -1; division as a times the reciprocal (micrograd's own
    a * b**-1 is no correct formula: b**-2 underflows for a huge b and overflows for a tiny one,
    the field report's finding on micrograd)."""

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)

    def __add__(self, other):
        other = other if isinstance(other, ClosureValue) else ClosureValue(_number(other, "+"))
        out = ClosureValue(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, ClosureValue) else ClosureValue(_number(other, "*"))
        out = ClosureValue(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, e):
        e = _number(e, "**")
        x = self.data
        out = ClosureValue(x**e, (self,))

        def _backward():
            if x == 0.0:  # micrograd would divide by zero here for e < 1
                d = 0.0 if (e == 0.0 or e > 1.0) else (1.0 if e == 1.0 else math.inf)
            else:
                d = e * x ** (e - 1)
            self.grad += d * out.grad

        out._backward = _backward
        return out

    def _unary(self, value, derivative):
        out = ClosureValue(value, (self,))

        def _backward():
            self.grad += derivative * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = ClosureValue(0.0 if self.data < 0 else self.data, (self,))

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1 - t**2)

    def sigmoid(self):
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = ClosureValue(s, (self,))

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = ClosureValue(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data)

    def sin(self):
        return self._unary(math.sin(self.data), math.cos(self.data))

    def cos(self):
        return self._unary(math.cos(self.data), -math.sin(self.data))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):  # a times the reciprocal (micrograd's a * b**-1 loses the slope of a huge b)
        other = other if isinstance(other, ClosureValue) else ClosureValue(_number(other, "/"))
        r = 1.0 / other.data
        out = ClosureValue(self.data * r, (self, other))

        def _backward():
            self.grad += r * out.grad
            other.grad += -out.data * r * out.grad

        out._backward = _backward
        return out

    def __rtruediv__(self, other):
        return ClosureValue(_number(other, "/")) / self

    def backward(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


CORRECT_ENGINES = [
    EngineUnderTest("tests.test_error_bounds:FormulaValue", FormulaValue),
    EngineUnderTest("tests.test_error_bounds:RoundedValue", RoundedValue),
    EngineUnderTest("tests.test_error_bounds:ClosureValue", ClosureValue),
]


# The ops every alternative engine implements (ops registered later are left to RoundedValue,
# which takes every op from the registry).
COMMON_OPS = [name for name in REGISTRY if all(e.supports(REGISTRY[name]) for e in CORRECT_ENGINES)]
IMPLEMENTED = {"add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "neg", "pow", "exp", "log",
               "sin", "cos", "tanh", "sigmoid", "relu"}


def test_the_alternative_engines_implement_the_registry_ops():
    assert RoundedValue in [e.value_type for e in CORRECT_ENGINES]
    assert EngineUnderTest("RoundedValue", RoundedValue).missing_ops == []
    for engine in CORRECT_ENGINES:
        missing = set(engine.missing_ops)
        assert not missing & IMPLEMENTED, (engine.name, missing)
    assert set(COMMON_OPS) >= IMPLEMENTED & set(REGISTRY)


def test_the_alternative_engines_compute_the_seed_example():
    """The seed's f(a, b, c) at (2, 3, 4): a sanity check of the engines themselves."""
    expected = [-12.353553390593273, 10.25699027111255, 0.0625]
    for engine in CORRECT_ENGINES:
        leaves = [engine.value_type(x) for x in (2.0, 3.0, 4.0)]
        a, b, c = leaves
        out = -a**3 + (b * 3).sin() - 1.0 / c + b**2.5 - a**0.5
        out.backward()
        assert out.data == pytest.approx(6.336362190988565, rel=1e-14), engine.name
        assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-14), engine.name


# ----- soundness ---------------------------------------------------------------------------


def _on(o, engine: EngineUnderTest):
    """The oracles of ``o`` (mpmath, bounds, torch) with ``engine``'s result instead."""
    try:
        result, error = evaluate_engine(engine.value_type, o.case.expression, o.case.inputs), None
    except Exception as exc:
        result, error = None, exc
    return replace(o, engine=engine, result=result, error=error)


def test_correct_engines_stay_within_the_bounds():
    """Random DAGs over every op: each correct engine passes check_forward, check_gradient and
    check_torch; at most 20% of the examples may be skipped as ill-conditioned.  The engines
    do compute differently from engine/value.py (else the test would prove nothing)."""
    counts: Counter = Counter()
    project = EngineUnderTest("engine:Value", ProjectValue)

    # too_slow: each example runs three engines, the correctly rounded one in mpmath, so data
    # generation is a small share of a slow example; the check is about the bounds, not speed
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(cases(ops=COMMON_OPS))
    def run(case):
        counts["examples"] += 1
        try:
            shared = oracles(case, project)
        except Skip as skip:
            counts["skipped"] += 1
            counts[skip.reason] += 1
            return
        for engine in CORRECT_ENGINES:
            o = _on(shared, engine)
            assert o.error is None, f"{engine.name} raised {o.error!r} on\n{case}"
            check_forward(o)
            check_gradient(o)
            check_torch(o)
            if shared.result is not None and o.result != shared.result:
                counts[f"{engine.name} differs from engine:Value"] += 1

    run()
    assert counts["examples"] > 0
    # skipped as ill-conditioned: 3.2% of 1,200 examples (12 seeds of 100), but clustered, since
    # hypothesis mutates an ill-conditioned example into its neighbours: 0 to 13 in one run of 100,
    # 16 in one CI run.  What matters is that most examples are judged.
    assert counts["skipped"] <= 0.2 * counts["examples"], str(dict(counts))
    if counts["examples"] - counts["skipped"] >= 50:  # (a quick profile may run only a few)
        for engine in CORRECT_ENGINES:
            assert counts[f"{engine.name} differs from engine:Value"] >= 1, dict(counts)


# ----- tightness ---------------------------------------------------------------------------


class SinOff(ProjectValue):
    __slots__ = ()

    def sin(self):
        out = super().sin()
        return type(self)(out.data * (1 + 1e-10), out._parents, out._local_grads, out._op)


class ExpOff(ProjectValue):
    __slots__ = ()

    def exp(self):
        out = super().exp()
        return type(self)(out.data * (1 + 1e-10), out._parents, out._local_grads, out._op)


class MulOff(ProjectValue):
    __slots__ = ()

    def __mul__(self, other):
        out = super().__mul__(other)
        return type(self)(out.data * (1 + 1e-10), out._parents, out._local_grads, out._op)


class SinDerivativeOff(ProjectValue):
    __slots__ = ()

    def sin(self):
        out = super().sin()
        return type(self)(out.data, out._parents, (out._local_grads[0] * (1 + 1e-9),), out._op)


class MulDerivativeOff(ProjectValue):
    __slots__ = ()

    def __mul__(self, other):
        out = super().__mul__(other)
        da, db = out._local_grads
        return type(self)(out.data, out._parents, (da * (1 - 1e-9), db), out._op)


class ExpDerivativeOff(ProjectValue):
    __slots__ = ()

    def exp(self):
        out = super().exp()
        return type(self)(out.data, out._parents, (out._local_grads[0] * (1 + 1e-9),), out._op)


def _expression(n_inputs: int, *ops: tuple) -> Expression:
    """Inputs, then (op, args[, param]) nodes; args index the nodes list."""
    nodes = [Node(input=k) for k in range(n_inputs)]
    for op in ops:
        name, args, *param = op
        nodes.append(Node(op=name, args=args, param=param[0] if param else None))
    return Expression(n_inputs, tuple(nodes))


SIN_TIMES = _expression(2, ("sin", (0,)), ("mul", (2, 1)))  # sin(x0) * x1
EXP_TIMES = _expression(2, ("exp", (0,)), ("mul", (2, 1)))  # exp(x0) * x1
MUL_PLUS = _expression(3, ("mul", (0, 1)), ("add", (3, 2)))  # x0 * x1 + x2
WELL_CONDITIONED_POINTS = [(0.7, 1.3), (1.1, 0.55), (-0.9, 1.9), (2.3, 0.8), (0.3, 1.7)]


@pytest.mark.parametrize("point", WELL_CONDITIONED_POINTS)
@pytest.mark.parametrize(
    "mutant, expression, check",
    [
        (SinOff, SIN_TIMES, check_forward),
        (ExpOff, EXP_TIMES, check_forward),
        (MulOff, SIN_TIMES, check_forward),
        (MulOff, MUL_PLUS, check_forward),
        (SinDerivativeOff, SIN_TIMES, check_gradient),
        (ExpDerivativeOff, EXP_TIMES, check_gradient),
        (MulDerivativeOff, SIN_TIMES, check_gradient),
        (MulDerivativeOff, MUL_PLUS, check_gradient),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_an_error_of_1e_10_is_rejected(mutant, expression, check, point):
    inputs = point + (0.25,) * (expression.n_inputs - 2)
    case = Case(expression, inputs)
    engine = EngineUnderTest(f"tests.test_error_bounds:{mutant.__name__}", mutant)
    o = oracles(case, engine)
    with pytest.raises(CheckFailure):
        check(o)
    # and the same point passes on the correct engine: it is the bug that fails, not the point
    good = oracles(case, EngineUnderTest("engine:Value", ProjectValue))
    check_forward(good)
    check_gradient(good)
    check_torch(good)


def test_the_bounds_are_tight_on_well_conditioned_expressions():
    """Relative bounds of a few u, not thousands: sin(x0) * x1 at ordinary points."""
    for x0, x1 in WELL_CONDITIONED_POINTS:
        bounds = error_bounds(*mp_value(SIN_TIMES, (x0, x1)))
        value = abs(math.sin(x0) * x1)
        assert bounds.value <= 16 * U * value
        assert bounds.gradient[0] <= 16 * U * abs(math.cos(x0) * x1)
        assert bounds.gradient[1] <= 16 * U * abs(math.sin(x0))


# ----- no bound where rounding may cross a kink or pole ---------------------------------------

NEAR = 1.0 + 2.0**-52  # NEAR * NEAR = 1 + 2**-51 + 2**-104: within rounding of 1 + 2**-51
NEAR_SQUARED = 1.0 + 2.0**-51
CANCELLING = (NEAR, NEAR, NEAR_SQUARED)  # x*y - z = 2**-104 exactly; float64 computes 0.0


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda x, y, z: (x * y - z).relu(), id="relu(x*y - z)"),
        pytest.param(lambda x, y, z: (x * y - z).log(), id="log(x*y - z)"),
        pytest.param(lambda x, y, z: 1.0 / (x * y - z), id="1 / (x*y - z)"),
        pytest.param(lambda x, y, z: (x * y - z) ** -1.0, id="(x*y - z) ** -1"),
        pytest.param(lambda x, y, z: (x * y - z) ** 0.5, id="(x*y - z) ** 0.5"),
        pytest.param(lambda x, y, z: (x * y - z).relu() * z, id="relu(x*y - z) * z"),
        pytest.param(lambda x, y, z: (x * y - z * 1.0).relu(), id="relu(x*y - z*1.0)"),
    ],
)
def test_rounding_that_may_cross_a_kink_or_pole_is_ill_conditioned(fn):
    """The exact difference is 2**-104 > 0, but a correct engine rounds x*y to z and gets 0.0 (or
    could be on either side): no error bound exists, and the analysis must say so."""
    assert _CR_CTX.mpf(NEAR) * NEAR - NEAR_SQUARED == _CR_CTX.mpf(2) ** -104
    assert NEAR * NEAR - NEAR_SQUARED == 0.0
    root, leaves = mp_value(fn, CANCELLING)
    with pytest.raises(IllConditioned) as info:
        error_bounds(root, leaves)
    assert info.value.kind in ("rounding may cross a kink or pole", "rounding may leave an op's domain",
                               "rounding error too large for a first-order bound")


def test_the_oracles_skip_rather_than_judge_a_straddled_kink():
    case = Case(_expression(3, ("mul", (0, 1)), ("sub", (3, 2)), ("relu", (4,))), CANCELLING)
    with pytest.raises(Skip, match="ill-conditioned"):
        oracles(case, EngineUnderTest("engine:Value", ProjectValue))


def test_a_computed_difference_on_the_safe_side_is_not_ill_conditioned():
    """The same shapes well away from the kink get ordinary, tight bounds."""
    for fn in (lambda x, y, z: (x * y - z).relu(), lambda x, y, z: (x * y - z).log()):
        root, leaves = mp_value(fn, (1.5, 1.5, 2.0))
        bounds = error_bounds(root, leaves)
        assert 0 < bounds.value < 64 * U
        assert all(0 < g < 64 * U * 8 for g in bounds.gradient)


@pytest.mark.parametrize("fn", [
    pytest.param(lambda x: (x - x).relu(), id="relu(x - x)"),
    pytest.param(lambda x: (x - x).exp(), id="exp(x - x)"),
    pytest.param(lambda x: (x - x).sin(), id="sin(x - x)"),
    pytest.param(lambda x: (1.0 + (x - x)).log(), id="log(1 + (x - x))"),
])
def test_an_exact_zero_from_a_sum_is_not_ill_conditioned(fn):
    """x - x is exactly 0 in every correct engine: the ops applied to it have ordinary bounds."""
    root, leaves = mp_value(fn, (1.25,))
    bounds = error_bounds(root, leaves)
    assert bounds.value <= 4 * U
    assert bounds.gradient[0] <= 64 * U


@pytest.mark.parametrize("fn", [
    pytest.param(lambda x: (x * 0.0).relu(), id="relu(x * 0.0)"),
    pytest.param(lambda x: (x * 0.0).exp(), id="exp(x * 0.0)"),
    pytest.param(lambda x: (0.0 * x).sin(), id="sin(0.0 * x)"),
    pytest.param(lambda x: (0.0 / x).relu(), id="relu(0.0 / x)"),
    pytest.param(lambda x: (x - x).sin().relu(), id="relu(sin(x - x))"),
])
def test_an_exactly_computed_zero_is_not_ill_conditioned(fn):
    root, leaves = mp_value(fn, (1.25,))
    bounds = error_bounds(root, leaves)
    assert bounds.value <= 4 * U
    assert bounds.gradient[0] <= 64 * U


# ----- exact results get exact bounds -------------------------------------------------------


@given(st.floats(-1e100, 1e100, allow_nan=False), st.floats(-1e100, 1e100, allow_nan=False))
def test_bounds_are_zero_width_only_where_the_result_is_exact(x, y):
    """x - x and -x are exact: their bound is the underflow floor (tiny).  Every bound covers the
    actual float64 rounding error of the op (so it is zero-width only where that error is 0),
    and is not vacuous (a few u relative)."""
    for fn in (lambda a, b: a - a, lambda a, b: -a, lambda a, b: b - b):
        bounds = error_bounds(*mp_value(fn, (x, y)))
        assert bounds.value <= SMALLEST_SUBNORMAL
    ops = [(lambda a, b: a + b, lambda a, b: a + b), (lambda a, b: a - b, lambda a, b: a - b),
           (lambda a, b: a * b, lambda a, b: a * b), (lambda a, b: a + 0.0, lambda a, b: a + 0.0),
           (lambda a, b: 3.0 - a, lambda a, b: 3.0 - a), (lambda a, b: 0.1 * a, lambda a, b: 0.1 * a)]
    if abs(y) >= 1e-100:
        ops.append((lambda a, b: a / b, lambda a, b: a / b))
    for fn, float_fn in ops:
        root, leaves = mp_value(fn, (x, y))
        bounds = error_bounds(root, leaves)
        actual = abs(root.ctx.mpf(float_fn(x, y)) - root.value)
        assert actual <= bounds.value
        assert bounds.value <= 4 * U * abs(root.value) + 2 * SMALLEST_SUBNORMAL


def test_x_minus_x_has_a_tiny_forward_bound_and_an_exact_adjoint():
    for x in (1.0, -3.75, 1e300, 1e-300, 0.1):
        bounds = error_bounds(*mp_value(lambda a: a - a, (x,)))
        assert bounds.value <= SMALLEST_SUBNORMAL
        assert bounds.adjoints[0] == 0
        assert bounds.gradient[0] <= 4 * U  # the sum 1 + (-1) of two terms


def test_an_unused_input_has_gradient_bound_zero():
    expression = _expression(3, ("sin", (0,)), ("mul", (3, 2)))  # x1 is not used
    bounds = error_bounds(*mp_value(expression, (0.5, 2.0, 3.0)))
    assert bounds.gradient[1] == 0.0
    assert bounds.adjoints[1] == 0
    assert bounds.gradient[0] > 0 and bounds.gradient[2] > 0


def test_a_dead_branch_does_not_contribute():
    """A node computed but not used by the root (dead code) gives its inputs no gradient bound."""
    nodes = (Node(input=0), Node(input=1), Node(op="exp", args=(1,)), Node(op="sin", args=(0,)))
    bounds = error_bounds(*mp_value(Expression(2, nodes), (0.5, 2.0)))
    assert bounds.gradient[1] == 0.0
    assert bounds.adjoints[1] == 0


# ----- torch's softplus ---------------------------------------------------------------------


def _softplus_linear_beyond(threshold: float) -> type:
    """The project's engine with softplus x itself (slope 1) beyond ``threshold``, as torch's
    F.softplus does beyond 20."""

    class Thresholded(ProjectValue):
        __slots__ = ()

        def softplus(self):
            if self.data >= threshold:
                return type(self)(self.data, (self,), (1.0,), "softplus")
            return super().softplus()

    Thresholded.__name__ = f"SoftplusLinearBeyond{threshold:g}"
    return Thresholded


@pytest.mark.parametrize("x", [20.0, 20.000001, 20.5, 23.0, 30.0, 36.5, 100.0])
def test_torchs_softplus_formula_passes(x):
    """x beyond 20 drops log1p(exp(-x)) < 2.1e-9 of the value and of the slope: torch's own default,
    a legitimate formula, so the spec allows exactly what it drops (and nothing below 20)."""
    import torch

    mutant = _softplus_linear_beyond(20.0)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.softplus(t).backward()
    v = mutant(x)
    out = v.softplus()
    out.backward()
    assert out.data == t.item()  # it is torch's formula (whose slope at 20 itself is sigmoid's)
    assert v.grad == t.grad.item() or x == 20.0
    o = oracles(Case(_expression(1, ("softplus", (0,))), (x,)), EngineUnderTest("t:SoftplusLinearBeyond20", mutant))
    check_forward(o)
    check_gradient(o)
    check_torch(o)


@pytest.mark.parametrize("x", [15.5, 17.0, 19.5])
def test_a_softplus_threshold_below_torchs_is_rejected(x):
    mutant = _softplus_linear_beyond(15.0)
    o = oracles(Case(_expression(1, ("softplus", (0,))), (x,)), EngineUnderTest("t:SoftplusLinearBeyond15", mutant))
    with pytest.raises(CheckFailure):
        check_forward(o)
    with pytest.raises(CheckFailure):
        check_gradient(o)


def test_a_power_through_exp_and_log_stays_within_its_bound():
    """FormulaValue's slope of x ** (1/3) at x = 7.4e-287 is e * exp((e - 1) * log x), 2.06 |(e - 1) log x|
    ulps off (e - 1, log x and their product each round): found by the soundness test above."""
    case = Case(_expression(1, ("pow", (0,), 1.0 / 3.0)), (7.40341552526975e-287,))
    o = oracles(case, EngineUnderTest("tests.test_error_bounds:FormulaValue", FormulaValue))
    check_forward(o)
    check_gradient(o)
    check_torch(o)


def test_a_local_derivative_beyond_float64_is_ill_conditioned():
    """(x0 ** -2) * x1 at x0 = 2.2e-103, x1 = 0: the slope of x0 ** -2 is -1.8e308, inf in a correct
    engine, whose chain rule then gives 0 * -inf = nan where the true gradient is 0: no bound exists."""
    case = Case(_expression(2, ("pow", (0,), -2.0), ("mul", (2, 1))), (2.23239724859817e-103, 0.0))
    with pytest.raises(IllConditioned, match="a local derivative of pow"):
        error_bounds(*mp_value(case.expression, case.inputs))
    error_bounds(*mp_value(case.expression, case.inputs), values_only=True)  # the value is still judged
