"""d(a/b)/db is taken as +a/b**2 instead of -a/b**2."""

import engine.value

CATEGORY = "wrong local derivative"
BLAME = ('truediv', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __truediv__(self, other):
        out = super().__truediv__(other)
        out._local_grads = (out._local_grads[0], -out._local_grads[1])
        return out
