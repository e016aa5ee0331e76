"""A scalar reverse-mode autograd engine, micrograd-sized.

Each op computes its result and its local derivatives in one place and stores
the derivatives on the result node as plain floats.  There are no backward
closures: a closure that refers to its own node forms a reference cycle, and
collecting those cycles is where micrograd spends most of a training step.
With ``__slots__`` and tuples instead of sets, a node is small and acyclic,
so it is freed by reference counting alone.

Results have the type of their first operand (``type(self)``), so a subclass
that overrides one op (as the suite's mutant engines do) stays in charge of
the whole graph.

Backward walks the graph iteratively (no recursion limit), visits every node
once, and accumulates with ``+=`` so that a node used several times gets the
sum of its uses.  Its order needs no depth-first search: operands are always
created before their results, so the order of creation is a topological order.
"""

from __future__ import annotations

import itertools
import math
from numbers import Real
from operator import attrgetter

_ONE = (1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_MINUS_ONE = (-1.0,)
_next_serial = itertools.count().__next__  # creation order: operands before their results
_serial = attrgetter("_serial")


def _real(x: object, what: str) -> float:
    """``x`` as a finite float, or a clear TypeError / ValueError naming ``what``."""
    if type(x) is float and x - x == 0.0:  # the common case, without the ABC check
        return x
    if isinstance(x, Real):
        value = float(x)
        if math.isfinite(value):
            return value
        raise ValueError(f"{what}: expected a finite real number, got {x!r}")
    raise TypeError(f"{what}: expected a real number, got {type(x).__name__} {x!r}")


def _pow_derivative(x: float, e: float) -> float:
    """d/dx x**e = e * x**(e-1), with its limits at x = 0 (as torch defines them)."""
    if x == 0.0:
        if e == 0.0 or e > 1.0:
            return 0.0
        return 1.0 if e == 1.0 else math.inf  # 0 < e < 1: vertical tangent
    try:
        return e * x ** (e - 1.0)
    except OverflowError:  # |x| tiny and e < 1: the slope exceeds float64
        return math.copysign(math.inf, e * (x if (e - 1.0) % 2.0 else 1.0))


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can
    fill ``.grad`` of every value it depends on with d(root)/d(value)."""

    __slots__ = ("data", "grad", "_parents", "_local_grads", "_op", "_serial")

    def __init__(self, data, _parents=(), _local_grads=(), _op=""):
        if type(data) is not float:
            data = _real(data, "Value")
        elif data - data:  # inf - inf and nan - nan are nan, which is truthy
            if not _op:
                raise ValueError(f"Value: expected a finite real number, got {data!r}")
            operands = ", ".join(repr(p.data) for p in _parents)
            raise OverflowError(f"{_op}({operands}) = {data!r}: the result overflows float64")
        self.data = data
        self.grad = 0.0
        self._parents = _parents
        self._local_grads = _local_grads
        self._op = _op
        self._serial = _next_serial()

    # ----- primitives: result, then the local derivative of each operand -----

    def __add__(self, other):
        if isinstance(other, Value):
            return type(self)(self.data + other.data, (self, other), _ONE_ONE, "+")  # d/da = d/db = 1
        return type(self)(self.data + _real(other, "+"), (self,), _ONE, "+")  # a constant needs no node

    def __mul__(self, other):
        if isinstance(other, Value):
            return type(self)(self.data * other.data, (self, other), (other.data, self.data), "*")  # d/da = b, d/db = a
        c = _real(other, "*")
        return type(self)(self.data * c, (self,), (c,), "*")  # d/da = c

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else type(self)(_real(other, "/"))
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
        out = a / b
        return type(self)(out, (self, other), (1.0 / b, -out / b), "/")  # d/da = 1/b, d/db = -a/b^2

    def __sub__(self, other):
        other = other if isinstance(other, Value) else type(self)(_real(other, "-"))
        return type(self)(self.data - other.data, (self, other), _ONE_MINUS_ONE, "-")  # d/da = 1, d/db = -1

    def __neg__(self):
        return type(self)(-self.data, (self,), _MINUS_ONE, "neg")  # d/dx = -1

    def __pow__(self, exponent):
        if isinstance(exponent, Value) or not isinstance(exponent, Real):
            raise TypeError(
                f"**: the exponent must be a real number (int or float), got {type(exponent).__name__} {exponent!r}"
            )
        x, e = self.data, _real(exponent, "**")
        if x < 0.0 and not e.is_integer():
            raise ValueError(f"**: a negative base to a fractional power is not real ({x!r} ** {e!r})")
        if x == 0.0 and e < 0.0:
            raise ZeroDivisionError(f"**: zero to a negative power ({x!r} ** {e!r})")
        try:
            out = x**e
        except OverflowError:
            raise OverflowError(f"**({x!r}, {e!r}): the result overflows float64") from None
        return type(self)(out, (self,), (_pow_derivative(x, e),), f"**{e!r}")  # d/dx = e x^(e-1)

    def exp(self):
        x = self.data
        try:
            out = math.exp(x)
        except OverflowError:
            raise OverflowError(f"exp({x!r}): the result overflows float64") from None
        return type(self)(out, (self,), (out,), "exp")  # d/dx e^x = e^x

    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x), (self,), (1.0 / x,), "log")  # d/dx log x = 1/x

    def sin(self):
        x = self.data
        return type(self)(math.sin(x), (self,), (math.cos(x),), "sin")  # d/dx sin x = cos x

    def cos(self):
        x = self.data
        return type(self)(math.cos(x), (self,), (-math.sin(x),), "cos")  # d/dx cos x = -sin x

    def tanh(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (1.0 - t * t,), "tanh")  # d/dx tanh x = 1 - tanh^2 x

    def sigmoid(self):
        x = self.data
        z = math.exp(-abs(x))  # never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below
        s = 1.0 / (1.0 + z) if x >= 0.0 else z / (1.0 + z)
        return type(self)(s, (self,), (s * (1.0 - s),), "sigmoid")  # d/dx s = s (1 - s)

    def relu(self):
        x = self.data
        positive = x > 0.0
        return type(self)(x if positive else 0.0, (self,), (1.0 if positive else 0.0,), "relu")  # relu'(0) = 0, as torch

    def __abs__(self):
        x = self.data
        return type(self)(abs(x), (self,), (math.copysign(1.0, x) if x else 0.0,), "abs")  # abs'(0) = 0, as torch

    def __pos__(self):
        return type(self)(self.data, (self,), _ONE, "pos")  # d/dx (+x) = 1: a new node, still in the graph

    def sqrt(self):
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt({x!r}): sqrt is defined for x >= 0 only")
        out = math.sqrt(x)
        return type(self)(out, (self,), (0.5 / out if out else math.inf,), "sqrt")  # d/dx sqrt x = 1 / (2 sqrt x)

    def tan(self):
        t = math.tan(self.data)
        return type(self)(t, (self,), (1.0 + t * t,), "tan")  # d/dx tan x = 1 + tan^2 x

    def leaky_relu(self, negative_slope=0.01):
        x, s = self.data, _real(negative_slope, "leaky_relu")
        positive = x > 0.0
        return type(self)(x if positive else s * x, (self,), (1.0 if positive else s,), "leaky_relu")  # slope s at 0, as torch

    def softplus(self):
        x = self.data
        out = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x) without overflow
        z = math.exp(-abs(x))
        slope = 1.0 / (1.0 + z) if x >= 0.0 else z / (1.0 + z)
        return type(self)(out, (self,), (slope,), "softplus")  # d/dx softplus x = sigmoid x

    def softsign(self):
        x = self.data
        d = 1.0 + abs(x)
        return type(self)(x / d, (self,), (1.0 / (d * d),), "softsign")  # d/dx x/(1+|x|) = 1/(1+|x|)^2

    # ----- derived operators -----

    def __radd__(self, other):  # other + self
        return self + other

    def __rsub__(self, other):  # other - self
        return type(self)(_real(other, "-")) - self

    def __rmul__(self, other):  # other * self
        return self * other

    def __rtruediv__(self, other):  # other / self
        return type(self)(_real(other, "/")) / self

    def __rpow__(self, base):  # base ** self, for a constant base > 0
        b, x = _real(base, "**"), self.data
        if b <= 0.0:
            raise ValueError(f"**: a constant base must be positive for a real power with a Value exponent ({b!r} ** {x!r})")
        try:
            out = b**x
        except OverflowError:
            raise OverflowError(f"**({b!r}, {x!r}): the result overflows float64") from None
        return type(self)(out, (self,), (out * math.log(b),), "rpow")  # d/dx b^x = b^x log b

    # ----- backward -----

    def backward(self) -> None:
        """Set ``.grad`` of every value this one depends on to d(self)/d(value).

        Leaves accumulate across calls (as torch does); intermediate nodes are
        reset, so a second call adds exactly one more gradient to the leaves.
        """
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # chain rule, summed over uses: parent.grad += local * upstream
            upstream, parents, local = node.grad, node._parents, node._local_grads
            if len(parents) == 2:  # unrolled: zip() would cost more than the sums
                parents[0].grad += local[0] * upstream
                parents[1].grad += local[1] * upstream
            elif parents:
                parents[0].grad += local[0] * upstream

    def _topological_order(self) -> list[Value]:
        """Every node reachable from self, each after its parents (in order of creation)."""
        seen = {self}
        stack = [self]
        pop, push, add = stack.pop, stack.append, seen.add
        while stack:
            for parent in pop()._parents:
                if parent not in seen:
                    add(parent)
                    push(parent)
        return sorted(seen, key=_serial)

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"
