"""exp puts its backward on its operand (micrograd's ``self._backward = _backward`` where
``out._backward`` is meant): right on a leaf and on a chain of exps, but the op below an exp
never passes its gradient on (a field bug, NanoAutoGrad's ``Item.exp``)."""

import engine.value

CATEGORY = "cut off from the graph"
BLAME = ("exp", "derivative")


class Value(engine.value.Value):
    def exp(self):
        out = super().exp()
        out._local_grads = (0.0,)  # out's own backward does nothing
        self._pull = (out, out.data)  # and replaces self's: self.grad += e^x * out.grad, no further
        return out

    def backward(self):
        order = self._topological_order()
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            pull = getattr(node, "_pull", None)
            if pull is not None:  # the backward exp put here runs instead of this node's own
                out, local = pull
                node.grad += local * out.grad
                continue
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += local * node.grad
