"""The DFS appends a node when it is first reached (pre-order), not after its parents (post-order)."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, 'traversal')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def _topological_order(self):
        order, seen, stack = [], set(), [self]
        while stack:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
                stack.extend(node._parents)
        return order[::-1]
