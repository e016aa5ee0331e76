"""exp' is taken as exp(x) * x (the power rule applied to e**x) instead of exp(x)."""

import math

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('exp', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def exp(self):
        x = self.data
        out = math.exp(x)
        return type(self)(out, (self,), (out * x,), "exp")
