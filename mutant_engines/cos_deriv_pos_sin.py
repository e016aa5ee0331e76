"""cos' is taken as sin(x) instead of -sin(x)."""

import math

import engine.value

KIND = "wrong local derivative"


class Value(engine.value.Value):
    def cos(self):
        x = self.data
        return type(self)(math.cos(x), (self,), (math.sin(x),), "cos")
