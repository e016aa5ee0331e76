"""This project's engine with scalargrad's log: ``assert self.data > 0`` refuses log(0) with an
AssertionError, a legitimate way to refuse an invalid input (tests/test_softmax_refusals.py)."""

import math

import engine.value


class Value(engine.value.Value):
    def log(self):
        assert self.data > 0, "log requires positive input"
        return type(self)(math.log(self.data), (self,), (1.0 / self.data,), "log")
