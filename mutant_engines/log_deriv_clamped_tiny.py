"""log' is clamped to 0 for x < 1e-8 (a guard against huge gradients) instead of 1/x."""

import math

import engine.value

CATEGORY = "tiny-only"
BLAME = ('log', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x), (self,), (1.0 / x if x >= 1e-8 else 0.0,), "log")
