"""A time limit on the engine: an engine that hangs gets a finding, not a dead notebook.

:func:`time_limit` stops whatever runs inside it after ``seconds`` by raising :class:`Hung`
(a ``BaseException``: an engine's ``except Exception`` cannot swallow it, and hypothesis stops at
once instead of shrinking).  It uses ``SIGALRM``, so it works on the main thread of a POSIX
process (a Jupyter kernel runs cells there); elsewhere it is no limit at all.

:func:`where_it_hung` reads the traceback: the innermost frame of the engine's own code, the op
whose method (or whose backward closure) it is, and the operands it was called on, for a one-op
reproducer.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Iterator


class Hung(BaseException):
    """The engine did not return within the time limit."""

    def __init__(self, seconds: float):
        super().__init__(f"the engine did not return within {seconds:g} s")
        self.seconds = seconds


def can_limit() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`Hung` in this block after ``seconds`` (None, or off the main thread: no limit).
    A limit already running outside stays in force when it is the sooner."""
    if not seconds or not can_limit():
        yield
        return
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)

    def expire(signum, frame):
        raise Hung(seconds)

    limit = seconds if not outer_left else min(seconds, outer_left)
    signal.signal(signal.SIGALRM, expire if limit == seconds else outer_handler)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            spent = limit - left
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - spent, 1e-3))


@dataclass(frozen=True)
class Spot:
    """Where the engine hung: the op, forward or backward, and the operand values."""

    op: str | None
    phase: str
    operands: tuple[float, ...]
    function: str  # the engine's function, as Python names it (Value.tanh.<locals>._backward)


def where_it_hung(tb: TracebackType | None, engine: Any) -> Spot | None:
    """The innermost frame of the engine's own code in ``tb``, as a :class:`Spot`."""
    from reference.ops import REGISTRY

    module = getattr(engine.value_type, "__module__", None)
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    methods = {engine.method(spec): name for name, spec in REGISTRY.items()}
    for frame in reversed(frames):
        if frame.f_globals.get("__name__") != module:
            continue
        qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
        parts = qualname.split(".")
        op = next((methods[p] for p in parts if p in methods), None)
        backward = "<locals>" in parts or any(word in parts[-1].lower() for word in ("backward", "backprop"))
        return Spot(op, "backward" if backward else "forward", _operands(frame, engine), qualname)
    return None


def _operands(frame, engine: Any) -> tuple[float, ...]:
    """The numbers of the values a method was called on (``self``, and ``other`` if a value)."""
    found = []
    for name in ("self", "other"):
        value = frame.f_locals.get(name)
        if value is None:
            continue
        try:
            found.append(engine.number(value))
        except Exception:
            pass
    return tuple(found)
