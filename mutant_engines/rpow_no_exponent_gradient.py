"""c ** x (__rpow__) has the right value but no gradient for the exponent x: the result has no parents."""

import engine.value

CATEGORY = "cut off from the graph"
BLAME = ("rpow", "derivative")  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __rpow__(self, base):
        return type(self)(engine.value._real(base, "**") ** self.data)
