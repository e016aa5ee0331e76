"""cos' is -sin(x) * (1 + 1e-9): a local derivative off by 1e-9 relative."""

import math

import engine.value

CATEGORY = "slightly imprecise formula"
BLAME = ('cos', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def cos(self):
        x = self.data
        return type(self)(math.cos(x), (self,), (-math.sin(x) * (1.0 + 1e-9),), "cos")
