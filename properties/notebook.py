"""The door for a notebook (or any Python session): ``verify(Value)``, a verdict in seconds.

    from properties import verify
    result = verify(Value)          # the class defined in the cell above
    result                          # in Jupyter: a table, one row per finding, its reproducer folded
    print(result)                   # elsewhere: the terminal summary

Run it again after editing and re-running the class: the new class gets a new verdict.  The
quick budget (a few examples per property, no shrinking: blame gives the one-op case anyway) is
the default; ``thorough=True`` runs the full CI sample.  Nothing the engine does kills the
kernel: a test that runs past its time limit is a finding (the engine hangs), a recursion is a
finding, and ``seconds=`` bounds the whole run.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Iterable, Mapping

from properties.results.result import Result
from properties.runner.suite import run

HANG_SECONDS = 10.0  # a quick verdict's limit on one test: a correct engine needs well under a second
PROGRESS_EVERY = 0.5  # seconds between two progress lines


def verify(engine: Any, *, ops: Iterable[str] | None = None, seconds: float | None = None,
           aliases: Mapping[str, str] | None = None, thorough: bool = False, value_attr: str | None = None,
           grad_attr: str | None = None, backward: str | None = None, adapter: Any = None,
           not_ops: Iterable[str] = (), strict_ops: bool = False, progress: bool = True) -> Result:
    """The suite on ``engine`` (a class, or ``"MODULE:ATTR"`` / ``"engine.py:Value"``), in this process.

    ``ops`` verifies only these registry ops; ``seconds`` is a time budget (the tests not started
    by then are not run, and the result says so); ``aliases`` maps a registry op to your method
    (``{"log": "ln"}``); ``value_attr``, ``grad_attr``, ``backward`` and ``adapter`` give your
    engine's shape where probing cannot find it; ``thorough`` runs the full CI sample instead of
    the quick one; ``not_ops`` names public methods that are API, not ops (the coverage gate asks
    for a spec of every op-like method); ``strict_ops`` makes a missing operator (``2 - x``, given
    ``x - 2``) fail the verdict, which otherwise reports it and passes; ``progress`` shows a line of
    progress while it runs.
    """
    stream = sys.stderr  # the kernel's own stream: pytest swaps sys.stderr while it runs
    started, shown = time.monotonic(), [0.0]

    def show(done: int, total: int, failed: int) -> None:
        now = time.monotonic()
        if now - shown[0] < PROGRESS_EVERY and done < total:
            return
        shown[0] = now
        stream.write(f"\rgradproof: {done}/{total} tests, {failed} failing, {now - started:.0f} s ")
        stream.flush()

    hang = HANG_SECONDS if seconds is None else min(HANG_SECONDS, seconds)
    result = run(engine, ops=ops, aliases=aliases, value_attr=value_attr, grad_attr=grad_attr, backward=backward,
                 adapter=adapter, profile="ci" if thorough else "quick", seconds=seconds,
                 hang_seconds=None if thorough else hang, progress=show if progress else None,
                 quick=not thorough, not_ops=not_ops, strict_ops=strict_ops)
    if progress:
        stream.write("\r" + " " * 60 + "\r")
        stream.flush()
    return result
