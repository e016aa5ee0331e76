"""d/dx x**e at x == 0 is taken as 0 for every exponent ("flat at the origin"), but x**1 has slope 1 there."""

import engine.value

CATEGORY = "zero-only"
BLAME = ('pow', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __pow__(self, exponent):
        out = super().__pow__(exponent)
        if self.data == 0.0:
            out._local_grads = (0.0,)
        return out
