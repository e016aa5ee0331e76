"""A small, correct micrograd-style engine as source text, for the tests that install it in a project."""

# A small correct engine under other names: ln for log, reLU for relu, and helpers that are not ops.
ENGINE = '''
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
