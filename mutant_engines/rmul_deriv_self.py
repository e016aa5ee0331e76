"""c * x (__rmul__) has the right value but stores x instead of c as its derivative."""

import engine.value

CATEGORY = "reflected operator"
BLAME = ('rmul', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __rmul__(self, other):
        c = engine.value._real(other, "*")
        return type(self)(c * self.data, (self,), (self.data,), "*")
