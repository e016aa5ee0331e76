"""How the suite meets an engine: aliases, other spellings, results of any class, the coverage gate.

(The whole path, installed into another project with aliases from its pyproject.toml, is
tests/test_any_project.py.)
"""

from __future__ import annotations

import math
import sys
import types

import pytest

import engine.value
from correct_engines import Spelled
from properties.diagnosis.coverage import coverage, is_op, missing_operators, suggest_alias
from properties.core.config import ConfigError, parse_aliases
from properties.core.engine_under_test import EngineSpecError, EngineUnderTest, load_engine
from reference.expression import Expression, Node
from reference.ops import REGISTRY


def _module(name: str, cls: type):
    module = types.ModuleType(name)
    module.Value = cls
    cls.__module__ = name
    sys.modules[name] = module
    return module


@pytest.fixture(scope="module")
def spelled():
    _module("spelled_engine", Spelled)
    yield "spelled_engine:Value"
    del sys.modules["spelled_engine"]


def test_aliases_parse_and_refuse_what_is_not_an_op():
    assert parse_aliases(["log=ln", "relu=reLU,sigmoid=sigmod"]) == {"log": "ln", "relu": "reLU", "sigmoid": "sigmod"}
    for bad in ("log", "log=", "=ln", "logarithm=ln", "log=not a name"):
        with pytest.raises(ConfigError):
            parse_aliases([bad])


def test_an_alias_to_a_missing_method_is_an_error(spelled):
    with pytest.raises(EngineSpecError, match="has no method 'natural_log'"):
        load_engine(spelled, {"log": "natural_log"})


def test_an_aliased_op_is_verified_through_its_own_name_and_printed_so(spelled):
    engine = load_engine(spelled, {"log": "ln"})
    assert "log" in engine.ops and engine.method(REGISTRY["log"]) == "ln"
    expression = Expression(1, (Node(input=0), Node(op="log", args=(0,)), Node(op="abs", args=(1,))))
    assert engine.run(expression, [engine.leaf(0.5)]).data == abs(math.log(0.5))
    assert engine.source(expression) == "def f(x0):\n    return x0.ln().abs()"
    assert expression.source() == "def f(x0):\n    return abs(x0.log())"


def test_another_common_spelling_is_found_without_an_alias(spelled):
    engine = load_engine(spelled)
    assert "abs" in engine.ops and engine.method(REGISTRY["abs"]) == "abs"
    assert "log" not in engine.ops


def test_the_gate_tells_ops_from_helpers_and_suggests_aliases(spelled):
    engine = load_engine(spelled)
    gate = coverage(engine)
    assert set(gate.helpers) >= {"is_finite", "named"}
    unverified = {u.name: u for u in gate.unverified}
    assert set(unverified) == {"ln", "cube"}
    assert unverified["ln"].behaves_like == "log"
    assert unverified["ln"].advice() == "ln behaves like log: pass --alias log=ln"
    assert unverified["cube"].behaves_like is None and "--not-an-op cube" in unverified["cube"].advice()
    assert coverage(engine, not_ops=["cube"]).unverified == (unverified["ln"],)
    assert coverage(load_engine(spelled, {"log": "ln"}), not_ops=["cube"]).unverified == ()


def test_is_op_and_suggest_alias_on_their_own():
    value = EngineUnderTest("engine:Value", engine.value.Value)
    assert is_op(value, "tanh") and is_op(value, "__add__") and not is_op(value, "backward")
    assert suggest_alias(value, "tanh") == "tanh"
    assert suggest_alias(value, "sigmoid") == "sigmoid"


def test_results_of_another_class_are_values():
    """A subclass whose inherited ops return the base class: the results are values all the same."""

    class Base:
        def __init__(self, data):
            self.data, self.grad, self._prev = float(data), 0.0, ()

        def __add__(self, other):
            out = Base(self.data + other.data)
            out._prev = ((self, 1.0), (other, 1.0))
            return out

        def backward(self):
            self.grad = 1.0
            for parent, local in self._prev:
                parent.grad += local * self.grad

    class Sub(Base):
        pass

    _module("subclass_results_engine", Sub)
    try:
        engine_ = load_engine("subclass_results_engine:Value")
        expression = Expression(2, (Node(input=0), Node(input=1), Node(op="add", args=(0, 1))))
        result = engine_.evaluate(expression, [1.5, 2.0])
        assert result.value == 3.5 and result.gradient == (1.0, 1.0)
    finally:
        del sys.modules["subclass_results_engine"]


def test_a_missing_reflected_operator_is_an_unsupported_finding():
    class NoRsub(engine.value.Value):
        __slots__ = ()
        __rsub__ = None

    _module("no_rsub_engine", NoRsub)
    try:
        causes = missing_operators(load_engine("no_rsub_engine:Value"))
        assert [(c.op, c.kind) for c in causes] == [("rsub", "unsupported")]
        assert "`2 - x` raises TypeError" in causes[0].summary and "__rsub__" in causes[0].summary
    finally:
        del sys.modules["no_rsub_engine"]


def test_a_method_without_its_param_is_verified_at_the_engines_own_param():
    class FixedSlope(engine.value.Value):
        __slots__ = ()

        def leaky_relu(self):
            return engine.value.Value.leaky_relu(self, 0.2)

    _module("fixed_slope_engine", FixedSlope)
    try:
        engine_ = load_engine("fixed_slope_engine:Value")
        assert dict(engine_.fixed_params) == {"leaky_relu": 0.2}
        assert engine_.templates["leaky_relu"] == "{0}.leaky_relu()"
        out = engine_.apply("leaky_relu", engine_.value_type(-2.0), 0.2)
        assert out.data == -0.4
    finally:
        del sys.modules["fixed_slope_engine"]


def test_the_gate_never_calls_a_method_that_draws_or_writes():
    """milligrad's graph() calls graphviz's view() (a viewer window, a file in the working
    directory): a method whose name says it draws, shows, saves or writes is a helper, never called."""
    import sys
    import types

    import engine.value

    calls = []

    class Value(engine.value.Value):
        def graph(self):
            calls.append("graph")
            return type(self)(self.data)

        def save_png(self, path="out.png"):
            calls.append("save_png")
            return type(self)(self.data)

    module = types.ModuleType("drawing_engine_for_the_gate")
    module.Value = Value
    sys.modules[module.__name__] = module
    try:
        gate = coverage(load_engine("drawing_engine_for_the_gate:Value"))
        assert {"graph", "save_png"} <= set(gate.helpers) and not gate.unverified and calls == []
    finally:
        del sys.modules[module.__name__]


def test_a_constructor_is_a_helper_not_an_op():
    """``Scalar.new(data)`` returns a fresh leaf whatever it is called on: a helper, never an
    unverified op (a field engine's static constructor failed the gate)."""

    class WithConstructor(engine.value.Value):
        __slots__ = ()

        @staticmethod
        def new(data):
            return WithConstructor(data)

        def zeros_like(self):
            return WithConstructor(0.0)

        def cube(self):  # an op: it depends on the value
            return self * self * self

    spec = EngineUnderTest("t:WithConstructor", WithConstructor)
    assert not is_op(spec, "new") and not is_op(spec, "zeros_like") and is_op(spec, "cube")
    gate = coverage(spec)
    assert [u.name for u in gate.unverified] == ["cube"] and {"new", "zeros_like"} <= set(gate.helpers)
