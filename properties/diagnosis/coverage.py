"""The coverage gate: which of an engine's public methods are ops that no spec verifies.

A public method (or arithmetic operator) is an *op* when, called on a value of
the engine (with no argument, or with another value), it returns a value of the
engine (something its adapter reads a number and a gradient from).  Anything else
(``is_finite``, ``named``, ``ensure_scalar``, functions of plain floats) is a
helper: listed as not verified, never a failure.  For an op that no spec covers,
:func:`suggest_alias` probes it at a few points of each registry op's domain and
names the registry op it computes (``ln`` behaves like ``log``).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from properties.core.reproducers import Reproducer, operator
from properties.diagnosis.causes import Cause
from reference.backends import qualified_name
from reference.mp_backend import mp_scalar_type
from reference.ops import REGISTRY, OpSpec

# Public attributes of a Value that are its API, not ops.
NOT_OPS = frozenset({
    "backward", "zero_grad", "data", "grad", "item", "label", "tolist", "numpy", "parameters", "detach",
    "requires_grad", "build_topo", "topo", "topological_order", "draw", "draw_dot", "trace", "children",
    "prev", "op", "name",
})
# Words in a method's name that say it writes, draws or opens something: the gate never calls such a
# method (a micrograd-style graph() may call graphviz's view() and open a window); it is a helper.
OUTPUT_WORDS = ("draw", "plot", "view", "show", "graph", "render", "save", "visual", "export", "dump", "write",
                "print", "display", "open")


def _has_output(name: str) -> bool:
    return any(word in name.lower() for word in OUTPUT_WORDS)


# Dunder methods that compute a new value from this one (comparisons and hashing do not).
ARITHMETIC_DUNDERS = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
    "__neg__", "__pos__", "__abs__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__",
})
# mutmut 3 adds each method's variants to the class as x<sep>Class<sep>method__mutmut_N; not ops.
MUTMUT_TRAMPOLINE = "__mutmut_"
PROBE_POINTS = (0.3, 0.7, 1.9, 2.6, -0.4, -1.7, 5.5)


@dataclass(frozen=True)
class Unverified:
    """A method of the engine that computes a value but that no spec verifies."""

    name: str
    behaves_like: str | None  # the registry op it computes, if the probe found one

    def advice(self) -> str:
        if self.behaves_like is not None:
            return f"{self.name} behaves like {self.behaves_like}: pass --alias {self.behaves_like}={self.name}"
        return (f"{self.name} returns a value of the engine, so it is an op that nothing verifies: add a spec "
                f"(CONTRIBUTING.md, 'Adding an op'), or pass --not-an-op {self.name} if it is API")


@dataclass(frozen=True)
class Coverage:
    unverified: tuple[Unverified, ...]  # ops without a spec: the gate fails
    helpers: tuple[str, ...]  # methods that are not ops: listed, not verified


def uncovered_methods(value_type: type, not_ops=(), covered_methods=()) -> list[str]:
    """Public methods and arithmetic operators of ``value_type`` that no registry spec covers."""
    covered = {spec.method for spec in REGISTRY.values()} | set(covered_methods) | NOT_OPS | set(not_ops)
    found = set()
    for klass in value_type.__mro__:
        if klass is object:
            continue
        for name, attr in vars(klass).items():
            if name in covered or MUTMUT_TRAMPOLINE in name:
                continue
            public = not name.startswith("_") and (callable(attr) or isinstance(attr, (staticmethod, classmethod)))
            if public or name in ARITHMETIC_DUNDERS:
                found.add(name)
    return sorted(found)


def _attempt(fn, *args) -> Any:
    try:
        return fn(*args)
    except Exception:
        return None


def _arity(method) -> set[int]:
    """How many positional arguments the bound method can take (besides self): a subset of {0, 1, 2}."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return {0, 1}
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in positional if p.default is p.empty)
    most = 2 if any(p.kind == p.VAR_POSITIONAL for p in parameters) else len(positional)
    return {n for n in (0, 1, 2) if required <= n <= most}


SELVES = (0.5, 2.0, -1.5)  # the values a method is called on


def is_op(engine, name: str) -> bool:
    """Does ``name``, called on a value (with no argument, or with another value), return a value
    that depends on the value it was called on?  One that does not (a fresh leaf, a static
    constructor such as ``Scalar.new(data)``) is a helper."""
    results: dict[tuple, list] = {}
    for x in SELVES:
        first = _attempt(engine.leaf, x)
        method = getattr(first, name, None)
        if not callable(method):
            return False
        arities = _arity(method)
        other = _attempt(engine.leaf, 1.25)
        calls = ([("no argument", ())] if 0 in arities else []) + (
            [("a value", (other,)), ("a number", (1.25,))] if 1 in arities else [])
        for how, args in calls:
            out = _attempt(method, *args)
            if _new_value(engine, out, first, *args):
                results.setdefault((how,), []).append(_attempt(engine.number, out))
    groups = list(results.values())
    if any(len(set(map(repr, numbers))) > 1 for numbers in groups):
        return True  # its result depends on the value it is called on
    return any(len(numbers) == 1 for numbers in groups)  # a result at one value only: it cannot be told, an op


def _new_value(engine, out: Any, *given: Any) -> bool:
    """A value the method computed: not one it was given back (``named(v)`` returning ``v``)."""
    return out is not None and engine.is_value(out) and all(out is not g for g in given)


def _points(spec: OpSpec, param: Any) -> list[tuple[float, ...]]:
    domains = spec.operand_domains(param)
    out = []
    for i in range(len(PROBE_POINTS)):
        operands = tuple(d.clip(PROBE_POINTS[(i + 2 * k) % len(PROBE_POINTS)]) for k, d in enumerate(domains))
        if all(d.contains(v) for d, v in zip(domains, operands)) and operands not in out:
            out.append(operands)
    return out


def _close(got: Any, want: float) -> bool:
    try:
        got = float(got)
    except (TypeError, ValueError):
        return False
    return math.isfinite(got) and abs(got - want) <= 1e-6 * abs(want) + 1e-12


def suggest_alias(engine, name: str, candidates=None) -> str | None:
    """The registry op that the engine's method ``name`` computes, judged at a few points of
    the op's domain (every point must agree to 1e-6), or None."""
    scalar = mp_scalar_type(30)
    for spec in candidates if candidates is not None else REGISTRY.values():
        param = spec.default_param if spec.has_param else None
        if spec.has_param and param is None:
            continue
        points = _points(spec, param)
        if len(points) < 3:
            continue
        agree = 0
        for operands in points:
            want = float(spec.call(*[scalar.leaf(v) for v in operands], *([] if param is None else [param])))
            values = [_attempt(engine.leaf, v) for v in operands]
            method = getattr(values[0], name, None)
            if not callable(method):
                return None
            extra = values[1:] if spec.arity == 2 else ([] if param is None or spec.param_optional else [param])
            out = _attempt(method, *extra)
            if not (_new_value(engine, out) and _close(_attempt(engine.number, out), want)):
                break
            agree += 1
        if agree == len(points):
            return spec.name
    return None


def coverage(engine, not_ops=()) -> Coverage:
    """The gate's verdict on ``engine`` (an :class:`~properties.core.engine_under_test.EngineUnderTest`)."""
    covered = {engine.method(spec) for spec in REGISTRY.values()}
    unverified, helpers = [], []
    for name in uncovered_methods(engine.value_type, not_ops, covered):
        if not _has_output(name) and is_op(engine, name):
            missing = [REGISTRY[op] for op in engine.missing_ops]
            present = [REGISTRY[op] for op in engine.ops]
            unverified.append(Unverified(name, suggest_alias(engine, name, missing + present)))
        else:
            helpers.append(name)
    return Coverage(tuple(unverified), tuple(helpers))


__all__ = ["Coverage", "Unverified", "coverage", "is_op", "suggest_alias", "uncovered_methods", "NOT_OPS"]


# ----- operators an engine's users will expect ---------------------------------------------

_OPERATOR_SOURCES = {"radd": "2 + x", "rsub": "2 - x", "rmul": "2 * x", "rtruediv": "2 / x", "neg": "-x"}


def missing_operators(engine) -> list:
    """Findings of kind ``unsupported``: operators the engine's other ops imply (it has ``x - 2``, so its
    users write ``2 - x``) that raise.  Each is tried, so the message is the engine's own error."""
    out = []
    for spec in REGISTRY.values():
        if not spec.implied_by or engine.has(spec):
            continue
        if spec.has_param and not engine.adapter.numbers:  # 2 - x: no number operands is the engine's design
            continue
        present = [op for op in spec.implied_by if engine.supports(REGISTRY[op])]
        if not present:
            continue
        source = _OPERATOR_SOURCES.get(spec.name, spec.source.format("x", p="2"))
        try:
            x = engine.leaf(1.5)
            eval(source, {}, {"x": x})  # noqa: S307 - a fixed expression of our own on the engine's value
            continue  # it works after all (through another method, e.g. __getattr__)
        except Exception as error:
            problem, kind = f"{type(error).__name__}: {error}", type(error).__name__
        summary = (f"{spec.name}, unsupported: `{source}` raises {problem}: the engine has no {spec.method}, "
                   f"though it has {', '.join(REGISTRY[op].method for op in present)}")
        out.append(Cause(op=spec.name, kind="unsupported", severity="unsupported", summary=summary,
                         reproducer=operator(engine, source, kind)))
    return out


def detached_ops(engine) -> list:
    """Findings of kind ``unsupported``: ops the engine adds in a subclass, which results of the ops it
    inherits lack (``(x + y).tan()`` raises AttributeError in the engine; the suite reached them
    through the engine's class)."""
    out = []
    for op, base in sorted(engine.detached.items()):
        spec = REGISTRY[op]
        method = engine.method(spec)
        summary = (f"{op}, unsupported: results of the ops {engine.name} inherits are {base}, which has no "
                   f"{method}: `(x + y).{method}(...)` raises AttributeError (verified through "
                   f"{qualified_name(engine.value_type)}.{method} instead)")
        leaf = engine.adapter.leaf_source
        repro = Reproducer(engine).line(f"x, y = {leaf('0.5')}, {leaf('0.25')}", f"print((x + y).{method})  # AttributeError")
        out.append(Cause(op=op, kind="unsupported", severity="unsupported", summary=summary, reproducer=repro.text()))
    return out
