"""sin' is taken as -cos(x) instead of cos(x)."""

import math

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('sin', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def sin(self):
        x = self.data
        return type(self)(math.sin(x), (self,), (-math.cos(x),), "sin")
