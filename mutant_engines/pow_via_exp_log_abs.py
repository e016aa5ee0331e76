"""x**e is computed as exp(e*log|x|), which drops the sign of a negative base to an odd power."""

import math

import engine.value

CATEGORY = "negative-only"
BLAME = ('pow', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __pow__(self, exponent):
        out = super().__pow__(exponent)  # validates the operands
        x, e = self.data, float(exponent)
        if x != 0.0:
            y = math.exp(e * math.log(abs(x)))
            out.data, out._local_grads = y, (e * y / x,)
        return out
