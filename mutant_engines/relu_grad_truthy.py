"""relu' is computed as `1.0 if x else 0.0` (truthiness), so negative inputs pass their gradient through."""

import engine.value

CATEGORY = "negative-only"
BLAME = ('relu', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def relu(self):
        x = self.data
        return type(self)(max(x, 0.0), (self,), (1.0 if x else 0.0,), "relu")
