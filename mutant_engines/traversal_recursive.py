"""backward builds its order by recursion, as micrograd does: RecursionError on a graph 1000 ops deep."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, ("traversal", "crash"))  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
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
