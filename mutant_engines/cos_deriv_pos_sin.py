"""cos' is taken as sin(x) instead of -sin(x)."""

import math

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('cos', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def cos(self):
        x = self.data
        return type(self)(math.cos(x), (self,), (math.sin(x),), "cos")
