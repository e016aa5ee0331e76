"""Two bugs in two layers: tanh raises NameError in forward (its file never imports math), and
backward assigns every gradient instead of adding to it."""

import engine.value
from mutant_engines._backward import backward_with

CATEGORY = "several bugs at once"
BLAME = [("tanh", "crash"), (None, "accumulation")]  # every cause the findings must name, and nothing else


class Value(engine.value.Value):
    def tanh(self):
        raise NameError("name 'math' is not defined")

    def backward(self):
        backward_with(self, lambda node, parent, local, upstream: local * upstream)
