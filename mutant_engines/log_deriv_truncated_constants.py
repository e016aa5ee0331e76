"""log' is (1/x) * log10(e) * ln(10) with 8-digit constants: off by -5.7e-9 relative."""

import math

import engine.value

CATEGORY = "slightly imprecise formula"
BLAME = ('log', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x), (self,), (1.0 / x * 0.43429448 * 2.30258509,), "log")
