"""The suite's mutation self-test: deliberately buggy engines the properties must reject.

Each module ``mutant_engines/<name>.py`` defines ``class Value(engine.value.Value)``
that overrides one method to inject one plausible bug, says what the bug is in
its one-line docstring, names its category in ``CATEGORY`` (one of ``CATEGORIES``) and what blame must find
in ``BLAME``: ``(op, kind)`` with the registry op at fault (None for the graph)
and the finding's kind (or a tuple of acceptable kinds).  A mutant is *killed*
when ``pytest properties/ --engine mutant_engines.<name>:Value`` fails, and
*blamed right* when every finding of that run names its op and kind.

    python -m mutant_engines                      # every mutant, 2 at a time, profile "mutants"
    python -m mutant_engines --only sin_small_angle rsub_swapped --jobs 1

See :mod:`mutant_engines.__main__` for the runner.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

CATEGORIES = (  # kinds of bug: what a mutant's CATEGORY may be
    "wrong local derivative",
    "missing upstream factor",
    "overwrite instead of accumulate",
    "wrong traversal",
    "negative-only",
    "tiny-only",
    "zero-only",
    "reflected operator",
    "forward off by 1e-10 relative",
    "unstable formula",
    "slightly imprecise formula",
    "epsilon guard",
    "crash in a far regime",
    "clamp in a far regime",
    "storage precision",
    "cut off from the graph",
    "several bugs at once",
)


def names() -> list[str]:
    """Every mutant module in this package, sorted (modules starting with _ are not mutants)."""
    here = [str(Path(__file__).parent)]
    return sorted(m.name for m in pkgutil.iter_modules(here) if not m.name.startswith("_"))


def load(name: str):
    """The module ``mutant_engines.<name>``; checks that it declares a known CATEGORY and a Value class."""
    module = importlib.import_module(f"{__name__}.{name}")
    category = getattr(module, "CATEGORY", None)
    if category not in CATEGORIES:
        raise ValueError(f"mutant_engines.{name}: CATEGORY must be one of {CATEGORIES}, got {category!r}")
    if not isinstance(getattr(module, "Value", None), type):
        raise ValueError(f"mutant_engines.{name} defines no Value class")
    blame = getattr(module, "BLAME", None)
    causes = blame if isinstance(blame, list) else [blame]
    if not causes or not all(isinstance(c, tuple) and len(c) == 2 for c in causes):
        raise ValueError(f"mutant_engines.{name}: BLAME must be (op or None, kind or kinds), or a list of them for "
                         f"several bugs, got {blame!r}")
    return module


def _names(cause: tuple, finding: dict) -> bool:
    """Does ``finding`` name ``cause`` (op, kind or kinds)?  A finding's kind here is its most telling
    one (``kinds[0]``: a wrong value before a crash), whichever instance its summary shows."""
    op, kinds = cause
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    return finding["op"] == op and (finding.get("kinds") or [finding["kind"]])[0] in kinds


def causes_found(blame, findings: list[dict]) -> tuple[int, int]:
    """How many of ``blame``'s causes (one, or a list of several bugs) a finding names, of how many."""
    causes = blame if isinstance(blame, list) else [blame]
    return sum(any(_names(c, f) for f in findings) for c in causes), len(causes)


def blamed_right(blame, findings: list[dict]) -> bool:
    """Every finding names a mutated op (None: the graph) with an expected kind, and every cause of
    ``blame`` (one, or a list of several bugs) is named by a finding: all causes found, nothing else."""
    causes = blame if isinstance(blame, list) else [blame]
    return (bool(findings) and all(any(_names(c, f) for c in causes) for f in findings)
            and all(any(_names(c, f) for f in findings) for c in causes))
