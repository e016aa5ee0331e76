"""A run's verdict, as the Python API returns it: the findings, and what was and was not verified."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from properties.core.accuracy import Accuracy
from properties.results.findings import Finding, Findings


@dataclass
class Result:
    engine: str  # the engine's name (MODULE:ATTR)
    record: Findings  # everything the run found
    verified_ops: list[str]
    skipped_ops: list[str]  # registry ops the engine lacks
    exit_code: int = 0  # pytest's: 0 all passed, 1 tests failed, 2 interrupted, 3 internal error, 4 usage error
    json: dict | None = None  # what --findings writes
    shape: str = ""  # how the engine's values were reached
    stopped: str | None = None  # why the run stopped before its last test, if it did
    seconds: float = 0.0
    strict_ops: bool = False  # a missing operator fails the run (else it is reported, and passes)
    deselected_ops: list[str] = field(default_factory=list)  # ops the engine has that ops= left out

    @property
    def findings(self) -> list[Finding]:
        """One per root cause, the worst first (the order of the summary and the JSON)."""
        return self.record.findings

    @property
    def accuracy(self) -> Accuracy:
        """Each op's errors in ulps, per regime, on the one-op cases the run judged."""
        return self.record.accuracy

    def report(self, path: str | Path) -> Path:
        """Write the HTML report (findings, the accuracy table, a plot per op) to ``path``."""
        from properties.results.report import write_report

        return write_report(path, self.record, self.engine, self.verified_ops, self.skipped_ops)

    @property
    def unexplained(self) -> list[tuple[str, str]]:
        """Failing tests that no cause explains: (test, the first line of its report)."""
        return list(self.record.unexplained)

    @property
    def unverified_ops(self) -> list[str]:
        """The engine's ops that no spec covers (the coverage gate)."""
        return list(self.record.unverified)

    @property
    def failing(self) -> list[Finding]:
        """The findings that fail the run: all but missing operators, unless ``strict_ops``."""
        return [f for f in self.findings if self.strict_ops or f.kind != "unsupported"]

    @property
    def ok(self) -> bool:
        """The run finished with no failing finding, nothing unexplained and nothing unverified."""
        return (self.exit_code in (0, 1) and not self.failing and not self.record.unexplained
                and not self.record.unverified)

    def lines(self) -> list[str]:
        """The terminal summary of the findings."""
        lines = self.record.lines(self.engine, self.record.failed)
        if self.stopped:
            lines.insert(1, f"stopped early: {self.stopped} (the tests not started were not run)")
        return lines

    def _repr_html_(self) -> str:
        """In Jupyter: one row per finding, its reproducer folded under it."""
        from properties.results.html import result_table

        return result_table(self)

    def __str__(self) -> str:
        return "\n".join(self.lines())
