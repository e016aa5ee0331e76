"""Two bugs: 2 * x recurses forever (__rmul__ calls itself), and backward builds its order by
recursion (RecursionError on a graph deeper than Python's limit)."""

import engine.value

CATEGORY = "several bugs at once"
BLAME = [("rmul", "crash"), (None, ("traversal", "crash"))]


class Value(engine.value.Value):
    def __rmul__(self, other):
        return other * self

    def _topological_order(self):
        order, seen = [], set()

        def build(node):
            if node not in seen:
                seen.add(node)
                for parent in node._parents:
                    build(parent)
                order.append(node)

        build(self)
        return order
