"""Backward of x**e drops the upstream gradient: parent.grad += local instead of local * out.grad."""

import engine.value

KIND = "missing upstream factor"


class Value(engine.value.Value):
    def backward(self):
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            upstream = node.grad
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += local if node._op.startswith("**") else local * upstream
