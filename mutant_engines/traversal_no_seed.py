"""Backward never sets the root's gradient to 1 (a learner's first bug: ``self.grad = 1.0``
forgotten): every gradient is 0.  One cause for the whole engine, not one per op."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, "traversal")


class Value(engine.value.Value):
    def backward(self):
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        for node in reversed(order):
            upstream = node.grad
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += local * upstream
