"""The engine's backward with one step replaceable, for the mutants whose bug is in backward."""

from typing import Callable


def backward_with(root, new_grad: Callable) -> None:
    """engine.value.Value.backward, except that each edge sets
    ``parent.grad = new_grad(node, parent, local, upstream)`` (the engine adds local * upstream)."""
    order = root._topological_order()
    for node in order:
        if node._parents:
            node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        upstream = node.grad
        for parent, local in zip(node._parents, node._local_grads):
            parent.grad = new_grad(node, parent, local, upstream)
