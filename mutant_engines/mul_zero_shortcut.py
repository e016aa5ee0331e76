"""a * b short-circuits to a constant 0 with no parents when a or b is 0, losing d/da = b and d/db = a."""

import engine.value

CATEGORY = "zero-only"
BLAME = ('mul', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __mul__(self, other):
        b = other.data if isinstance(other, engine.value.Value) else other
        if self.data == 0.0 or b == 0.0:
            return type(self)(0.0)
        return super().__mul__(other)
