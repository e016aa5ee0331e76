"""tanh uses odd symmetry (work on |x|, restore the sign) and wrongly restores the sign of the even derivative too."""

import math

import engine.value

CATEGORY = "negative-only"
BLAME = ('tanh', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def tanh(self):
        x = self.data
        t = math.tanh(abs(x))
        return type(self)(math.copysign(t, x), (self,), (math.copysign(1.0 - t * t, x),), "tanh")
