"""c / x (__rtruediv__) computes x / c."""

import engine.value

CATEGORY = "reflected operator"
BLAME = ('rtruediv', ('forward', 'crash'))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __rtruediv__(self, other):
        return self / other
