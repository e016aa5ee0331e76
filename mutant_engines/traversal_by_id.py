"""The topological order sorts nodes by id() (their memory address) instead of by creation."""

import engine.value

CATEGORY = "wrong traversal"
BLAME = (None, "traversal")  # what the findings must name: the op (None: the graph) and the kind(s)


class Value(engine.value.Value):
    def _topological_order(self):
        seen, stack = {self}, [self]
        while stack:
            for parent in stack.pop()._parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return sorted(seen, key=id)
