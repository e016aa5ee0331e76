"""0 / b short-circuits to a constant 0 with no parents, losing d/da = 1/b."""

import engine.value

CATEGORY = "zero-only"
BLAME = ('truediv', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __truediv__(self, other):
        if self.data == 0.0:
            return type(self)(0.0)
        return super().__truediv__(other)
