"""c * x (__rmul__) has the right value but stores x instead of c as its derivative."""

import engine.value

KIND = "reflected operator"


class Value(engine.value.Value):
    def __rmul__(self, other):
        c = engine.value._real(other, "*")
        return type(self)(c * self.data, (self,), (self.data,), "*")
