"""exp's argument is clamped to 700 (a guard against overflow): exp(709) returns exp(700), 1e4 times too small."""

import math

import engine.value

CATEGORY = "clamp in a far regime"
BLAME = ("exp", ("forward", "derivative"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def exp(self):
        out = math.exp(min(self.data, 700.0))
        return type(self)(out, (self,), (out,), "exp")  # d/dx e^x = e^x, as clamped
