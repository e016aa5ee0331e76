"""The partials of a * b are off by one part in 1e15 (a slightly imprecise formula): exact in a
correct engine, so the wide sum, which holds every gradient to be exactly the other factor, sees it."""

import engine.value

CATEGORY = "slightly imprecise formula"
BLAME = ("mul", "derivative")


class Value(engine.value.Value):
    def __mul__(self, other):
        out = super().__mul__(other)
        out._local_grads = tuple(g * (1.0 + 1e-15) for g in out._local_grads)
        return out
