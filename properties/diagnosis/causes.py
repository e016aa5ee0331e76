"""The vocabulary of root causes: their kinds, their severities, and :class:`Cause` itself.

A new kind of finding is one row of :data:`KINDS`: the order in which findings list their kinds,
the words a one-line finding uses for it, whether its op is scanned along the real line to say
where it shows, and whether it is a finding of its own beside the op's other failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Kind:
    name: str
    rank: int  # findings list their kinds in this order: the most telling first
    phrase: str  # "(also a crash)" in a finding's one line
    scanned: bool = False  # a failure of the op at some inputs: where() scans the op along the real line
    apart: bool = False  # a finding of its own, beside the op's other kinds (not merged with them)


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("forward", 0, "its forward value", scanned=True),
    Kind("derivative", 1, "its derivative", scanned=True),
    Kind("accumulation", 2, "its accumulation", apart=True),  # its backward assigns: not its formula
    Kind("traversal", 3, "the traversal"),
    Kind("crash", 4, "a crash", scanned=True),
    Kind("unsupported", 5, "a missing operator", apart=True),
)}
SEVERITIES = ("crash", "wrong", "imprecise", "unsupported")  # the worst first
WRONG = 1e-3  # above this relative error (or with the wrong sign) a result is wrong, not imprecise


def kind_rank(name: str) -> int:
    kind = KINDS.get(name)
    return kind.rank if kind is not None else len(KINDS)


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name) if name in SEVERITIES else len(SEVERITIES)


@dataclass(kw_only=True)
class Cause:
    """One root cause: an op (or the graph), what is wrong, and a reproducer without the suite."""

    op: str | None  # a registry name, or None (the graph, the storage, every op)
    kind: str  # a key of KINDS
    severity: str  # one of SEVERITIES
    summary: str  # one line: "tanh, forward value: tanh(1e-100) returned 0.0, true 1e-100, relative error 1.0"
    reproducer: str
    relative_error: float = math.inf
    operands: tuple = ()  # the engine's operand values where it shows
    param: Any = None
    consequences: tuple[str, ...] = ()  # ops that fail because of it
    case: Any = None  # the minimal case that shows it (a one-op Case, or the small graph), for the corpus
    check: str = "gradient"  # the check (properties.core.checks.CHECKS) that case fails
    phase: str | None = None  # a crash's: "forward" or "backward"
    error: str | None = None  # a crash's exception, by name (OverflowError)
    nonfinite: bool = False  # the engine's number is inf or nan where the true one is finite

    @property
    def beyond_the_graph(self) -> bool:
        """Could no traversal or accumulation bug produce it?  They add finite contributions wrongly:
        they compute no value, raise nothing of their own, and make no finite gradient infinite."""
        return self.op is not None and (self.kind in ("forward", "crash") or self.nonfinite)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; known: {', '.join(SEVERITIES)}")

    @property
    def key(self) -> tuple:
        return (self.op, self.kind)

    def to_dict(self) -> dict:
        """Plain data (what a pytest-xdist worker sends to the controller); without the case."""
        return {"op": self.op, "kind": self.kind, "severity": self.severity, "summary": self.summary,
                "reproducer": self.reproducer, "relative_error": self.relative_error,
                "operands": list(self.operands), "param": self.param, "consequences": list(self.consequences),
                "check": self.check, "phase": self.phase, "error": self.error}

    @classmethod
    def from_dict(cls, data: dict) -> "Cause":
        return cls(**{**data, "operands": tuple(data["operands"]), "consequences": tuple(data["consequences"])})

    def with_consequence(self, op: str) -> "Cause":
        if op == self.op or op in self.consequences:
            return self
        return replace(self, consequences=self.consequences + (op,))


@dataclass(frozen=True)
class Symptom:
    """How a test failed, as far as it says: in which phase, and with which exception."""

    phase: str | None = None  # "forward" (a value, or forward raised), "backward", or None: not known
    error: str | None = None  # the exception's name, where the engine raised

    @classmethod
    def of(cls, failure: Any) -> "Symptom":
        """The symptom of a check's failure (its mismatch and what the engine raised)."""
        raised, mismatch = getattr(failure, "raised", None), getattr(failure, "mismatch", None)
        if raised is not None:
            return cls(raised.phase, type(raised.error).__name__)
        if mismatch is not None:
            return cls("forward" if mismatch.component == "value" else "backward")
        return cls()

    def explained_by(self, cause: "Cause") -> bool:
        """Can ``cause`` produce this failure?  A forward failure has a forward cause (a wrong value or
        a crash in forward: never the traversal or the accumulation); a crash, the same exception
        (or a wrong value before it, which the crash may follow)."""
        if self.phase == "forward" and cause.kind not in ("forward", "crash"):
            return False
        if cause.kind == "crash" and self.phase is not None and cause.phase not in (None, self.phase):
            return False
        if self.error is not None and cause.error is not None and cause.error != self.error:
            return False
        if self.error is None and cause.kind == "crash" and self.phase is not None:
            return False  # a wrong number, not a raise: no crash explains it
        if self.error is not None and cause.error is None and cause.kind in ("traversal", "accumulation"):
            return False  # a raise: a wrong sum of uses computes nothing that could raise
        return cause.kind != "unsupported"


def severity(relative_error: float, engine: float | None, truth: float) -> str:
    if engine is None:
        return "crash"
    if not math.isfinite(relative_error) or relative_error > WRONG:
        return "wrong"
    if truth != 0 and engine != 0 and (engine > 0) != (truth > 0):
        return "wrong"
    return "imprecise"
