"""a / b is computed as a / (b + 1e-8) (an epsilon guard against division by zero): wrong for small b."""

import engine.value

CATEGORY = "epsilon guard"
BLAME = ("truediv", ("forward", "derivative"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def __truediv__(self, other):
        other = other if isinstance(other, engine.value.Value) else type(self)(engine.value._real(other, "/"))
        a, b = self.data, other.data + 1e-8
        out = a / b
        return type(self)(out, (self, other), (1.0 / b, -out / b), "/")
