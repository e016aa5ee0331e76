"""Which ``Value`` class the suite verifies, and which registry ops it has.

Selected with ``pytest --engine MODULE:ATTR`` or the ``GRADPROOF_ENGINE``
environment variable (for runners other than pytest); the default is this
project's own engine.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

from reference.ops import REGISTRY, OpSpec

ENV_VAR = "GRADPROOF_ENGINE"
DEFAULT_ENGINE = "engine:Value"
_REQUIRED = ("data", "grad", "backward")


class EngineSpecError(ValueError):
    """The engine named by --engine / GRADPROOF_ENGINE cannot be used."""


@dataclass(frozen=True)
class EngineUnderTest:
    name: str  # MODULE:ATTR
    value_type: type

    def supports(self, spec: OpSpec) -> bool:
        return callable(getattr(self.value_type, spec.method, None))

    @property
    def ops(self) -> list[str]:
        """Registry ops this engine has, in registry order."""
        return [name for name, spec in REGISTRY.items() if self.supports(spec)]

    @property
    def missing_ops(self) -> list[str]:
        return [name for name, spec in REGISTRY.items() if not self.supports(spec)]

    @property
    def import_line(self) -> str:
        module, attr = self.name.split(":")
        if "." in attr:
            return f"import {module}\nValue = {module}.{attr}"
        return f"from {module} import {attr}" + ("" if attr == "Value" else " as Value")


def load_engine(name: str | None = None) -> EngineUnderTest:
    """Import MODULE:ATTR (default: $GRADPROOF_ENGINE, else this project's engine)."""
    name = name or os.environ.get(ENV_VAR) or DEFAULT_ENGINE
    module_name, sep, attr = name.partition(":")
    if not sep or not module_name or not attr:
        raise EngineSpecError(f"engine must be given as MODULE:ATTR (e.g. micrograd.engine:Value), got {name!r}")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as error:
        raise EngineSpecError(f"cannot import engine module {module_name!r}: {error}") from error
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise EngineSpecError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise EngineSpecError(f"{name} is a {type(obj).__name__}, not a class")
    probe = obj(1.0)
    missing = [a for a in _REQUIRED if not hasattr(probe, a)]
    if missing:
        raise EngineSpecError(f"{name} does not look like a micrograd-style Value: it lacks {', '.join(missing)}")
    return EngineUnderTest(name, obj)


_current: EngineUnderTest | None = None


def select_engine(name: str | None = None) -> EngineUnderTest:
    """Make MODULE:ATTR the engine that :func:`current_engine` returns (conftest calls this)."""
    global _current
    _current = load_engine(name)
    return _current


def current_engine() -> EngineUnderTest:
    """The engine the properties verify: the one selected, else $GRADPROOF_ENGINE or the default."""
    return _current if _current is not None else select_engine()


_focus: str | None = None


def focus_on(op: str | None) -> None:
    """Make the composite properties draw expressions that contain ``op`` (pytest --op)."""
    global _focus
    _focus = op


def focus_op() -> str | None:
    return _focus


# Public attributes of a Value that are its API, not ops.
NOT_OPS = frozenset({
    "backward", "zero_grad", "data", "grad", "item", "label", "tolist", "numpy", "parameters", "detach",
    "requires_grad", "build_topo", "topo", "topological_order", "draw", "draw_dot", "trace", "children",
    "prev", "op", "name",
})
# Dunder methods that compute a new value from this one (comparisons and hashing do not).
ARITHMETIC_DUNDERS = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
    "__neg__", "__pos__", "__abs__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__",
})


# mutmut 3 adds each method's variants to the class as x<sep>Class<sep>method__mutmut_N; not ops.
MUTMUT_TRAMPOLINE = "__mutmut_"


def uncovered_methods(value_type: type, not_ops=()) -> list[str]:
    """Public methods and arithmetic operators of ``value_type`` that no registry spec covers."""
    covered = {spec.method for spec in REGISTRY.values()} | NOT_OPS | set(not_ops)
    found = set()
    for klass in value_type.__mro__:
        if klass is object:
            continue
        for name, attr in vars(klass).items():
            if name in covered:
                continue
            if MUTMUT_TRAMPOLINE in name:
                continue
            public = not name.startswith("_") and (callable(attr) or isinstance(attr, (staticmethod, classmethod)))
            if public or name in ARITHMETIC_DUNDERS:
                found.add(name)
    return sorted(found)
