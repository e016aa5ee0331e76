"""Backward visits nodes in breadth-first order from the root, not in reverse topological order."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, 'traversal')  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def _topological_order(self):
        order, seen = [self], {id(self)}
        for node in order:  # the list grows while we walk it: a BFS queue
            for parent in node._parents:
                if id(parent) not in seen:
                    seen.add(id(parent))
                    order.append(parent)
        return order[::-1]
