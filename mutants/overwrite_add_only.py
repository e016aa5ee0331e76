"""Backward of + assigns its operands' grad (=) instead of accumulating (+=); other ops are right."""

import engine.value

KIND = "overwrite instead of accumulate"


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
                if node._op == "+":
                    parent.grad = local * upstream
                else:
                    parent.grad += local * upstream
