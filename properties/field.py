"""The field report: the suite on micrograd-style engines published on the package index.

    python -m properties.field FILE [--profile ci] [--timeout SECONDS] [--work DIR]
                                    [--find-links DIR --no-index] [--markdown] [--json PATH]

FILE has one engine per line (``#`` starts a comment)::

    micrograd==0.1.0 micrograd.engine:Value
    omnigrad==0.2.3 omnigrad.diffengine:Value --alias log=ln --alias relu=reLU --alias sigmoid=sigmod

For each, pip downloads the package without its dependencies (what such engines commonly
import, numpy or graphviz, comes from this project's ``field`` extra), unpacks it in a
temporary directory, and the suite runs on it in a subprocess, from that directory, with a
time limit (``pytest --pyargs properties --engine MODULE:ATTR --findings=...``, ``CI=true``).
Each engine's findings are printed as they come, then one table: engine, version, ops
verified, and each finding in one line.

Progress goes to stderr.  Exit status: 0 when every engine was run, 1 when one could not be
downloaded, unpacked or run to a verdict, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from properties.results.findings import finding_line


@dataclass
class FieldEngine:
    requirement: str  # NAME==VERSION
    engine: str  # MODULE:ATTR
    extra: list[str] = field(default_factory=list)  # more pytest options: --alias op=method ...

    @property
    def name(self) -> str:
        return self.requirement.split("==")[0]

    @property
    def version(self) -> str:
        return self.requirement.partition("==")[2] or "latest"


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


def parse(text: str, source: str = "FILE") -> list[FieldEngine]:
    """The engines of a list file; ValueError naming the line for a malformed one."""
    engines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = shlex.split(line)
        if len(words) < 2 or "==" not in words[0] or ":" not in words[1]:
            raise ValueError(f"{source}:{number}: expected 'NAME==VERSION MODULE:ATTR [--alias OP=METHOD ...]', "
                             f"got {raw.strip()!r}")
        engines.append(FieldEngine(words[0], words[1], words[2:]))
    return engines


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


def run_suite(engine: FieldEngine, path: Path, work: Path, profile: str, timeout: float) -> Report:
    findings_path = work / "findings.json"
    command = [sys.executable, "-m", "pytest", "--pyargs", "properties", "-q", "-p", "no:cacheprovider",
               f"--hypothesis-profile={profile}", "--engine", engine.engine, f"--findings={findings_path}",
               *engine.extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADPROOF_")}
    env.update(CI="true", PYTHONPATH=os.pathsep.join([str(path)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Report(engine, "timeout", time.perf_counter() - start, f"no verdict within {timeout:g} s")
    seconds = time.perf_counter() - start
    if not findings_path.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return Report(engine, "error", seconds, f"pytest exit {proc.returncode}: {' | '.join(tail)}")
    data = json.loads(findings_path.read_text())
    failed = sum(1 for line in proc.stdout.splitlines() if line.startswith("FAILED "))
    return Report(engine, "ran", seconds, "", data["findings"], data.get("verified_ops", []), failed,
                  data.get("unverified_ops", []), data.get("unexplained", []))


def field_report(engine: FieldEngine, root: Path, pip_args: list[str], profile: str, timeout: float) -> Report:
    work = root / engine.name
    try:
        archive = download(engine, work / "download", pip_args)
        path = unpack(archive, work / "unpacked", engine.engine.split(":")[0])
    except (RuntimeError, OSError, zipfile.BadZipFile, tarfile.TarError, subprocess.TimeoutExpired) as error:
        return Report(engine, "error", 0.0, str(error))
    return run_suite(engine, path, work, profile, timeout)


class Progress:
    """One line on stderr: which engine runs and for how long (ticking on a terminal)."""

    def __init__(self, total: int, out=sys.stderr) -> None:
        self.total, self.out, self.tty = total, out, out.isatty()
        self.current, self.start, self.stop = "", 0.0, threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)
        if self.tty:
            self.thread.start()

    def begin(self, index: int, engine: FieldEngine) -> None:
        self.current, self.start = f"[{index}/{self.total}] {engine.requirement}", time.time()
        self._write(f"{self.current}: downloading and running the suite", final=not self.tty)

    def end(self, report: Report) -> None:
        what = (f"{len(report.findings)} finding(s), {len(report.ops)} ops verified" if report.status == "ran"
                else f"{report.status}: {report.detail}")
        self._write(f"{self.current}: {what} ({report.seconds:.0f} s)", final=True)
        self.current = ""

    def close(self) -> None:
        self.stop.set()

    def _tick(self) -> None:
        while not self.stop.wait(1.0):
            if self.current:
                self._write(f"{self.current}: running ({time.time() - self.start:.0f} s)", final=False)

    def _write(self, text: str, final: bool) -> None:
        self.out.write(("\r\033[K" if self.tty else "") + text + ("\n" if final else ""))
        self.out.flush()


def table(reports: list[Report], markdown: bool = False) -> str:
    """A row per finding.  In Markdown, each engine's reproducers follow the table, folded."""
    rows = []
    for r in reports:
        if r.status != "ran":
            rows.append((r.engine.name, r.engine.version, "-", f"not run: {r.detail}"))
            continue
        lines = [finding_line(f) for f in r.findings] or ["no findings"]
        if r.unverified:
            lines.append(f"not verified (no spec): {', '.join(r.unverified)}")
        if r.unexplained:
            lines.append(f"{len(r.unexplained)} failing test(s) not traced to a root cause: "
                         + ", ".join(u["test"] for u in r.unexplained[:3]) + (", ..." if len(r.unexplained) > 3 else ""))
        for i, line in enumerate(lines):
            first = i == 0
            rows.append((r.engine.name if first else "", r.engine.version if first else "",
                         str(len(r.ops)) if first else "", line))
    header = ("engine", "version", "ops verified", "finding")
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(out + _folded_reproducers(reports))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header[:3], widths)) + "  " + header[3]]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    return "\n".join(out)


def _folded_reproducers(reports: list[Report]) -> list[str]:
    out = []
    for r in reports:
        if r.status != "ran" or not r.findings:
            continue
        out += ["", f"<details><summary>{r.engine.requirement}: the reproducers</summary>", ""]
        for f in r.findings:
            out += [f"{finding_line(f)}", "", "```python", f.get("reproducer", "").rstrip(), "```", ""]
        out.append("</details>")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m properties.field", description=__doc__.splitlines()[0])
    parser.add_argument("file", metavar="FILE", help="one engine per line: NAME==VERSION MODULE:ATTR [--alias OP=METHOD ...]")
    parser.add_argument("--profile", default="ci", help="hypothesis profile for each run (default: ci)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per engine (default: 900)")
    parser.add_argument("--work", metavar="DIR", help="keep downloads, unpacked engines and findings here")
    parser.add_argument("--find-links", metavar="DIR", help="look for packages in DIR too (pip --find-links)")
    parser.add_argument("--no-index", action="store_true", help="only --find-links, not the package index (offline)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--json", metavar="PATH", help="write every engine's findings to PATH")
    args = parser.parse_args(argv)
    try:
        engines = parse(Path(args.file).read_text(encoding="utf-8"), args.file)
    except OSError as error:
        parser.error(f"cannot read {args.file}: {error}")
    except ValueError as error:
        parser.error(str(error))
    if not engines:
        parser.error(f"{args.file} names no engine")
    pip_args = (["--find-links", args.find_links] if args.find_links else []) + (["--no-index"] if args.no_index else [])
    progress = Progress(len(engines))
    reports = []
    with tempfile.TemporaryDirectory(prefix="gradproof-field-") as tmp:
        root = Path(args.work) if args.work else Path(tmp)
        for index, engine in enumerate(engines, 1):
            progress.begin(index, engine)
            report = field_report(engine, root.resolve(), pip_args, args.profile, args.timeout)
            progress.end(report)
            reports.append(report)
            for f in report.findings:
                print(f"{engine.requirement}: {f['summary']}\n    reproducer:\n"
                      + "\n".join(f"        {line}" for line in f["reproducer"].splitlines()), flush=True)
            for u in report.unexplained:
                print(f"{engine.requirement}: not traced to a root cause: {u['test']}: {u['message']}", flush=True)
    progress.close()
    print()
    print(table(reports, args.markdown))
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"engine": r.engine.requirement, "value_class": r.engine.engine, "status": r.status, "detail": r.detail,
             "verified_ops": r.ops, "unverified_ops": r.unverified, "failed_tests": r.failed_tests,
             "findings": r.findings, "unexplained": r.unexplained} for r in reports], indent=2))
    return 0 if all(r.status == "ran" for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
