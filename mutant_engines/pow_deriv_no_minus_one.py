"""d/dx x**e is taken as e * x**e instead of e * x**(e-1)."""

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('pow', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __pow__(self, exponent):
        out = super().__pow__(exponent)  # validation and the forward value are right
        out._local_grads = (float(exponent) * out.data,)
        return out
