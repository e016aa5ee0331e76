"""The correct engines that the tests build, in one place.

Each engine here is correct (no deliberate bug), but written differently from this project's own
engine/ -- other formulas, other designs, other method names, other ways to refuse an invalid
input -- so that the suite is checked against the legitimate variety of real engines: a check
that fails one of them is a false finding.  The engines that deliberately carry a bug stay in the
tests that use them (tests/test_error_bounds.py's SinOff, ..., tests/test_any_project.py's
SUBCLASS, the subclasses inside tests/test_blame.py) and in mutant_engines/.

* ``FormulaValue``: other legitimate float64 formulas (a / b as a * (1/b), a - b as a + (-b),
  tanh' = 1/cosh(x)**2, x**e = exp(e log x)), local derivatives stored per node.  It, RoundedValue
  and ClosureValue must stay within the error bounds (tests/test_error_bounds.py, soundness).
* ``RoundedValue``: every op (methods generated from the registry) computed in mpmath at 60 digits
  and rounded once to float64, a "correctly rounded" engine.
* ``ClosureValue``: micrograd's design, a ``_backward`` closure per node and a recursive
  topological sort, with division as a times the reciprocal.
* ``Spelled``: this project's engine under other method names (log spelled ln, abs only as a
  method) and with helpers that are not ops: aliases and the coverage gate
  (tests/test_engine_under_test.py).
* ``AssertingLogValue``: this project's engine whose log asserts its argument is positive, a
  legitimate way to refuse log(0); the engine ``correct_engines:AssertingLogValue``
  (tests/test_softmax_refusals.py).
* ``MiniScalar``, ``Node``, ``Strict``, ``Tensor0d``: other shapes (tests/test_shapes.py):
  MiniTorch's (``.derivative``, None until reached, on leaves only; ``backward(d_output=None)``),
  a learner's names (``Node``, ``.value``, ``.gradient``, ``backprop()``), ops that take no plain
  numbers, and a tensor engine on 0-d numpy arrays (``.item()``, through the adapter ``tensor0d``).
* ``learner_engine(derivative)``: a learner's engine.py as source text, each closure micrograd's,
  tanh's derivative as given (``(1 - t**2)``: correct; ``(1 - t)``: the bug a notebook makes)
  (tests/test_cli.py, tests/test_notebook.py).
* ``TOY_ENGINE_SOURCE``: a small correct engine as source text (ln for log, reLU for relu,
  helpers that are not ops), written into temporary projects as their ``engine.py``
  (tests/test_any_project.py, tests/test_field.py).

Importing this module only defines the engines (RoundedValue's methods are filled in from the
registry here).
"""

from __future__ import annotations

import math
import textwrap
from numbers import Real

import mpmath

import engine.value
from reference.ops import REGISTRY


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


# ----- this project's engine under other names ---------------------------------------------


class Spelled(engine.value.Value):
    """This project's engine with log spelled ln, abs only as a method, and helpers."""

    __slots__ = ()
    log = None  # not under the registry's name

    def ln(self):
        return engine.value.Value.log(self)

    def abs(self):
        return engine.value.Value.__abs__(self)

    __abs__ = None

    def is_finite(self):
        return math.isfinite(self.data)

    def named(self, label):
        return label

    def cube(self):
        return self * self * self


# ----- this project's engine with an asserting log ----------------------------------------


class AssertingLogValue(engine.value.Value):
    """This project's engine with scalargrad's log: ``assert self.data > 0`` refuses log(0) with an
    AssertionError, a legitimate way to refuse an invalid input (tests/test_softmax_refusals.py)."""

    def log(self):
        assert self.data > 0, "log requires positive input"
        return type(self)(math.log(self.data), (self,), (1.0 / self.data,), "log")


# ----- a small engine as source text --------------------------------------------------------

# A small correct engine under other names: ln for log, reLU for relu, and helpers that are not ops.
TOY_ENGINE_SOURCE = '''
import math


class Value:
    def __init__(self, data, _children=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._local = _local

    def _wrap(self, other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._wrap(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = self._wrap(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    __rmul__ = __mul__

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,))

    def __sub__(self, other):
        other = self._wrap(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0))

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __truediv__(self, other):
        other = self._wrap(other)
        out = self.data / other.data
        return Value(out, (self, other), (1.0 / other.data, -out / other.data))

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def exp(self):
        out = math.exp(self.data)
        return Value(out, (self,), (out,))

    def ln(self):
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def reLU(self):
        return Value(max(self.data, 0.0), (self,), (1.0 if self.data > 0 else 0.0,))

    def is_finite(self):
        return math.isfinite(self.data)

    def named(self, name):
        self.name = name
        return name

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local):
                parent.grad += local * node.grad
'''


# A learner's engine.py: + and * and tanh, each closure micrograd's; tanh's derivative {derivative}.
LEARNER_ENGINE_SOURCE = '''
import math


class Value:
    def __init__(self, data, _children=()):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev = set(_children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,))
        def _backward():
            self.grad += {derivative} * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                topo.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
'''


def learner_engine(derivative: str) -> str:
    """A learner's engine.py (+, * and tanh, each closure micrograd's), tanh's derivative ``derivative``."""
    return textwrap.dedent(LEARNER_ENGINE_SOURCE.replace("{derivative}", derivative))


# ----- other shapes: the same math, other names ------------------------------------------------


def _topological(root, parents) -> list:
    """Every node reachable from ``root``, each after all of its parents (iterative)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in parents(node))
    return order


class MiniScalar:
    """MiniTorch's shape (its ``Scalar``): the number in ``.data``, the gradient in ``.derivative``,
    None until backward reaches a leaf (intermediate nodes never get one), ``backward(d_output=None)``;
    ops ``+ - * /``, unary minus, ``log exp sigmoid relu``, and no ``**``."""

    def __init__(self, v, _parents=(), _local=()):
        self.data = float(v)
        self.derivative = None
        self._parents, self._local = _parents, _local

    @staticmethod
    def _lift(x):
        return x if isinstance(x, MiniScalar) else MiniScalar(_number(x, "operand"))

    def __add__(self, b):
        b = self._lift(b)
        return MiniScalar(self.data + b.data, (self, b), (1.0, 1.0))

    def __radd__(self, a):
        return self._lift(a) + self

    def __sub__(self, b):
        b = self._lift(b)
        return MiniScalar(self.data - b.data, (self, b), (1.0, -1.0))

    def __rsub__(self, a):
        return self._lift(a) - self

    def __mul__(self, b):
        b = self._lift(b)
        return MiniScalar(self.data * b.data, (self, b), (b.data, self.data))

    def __rmul__(self, a):
        return self._lift(a) * self

    def __truediv__(self, b):
        b = self._lift(b)
        out = self.data / b.data
        return MiniScalar(out, (self, b), (1.0 / b.data, -out / b.data))

    def __rtruediv__(self, a):
        return self._lift(a) / self

    def __neg__(self):
        return MiniScalar(-self.data, (self,), (-1.0,))

    def log(self):
        return MiniScalar(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self):
        out = math.exp(self.data)
        return MiniScalar(out, (self,), (out,))

    def sigmoid(self):
        x = self.data
        z = math.exp(-abs(x))
        s = 1.0 / (1.0 + z) if x >= 0.0 else z / (1.0 + z)
        return MiniScalar(s, (self,), (s * (1.0 - s),))

    def relu(self):
        return MiniScalar(max(self.data, 0.0), (self,), (1.0 if self.data > 0.0 else 0.0,))

    def is_leaf(self) -> bool:
        return not self._parents

    def backward(self, d_output=None):
        upstream = {id(self): 1.0 if d_output is None else d_output}
        for node in reversed(_topological(self, lambda n: n._parents)):
            d = upstream.pop(id(node), 0.0)
            if node.is_leaf():
                node.derivative = (node.derivative or 0.0) + d
            for parent, local in zip(node._parents, node._local):
                upstream[id(parent)] = upstream.get(id(parent), 0.0) + d * local


class Node:
    """A learner's engine with its own names: the class ``Node``, the number in ``.value``, the
    gradient in ``.gradient``, backward as ``backprop()``; + - * / ** and exp, log, tanh, relu."""

    def __init__(self, value, _parents=(), _local=()):
        self.value = float(value)
        self.gradient = 0.0
        self._parents, self._local = _parents, _local

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Node) else Node(_number(x, "operand"))

    def __add__(self, b):
        b = self._lift(b)
        return Node(self.value + b.value, (self, b), (1.0, 1.0))

    def __radd__(self, a):
        return self._lift(a) + self

    def __sub__(self, b):
        b = self._lift(b)
        return Node(self.value - b.value, (self, b), (1.0, -1.0))

    def __rsub__(self, a):
        return self._lift(a) - self

    def __mul__(self, b):
        b = self._lift(b)
        return Node(self.value * b.value, (self, b), (b.value, self.value))

    def __rmul__(self, a):
        return self._lift(a) * self

    def __truediv__(self, b):
        b = self._lift(b)
        out = self.value / b.value
        return Node(out, (self, b), (1.0 / b.value, -out / b.value))

    def __rtruediv__(self, a):
        return self._lift(a) / self

    def __neg__(self):
        return Node(-self.value, (self,), (-1.0,))

    def __pow__(self, e):
        x, e = self.value, _number(e, "**")
        d = (0.0 if (e == 0.0 or e > 1.0) else (1.0 if e == 1.0 else math.inf)) if x == 0.0 else e * x ** (e - 1)
        return Node(x ** e, (self,), (d,))

    def exp(self):
        out = math.exp(self.value)
        return Node(out, (self,), (out,))

    def log(self):
        return Node(math.log(self.value), (self,), (1.0 / self.value,))

    def tanh(self):
        t = math.tanh(self.value)
        return Node(t, (self,), (1.0 - t * t,))

    def relu(self):
        return Node(max(self.value, 0.0), (self,), (1.0 if self.value > 0.0 else 0.0,))

    def backprop(self):
        self.gradient = 1.0
        for node in reversed(_topological(self, lambda n: n._parents)):
            for parent, local in zip(node._parents, node._local):
                parent.gradient += node.gradient * local


def _values_only(method):
    def op(self, other):
        if not isinstance(other, engine.value.Value):
            raise TypeError(f"operands must be values, not {type(other).__name__}: write Strict({other!r})")
        return method(self, other)

    return op


class Strict(engine.value.Value):
    """This project's engine, whose ops take no plain numbers: ``x + 3.0`` raises TypeError, a
    constant must be a value too (``x + Strict(3.0)``), and there is no ``2 + x``."""

    __slots__ = ()
    __add__ = _values_only(engine.value.Value.__add__)
    __sub__ = _values_only(engine.value.Value.__sub__)
    __mul__ = _values_only(engine.value.Value.__mul__)
    __truediv__ = _values_only(engine.value.Value.__truediv__)
    __radd__ = __rsub__ = __rmul__ = __rtruediv__ = __rpow__ = None


class Tensor0d:
    """A tensor engine on 0-d numpy arrays: ``Tensor0d(x)`` holds ``np.asarray(x)``, ``.item()`` reads
    it, ``.grad`` is a 0-d array (None until backward reaches it), ``backward()`` from a 0-d result;
    + - * / ** and exp, log, tanh, relu (checked through the adapter ``tensor0d``)."""

    def __init__(self, x, _parents=(), _local=()):
        import numpy as np

        self.array = np.asarray(x, dtype=np.float64)
        self.grad = None
        self._parents, self._local = _parents, _local

    def item(self) -> float:
        return float(self.array)

    def _op(self, value, parents, local):
        return Tensor0d(value, parents, local)

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Tensor0d) else Tensor0d(_number(x, "operand"))

    def __add__(self, b):
        b = self._lift(b)
        return self._op(self.array + b.array, (self, b), (1.0, 1.0))

    def __radd__(self, a):
        return self._lift(a) + self

    def __sub__(self, b):
        b = self._lift(b)
        return self._op(self.array - b.array, (self, b), (1.0, -1.0))

    def __rsub__(self, a):
        return self._lift(a) - self

    def __mul__(self, b):
        b = self._lift(b)
        return self._op(self.array * b.array, (self, b), (b.array, self.array))

    def __rmul__(self, a):
        return self._lift(a) * self

    def __truediv__(self, b):
        b = self._lift(b)
        out = self.array / b.array
        return self._op(out, (self, b), (1.0 / b.array, -out / b.array))

    def __rtruediv__(self, a):
        return self._lift(a) / self

    def __neg__(self):
        return self._op(-self.array, (self,), (-1.0,))

    def __pow__(self, e):
        import numpy as np

        x, e = float(self.array), _number(e, "**")
        d = (0.0 if (e == 0.0 or e > 1.0) else (1.0 if e == 1.0 else math.inf)) if x == 0.0 else e * x ** (e - 1)
        return self._op(np.float64(x) ** e, (self,), (d,))

    def exp(self):
        import numpy as np

        out = np.exp(self.array)
        return self._op(out, (self,), (out,))

    def log(self):
        import numpy as np

        return self._op(np.log(self.array), (self,), (1.0 / self.array,))

    def tanh(self):
        import numpy as np

        t = np.tanh(self.array)
        return self._op(t, (self,), (1.0 - t * t,))

    def relu(self):
        import numpy as np

        positive = self.array > 0.0
        return self._op(np.where(positive, self.array, 0.0), (self,), (1.0 if positive else 0.0,))

    def backward(self):
        import numpy as np

        upstream = {id(self): np.float64(1.0)}
        for node in reversed(_topological(self, lambda n: n._parents)):
            d = upstream.pop(id(node), np.float64(0.0))
            node.grad = d if node.grad is None else node.grad + d
            for parent, local in zip(node._parents, node._local):
                upstream[id(parent)] = upstream.get(id(parent), np.float64(0.0)) + d * local
