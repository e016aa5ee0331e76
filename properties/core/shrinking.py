"""How long hypothesis may shrink a failure.

Hypothesis shrinks for up to five minutes.  With blame naming the op at fault and printing a
one-op reproducer, a long shrink buys little: the shrunk expression is only where the bug was
found.  The limit is a private constant of hypothesis, so this is best effort: if it moves, the
limit is silently hypothesis' own.
"""

from __future__ import annotations


def limit_shrinking(seconds: float) -> None:
    """Stop shrinking a failure after ``seconds`` (at least 1)."""
    try:
        from hypothesis.internal.conjecture import engine as conjecture_engine
    except ImportError:
        return
    if hasattr(conjecture_engine, "MAX_SHRINKING_SECONDS"):
        conjecture_engine.MAX_SHRINKING_SECONDS = max(1, int(seconds))
    report = getattr(conjecture_engine, "report", None)
    if report is not None and not getattr(report, "_gradproof", False):
        conjecture_engine.report = _quiet_about_the_limit(report)


def _quiet_about_the_limit(report):
    """Hypothesis warns (and asks for a bug report) when it stops shrinking at its limit, with a
    text that says five minutes; a limit set here is expected, so say that instead."""

    def filtered(message, *args, **kwargs):
        if isinstance(message, str) and message.startswith("WARNING: Hypothesis has spent more than five minutes"):
            from hypothesis.internal.conjecture import engine as conjecture_engine

            seconds = conjecture_engine.MAX_SHRINKING_SECONDS
            message = (f"gradproof: shrinking stopped after {seconds} s (--shrink-seconds); the root cause above "
                       "is the minimal case")
        return report(message, *args, **kwargs)

    filtered._gradproof = True
    return filtered
