"""Backward assigns parent.grad = local * upstream instead of accumulating with +=."""

import engine.value
from mutant_engines._backward import backward_with

CATEGORY = "overwrite instead of accumulate"
BLAME = (None, 'accumulation')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def backward(self):
        backward_with(self, lambda node, parent, local, upstream:
                      local * upstream)
