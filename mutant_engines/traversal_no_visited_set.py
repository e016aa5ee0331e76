"""The topological sort has no visited set: a shared node is listed (and backpropagated) once per path."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, 'traversal')  # what the findings must name: the op (None: the graph) and the kind(s)


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
