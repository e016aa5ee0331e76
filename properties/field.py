"""The field report: the suite on micrograd-style engines, published on the package index or
one's own (forks, course repositories: files and folders).

    python -m properties.field INPUT ... [--profile ci] [--timeout SECONDS] [--work DIR]
                                         [--find-links DIR --no-index] [--markdown] [--json PATH]
                                         [--report DIR]

Each INPUT is a list file, an engine file (``engine.py``, ``engine.py:Value``) or a folder (its
engine file is found: a class with ``backward``).  A list file has one engine per line (``#``
starts a comment)::

    micrograd==0.1.0 micrograd.engine:Value
    omnigrad==0.2.3 omnigrad.diffengine:Value --alias log=ln --alias relu=reLU --alias sigmoid=sigmod
    ../forks/my-micrograd                                  # a folder of one's own
    course/hw1/engine.py:Scalar --alias log=ln             # a file, and its class

A package is downloaded with pip without its dependencies (what such engines commonly import,
numpy or graphviz, comes from this project's ``field`` extra) and unpacked in a temporary
directory; then the suite runs on each engine in a subprocess, with a time limit (``pytest
--pyargs properties --engine=... --findings=...``, ``CI=true``).
Each engine's findings are printed as they come, then one table: engine, version, ops
verified, its worst op (the most ulps off, or past its allowance: the accuracy profile), and each
finding in one line.  ``--report DIR`` writes each engine's HTML report there, and an index page
that ranks the engines by the findings a user will meet.

Progress goes to stderr.  Exit status: 0 when every engine was run, 1 when one could not be
downloaded, unpacked or run to a verdict, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from properties.core.accuracy import worst_op
from properties.results.findings import finding_line
from properties.results.report import index_page
from properties.runner.field_runs import FieldEngine, Report, engine_at, field_report, parse


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
            rows.append((r.engine.name, r.engine.version, "-", "-", f"not run: {r.detail}"))
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
                         str(len(r.ops)) if first else "", (worst_op(r.accuracy) or "-") if first else "", line))
    header = ("engine", "version", "ops verified", "worst op", "finding")
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(out + _folded_reproducers(reports))
    last = len(header) - 1
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(last)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header[:last], widths)) + "  " + header[last]]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row[:last], widths)) + "  " + row[last] for row in rows]
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
    parser.add_argument("inputs", metavar="INPUT", nargs="+",
                        help="a list file (NAME==VERSION MODULE:ATTR [options], or PATH [CLASS] [options], per line), "
                             "an engine file (engine.py[:Class]) or a folder")
    parser.add_argument("--profile", default="ci", help="hypothesis profile for each run (default: ci)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per engine (default: 900)")
    parser.add_argument("--work", metavar="DIR", help="keep downloads, unpacked engines and findings here")
    parser.add_argument("--find-links", metavar="DIR", help="look for packages in DIR too (pip --find-links)")
    parser.add_argument("--no-index", action="store_true", help="only --find-links, not the package index (offline)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--json", metavar="PATH", help="write every engine's findings to PATH")
    parser.add_argument("--report", metavar="DIR", help="write an HTML report per engine to DIR, and an index "
                                                        "ranking the engines (DIR/index.html)")
    args = parser.parse_args(argv)
    engines = []
    for item in args.inputs:
        path = Path(item.rpartition(":")[0] if item.rpartition(":")[0].endswith(".py") else item)
        if path.is_dir() or path.suffix == ".py":
            engines.append(engine_at(item))
            continue
        try:
            engines += parse(path.read_text(encoding="utf-8"), item)
        except OSError as error:
            parser.error(f"cannot read {item}: {error}")
        except ValueError as error:
            parser.error(str(error))
    if not engines:
        parser.error(f"{' '.join(args.inputs)} names no engine")
    pip_args = (["--find-links", args.find_links] if args.find_links else []) + (["--no-index"] if args.no_index else [])
    progress = Progress(len(engines))
    reports = []
    with tempfile.TemporaryDirectory(prefix="gradproof-field-") as tmp:
        root = Path(args.work) if args.work else Path(tmp)
        for index, engine in enumerate(engines, 1):
            progress.begin(index, engine)
            page = None if args.report is None else Path(args.report).resolve() / f"{index:02d}-{_slug(engine.name)}.html"
            report = field_report(engine, root.resolve(), pip_args, args.profile, args.timeout, page)
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
    if args.report:
        index = Path(args.report) / "index.html"
        index.write_text(index_page([_entry(r, Path(args.report)) for r in reports]), encoding="utf-8")
        print(f"\nreport: {index}")
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"engine": r.engine.requirement, "value_class": r.target or r.engine.engine, "status": r.status, "detail": r.detail,
             "verified_ops": r.ops, "unverified_ops": r.unverified, "failed_tests": r.failed_tests,
             "findings": r.findings, "unexplained": r.unexplained, "accuracy": r.accuracy} for r in reports],
            indent=2))
    return 0 if all(r.status == "ran" for r in reports) else 1


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "engine"


def _entry(r: Report, folder: Path) -> dict:
    """One engine's row of the index page."""
    met = [f.get("met_at", "ordinary") for f in r.findings if f.get("kind") != "unsupported"]
    return {"engine": r.engine.requirement, "page": r.page.name if r.page is not None else None, "status": r.status,
            "detail": r.detail, "ordinary": met.count("ordinary"), "extreme": met.count("extreme"),
            "worst_op": worst_op(r.accuracy)}


if __name__ == "__main__":
    sys.exit(main())
