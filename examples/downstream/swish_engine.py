"""A downstream engine: this project's Value plus one op of its own, swish (x * sigmoid(x))."""

import math

from engine import Value as BaseValue


class Value(BaseValue):
    __slots__ = ()

    def swish(self):
        x = self.data
        z = math.exp(-abs(x))
        s = 1.0 / (1.0 + z) if x >= 0 else z / (1.0 + z)  # sigmoid(x), without overflow
        return type(self)(x * s, (self,), (s + x * s * (1.0 - s),), "swish")  # d/dx = s + x s (1 - s)
