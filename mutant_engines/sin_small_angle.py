"""sin uses the small-angle approximation sin(x) = x, sin'(x) = 1 for |x| < 1e-3 (inaccurate above ~1e-8)."""

import engine.value

CATEGORY = "tiny-only"
BLAME = ('sin', 'forward')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def sin(self):
        x = self.data
        if abs(x) < 1e-3:
            return type(self)(x, (self,), (1.0,), "sin")
        return super().sin()
