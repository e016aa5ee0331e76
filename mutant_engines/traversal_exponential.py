"""Backward's depth-first search checks a node as visited only when it is done with it, not before
going into it: the order is right, but a shared node is walked once per path to it, so the time
doubles with each y = y + y (a field bug: a student's minitorch topological_sort)."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, ("traversal", "crash"))


class Value(engine.value.Value):
    def _topological_order(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                if node not in seen:
                    seen.add(node)
                    order.append(node)
            else:
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents)
        return order
