"""Unit tests of this project's own engine (the properties in properties/ verify any engine)."""

import gc
import math
import re

import pytest

from engine import Value


def seed_f(a, b, c):
    return -a**3 + (b * 3).sin() - 1.0 / c + b**2.5 - a**0.5


def test_seed_function_value_and_gradient():
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    out = seed_f(a, b, c)
    out.backward()
    assert out.data == pytest.approx(6.336362190988558, abs=1e-12)
    assert [a.grad, b.grad, c.grad] == pytest.approx([-12.353553390593273, 10.25699027111255, 0.0625], abs=1e-12)


def test_seed_softmax_negative_log_likelihood():
    logits = [Value(0.0), Value(3.0), Value(-2.0), Value(1.0)]
    counts = [x.exp() for x in logits]
    total = sum(counts)
    loss = -(counts[3] / total).log()
    loss.backward()
    assert loss.data == pytest.approx(2.1755153626167147, abs=1e-12)
    expected = [0.041772570515350445, 0.8390245074625319, 0.005653302662216329, -0.8864503806400986]
    assert [x.grad for x in logits] == pytest.approx(expected, abs=1e-12)


def test_data_is_float_and_grad_starts_at_zero():
    x = Value(3)
    assert type(x.data) is float and x.data == 3.0 and x.grad == 0.0


@pytest.mark.parametrize("bad", ["1.0", None, 1j, [1.0]])
def test_non_real_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_data_is_a_value_error(bad):
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value(0.0).log(), ValueError, "log(0.0)"),
        (lambda: Value(-2.0).log(), ValueError, "x > 0"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, "negative base"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: 2.0 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, "zero to a negative power"),
        (lambda: Value(800.0).exp(), OverflowError, "exp(800.0)"),
        (lambda: Value(1e300) * 1e300, OverflowError, "*(1e+300) = inf: the result overflows float64"),
        (lambda: Value(1e300) * Value(-1e300), OverflowError, "*(1e+300, -1e+300) = -inf: the result overflows"),
        (lambda: Value(1.0) + math.inf, ValueError, "+: expected a finite real number, got inf"),
        (lambda: Value(10.0) ** 400, OverflowError, "overflows"),
        (lambda: Value(2.0) ** "x", TypeError, "**: the exponent must be a real number (int or float), got str 'x'"),
        (lambda: Value(2.0) ** Value(2.0), TypeError, "exponent"),
        (lambda: Value(2.0) ** math.nan, ValueError, "**: expected a finite real number"),
        (lambda: Value(2.0) + "x", TypeError, "+: expected a real number, got str 'x'"),
        (lambda: "x" + Value(2.0), TypeError, "+: expected a real number"),
        (lambda: Value(2.0) - "x", TypeError, "-: expected a real number"),
        (lambda: "x" - Value(2.0), TypeError, "-: expected a real number"),
        (lambda: Value(2.0) * "x", TypeError, "*: expected a real number"),
        (lambda: "x" * Value(2.0), TypeError, "*: expected a real number"),
        (lambda: Value(2.0) / "x", TypeError, "/: expected a real number"),
        (lambda: "x" / Value(2.0), TypeError, "/: expected a real number"),
        (lambda: Value("x"), TypeError, "Value: expected a real number"),
        (lambda: Value(-1.0).sqrt(), ValueError, "sqrt(-1.0): sqrt is defined for x >= 0 only"),
        (lambda: 0.0 ** Value(1.5), ValueError, "**: a constant base must be positive"),
        (lambda: 2.0 ** Value(2000.0), OverflowError, "**(2.0, 2000.0): the result overflows float64"),
        (lambda: Value(2.0).leaky_relu("x"), TypeError, "leaky_relu: expected a real number"),
    ],
)
def test_bad_input_gets_a_clear_exception_naming_the_op(make, error, words):
    with pytest.raises(error, match=re.escape(words)):
        make()


def test_negative_base_with_integer_exponent_is_real():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert y.data == -8.0 and x.grad == 12.0


@pytest.mark.parametrize("e, slope", [(2.0, 0.0), (1.0, 1.0), (0.0, 0.0), (0.5, math.inf), (3.0, 0.0)])
def test_power_at_zero_has_torch_slopes(e, slope):
    x = Value(0.0)
    (x**e).backward()
    assert x.grad == slope


@pytest.mark.parametrize("x, e, slope", [
    (1e-200, -1.0, -math.inf), (-1e-200, -1.0, -math.inf),  # d/dx x^-1 = -x^-2 = -1e400
    (1e-120, -2.0, -math.inf), (-1e-120, -2.0, math.inf),  # -2 x^-3: the sign follows x
    (-1e-80, -3.0, -math.inf),  # -3 x^-4
])
def test_power_slopes_beyond_float64_are_infinite_with_the_right_sign(x, e, slope):
    """The value fits in float64 but the slope does not: torch gives the signed infinity."""
    v = Value(x)
    y = v**e
    y.backward()
    assert math.isfinite(y.data) and v.grad == slope


def test_relu_at_zero_has_zero_slope_like_torch():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_reused_non_leaf_accumulates():
    """micrograd's issue 2: a = 1; b = a + a; c = b + b gives dc/da = 4."""
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_same_leaf_on_both_sides():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    y = Value(3.0)
    (y - y).backward()
    assert y.grad == 0.0


def test_reflected_operators_put_the_constant_on_the_left():
    x = Value(4.0)
    outs = [3.0 - x, 2.0 / x, 1.0 + x, 2.0 * x]
    assert [o.data for o in outs] == [-1.0, 0.5, 5.0, 8.0]
    grads = []
    for out in outs:
        x.grad = 0.0
        out.backward()
        grads.append(x.grad)
    assert grads == [-1.0, -2.0 / 16.0, 1.0, 2.0]


def test_a_million_node_chain_backpropagates_iteratively():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 0.0
    y.backward()
    assert x.grad == 1.0 and y.data == 0.5


def test_each_node_backward_runs_once_on_a_diamond_lattice():
    """30 levels of v = v + v: a node run twice would double, an unvisited node would stop the flow."""
    x = Value(1.0)
    v = x
    for _ in range(30):
        v = v + v
    v.backward()
    assert x.grad == 2.0**30


def test_a_second_backward_adds_one_more_gradient_to_the_leaves():
    x = Value(2.0)
    y = (x * x) * 3.0  # dy/dx = 12
    y.backward()
    y.backward()
    assert x.grad == 24.0


def test_subclasses_keep_their_type_through_every_op():
    class Traced(Value):
        __slots__ = ()

    x = Traced(0.5)
    ops = [x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, -x, x**2, x.exp(), x.log(), x.sin(), x.cos(),
           x.tanh(), x.relu()]
    assert all(type(o) is Traced for o in ops)


def test_graphs_are_freed_without_the_cycle_collector():
    """No backward closures, hence no reference cycles: dropping a graph frees it at once."""
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.0001).tanh() + x
        y.backward()
        del x, y
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_repr_shows_data_and_grad():
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


@pytest.mark.parametrize("make, label", [
    (lambda x, y: x + y, "+"), (lambda x, y: x + 1.0, "+"), (lambda x, y: x * y, "*"), (lambda x, y: 2.0 * x, "*"),
    (lambda x, y: x - y, "-"), (lambda x, y: 1.0 - x, "-"), (lambda x, y: x / y, "/"), (lambda x, y: 1.0 / x, "/"),
    (lambda x, y: -x, "neg"), (lambda x, y: x**2, "**2.0"), (lambda x, y: x**0.5, "**0.5"),
    (lambda x, y: x.exp(), "exp"), (lambda x, y: x.log(), "log"), (lambda x, y: x.sin(), "sin"),
    (lambda x, y: x.cos(), "cos"), (lambda x, y: x.tanh(), "tanh"), (lambda x, y: x.sigmoid(), "sigmoid"),
    (lambda x, y: x.relu(), "relu"), (lambda x, y: abs(x), "abs"), (lambda x, y: +x, "pos"), (lambda x, y: x.sqrt(), "sqrt"),
    (lambda x, y: x.tan(), "tan"), (lambda x, y: x.leaky_relu(), "leaky_relu"), (lambda x, y: x.softplus(), "softplus"),
    (lambda x, y: x.softsign(), "softsign"), (lambda x, y: 2.0**x, "rpow"),
])
def test_each_result_records_its_op_for_graph_drawings(make, label):
    """micrograd's draw_dot labels nodes with ``_op``; leaves have none."""
    x, y = Value(0.5), Value(2.0)
    assert x._op == "" and make(x, y)._op == label


@pytest.mark.parametrize("make, value, slope", [
    (lambda x: abs(x), 0.0, 0.0),  # abs'(0) = 0, as torch
    (lambda x: x.leaky_relu(0.2), 0.0, 0.2),  # the negative slope at 0, as torch
    (lambda x: x.softsign(), 0.0, 1.0),
    (lambda x: x.softplus(), 800.0, 1.0),  # log(1 + e^x) without overflow
    (lambda x: x.softplus(), -800.0, 0.0),
    (lambda x: x.sqrt(), 5e-324, 0.5 / math.sqrt(5e-324)),
    (lambda x: 2.0**x, 3.0, 8.0 * math.log(2.0)),
])
def test_the_ops_published_engines_add_have_their_conventions(make, value, slope):
    x = Value(value)
    y = make(x)
    y.backward()
    assert x.grad == pytest.approx(slope, rel=1e-15, abs=0.0)


def test_pos_is_a_new_node_in_the_graph():
    """+x is cut off from the graph in some published engines: here its gradient flows."""
    x = Value(1.5)
    y = +x
    assert y is not x
    (y * 3.0).backward()
    assert x.grad == 3.0
