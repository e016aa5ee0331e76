"""tanh switches to (exp(2x) - 1) / (exp(2x) + 1) for x > 20, which raises OverflowError beyond x = 354.9."""

import math

import engine.value

CATEGORY = "crash in a far regime"
BLAME = ("tanh", "crash")  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def tanh(self):
        x = self.data
        if x > 20.0:
            z = math.exp(2.0 * x)
            t = (z - 1.0) / (z + 1.0)
        else:
            t = math.tanh(x)
        return type(self)(t, (self,), (1.0 - t * t,), "tanh")
