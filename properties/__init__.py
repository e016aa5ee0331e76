"""gradproof: property-based verification of micrograd-style scalar autograd engines.

    from properties import verify
    result = verify(Value)     # the suite on your Value class, in seconds
    print(result)              # one finding per root cause, each with a reproducer

The pytest plugin (:mod:`properties.plugin`), fuzzing campaigns (``python -m properties.fuzz``)
and the field report (``python -m properties.field``) are the other doors to the same core.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Adapter", "Result", "run", "verify"]


def __getattr__(name: str) -> Any:
    # lazy: pytest loads the plugin (and so this package) in every session, which need not pay for the core
    if name == "verify":
        from properties.notebook import verify

        return verify
    if name == "run":
        from properties.runner.suite import run

        return run
    if name == "Adapter":
        from properties.core.adapters import Adapter

        return Adapter
    if name == "Result":
        from properties.results.result import Result

        return Result
    raise AttributeError(f"module 'properties' has no attribute {name!r}")
