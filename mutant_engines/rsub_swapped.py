"""c - x (__rsub__) computes x - c."""

import engine.value

CATEGORY = "reflected operator"
BLAME = ('rsub', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __rsub__(self, other):
        return self - other
