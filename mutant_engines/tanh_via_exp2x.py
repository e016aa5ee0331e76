"""tanh(x) is computed as (exp(2x) - 1) / (exp(2x) + 1): cancellation near 0 (and overflow beyond |x| ~ 355)."""

import math

import engine.value

CATEGORY = "unstable formula"
BLAME = ("tanh", ("forward", "crash"))  # its overflow beyond 355 is its own crash; what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def tanh(self):
        z = math.exp(2.0 * self.data)
        t = (z - 1.0) / (z + 1.0)
        return type(self)(t, (self,), (1.0 - t * t,), "tanh")
