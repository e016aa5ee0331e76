"""The local derivatives of a*b are stored as (a, b) instead of (b, a)."""

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('mul', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __mul__(self, other):
        other = other if isinstance(other, engine.value.Value) else type(self)(engine.value._real(other, "*"))
        return type(self)(self.data * other.data, (self, other), (self.data, other.data), "*")
