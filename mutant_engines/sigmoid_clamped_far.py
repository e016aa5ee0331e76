"""sigmoid is clamped to 0 (value and derivative) below x = -50, where the true values are 2e-22 and below."""

import engine.value

CATEGORY = "clamp in a far regime"
BLAME = ("sigmoid", ("forward", "derivative"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def sigmoid(self):
        if self.data < -50.0:
            return type(self)(0.0, (self,), (0.0,), "sigmoid")
        return super().sigmoid()
