"""Backward walks the topological order forwards (leaves first) instead of reversed (root first)."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, 'traversal')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def backward(self):
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad = 1.0
        for node in order:
            upstream = node.grad
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += local * upstream
