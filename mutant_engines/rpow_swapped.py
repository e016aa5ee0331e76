"""c ** x is computed as x ** c: the reflected operator swaps base and exponent."""

import engine.value

CATEGORY = "reflected operator"
BLAME = ("rpow", ("forward", "derivative", "crash"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __rpow__(self, base):
        return self ** base
