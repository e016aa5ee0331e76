"""log' is taken as 1/x**2 instead of 1/x."""

import math

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('log', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def log(self):
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log({x!r}): log is defined for x > 0 only")
        return type(self)(math.log(x), (self,), (1.0 / x**2,), "log")
