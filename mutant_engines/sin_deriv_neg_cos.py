"""sin' is taken as -cos(x) instead of cos(x)."""

import math

import engine.value

KIND = "wrong local derivative"


class Value(engine.value.Value):
    def sin(self):
        x = self.data
        return type(self)(math.sin(x), (self,), (-math.cos(x),), "sin")
