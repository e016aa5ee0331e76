"""Backward of + assigns its operands' grad (=) instead of accumulating (+=); other ops are right."""

import engine.value
from mutant_engines._backward import backward_with

CATEGORY = "overwrite instead of accumulate"
BLAME = ('add', 'accumulation')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def backward(self):
        backward_with(self, lambda node, parent, local, upstream:
                      local * upstream if node._op == "+" else parent.grad + local * upstream)
