"""Two bugs: 2 * x recurses forever (__rmul__ calls itself), and backward builds its order by
recursion (RecursionError on a graph deeper than Python's limit)."""

from mutant_engines import traversal_recursive

CATEGORY = "several bugs at once"
BLAME = [("rmul", "crash"), (None, ("traversal", "crash"))]


class Value(traversal_recursive.Value):
    def __rmul__(self, other):
        return other * self
