"""exp uses the first-order shortcut exp(x) = 1 + x (value and derivative) for |x| < 1e-6 (inaccurate above ~2e-8)."""

import engine.value

CATEGORY = "tiny-only"
BLAME = ('exp', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def exp(self):
        x = self.data
        if abs(x) < 1e-6:
            return type(self)(1.0 + x, (self,), (1.0 + x,), "exp")
        return super().exp()
