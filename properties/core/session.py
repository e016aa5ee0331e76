"""The run in progress: its configuration, its engine and what it has found.

A door (the pytest plugin, a fuzzing campaign) makes a :class:`Run` and activates it for as long
as it runs; the properties get their engine from the run, and the strategies that depend on the
engine (its ops, its own params) draw on the active run.  Nothing binds an engine at import time,
so one process can run the suite on one engine, then on another.

The Python API asks the pytest door for a run with :func:`requested`: the plugin takes the
request's configuration (an engine given as a class included) instead of its command line, and
hands the run back in it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator

from properties.core.accuracy import Accuracy
from properties.core.config import Config
from properties.core.engine_under_test import EngineUnderTest


@dataclass
class Run:
    config: Config
    engine: EngineUnderTest
    findings: Any = None  # properties.results.findings.Findings, kept by the door
    failed: list[str] = field(default_factory=list)  # the failing tests seen so far
    cache: dict = field(default_factory=dict)  # strategies built for this engine, the coverage gate's verdict
    started: float = field(default_factory=time.monotonic)
    stopped: str | None = None  # why the run stopped before its last test, if it did
    progress: Callable[[int, int, int], None] | None = None  # told (done, total, failing) after each test
    total: int = 0  # tests collected
    done: int = 0  # tests run
    hung: set = field(default_factory=set)  # ops that did not return: the tests that need them are skipped
    measured: Accuracy = field(default_factory=Accuracy)  # points measured here, not yet sent on

    def set_aside(self, op: str) -> None:
        """No more of ``op`` in this run (it hung): the strategies draw without it from now on."""
        self.hung.add(op)
        self.engine = replace(self.engine, only=tuple(o for o in self.engine.ops if o != op))
        self.cache.clear()


_active: list[Run] = []


def activate(run: Run) -> None:
    _active.append(run)


def deactivate(run: Run) -> None:
    if run in _active:
        _active.remove(run)


@contextmanager
def activated(run: Run) -> Iterator[Run]:
    """``run`` active for the duration of a ``with`` block."""
    activate(run)
    try:
        yield run
    finally:
        deactivate(run)


def current() -> Run | None:
    """The run in progress, or None."""
    return _active[-1] if _active else None


def active() -> Run:
    """The run in progress (the innermost, when a run starts another)."""
    if not _active:
        raise RuntimeError("no gradproof run is active: the properties run on an engine a run names "
                           "(pytest --engine MODULE:ATTR, or properties.run(Value))")
    return _active[-1]


@dataclass
class Request:
    """What the Python API asks of the pytest door: a run with this configuration."""

    config: Config
    progress: Callable[[int, int, int], None] | None = None
    run: Run | None = None  # the run the door made for it


_requests: list[Request] = []


@contextmanager
def requested(config: Config, progress: Callable[[int, int, int], None] | None = None) -> Iterator[Request]:
    request = Request(config, progress)
    _requests.append(request)
    try:
        yield request
    finally:
        _requests.remove(request)


def pending_request() -> Request | None:
    """The request a door starting now should serve (the innermost), if any is unserved."""
    return _requests[-1] if _requests and _requests[-1].run is None else None
