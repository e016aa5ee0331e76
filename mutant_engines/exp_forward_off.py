"""The value of exp is off by a factor (1 + 1e-10); its local derivatives are right."""

import engine.value

CATEGORY = "forward off by 1e-10 relative"
BLAME = ('exp', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def exp(self):
        out = super().exp()
        out.data *= 1.0 + 1e-10
        return out
