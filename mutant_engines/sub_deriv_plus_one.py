"""d(a-b)/db is taken as +1 instead of -1 (copied from addition)."""

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('sub', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __sub__(self, other):
        other = other if isinstance(other, engine.value.Value) else type(self)(engine.value._real(other, "-"))
        return type(self)(self.data - other.data, (self, other), (1.0, 1.0), "-")
