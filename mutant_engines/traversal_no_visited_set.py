"""The topological sort has no visited set: a shared node is listed (and backpropagated) once per path."""

import engine.value

KIND = "wrong traversal"


class Value(engine.value.Value):
    def _topological_order(self):
        order, stack = [], [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        return order
