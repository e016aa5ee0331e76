"""Every value is stored in single precision (float32), as an engine built on float32 arrays would."""

import struct

import engine.value

CATEGORY = "storage precision"
BLAME = (None, "forward")  # what the findings must name: the op (None: the graph) and the kind(s)


def _float32(x: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


class Value(engine.value.Value):
    __slots__ = ()

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.data = _float32(self.data)
