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
    Kind("accumulation", 2, "its accumulation"),
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
                "check": self.check}

    @classmethod
    def from_dict(cls, data: dict) -> "Cause":
        return cls(**{**data, "operands": tuple(data["operands"]), "consequences": tuple(data["consequences"])})

    def with_consequence(self, op: str) -> "Cause":
        if op == self.op or op in self.consequences:
            return self
        return replace(self, consequences=self.consequences + (op,))


def severity(relative_error: float, engine: float | None, truth: float) -> str:
    if engine is None:
        return "crash"
    if not math.isfinite(relative_error) or relative_error > WRONG:
        return "wrong"
    if truth != 0 and engine != 0 and (engine > 0) != (truth > 0):
        return "wrong"
    return "imprecise"
