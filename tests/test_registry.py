"""The op registry (reference/ops.py): every spec means what it says.

* its analytic partials agree with an independent high-precision numerical derivative
  across the op's domain;
* its mpmath definition agrees with Python's float version of the op;
* its ``call`` works on float64 torch tensors and on the engine's Value;
* its ``source`` renders expressions that, pasted as Python, compute exactly what the
  Expression object computes;
* :func:`register` refuses a conflicting name and a bad arity.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath.ctx_mp import MPContext

from engine.value import Value
from properties.strategies import cases
from properties.values import floats_in, param_values
from reference.domains import Domain
from reference.mp_backend import OutOfDomain, mp_scalar_type, mp_value
from reference.ops import FINITE, REGISTRY, OpSpec, register

SPECS = [pytest.param(spec, id=name) for name, spec in REGISTRY.items()]

_CONTEXTS: dict[int, MPContext] = {}


def _ctx(dps: int) -> MPContext:
    if dps not in _CONTEXTS:
        ctx = MPContext()
        ctx.dps = dps
        _CONTEXTS[dps] = ctx
    return _CONTEXTS[dps]


CTX50 = _ctx(50)
MAX_DIGITS = 3000  # beyond this the numerical derivative is not attempted (e.g. sigmoid' at 1e300 = e**-1e300)


def _call(fn, ctx, operands, param):
    return fn(ctx, *operands) if param is None else fn(ctx, *operands, param)


def _draw_param(data, spec: OpSpec):
    if not spec.has_param:
        return None
    if spec.edge_params and data.draw(st.booleans(), label="edge param"):
        return data.draw(st.sampled_from(spec.edge_params), label="param")
    return data.draw(param_values(spec.params), label="param")


def numerical_partial(spec: OpSpec, operands: list[float], k: int, param, hint):
    """d spec.mp / d operand k by a fourth-order difference with step 1e-30 * min(|x|, 1),
    in enough digits that the step and the difference are resolved 40 digits deep.
    One-sided where the symmetric stencil would leave the operand's domain.
    ``hint`` (the analytic partial) only chooses the digits; None if too many are needed."""
    x = operands[k]
    h_scale = min(abs(x), 1.0) if x != 0 else 1.0
    magnitude = max([abs(_call(spec.mp, CTX50, [CTX50.mpf(v) for v in operands], param)), CTX50.one]
                    + [abs(CTX50.mpf(v)) for v in operands] + ([abs(CTX50.mpf(param))] if param is not None else []))
    slope = abs(CTX50.mpf(hint)) if hint and CTX50.isfinite(hint) else CTX50.one
    if float(slope) == 0.0:  # below float64's range: e.g. sigmoid' at -1e300 ~ exp(-1e300)
        return None
    digits = 30 + 40 + max(float(CTX50.log10(magnitude / h_scale)), 0) + max(float(CTX50.log10(1 / slope)), 0) + 30
    if digits > MAX_DIGITS:
        return None
    ctx = _ctx(int(digits) - int(digits) % 10 + 10)
    h = ctx.mpf(10) ** -30 * ctx.mpf(h_scale)
    domain = spec.operand_domains(param)[k]

    def f(offset):
        shifted = [ctx.mpf(v) for v in operands]
        shifted[k] += offset
        return _call(spec.mp, ctx, shifted, param)

    if domain.lo <= x - 2 * h and x + 2 * h <= domain.hi:
        return (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
    sign = 1 if x - 2 * h < domain.lo else -1  # one-sided, into the domain
    f0, f1, f2, f3, f4 = (f(sign * j * h) for j in range(5))
    return sign * (-25 * f0 + 48 * f1 - 36 * f2 + 16 * f3 - 3 * f4) / (12 * h)


@pytest.mark.parametrize("spec", SPECS)
def test_analytic_partials_agree_with_a_numerical_derivative(spec):
    judged = []

    @settings(max_examples=30)
    @given(st.data())
    def check(data):
        param = _draw_param(data, spec)
        domains = spec.operand_domains(param)
        assert len(domains) == spec.arity
        operands = [data.draw(floats_in(d), label=f"operand {k}") for k, d in enumerate(domains)]
        singular = spec.singular_points(param)
        if any(operands[k] == p for k in range(spec.arity) for p in (singular[k] if k < len(singular) else ())):
            return  # no derivative there
        if spec.name == "pow" and operands[0] == 0 and not float(param).is_integer():
            return  # the domain's edge: x**e is not smooth at 0 (only a one-sided limit)
        mp_operands = [CTX50.mpf(v) for v in operands]
        partials = _call(spec.partials, CTX50, mp_operands, param)
        assert len(partials) == spec.arity
        for k in range(spec.arity):
            analytic = CTX50.mpf(partials[k])
            assert CTX50.isfinite(analytic), f"{spec.name}{operands, param}: d/d{k} = {analytic}"
            numeric = numerical_partial(spec, operands, k, param, analytic)
            if numeric is None:
                continue
            judged.append(1)
            if analytic == 0:
                assert abs(numeric) <= 1e-40, f"{spec.name}{operands, param}: d/d{k} = 0, numerically {numeric}"
            else:
                relative = abs(numeric - analytic) / abs(analytic)
                assert relative <= 1e-20, (
                    f"{spec.name}{tuple(operands)} param={param}: analytic d/d{k} = {analytic}, numerical {numeric}")

    check()
    assert len(judged) >= 10, f"only {len(judged)} partials of {spec.name} could be checked"


# ----- the mathematical definition against Python's floats ---------------------------------------

FLOAT_VERSIONS = {
    "add": lambda a, b: a + b,
    "radd": lambda x, c: c + x,
    "sub": lambda a, b: a - b,
    "rsub": lambda x, c: c - x,
    "mul": lambda a, b: a * b,
    "rmul": lambda x, c: c * x,
    "truediv": lambda a, b: a / b,
    "rtruediv": lambda x, c: c / x,
    "neg": lambda x: -x,
    "pow": lambda x, e: math.pow(x, e),
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "abs": abs,
    "pos": lambda x: x,
    "sqrt": math.sqrt,
    "tan": math.tan,
    "leaky_relu": lambda x, s: x if x > 0 else s * x,
    "softplus": lambda x: math.log1p(math.exp(x)),
    "softsign": lambda x: x / (1.0 + abs(x)),
    "rpow": lambda x, c: c**x,
}


def _ordinary(domain: Domain) -> Domain:
    """The part of ``domain`` within [-10, 10] and away from 0 (1e-3): ordinary points."""
    lo, hi = max(domain.lo, -10.0), min(domain.hi, 10.0)
    return Domain(lo, hi, min_abs=max(domain.min_abs, 1e-3), zero=False)


def _ordinary_param(data, spec: OpSpec):
    param = _draw_param(data, spec)
    if param is not None and spec.name != "pow":
        param = _ordinary(Domain(-1e300, 1e300)).clip(param)  # a reflected constant in [-10, 10]
    return param


@pytest.mark.parametrize("spec", SPECS)
def test_mp_definition_agrees_with_python_floats(spec):
    if spec.name not in FLOAT_VERSIONS:
        pytest.skip(f"no float version of {spec.name!r} in this test yet: add one to FLOAT_VERSIONS")
    python = FLOAT_VERSIONS[spec.name]

    @settings(max_examples=30)
    @given(st.data())
    def check(data):
        param = _ordinary_param(data, spec)
        operands = [data.draw(floats_in(_ordinary(d))) for d in spec.operand_domains(param)]
        exact = _call(spec.mp, CTX50, [CTX50.mpf(v) for v in operands], param)
        expected = python(*operands) if param is None else python(*operands, param)
        assert abs(CTX50.mpf(expected) - exact) <= 1e-15 * abs(exact) + 1e-300, (spec.name, operands, param)

    check()


# ----- call on torch and on the engine ----------------------------------------------------------

ORDINARY_POINTS = [0.7, -1.3, 2.5, 0.05]


def _points(spec: OpSpec):
    """A few (operands, param) at ordinary points inside the op's domain."""
    params = list(spec.edge_params) if spec.has_param else [None]
    out = []
    for param in params[:4]:
        domains = spec.operand_domains(param)
        for i in range(len(ORDINARY_POINTS)):
            operands = [d.clip(ORDINARY_POINTS[(i + k) % len(ORDINARY_POINTS)]) for k, d in enumerate(domains)]
            if all(d.contains(v) for d, v in zip(domains, operands)):
                out.append((operands, param))
    return out


def _within_ulps(got: float, exact, ulps: float) -> bool:
    want = float(exact)
    return abs(got - want) <= ulps * math.ulp(want) + 5e-324


@pytest.mark.parametrize("spec", SPECS)
def test_call_works_on_torch_and_on_the_engine(spec):
    points = _points(spec)
    if spec.has_param and not spec.edge_params:
        pytest.skip(f"{spec.name} lists no edge_params to call it with")
    assert len(points) >= 3
    call_torch = spec.torch_call or spec.call
    engine_has_it = callable(getattr(Value, spec.method, None))
    for operands, param in points:
        exact = _call(spec.mp, CTX50, [CTX50.mpf(v) for v in operands], param)
        ulps = 2 + 2 * float(_call(spec.forward_ulps, CTX50, [CTX50.mpf(v) for v in operands], param))
        tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in operands]
        out = call_torch(*tensors) if param is None else call_torch(*tensors, param)
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float64 and out.dim() == 0
        assert _within_ulps(out.item(), exact, ulps), (spec.name, operands, param, out.item(), float(exact))
        out.backward()  # the call is differentiable on torch
        assert all(t.grad is not None for t in tensors)
        if spec.arity == 2 and spec.constant_operand:  # x + 3.0: the second operand a plain number
            out = call_torch(tensors[0], operands[1])
            assert _within_ulps(out.item(), exact, ulps)
        if engine_has_it:
            values = [Value(v) for v in operands]
            out = spec.call(*values) if param is None else spec.call(*values, param)
            assert isinstance(out, Value)
            assert _within_ulps(out.data, exact, ulps), (spec.name, operands, param, out.data, float(exact))
            if spec.arity == 2 and spec.constant_operand:
                assert _within_ulps(spec.call(values[0], operands[1]).data, exact, ulps)
        # and on the mpmath backend the call computes spec.mp
        scalars = [mp_scalar_type(50).leaf(v) for v in operands]
        result = spec.call(*scalars) if param is None else spec.call(*scalars, param)
        assert result.value == exact
    if not engine_has_it:
        pytest.skip(f"engine.Value has no {spec.method}: checked on torch and mpmath only")


@pytest.mark.parametrize("x, e", [(-8.0, 0.5), (-4.0, 2.5), (-2.0, -1.5)])
def test_pow_mp_refuses_a_negative_base_with_a_fractional_exponent(x, e):
    spec = REGISTRY["pow"]
    assert not spec.operand_domains(e)[0].contains(x)
    with pytest.raises((ValueError, ZeroDivisionError, OutOfDomain)):
        result = spec.mp(CTX50, CTX50.mpf(x), e)
        if not isinstance(result, CTX50.mpf):  # complex would be an acceptable refusal too
            raise ValueError(result)


# ----- source text round trip ---------------------------------------------------------------------


def _same_float(a: float, b: float) -> bool:
    return float(a).hex() == float(b).hex()


@settings(max_examples=100)
@given(cases(max_ops=15))
def test_source_round_trip(case):
    """exec(expression.source()) computes bit for bit what the Expression computes, on the
    engine (value and gradient) and on the mpmath backend."""
    expression = case.expression
    text = expression.source()
    namespace: dict = {}
    exec(compile(text, "<expression source>", "exec"), namespace)
    f = namespace["f"]

    leaves_text = [Value(x) for x in case.inputs]
    leaves_object = [Value(x) for x in case.inputs]
    out_text, out_object = f(*leaves_text), expression(*leaves_object)
    assert _same_float(out_text.data, out_object.data), text
    out_text.backward()
    out_object.backward()
    for k, (a, b) in enumerate(zip(leaves_text, leaves_object)):
        assert _same_float(a.grad, b.grad), f"d/dx{k}: {a.grad!r} from the source, {b.grad!r} from the object\n{text}"

    root_text, _ = mp_value(f, case.inputs)
    root_object, _ = mp_value(expression, case.inputs)
    assert root_text.value == root_object.value, text


def test_the_expression_creates_its_nodes_in_the_order_its_source_does():
    """Our engine (like torch) sums a shared node's gradient contributions in creation order, so
    a reproducer that created the nodes in another order could differ in the last bit (found by
    CI: v4 is used by v4 + v4, created first by the node list, and by -v4, created first by the source)."""
    from reference.expression import Expression, Node

    nodes = (Node(input=0), Node(op="neg", args=(0,)), Node(op="add", args=(1, 1)), Node(op="neg", args=(1,)),
             Node(op="sin", args=(3,)), Node(op="cos", args=(4,)), Node(op="add", args=(5, 5)), Node(const=0.0),
             Node(op="add", args=(2, 7)), Node(const=1.0), Node(op="add", args=(8, 9)),
             Node(op="rtruediv", args=(10,), param=1.0), Node(op="add", args=(6, 11)))
    expression = Expression(1, nodes)
    namespace: dict = {}
    exec(expression.source(), namespace)
    from_text, from_object = Value(-1.0), Value(-1.0)
    namespace["f"](from_text).backward()
    expression(from_object).backward()
    assert from_text.grad == from_object.grad == 1.027947108327929


def test_source_round_trip_of_tricky_renderings():
    """Negative constants and params, a method call on a compound operand, pow of a negation,
    a reflected op of a sum, a shared subexpression."""
    from reference.expression import Expression, Node

    nodes = (
        Node(input=0), Node(input=1),
        Node(op="neg", args=(0,)),  # 2: -x0
        Node(op="pow", args=(2,), param=3.0),  # 3: (-x0) ** 3.0
        Node(const=-2.5),  # 4
        Node(op="sub", args=(3, 4)),  # 5: ((-x0) ** 3.0) - (-2.5)
        Node(op="rsub", args=(5,), param=-1.0),  # 6: (-1.0) - (...)
        Node(op="exp", args=(1,)),  # 7: x1.exp(), used twice
        Node(op="rtruediv", args=(7,), param=-0.0),  # 8: (-0.0) / x1.exp()
        Node(op="mul", args=(6, 7)),  # 9
        Node(op="add", args=(9, 8)),  # 10
        Node(op="pow", args=(10,), param=-1.0),  # 11: (...) ** (-1.0)
        Node(op="sin", args=(11,)),  # 12: (...).sin()
    )
    expression = Expression(2, nodes)
    text = expression.source()
    namespace: dict = {}
    exec(text, namespace)
    for inputs in [(0.5, 0.25), (-1.25, 2.0), (1.75, -0.5)]:
        a, b = [Value(x) for x in inputs], [Value(x) for x in inputs]
        out_a, out_b = namespace["f"](*a), expression(*b)
        out_a.backward()
        out_b.backward()
        assert _same_float(out_a.data, out_b.data), text
        assert all(_same_float(p.grad, q.grad) for p, q in zip(a, b)), text


# ----- register ------------------------------------------------------------------------------------


def test_register_rejects_a_duplicate_name_with_a_different_spec():
    before = dict(REGISTRY)
    original = REGISTRY["add"]
    with pytest.raises(ValueError, match="add"):
        register(dataclasses.replace(original, doc="a different add"))
    with pytest.raises(ValueError, match="already registered"):
        register(dataclasses.replace(original, call=lambda a, b: b + a))
    assert REGISTRY == before and REGISTRY["add"] is original


def test_register_accepts_the_same_spec_again():
    before = dict(REGISTRY)
    assert register(REGISTRY["mul"]) is REGISTRY["mul"]
    assert REGISTRY == before and list(REGISTRY) == list(before)


@pytest.mark.parametrize("arity", [0, 3, -1])
def test_register_rejects_a_bad_arity(arity):
    before = dict(REGISTRY)
    spec = OpSpec(name="test_registry_bad_arity", method="bad_arity", arity=arity, call=lambda *a: a[0],
                  source="{0}.bad_arity()", mp=lambda ctx, *a: a[0], partials=lambda ctx, *a: (1,) * len(a),
                  domains=lambda: (Domain(),) * max(arity, 0))
    with pytest.raises(ValueError, match="arity"):
        register(spec)
    assert "test_registry_bad_arity" not in REGISTRY
    assert REGISTRY == before


def test_a_registered_op_reaches_the_mpmath_backend():
    """A downstream op (softplus) registered from outside: the mpmath scalars get its method.
    It is removed again so that other tests see the registry unchanged."""
    spec = OpSpec(name="test_registry_softplus", method="test_registry_softplus", arity=1,
                  call=lambda x: x.test_registry_softplus(), source="{0}.test_registry_softplus()",
                  mp=lambda ctx, x: ctx.log(1 + ctx.exp(x)), partials=lambda ctx, x: (1 / (1 + ctx.exp(-x)),),
                  domains=lambda: (Domain(-700.0, 700.0),))
    assert spec.name not in REGISTRY
    try:
        assert register(spec) is spec
        assert list(REGISTRY)[-1] == spec.name
        root, _ = mp_value(lambda x: x.test_registry_softplus(), [0.0])
        assert abs(root.value - CTX50.log(2)) <= 1e-45
        assert root.spec is spec
    finally:
        REGISTRY.pop(spec.name, None)
    assert spec.name not in REGISTRY
    assert not hasattr(mp_scalar_type(50), spec.method)  # the backend built before still has the old ops


@pytest.mark.parametrize("c", [1.558405969900985e-162, 1e-300, 5e-324, 1e-20, 2.0, 1e100])
def test_the_divisors_a_tiny_numerator_allows_keep_the_slope_finite(c):
    """c / x**2 must stay finite at the smallest divisor the domains allow, also where c / FINITE
    underflows (a false alarm once: (1.56e-162 / x0) * x1 at x0 = 1e-236, where the slope is 1.6e310)."""
    ctx = mp_scalar_type(50).ctx
    for domain in (REGISTRY["rtruediv"].operand_domains(c)[0], REGISTRY["truediv"].second_domain(c, None)):
        x = domain.min_abs
        assert ctx.mpf(c) / ctx.mpf(x) ** 2 <= ctx.mpf(FINITE), (c, x)
        assert ctx.mpf(c) / ctx.mpf(x) <= ctx.mpf(FINITE), (c, x)


@pytest.mark.parametrize("e", [-2.0, -3.0, -1.5, -1.0, -0.5, 0.5, 1.0 / 3.0, 0.0, 2.5, 4.0])
def test_powers_keep_their_slope_finite_at_the_smallest_base_allowed(e):
    """e * x ** (e - 1) must stay finite at the smallest base the domain allows, the factor e included
    (a false alarm once: (x0 ** -2.0) * x1 at x0 = 2.2e-103, x1 = 0, where x0 ** -3 is finite but its
    slope -2 x0 ** -3 overflows, so a correct engine's 0 * -inf is nan)."""
    ctx = mp_scalar_type(50).ctx
    x = REGISTRY["pow"].operand_domains(e)[0].min_abs
    if x:
        assert abs(ctx.mpf(e) * ctx.power(ctx.mpf(x), e - 1)) <= ctx.mpf(FINITE), (e, x)
    assert not REGISTRY["pow"].operand_domains(-2.0)[0].contains(2.23239724859817e-103)
