"""A control: correct, but with other legitimate formulas than engine/value.py, each one an engine
in the field uses.  The suite must pass it with no findings, as it passes engine/value.py.

tan = sin/cos with slope 1/cos^2; sqrt as x ** 0.5; softsign' = (1 - |s|)^2; relu as x * (x > 0);
-x as 0 - x and c - x as (-x) + c; log via log1p(x - 1) near 1 and log2(x) ln 2 elsewhere; tanh via
expm1; sigmoid' = e^-|x| / (1 + e^-|x|)^2; leaky_relu as max(x, s x); softplus as torch's F.softplus
(x itself from 20 on); abs as max(x, -x); c ** x as exp(x log c); x + 0, x * 1 and x ** 1 are x itself.
"""

import math

import engine.value

LN2 = math.log(2.0)


class Value(engine.value.Value):
    __slots__ = ()

    def __add__(self, other):
        if not isinstance(other, engine.value.Value) and other == 0:
            return self
        return super().__add__(other)

    def __mul__(self, other):
        if not isinstance(other, engine.value.Value) and other == 1:
            return self
        return super().__mul__(other)

    def __pow__(self, exponent):
        return self if exponent == 1 else super().__pow__(exponent)

    def __neg__(self):
        return type(self)(0.0) - self

    def __rsub__(self, other):
        return (-self) + other

    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        out = math.log1p(x - 1.0) if 0.5 <= x <= 2.0 else math.log2(x) * LN2  # x - 1 is exact there
        return type(self)(out, (self,), (1.0 / x,), "log")

    def tanh(self):
        x = self.data
        if abs(x) >= 20.0:
            t = math.copysign(1.0, x)
        else:
            e = math.expm1(-2.0 * abs(x))
            t = math.copysign(-e / (e + 2.0), x)
        return type(self)(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        x = self.data
        z = math.exp(-abs(x))
        s = 1.0 / (1.0 + z) if x >= 0.0 else z / (1.0 + z)
        return type(self)(s, (self,), (z / (1.0 + z) ** 2,), "sigmoid")

    def relu(self):
        x = self.data
        return type(self)(x * (x > 0.0), (self,), (float(x > 0.0),), "relu")

    def __abs__(self):
        x = self.data
        return type(self)(max(x, -x), (self,), (float(x > 0.0) - float(x < 0.0),), "abs")

    def sqrt(self):
        return self ** 0.5

    def tan(self):
        x = self.data
        c = math.cos(x)
        return type(self)(math.sin(x) / c, (self,), (1.0 / (c * c),), "tan")

    def leaky_relu(self, negative_slope=0.01):
        x, s = self.data, negative_slope
        if s > 1.0:
            return super().leaky_relu(s)
        return type(self)(max(x, s * x), (self,), (1.0 if x > 0.0 else s,), "leaky_relu")

    def softplus(self):
        x = self.data
        if x >= 20.0:
            return type(self)(x, (self,), (1.0,), "softplus")
        return super().softplus()

    def softsign(self):
        x = self.data
        s = x / (1.0 + abs(x))
        return type(self)(s, (self,), ((1.0 - abs(s)) ** 2,), "softsign")

    def __rpow__(self, base):
        x, c = self.data, float(base)
        out = math.exp(x * math.log(c))
        return type(self)(out, (self,), (out * math.log(c),), "rpow")
