"""log(x) is computed as log(max(x, 1e-8)) (a clamp against log(0)), value and derivative: wrong below 1e-8."""

import math

import engine.value

CATEGORY = "epsilon guard"
BLAME = ("log", ("forward", "derivative"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = max(self.data, 1e-8)
        return type(self)(math.log(x), (self,), (1.0 / x,), "log")
