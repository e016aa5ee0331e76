"""relu' is 1 at x == 0 (x >= 0) instead of torch's convention relu'(0) = 0."""

import engine.value

CATEGORY = "zero-only"
BLAME = ('relu', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def relu(self):
        x = self.data
        return type(self)(max(x, 0.0), (self,), (1.0 if x >= 0.0 else 0.0,), "relu")
