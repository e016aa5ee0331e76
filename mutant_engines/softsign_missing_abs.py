"""softsign is x / (1 + x): the abs is missing, right for x >= 0 only (a pole at x = -1)."""

import engine.value

CATEGORY = "negative-only"
BLAME = ("softsign", ("forward", "derivative", "crash"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def softsign(self):
        x = self.data
        d = 1.0 + x
        return type(self)(x / d, (self,), (1.0 / (d * d),), "softsign")
