"""tanh' is taken as 1 - t instead of 1 - t*t."""

import math

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('tanh', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def tanh(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (1.0 - t,), "tanh")
