"""Three bugs: backward has no visited set (a shared node is counted once per path), 5 - x computes
x - 5, and a / b is a * b ** -1 (micrograd's: b ** -1 overflows for a tiny b; c / x, which goes
through it, crashes at x = 5e-324 for c = 0, where a / b has no valid input: a finding of its own)."""

import engine.value
from mutant_engines import traversal_no_visited_set

CATEGORY = "several bugs at once"
BLAME = [(None, "traversal"), ("rsub", "forward"), ("truediv", ("crash", "derivative")), ("rtruediv", "crash")]


class Value(traversal_no_visited_set.Value):
    def __rsub__(self, other):
        return self - other

    def __truediv__(self, other):
        other = other if isinstance(other, engine.value.Value) else type(self)(other)
        return self * other ** -1
