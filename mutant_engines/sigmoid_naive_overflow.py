"""sigmoid is 1 / (1 + exp(-x)), as the field writes it: OverflowError below x = -709, where sigmoid is 1e-308."""

import math

import engine.value

CATEGORY = "unstable formula"
BLAME = ("sigmoid", ("crash", "forward"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        return type(self)(s, (self,), (s * (1.0 - s),), "sigmoid")  # d/dx s = s (1 - s)
