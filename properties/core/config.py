"""One configuration for every door: which engine, under which names, how hard to look, where to
write.  The pytest plugin, fuzzing campaigns, the field report and the Python API all resolve it
here, from (strongest first) their own options, the environment and ``[tool.gradproof]`` in the
project's ``pyproject.toml``::

    [tool.gradproof]
    engine = "engine:Value"
    aliases = {log = "ln", relu = "reLU"}     # the registry's op = the engine's method
    not-an-op = ["gamma"]                     # public methods that are API, not ops
    ops-modules = ["mypkg.gradproof_specs"]   # modules that register specs for ops of your own
    profile = "dev"                           # the hypothesis profile (default: ci under CI, else dev)
    value-attr = "value"                      # the engine's shape, where probing cannot find it:
    grad-attr = "gradient"                    #   where a value keeps its number and its gradient,
    backward = "backprop"                     #   the method that runs backward,
    adapter = "mypkg.shape:MyAdapter"         #   or an adapter class (properties.core.adapters)

Environment: ``GRADPROOF_ENGINE``, ``GRADPROOF_ALIASES`` ("log=ln,relu=reLU"), ``GRADPROOF_OPS``
(comma-separated modules) and ``CI`` (the ``ci`` profile).  Aliases and the lists merge across
the sources (an option's alias for an op wins); the engine and the profile are the strongest
source's.
"""

from __future__ import annotations

import importlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import InvalidArgument

from reference.ops import REGISTRY

ENGINE_ENV = "GRADPROOF_ENGINE"
ALIASES_ENV = "GRADPROOF_ALIASES"
OPS_ENV = "GRADPROOF_OPS"
DEFAULT_ENGINE = "engine:Value"
SHRINK_SECONDS = 10.0
HANG_SECONDS = 30.0  # a test (or a probe of blame) that runs longer than this: the engine hangs
TABLE_KEYS = ("engine", "aliases", "not-an-op", "ops-modules", "profile", "value-attr", "grad-attr", "backward",
              "adapter")
# the adapters the suite ships, by a short name (--adapter minitorch)
BUILTIN_ADAPTERS = {"minitorch": "properties.core.adapters:MiniTorch",
                    "tensor0d": "properties.core.adapters:ZeroDimTensor"}
# pytest options that take a path: given with a space (--findings PATH), pytest reads PATH as a test path
# while it chooses the project's rootdir, before it knows these options exist
PATH_OPTIONS = ("--findings", "--corpus", "--report")
_METHOD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names where it came from."""


# ----- hypothesis profiles ------------------------------------------------------------------

# No deadline anywhere: an example's cost depends on the mpmath precision it needs, not on a bug.
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
# Our own "ci" replaces hypothesis' built-in one (which it loads whenever CI is set); the same
# settings as hypothesis' own, except that a slow example is not an error.
settings.register_profile("ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20_000, deadline=None, print_blob=True)
# For mutation runs: one failure is all we need to know, so skip the shrink phase (~16x faster per mutant).
settings.register_profile("mutants", parent=settings.get_profile("ci"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
# A quick pass (the suite's own tests run it on other engines): derandomized, 10 examples.
settings.register_profile("smoke", parent=settings.get_profile("ci"), max_examples=10)
# A verdict in seconds: smoke without shrinking (blame names the op and gives its one-op reproducer anyway).
settings.register_profile("quick", parent=settings.get_profile("mutants"), max_examples=10)
PROFILES = ("dev", "ci", "fuzz", "mutants", "smoke", "quick")


def has_profile(name: str) -> bool:
    """Is ``name`` a registered hypothesis profile (the suite's, or one the user registered)?"""
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


def default_profile() -> str:
    return "ci" if os.environ.get("CI") else "dev"


# ----- the configuration --------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Everything a run of the suite needs to know, resolved."""

    engine: str | type = DEFAULT_ENGINE  # MODULE:ATTR, or the class itself
    aliases: Mapping[str, str] = field(default_factory=dict)  # registry op -> the engine's method
    not_ops: tuple[str, ...] = ()
    ops_modules: tuple[str, ...] = ()
    profile: str = "dev"
    op: str | None = None  # only what involves this op, with 5x the examples
    strict_ops: bool = False  # a missing operator fails the run
    shrink_seconds: float = SHRINK_SECONDS
    findings: str | None = None  # where to write the findings as JSON
    report: str | None = None  # where to write the HTML report
    accuracy: bool = False  # show the accuracy profile in the terminal
    corpus: tuple[str, ...] = ()  # more regression directories
    value_attr: str | None = None  # the engine's shape, where probing cannot find it
    grad_attr: str | None = None
    backward: str | None = None
    adapter: Any = None  # MODULE:CLASS (or a built-in's name), or an Adapter class or instance
    ops: tuple[str, ...] | None = None  # only these registry ops
    hang_seconds: float = HANG_SECONDS  # the time limit of one test, and of blame's probes
    seconds: float | None = None  # the run's budget: the tests not started by then are not run
    quick: bool = False  # a quick verdict: once an op has a finding, its remaining tests are skipped
    root: Path = Path(".")  # the project: its pyproject.toml, its corpus/

    def shape(self) -> dict:
        """How to reach the engine's values, for :func:`properties.core.engine_under_test.engine_of`."""
        return {"value_attr": self.value_attr, "grad_attr": self.grad_attr, "backward": self.backward,
                "adapter": adapter_class(self.adapter), "ops": self.ops}

    def import_ops_modules(self) -> None:
        """Import the modules that register specs for the engine's own ops."""
        for module in self.ops_modules:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ConfigError(f"ops module {module!r}: {error}") from None


def project_table(root: Path) -> dict:
    """``[tool.gradproof]`` of ``root/pyproject.toml``, validated, or {}."""
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: cannot read [tool.gradproof]: {error}") from None
    table = data.get("tool", {}).get("gradproof", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.gradproof] must be a table")
    unknown = sorted(set(table) - set(TABLE_KEYS))
    if unknown:
        raise ConfigError(f"{path}: [tool.gradproof] has no setting {unknown[0]!r}; known: {', '.join(TABLE_KEYS)}")
    kinds = (("engine", str), ("aliases", dict), ("not-an-op", list), ("ops-modules", list), ("profile", str),
             ("value-attr", str), ("grad-attr", str), ("backward", str), ("adapter", str))
    for key, kind in kinds:
        if key in table and not isinstance(table[key], kind):
            raise ConfigError(f"{path}: [tool.gradproof] {key} must be a {'table' if kind is dict else kind.__name__}")
    return table


def parse_aliases(items: Iterable[str] | Mapping[str, str], where: str = "--alias") -> dict[str, str]:
    """``["log=ln", "relu=reLU"]`` (or comma-separated items, or a mapping) as {registry op: method}."""
    if isinstance(items, Mapping):
        items = [f"{op}={method}" for op, method in items.items()]
    aliases: dict[str, str] = {}
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            op, sep, method = (s.strip() for s in part.partition("="))
            if not sep or not op or not method:
                raise ConfigError(f"{where} {part!r}: expected OP=METHOD, e.g. log=ln")
            if op not in REGISTRY:
                raise ConfigError(f"{where} {part!r}: {op!r} is not a registry op; registered: {', '.join(REGISTRY)}")
            if not _METHOD_NAME.fullmatch(method):
                raise ConfigError(f"{where} {part!r}: {method!r} is not a method name")
            aliases[op] = method
    return aliases


def _split(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def resolve(options: Mapping[str, Any] | None = None, *, root: str | Path = ".",
            env: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``options`` (a door's own: ``engine``, ``aliases``, ``not_ops``,
    ``ops_modules``, ``profile``, ``op``, ``strict_ops``, ``shrink_seconds``, ``findings``,
    ``corpus``, ``report``, ``accuracy``, ``value_attr``, ``grad_attr``, ``backward``, ``adapter``, ``ops``; None or absent
    means not given), the environment and ``root``'s pyproject.toml.
    Raises :class:`ConfigError` for a setting that cannot be used."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(options) - {f for f in Config.__dataclass_fields__ if f != "root"})
    if unknown:
        raise ConfigError(f"no setting {unknown[0]!r}; known: {', '.join(f for f in Config.__dataclass_fields__)}")
    env = os.environ if env is None else env
    root = Path(root).resolve()
    table = project_table(root)
    aliases = parse_aliases(table.get("aliases", {}), "[tool.gradproof] aliases")
    aliases |= parse_aliases([env.get(ALIASES_ENV, "")], ALIASES_ENV)
    aliases |= parse_aliases(options.get("aliases", {}))
    profile = options.get("profile") or table.get("profile") or ("ci" if env.get("CI") else "dev")
    if not has_profile(profile):
        raise ConfigError(f"no hypothesis profile {profile!r}; the suite's: {', '.join(PROFILES)}")
    op = options.get("op")
    if op is not None and op not in REGISTRY:
        raise ConfigError(f"--op {op}: no such op; registered: {', '.join(REGISTRY)}")
    shrink = float(options.get("shrink_seconds", SHRINK_SECONDS))
    hang = float(options.get("hang_seconds", HANG_SECONDS))
    budget = options.get("seconds")
    for what, seconds in (("shrink_seconds", shrink), ("hang_seconds", hang), ("seconds", budget)):
        if seconds is not None and not float(seconds) > 0:
            raise ConfigError(f"{what} must be positive, got {seconds!r}")
    return Config(
        engine=options.get("engine") or env.get(ENGINE_ENV) or table.get("engine") or DEFAULT_ENGINE,
        aliases=aliases,
        not_ops=tuple(table.get("not-an-op", [])) + tuple(options.get("not_ops", ())),
        ops_modules=tuple(dict.fromkeys([*table.get("ops-modules", []), *_split(env.get(OPS_ENV)),
                                         *options.get("ops_modules", ())])),
        profile=profile, op=op, strict_ops=bool(options.get("strict_ops", False)), shrink_seconds=shrink,
        findings=options.get("findings"), corpus=tuple(options.get("corpus", ())), report=options.get("report"),
        accuracy=bool(options.get("accuracy", False)),
        value_attr=options.get("value_attr") or table.get("value-attr"),
        grad_attr=options.get("grad_attr") or table.get("grad-attr"),
        backward=options.get("backward") or table.get("backward"),
        adapter=options.get("adapter") or table.get("adapter"),
        ops=None if options.get("ops") is None else _ops(options["ops"]), hang_seconds=hang,
        seconds=None if budget is None else float(budget), quick=bool(options.get("quick", False)), root=root,
    )


def _ops(ops: Iterable[str]) -> tuple[str, ...]:
    ops = tuple(ops)
    unknown = [op for op in ops if op not in REGISTRY]
    if unknown:
        raise ConfigError(f"ops: {', '.join(map(repr, unknown))} not registry ops; registered: {', '.join(REGISTRY)}")
    return ops


def adapter_class(adapter: Any) -> Any:
    """An adapter given as MODULE:CLASS (or a built-in's name) imported; a class or instance as it is."""
    if not isinstance(adapter, str):
        return adapter
    spec = BUILTIN_ADAPTERS.get(adapter, adapter)
    module, sep, attr = spec.partition(":")
    if not sep:
        raise ConfigError(f"adapter {adapter!r}: expected MODULE:CLASS, or one of {', '.join(BUILTIN_ADAPTERS)}")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"adapter {adapter!r}: {error}") from None
    return obj


def spaced_path_options(args: Iterable[str]) -> list[str]:
    """The path options in ``args`` given with a space (``--findings out.json``), which pytest
    misreads while it chooses the rootdir; ``--findings=out.json`` is read right."""
    args = list(args)
    return [arg for arg, following in zip(args, args[1:] + [None]) if arg in PATH_OPTIONS and following is not None]
