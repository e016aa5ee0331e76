"""gradproof: property-based verification of micrograd-style scalar autograd engines.

    from properties import run
    result = run(Value)        # the suite on your Value class
    print(result)              # one finding per root cause, each with a reproducer

The pytest plugin (:mod:`properties.plugin`), fuzzing campaigns (``python -m properties.fuzz``)
and the field report (``python -m properties.field``) are the other doors to the same core.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Result", "run"]


def __getattr__(name: str) -> Any:
    # lazy: pytest loads the plugin (and so this package) in every session, which need not pay for the core
    if name == "run":
        from properties.runner.suite import run

        return run
    if name == "Result":
        from properties.results.result import Result

        return Result
    raise AttributeError(f"module 'properties' has no attribute {name!r}")
