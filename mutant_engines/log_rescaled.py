"""log(x) is computed as log(x * 1e300) - log(1e300): cancellation near x = 1 and overflow for x > 1.8e8."""

import math

import engine.value

CATEGORY = "unstable formula"
BLAME = ('log', ('forward', 'crash'))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x * 1e300) - math.log(1e300), (self,), (1.0 / x,), "log")
