"""Engines given as a file: learners have an ``engine.py``, not a package.

``engine.py:Value`` names the class; ``engine.py`` alone picks it: the class named ``Value``,
or the only class defined there with an engine's shape (:func:`properties.core.adapters.detect`
finds its number, its gradient and its backward).  The file is imported with its folder first on
``sys.path``, as ``python engine.py`` would see its own imports.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from types import ModuleType


from properties.core.adapters import ShapeError, detect
from properties.core.config import ConfigError


def import_file(path: str) -> ModuleType:
    """The module of the file ``path`` (imported once per file and process)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"no such file: {path}")
    folder, stem = os.path.split(os.path.splitext(path)[0])
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) and os.path.abspath(module.__file__) == path:
            return module
    name = stem if stem not in sys.modules else f"{stem}_{hashlib.sha1(path.encode()).hexdigest()[:8]}"
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        raise ConfigError(f"{path}: importing it raised {type(error).__name__}: {error}") from None
    return module


def load_file(path: str, attr: str | None, shape: dict | None = None) -> tuple[type, str]:
    """The engine class in the file ``path`` and its name: ``attr``, else the one to pick."""
    module = import_file(path)
    if attr is not None:
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise ConfigError(f"{path} has no {attr!r}")
            obj = getattr(obj, part)
        return obj, attr
    classes = {name: obj for name, obj in vars(module).items()
               if isinstance(obj, type) and obj.__module__ == module.__name__}
    if isinstance(classes.get("Value"), type):
        return classes["Value"], "Value"
    if (shape or {}).get("adapter") is not None:
        adapter = shape["adapter"]
        cls = getattr(adapter, "value_type", None)
        if isinstance(cls, type) and cls.__name__ in classes:
            return cls, cls.__name__
    fits = [name for name, cls in classes.items() if _fits(cls, shape or {})]
    if len(fits) == 1:
        return classes[fits[0]], fits[0]
    if not fits:
        raise ConfigError(f"{path}: no class with an engine's shape (a number, a gradient and backward on "
                          f"a * b + a); classes there: {', '.join(classes) or 'none'}; name one as {path}:CLASS")
    raise ConfigError(f"{path}: which engine class? {', '.join(fits)} all have an engine's shape: "
                      f"write {path}:{fits[0]}")


def _fits(cls: type, shape: dict) -> bool:
    try:
        detect(cls, value=shape.get("value_attr"), grad=shape.get("grad_attr"), backward=shape.get("backward"))
        return True
    except (ShapeError, Exception):
        return False
