"""backward's visited set holds values (.data), so a node equal in value to a visited one is skipped."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, "traversal")  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def _topological_order(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node.data not in seen:  # the bug: two nodes of equal value are one
                seen.add(node.data)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        return order
