"""tanh' is computed as 1 / cosh(x)**2, which raises OverflowError beyond |x| = 355."""

import math

import engine.value

CATEGORY = "crash in a far regime"
BLAME = ("tanh", "crash")  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def tanh(self):
        x = self.data
        return type(self)(math.tanh(x), (self,), (1.0 / math.cosh(x) ** 2,), "tanh")
