"""Which ``Value`` class the suite verifies, which registry ops it has, and under which names.

Given as ``MODULE:ATTR`` or as the class itself (:mod:`properties.core.config` resolves which).
An engine may spell an op differently (``ln`` for ``log``): an *alias* ``log=ln`` makes every
property call ``x.ln()`` where the registry says ``x.log()``, and print it so in every
reproducer.

Its values are reached through an adapter (:mod:`properties.core.adapters`): the names it keeps
a number and a gradient under and runs backward by, found by probing a tiny graph, or a class of
the user's.  Results are judged by what they can do, not by their class (an engine that
subclasses another one returns instances of the base class from the ops it inherits).
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Callable, Iterable, Mapping

from properties.core.adapters import Adapter, Attributes, ShapeError, detect
from properties.core.config import DEFAULT_ENGINE, Config, ConfigError
from reference.backends import evaluate_engine, qualified_name
from reference.domains import Params, fixed
from reference.expression import dispatch
from reference.ops import REGISTRY, OpSpec


class EngineSpecError(ConfigError):
    """The engine (or an alias) cannot be used."""


@dataclass(frozen=True)
class EngineUnderTest:
    name: str  # MODULE:ATTR, or PATH.py:ATTR
    adapter: Adapter  # how its values are made and read (a class: micrograd's names, .data, .grad, backward())
    aliases: tuple[tuple[str, str], ...] = ()  # (registry op, the engine's method name)
    fixed_params: tuple[tuple[str, Any], ...] = ()  # (op, param) for methods that take no param (x.leaky_relu())
    only: tuple[str, ...] | None = None  # the registry ops to verify; None: every one it has
    origin: str | None = None  # the file it was loaded from, when it was given as a path
    _calls: dict = field(default_factory=dict, compare=False, repr=False)
    # ops that results of other ops lack (a subclass adds them; inherited ops return the base class)
    detached: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.adapter, type):  # a class with micrograd's names: .data, .grad, .backward()
            object.__setattr__(self, "adapter", Attributes(self.adapter))

    @property
    def value_type(self) -> type:
        return self.adapter.value_type

    # ----- its values, through the adapter -----

    def leaf(self, x: float) -> Any:
        return self.adapter.leaf(x)

    def number(self, value: Any) -> float:
        return self.adapter.number(value)

    def gradient(self, value: Any) -> float:
        return self.adapter.gradient(value)

    def backward(self, value: Any) -> None:
        self.adapter.backward(value)

    def is_value(self, obj: Any) -> bool:
        return self.adapter.is_value(obj)

    @property
    def alias_map(self) -> dict[str, str]:
        return dict(self.aliases)

    @property
    def params(self) -> dict[str, Params]:
        """The params of the ops whose method takes none (``x.leaky_relu()``): the engine's own."""
        return {op: fixed(param) for op, param in self.fixed_params}

    def edge_params(self, spec: OpSpec) -> tuple:
        """The params ``spec`` is tested at on its edges: the registry's, or the engine's own."""
        own = dict(self.fixed_params)
        return (own[spec.name],) if spec.name in own else spec.edge_params

    def method(self, spec: OpSpec) -> str:
        """The name this engine's op is reached by: the alias if one is given, else the registry's
        method if the engine has it, else another common spelling of it that the engine has."""
        alias = self.alias_map.get(spec.name)
        if alias is not None:
            return alias
        if callable(getattr(self.value_type, spec.method, None)):
            return spec.method
        return next((m for m in spec.spellings if callable(getattr(self.value_type, m, None))), spec.method)

    def supports(self, spec: OpSpec) -> bool:
        return (self.only is None or spec.name in self.only) and self.has(spec)

    def has(self, spec: OpSpec) -> bool:
        """Does the engine have ``spec``, whether or not this run verifies it?"""
        return (self.adapter.numbers or not spec.number_first) and callable(getattr(self.value_type, self.method(spec), None))

    def takes_param(self, spec: OpSpec) -> bool:
        return spec.name not in dict(self.fixed_params)

    def call(self, spec: OpSpec) -> Callable:
        """``spec`` applied the way this engine spells it.

        An engine that subclasses another one to add an op has it on its own values only: the
        results of the ops it inherits are instances of the base class.  On such an operand the op
        is called through the engine's class (and :attr:`detached` records it, for a finding)."""
        if spec.name not in self._calls:
            self._calls[spec.name] = self._through_class(spec, spec.call_via(self.method(spec), self.takes_param(spec)))
        return self._calls[spec.name]

    def _through_class(self, spec: OpSpec, call: Callable) -> Callable:
        method, value_type, detached = self.method(spec), self.value_type, self.detached
        if all(hasattr(base, method) for base in value_type.__mro__[1:-1]):
            return call  # every class the engine's values may have has it

        def through_class(first, *rest):
            if isinstance(first, value_type) or hasattr(type(first), method):
                return call(first, *rest)
            detached.setdefault(spec.name, qualified_name(type(first)))
            unbound = getattr(value_type, method)
            keep = spec.arity - 1 + (1 if spec.has_param and self.takes_param(spec) else 0)
            return unbound(first, *rest[:keep])

        return through_class

    @cached_property
    def calls(self) -> dict[str, Callable]:
        """{op: callable} for the ops this engine spells differently (what Expression.run takes)."""
        return {name: self.call(spec) for name, spec in REGISTRY.items()
                if self.supports(spec) and self.call(spec) is not spec.call}

    @cached_property
    def templates(self) -> dict[str, str]:
        """{op: source template} for the ops this engine spells differently (what Expression.source takes)."""
        out = {}
        for name, spec in REGISTRY.items():
            template = spec.template(self.method(spec), self.takes_param(spec))
            if self.supports(spec) and template != spec.source:
                out[name] = template
        return out

    @property
    def ops(self) -> list[str]:
        """Registry ops this engine has, in registry order."""
        return [name for name, spec in REGISTRY.items() if self.supports(spec)]

    @property
    def missing_ops(self) -> list[str]:
        """Registry ops this engine lacks (not those it has and this run does not verify)."""
        return [name for name, spec in REGISTRY.items() if not self.has(spec)]

    @property
    def deselected_ops(self) -> list[str]:
        """Registry ops the engine has that this run does not verify (``ops=``)."""
        return [name for name, spec in REGISTRY.items() if self.has(spec) and not self.supports(spec)]

    def apply(self, op: str, *args: Any) -> Any:
        """One op on engine values (or plain-number constants, made values for an engine whose ops
        take none), spelled as this engine spells it."""
        return dispatch(self.calls, self.lift)(op, *args)

    def run(self, expression: Any, inputs: Iterable[Any]) -> Any:
        """An :class:`~reference.expression.Expression` (or any function of scalars) on this engine's values."""
        run = getattr(expression, "run", None)
        return run(list(inputs), self.calls, self.lift) if run is not None else expression(*inputs)

    @property
    def lift(self) -> Callable | None:
        """What makes a plain-number operand a value, for an engine whose ops take none; else None."""
        return None if self.adapter.numbers else self.adapter.constant

    def constant_source(self, c: float) -> str:
        """A constant operand as source: ``3.0``, or ``Value(3.0)`` for an engine whose ops take no numbers."""
        return repr(c) if self.adapter.numbers else self.adapter.leaf_source(repr(c))

    def source(self, expression: Any, name: str = "f") -> str:
        """Python source of ``expression`` as this engine's users would write it (aliases applied,
        constants lifted where its ops take no plain numbers)."""
        try:
            return expression.source(name, templates=self.templates,
                                     constant=None if self.adapter.numbers else self.constant_source)
        except TypeError:  # a Function: its text is fixed
            return expression.source(name)

    def source_of(self, op: str, *operands: str, param: Any = None) -> str:
        """``op`` applied to operands given as source, as this engine's users write it (``x0.ln()``)."""
        spec = REGISTRY[op]
        return spec.render(list(operands), "" if param is None else repr(param), self.templates.get(op))

    @property
    def import_line(self) -> str:
        """What a reproducer starts with: the engine's class as ``Value`` (and its adapter)."""
        module, attr = self.name.rsplit(":", 1)
        if self.origin is not None:  # a file: importable from its folder
            folder, stem = os.path.split(os.path.splitext(self.origin)[0])
            lines = ["import sys", f"sys.path.insert(0, {folder!r})",
                     f"from {stem} import {attr}" + ("" if attr == "Value" else " as Value")]
        elif module in ("__main__", "builtins") or module.startswith("__"):  # a notebook's or a script's
            lines = [f"# Value: the engine class you passed ({attr}, defined in {module})"]
            lines += [] if attr == "Value" else [f"Value = {attr}"]
        elif "." in attr:
            lines = [f"import {module}", f"Value = {module}.{attr}"]
        else:
            lines = [f"from {module} import {attr}" + ("" if attr == "Value" else " as Value")]
        return "\n".join(lines + self.adapter.import_lines())

    def evaluate(self, expression: Any, inputs: Iterable[float]):
        """Value and gradient on this engine (see :func:`reference.backends.evaluate_engine`)."""
        return evaluate_engine(self.adapter, expression, list(inputs), self.calls, self.lift)


def load_engine(name: str, aliases: Mapping[str, str] | None = None, **shape: Any) -> EngineUnderTest:
    """The engine at ``MODULE:ATTR``, ``PATH.py:ATTR`` or ``PATH.py`` (its engine class picked: the one
    named Value, or the only class with an engine's shape).  ``shape``: see :func:`engine_of`."""
    module_name, sep, attr = name.rpartition(":") if name.rpartition(":")[0] else (name, "", "")
    if module_name.endswith(".py") or name.endswith(".py"):
        from properties.core.engine_files import load_file

        path = module_name if module_name.endswith(".py") else name
        cls, attr = load_file(path, attr or None, shape)
        return engine_of(cls, aliases, f"{os.path.abspath(path)}:{attr}", origin=os.path.abspath(path), **shape)
    if not sep or not module_name or not attr:
        raise EngineSpecError(f"engine must be given as MODULE:ATTR (e.g. micrograd.engine:Value) or as a file "
                              f"(engine.py, engine.py:Value), got {name!r}")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as error:
        hint = " (pass --engine MODULE:ATTR to name your engine)" if name == DEFAULT_ENGINE else ""
        raise EngineSpecError(f"cannot import engine module {module_name!r}: {error}{hint}") from error
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise EngineSpecError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return engine_of(obj, aliases, name, **shape)


def engine_of(obj: Any, aliases: Mapping[str, str] | None = None, name: str | None = None, *,
              adapter: Adapter | None = None, value_attr: str | None = None, grad_attr: str | None = None,
              backward: str | None = None, ops: Iterable[str] | None = None, origin: str | None = None) -> EngineUnderTest:
    """The engine whose values are instances of the class ``obj``, reached through ``adapter`` (else
    the spellings :func:`properties.core.adapters.detect` finds, or those ``value_attr``,
    ``grad_attr`` and ``backward`` name); ``ops`` restricts what is verified."""
    name = name or f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"
    if not isinstance(obj, type):
        raise EngineSpecError(f"{name} is a {type(obj).__name__}, not a class")
    adapter = _adapter_for(adapter, obj)
    if adapter is None:
        try:
            adapter = detect(obj, value=value_attr, grad=grad_attr, backward=backward)
        except ShapeError as error:
            raise EngineSpecError(str(error)) from None
    aliases = dict(aliases or {})
    for op, method in aliases.items():
        if not callable(getattr(obj, method, None)):
            raise EngineSpecError(f"alias {op}={method}: {name} has no method {method!r}")
    only = None if ops is None else tuple(ops)
    unknown = [op for op in only or () if op not in REGISTRY]
    if unknown:
        raise EngineSpecError(f"ops {', '.join(unknown)}: no such registry op; registered: {', '.join(REGISTRY)}")
    engine = EngineUnderTest(name, adapter, tuple(sorted(aliases.items())), only=only, origin=origin)
    fixed_params = tuple((spec.name, _own_param(engine, spec)) for spec in REGISTRY.values()
                         if spec.param_optional and engine.supports(spec) and not _accepts_param(engine, engine.method(spec)))
    return replace(engine, fixed_params=fixed_params) if fixed_params else engine


def _adapter_for(adapter: Any, value_type: type) -> Adapter | None:
    """An adapter instance: as given, or the class given made for ``value_type`` (a class whose
    constructor takes an argument gets the engine's class; one that takes none, nothing)."""
    if adapter is None or isinstance(adapter, Adapter):
        return adapter
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        raise EngineSpecError(f"adapter {adapter!r}: an adapter is a subclass of properties.Adapter "
                              "(leaf, number, gradient, backward; constant for engines without number operands)")
    try:
        required = [p for p in inspect.signature(adapter).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        made = adapter(value_type) if required else adapter()
    except Exception as error:
        raise EngineSpecError(f"adapter {qualified_name(adapter)}: making it raised {type(error).__name__}: {error}") from None
    if not isinstance(getattr(made, "value_type", None), type) or made.value_type is object:
        made.value_type = value_type
    return made


def from_config(config: Config) -> EngineUnderTest:
    """The engine ``config`` names (its ops modules imported first)."""
    config.import_ops_modules()
    shape = config.shape()
    if isinstance(config.engine, str):
        return load_engine(config.engine, config.aliases, **shape)
    return engine_of(config.engine, config.aliases, **shape)


def _accepts_param(engine: EngineUnderTest, method: str) -> bool:
    """Can the method be called with one positional argument (the op's param)?"""
    try:
        signature = inspect.signature(getattr(engine.leaf(1.0), method))
    except (TypeError, ValueError):
        return True
    kinds = [p.kind for p in signature.parameters.values()]
    return any(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                     inspect.Parameter.VAR_POSITIONAL) for k in kinds)


def _own_param(engine: EngineUnderTest, spec: OpSpec) -> Any:
    """The param a method without one uses (leaky_relu's slope: -leaky_relu(-1)), else the spec's default."""
    try:
        out = getattr(engine.leaf(-1.0), engine.method(spec))()
        slope = -engine.number(out)
        if math.isfinite(slope) and 0.0 <= slope < 1.0:
            return slope
    except Exception:
        pass
    return spec.default_param
