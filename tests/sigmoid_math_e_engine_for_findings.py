"""sigmoid as 1 / (1 + math.pow(math.e, -x)) (a student's minitorch): imprecise, then a crash."""

import math

import engine.value


class Value(engine.value.Value):
    def sigmoid(self):
        s = 1.0 / (1.0 + math.pow(math.e, -self.data))
        return type(self)(s, (self,), (s * (1.0 - s),), "sigmoid")
