"""c - x (__rsub__) computes x - c."""

import engine.value

KIND = "reflected operator"


class Value(engine.value.Value):
    def __rsub__(self, other):
        return self - other
