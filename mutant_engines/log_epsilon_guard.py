"""log(x) is computed as log(x + 1e-12) (an epsilon guard), wrong for small x in value and derivative."""

import math

import engine.value

CATEGORY = "tiny-only"
BLAME = ('log', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x + 1e-12), (self,), (1.0 / (x + 1e-12),), "log")
