"""The engines of the field, and the suite run on each: a package from the index (downloaded with
pip, without its dependencies, and unpacked), or a file or a folder of one's own (a fork, a course's
repository), each in a subprocess with a time limit.  :mod:`properties.field` is the door.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ENGINE_FILES = ("engine.py", "value.py", "autograd.py", "micrograd.py", "scalar.py", "tensor.py")  # looked at first
SKIPPED_DIRS = {".git", ".venv", "venv", "env", "build", "dist", "node_modules", "__pycache__", ".tox", "site-packages"}
BACKWARD = re.compile(r"^\s+def (backward|backwards|backprop)\(", re.MULTILINE)


@dataclass
class FieldEngine:
    source: str  # NAME==VERSION (a package on the index), or the path of a file or a folder of one's own
    engine: str | None = None  # MODULE:ATTR; for a file or a folder, the class (or MODULE:ATTR) if named
    extra: list[str] = field(default_factory=list)  # more pytest options: --alias op=method ...

    @property
    def local(self) -> bool:
        return "==" not in self.source

    @property
    def requirement(self) -> str:
        """How it is listed: NAME==VERSION, or its path."""
        return self.source

    @property
    def name(self) -> str:
        return Path(self.source).name if self.local else self.source.split("==")[0]

    @property
    def version(self) -> str:
        return "local" if self.local else (self.source.partition("==")[2] or "latest")


@dataclass
class Report:
    engine: FieldEngine
    status: str  # "ran", "timeout", "error"
    seconds: float = 0.0
    detail: str = ""  # what went wrong, for a run without a verdict
    findings: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    failed_tests: int = 0
    unverified: list = field(default_factory=list)  # the engine's ops that no spec covers
    unexplained: list = field(default_factory=list)  # failing tests blame could not trace: {"test", "message"}
    target: str | None = None  # what the suite's --engine named
    accuracy: dict = field(default_factory=dict)  # the findings file's accuracy profile
    page: Path | None = None  # its HTML report, where one was asked for


def parse(text: str, source: str = "FILE") -> list[FieldEngine]:
    """The engines of a list file; ValueError naming the line for a malformed one.  A line is
    ``NAME==VERSION MODULE:ATTR [options]`` or ``PATH [CLASS or MODULE:ATTR] [options]``."""
    engines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        if "==" in words[0]:
            if len(words) < 2 or ":" not in words[1]:
                raise ValueError(f"{source}:{number}: expected 'NAME==VERSION MODULE:ATTR [--alias OP=METHOD ...]', "
                                 f"got {raw.strip()!r}")
            engines.append(FieldEngine(words[0], words[1], words[2:]))
            continue
        named = words[1] if len(words) > 1 and not words[1].startswith("-") else None
        engines.append(FieldEngine(words[0], named, words[2 if named else 1:]))
    return engines


def engine_at(path: str, named: str | None = None) -> FieldEngine:
    """An engine given on the command line: a file (``engine.py``, ``engine.py:Value``) or a folder."""
    file, sep, attr = path.rpartition(":") if path.rpartition(":")[0].endswith(".py") else (path, "", "")
    return FieldEngine(file, attr or named)


def download(engine: FieldEngine, into: Path, pip_args: list[str]) -> Path:
    """The package's wheel or sdist, downloaded without dependencies.  Where pip cannot fetch what
    an sdist's metadata is built with (offline, ``--no-index``), it tries again with this
    environment's own setuptools (no build isolation)."""
    into.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(into), *pip_args,
               engine.requirement]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0 and "build dependencies" in result.stderr:
        result = subprocess.run(command[:5] + ["--no-build-isolation"] + command[5:], capture_output=True, text=True,
                                timeout=600)
    if result.returncode != 0:
        errors = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("ERROR")]
        raise RuntimeError(f"pip download {engine.requirement} failed: "
                           + ("; ".join(errors[-2:]) if errors else result.stderr.strip()[-300:]))
    found = sorted(p for p in into.iterdir() if p.suffix in (".whl", ".zip", ".gz"))
    if not found:
        raise RuntimeError(f"pip download {engine.requirement} saved nothing")
    return found[0]


def unpack(archive: Path, into: Path, module: str) -> Path:
    """Unpack a wheel or an sdist; returns the directory to put on sys.path (the one holding MODULE)."""
    into.mkdir(parents=True, exist_ok=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    top = module.split(".")[0]
    candidates = [p.parent.parent for p in into.rglob(f"{top}/__init__.py")] + [p.parent for p in into.rglob(f"{top}.py")]
    if not candidates:
        raise RuntimeError(f"{archive.name} holds no module {top!r}")
    return min(candidates, key=lambda p: len(p.parts))


def engine_file(folder: Path) -> Path | None:
    """The engine's file in a folder: one that defines backward (backprop, backwards) in a class,
    the usual names first, then the shallowest."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in files:
            path = Path(root) / name
            if name.endswith(".py") and not name.startswith("test") and name != "setup.py":
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                if "class " in text and BACKWARD.search(text):
                    found.append(path)
    return min(found, key=lambda p: (p.name not in ENGINE_FILES, len(p.relative_to(folder).parts), str(p)),
               default=None)


def local_target(engine: FieldEngine) -> tuple[str, Path]:
    """What --engine names for a file or a folder of one's own, and the folder to put on sys.path."""
    path = Path(engine.source).resolve()
    if path.is_file():
        return str(path) + (f":{engine.engine}" if engine.engine else ""), path.parent
    if not path.is_dir():
        raise RuntimeError(f"{engine.source}: no such file or folder")
    if engine.engine and ":" in engine.engine:  # MODULE:ATTR inside the folder
        return engine.engine, path
    file = engine_file(path)
    if file is None:
        raise RuntimeError(f"{engine.source}: no engine file found (a class with backward, backprop or backwards)")
    return str(file) + (f":{engine.engine}" if engine.engine else ""), file.parent


def run_suite(engine: FieldEngine, target: str, path: Path, work: Path, profile: str, timeout: float,
              page: Path | None = None) -> Report:
    """The suite on ``target`` (what --engine names), with ``path`` first on sys.path, in a subprocess;
    its HTML report written to ``page`` if given."""
    work.mkdir(parents=True, exist_ok=True)
    findings_path = work / "findings.json"
    command = [sys.executable, "-m", "pytest", "--pyargs", "properties", "-q", "-p", "no:cacheprovider",
               f"--hypothesis-profile={profile}", f"--engine={target}", f"--findings={findings_path}",
               *([f"--report={page}"] if page is not None else []), *engine.extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADPROOF_")}
    env.update(CI="true", PYTHONPATH=os.pathsep.join([str(path)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Report(engine, "timeout", time.perf_counter() - start, f"no verdict within {timeout:g} s", target=target)
    seconds = time.perf_counter() - start
    if not findings_path.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return Report(engine, "error", seconds, f"pytest exit {proc.returncode}: {' | '.join(tail)}")
    data = json.loads(findings_path.read_text())
    failed = sum(1 for line in proc.stdout.splitlines() if line.startswith("FAILED "))
    return Report(engine, "ran", seconds, "", data["findings"], data.get("verified_ops", []), failed,
                  data.get("unverified_ops", []), data.get("unexplained", []), target, data.get("accuracy", {}),
                  page if page is not None and page.is_file() else None)


def field_report(engine: FieldEngine, root: Path, pip_args: list[str], profile: str, timeout: float,
                 page: Path | None = None) -> Report:
    work = root / engine.name
    try:
        if engine.local:
            target, path = local_target(engine)
        else:
            archive = download(engine, work / "download", pip_args)
            target, path = engine.engine, unpack(archive, work / "unpacked", engine.engine.split(":")[0])
    except (RuntimeError, OSError, zipfile.BadZipFile, tarfile.TarError, subprocess.TimeoutExpired) as error:
        return Report(engine, "error", 0.0, str(error))
    return run_suite(engine, target, path, work, profile, timeout, page)
