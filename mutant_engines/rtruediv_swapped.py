"""c / x (__rtruediv__) computes x / c."""

import engine.value

KIND = "reflected operator"


class Value(engine.value.Value):
    def __rtruediv__(self, other):
        return self / other
