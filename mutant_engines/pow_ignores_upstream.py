"""Backward of x**e drops the upstream gradient: parent.grad += local instead of local * out.grad."""

import engine.value
from mutant_engines._backward import backward_with

CATEGORY = "missing upstream factor"
BLAME = ('pow', 'derivative')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def backward(self):
        backward_with(self, lambda node, parent, local, upstream:
                      parent.grad + (local if node._op.startswith("**") else local * upstream))
