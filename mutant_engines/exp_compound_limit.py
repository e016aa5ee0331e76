"""exp(x) is computed as (1 + x/2**20) ** 2**20 (value and derivative): rounding amplified 2**20 times plus truncation."""

import engine.value

CATEGORY = "unstable formula"
BLAME = ('exp', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def exp(self):
        out = (1.0 + self.data / 2**20) ** 2**20
        return type(self)(out, (self,), (out,), "exp")
