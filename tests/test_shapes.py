"""Every engine a learner writes, whatever it names things: the probe of ``a * b + a`` finds the
number, the gradient and backward; the suite passes each correct shape and finds a bug in each,
with a reproducer spelled in the engine's own names that fails on the buggy engine and passes on
the correct one; an engine nothing fits is one clear error; an adapter covers the rest."""

from __future__ import annotations

import math

import pytest

from correct_engines import MiniScalar, Node, Strict, Tensor0d
from properties import Adapter, run
from properties.core.engine_under_test import EngineSpecError, engine_of
from reference.expression import Expression
from reference.expression import Node as ExpressionNode

# enough of the suite to see each shape reached everywhere: each op alone, random expressions,
# the gate, the accumulation check; quick (10 examples, no shrinking)
SOME = ["-k", "alone or composite or coverage or adds_to_the_gradient"]


@pytest.mark.parametrize("cls, options, shape", [
    (MiniScalar, {}, "value .data, gradient .derivative, backward .backward(), gradients on leaves only"),
    (Node, {}, "value .value, gradient .gradient, backward .backprop()"),
    (Strict, {}, "value .data, gradient .grad, backward .backward(), constants lifted to leaves "
                 "(the ops take no plain numbers)"),
    (Tensor0d, {}, "value .item(), gradient .grad, backward .backward()"),
    (Tensor0d, {"adapter": "tensor0d"}, "a 0-d tensor: value .item(), gradient .grad.item(), backward .backward()"),
])
def test_the_probe_finds_each_shape_and_the_suite_passes_it(cls, options, shape):
    from properties.core.config import adapter_class

    engine = engine_of(cls, adapter=adapter_class(options.get("adapter")))
    assert engine.adapter.describe() == shape
    result = run(cls, profile="quick", pytest_args=SOME, **options)
    assert result.ok, str(result)
    assert result.record.failed == 0 and len(result.verified_ops) >= 13


class Odd:
    """Names nothing guesses: the number in .v, the gradient in .g, backward as go()."""

    def __init__(self, v, parents=()):
        self.v, self.g, self._parents = float(v), 0.0, parents

    def __add__(self, other):
        other = other if isinstance(other, Odd) else Odd(other)
        return Odd(self.v + other.v, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other):
        other = other if isinstance(other, Odd) else Odd(other)
        return Odd(self.v * other.v, ((self, other.v), (other, self.v)))

    __radd__ = __add__
    __rmul__ = __mul__

    def go(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent, _ in node._parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.g = 1.0
        for node in reversed(order):
            for parent, local in node._parents:
                parent.g += local * node.g


def test_an_engine_nothing_fits_is_one_clear_error_naming_what_was_tried():
    with pytest.raises(EngineSpecError) as error:
        engine_of(Odd)
    message = str(error.value)
    assert "Odd: no number found" in message
    for tried in (".data", ".value", ".val", ".item()", "float(x)", "--value-attr", "--adapter"):
        assert tried in message, message
    with pytest.raises(EngineSpecError) as error:
        engine_of(Odd, value_attr="v")
    message = str(error.value)
    for tried in (".backward()", ".backwards()", ".backprop()", ".grad", ".gradient", ".derivative", "--grad-attr"):
        assert tried in message, message
    engine = engine_of(Odd, value_attr="v", grad_attr="g", backward="go")
    assert engine.adapter.describe() == "value .v, gradient .g, backward .go()"
    assert engine.ops == ["add", "radd", "mul", "rmul"]
    assert run(Odd, value_attr="v", grad_attr="g", backward="go", profile="quick", pytest_args=SOME).ok


# ----- a bug in each shape, reproduced in its own names -----------------------------------------


class LogSquared(MiniScalar):
    """log' computed as 1/x**2."""

    def log(self):
        return MiniScalar(math.log(self.data), (self,), (1.0 / self.data**2,))


class TanhNoSquare(Node):
    """tanh' computed as 1 - tanh."""

    def tanh(self):
        t = math.tanh(self.value)
        return Node(t, (self,), (1.0 - t,))


class ExpOff(Strict):
    """exp off by 1e-10 relative."""

    __slots__ = ()

    def exp(self):
        out = super().exp()
        out.data *= 1.0 + 1e-10
        return out


class ReluOneAtZero(Tensor0d):
    """relu'(0) = 1 (torch's convention is 0)."""

    def relu(self):
        return self._op(max(float(self.array), 0.0), (self,), (1.0 if self.array >= 0.0 else 0.0,))


@pytest.mark.parametrize("buggy, correct, op, kind, spellings", [
    (LogSquared, MiniScalar, "log", "derivative", (".derivative", ".backward()", ".data")),
    (TanhNoSquare, Node, "tanh", "derivative", (".gradient", ".backprop()", ".value")),
    (ExpOff, Strict, "exp", "forward", (".grad", ".backward()", ".data")),
    (ReluOneAtZero, Tensor0d, "relu", "derivative", (".grad", ".backward()", ".item()")),
])
def test_a_bug_in_each_shape_is_found_and_reproduced_in_its_own_names(buggy, correct, op, kind, spellings):
    result = run(buggy, profile="quick", pytest_args=["-k", f"{op}_alone or {op}-"])
    assert [(f.op, f.kind) for f in result.findings] == [(op, kind)], str(result)
    assert not result.unexplained, result.unexplained
    reproducer = result.findings[0].reproducer
    for spelling in spellings:
        assert spelling in reproducer, reproducer
    assert reproducer.startswith(f"from test_shapes import {buggy.__name__} as Value"), reproducer
    with pytest.raises(AssertionError):
        exec(compile(reproducer, "repro.py", "exec"), {})
    exec(compile(reproducer.replace(f"test_shapes import {buggy.__name__}",
                                    f"correct_engines import {correct.__name__}"), "repro.py", "exec"), {})


# ----- an adapter of one's own ------------------------------------------------------------------


class Through(Adapter):
    """The 0-d tensor engine reached as a user would write it: ten lines."""

    value_type = Tensor0d

    def leaf(self, x):
        return Tensor0d(x)

    def number(self, value):
        return float(value.item())

    def gradient(self, value):
        return 0.0 if value.grad is None else float(value.grad)

    def backward(self, value):
        value.backward()


class ThroughBuggy(Through):
    value_type = ReluOneAtZero

    def leaf(self, x):
        return ReluOneAtZero(x)


def test_an_adapter_of_ones_own_reaches_the_engine_and_its_reproducers_call_it():
    assert engine_of(Tensor0d, adapter=Through()).adapter.describe() == "through the adapter test_shapes.Through"
    assert run(Tensor0d, adapter=Through, profile="quick", pytest_args=SOME).ok
    result = run(ReluOneAtZero, adapter=ThroughBuggy, profile="quick", pytest_args=["-k", "relu_alone or relu-"])
    assert [(f.op, f.kind) for f in result.findings] == [("relu", "derivative")], str(result)
    reproducer = result.findings[0].reproducer
    assert "from test_shapes import ThroughBuggy as Adapter\nadapter = Adapter()" in reproducer
    assert "x0 = adapter.leaf(0.0)" in reproducer and "adapter.backward(out)" in reproducer, reproducer
    with pytest.raises(AssertionError):
        exec(compile(reproducer, "repro.py", "exec"), {})


def test_an_engine_that_takes_no_numbers_has_its_constants_lifted_in_every_reproducer():
    """Strict's ops take values only: a reproducer writes its constants as values, so that it runs;
    and it has no reflected ops (2 + x is the engine's design, not a missing operator)."""
    from properties.diagnosis.probes import Probe, reproducer

    engine = engine_of(Strict)
    expression = Expression(1, (ExpressionNode(input=0), ExpressionNode(const=0.5), ExpressionNode(op="mul", args=(0, 1))))
    assert engine.source(expression) == "def f(x0):\n    return x0 * Value(0.5)"  # imported as Value
    text = reproducer(engine, Probe("add", (1.5,), constant=3.0), None)
    assert "out = x0 + Value(3.0)" in text
    exec(compile(text, "repro.py", "exec"), {})  # it runs
    assert not {"radd", "rsub", "rmul", "rtruediv", "rpow"} & set(engine.ops)
