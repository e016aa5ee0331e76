"""Run the property suite against every mutant engine: which ones it kills, and what it blames.

    python -m mutant_engines [--only NAME ...] [--profile mutants] [--jobs N] [--timeout SECONDS]
                      [--logs DIR] [--show-output] [--no-control] [--first-report | --quick]

Each mutant gets its own ``python -m pytest -q -rf -p no:cacheprovider
--hypothesis-profile=PROFILE --engine mutant_engines.NAME:Value --findings=F properties/``
with CI=true, from the repository root: the whole suite (profile ``mutants``: no
shrinking, so a failing property stops at its first failure).  A mutant is killed
when pytest reports a failed test (exit status 1), and *blamed right* when every
finding of the run names the mutated op (or, for a graph bug, no op) with the
expected kind (each mutant's ``BLAME``), and no failing test is left unexplained.

``--quick`` runs instead what a learner runs, ``gradproof check mutant_engines.NAME:Value``: the
quick verdict (a few examples per property, no shrinking, no sweep of every edge point, and no
more tests of an op once it has a finding).

``--first-report`` runs instead what a CI user runs, ``CI=true pytest properties/ -x``
(profile ``ci``, shrinking on): the seconds are then the time to the first report.

The same command also runs the controls, correct engines: this project's (``engine:Value``)
and two with other legitimate formulas and conventions (``mutant_engines/_control_*.py``).  The
suite must pass each with no findings, or a "kill" may be the suite rejecting a correct engine
(a false positive) rather than catching the mutant's bug.

Beside the suite's verdict, the table shows whether the checks people usually write
catch the same mutant (:mod:`mutant_engines._alternatives`: micrograd's and the seed
notebook's fixed-point checks, and torch.autograd.gradcheck's recipe on each op alone);
they run in this process, in milliseconds, and never decide the exit status.

Exit status: 0 if every control passes (with no findings) and every mutant is
killed and blamed right; 1 if a mutant is not (a survivor, a wrong blame, a
timeout, or a run that errored instead of failing a test); 2 if a control does
not pass.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from mutant_engines import blamed_right, causes_found, load, names

ROOT = Path(__file__).resolve().parent.parent
CONTROL = "engine:Value"  # the correct engine, the suite's default
CONTROLS = {  # correct engines the suite must pass with no findings
    "(control)": CONTROL,
    "(control: other formulas)": "mutant_engines._control_formulas:Value",
    "(control: fresh gradients)": "mutant_engines._control_fresh_grads:Value",
}
FAILED_LINE = re.compile(r"^FAILED (\S+?)(?: - (.*))?$", re.MULTILINE)
CHECK_NAME = re.compile(r"CheckFailure: (.+?) FAILED")  # "gradient vs mpmath", from the report's headline
ERROR_LINE = re.compile(r"^ERROR (\S+?)(?: - .*)?$", re.MULTILINE)


@dataclass
class Outcome:
    name: str
    category: str  # the kind of bug (mutant_engines.CATEGORIES)
    verdict: str  # "yes" (a test failed), "NO" (all passed), "TIMEOUT" or "ERROR"
    seconds: float
    caught_by: str  # the first failed test's node id, or what went wrong
    output: str = ""
    findings: list = None  # the run's findings (properties/findings.py), or None if it wrote none
    unexplained: list = None
    blame: tuple = (None, ())  # what the findings must name
    fixed_points: str = ""  # "caught" or "missed" by the alternatives (see _alternatives.py)
    gradcheck: str = ""

    @property
    def killed(self) -> bool:
        return self.verdict == "yes"

    @property
    def blamed(self) -> str:
        """What the findings blame: ``op/kind`` per finding."""
        if self.findings is None:
            return "-"
        shown = [f"{f['op'] or '(no op)'}/{'+'.join(f.get('kinds') or [f['kind']])}" for f in self.findings]
        if self.unexplained:
            shown.append(f"+{len(self.unexplained)} unexplained")
        return ", ".join(shown) or "nothing"

    @property
    def causes(self) -> str:
        """``found/declared``: how many of its bugs the findings name (a mutant may have several)."""
        if self.findings is None or self.name in CONTROLS:
            return "-"
        return "{}/{}".format(*causes_found(self.blame, self.findings))

    @property
    def all_causes_found(self) -> bool:
        found, declared = self.causes.partition("/")[::2]
        return found == declared != ""

    @property
    def right(self) -> bool:
        return self.findings is not None and not self.unexplained and blamed_right(self.blame, self.findings)


def command(engine: str, profile: str | None, findings: str, first_report: bool, quick: bool = False) -> list[str]:
    if quick:
        return [sys.executable, "-m", "properties.cli", "check", engine, "--json", findings]
    profile_args = [] if profile is None else [f"--hypothesis-profile={profile}"]
    return [
        sys.executable, "-m", "pytest", *(["-x"] if first_report else []), "-q", "-rf", "-n", "0", "-p", "no:cacheprovider",
        *profile_args, "--engine", engine, f"--findings={findings}", "properties/",
    ]


def run_suite(name: str, engine: str, category: str, profile: str | None, timeout: float, blame: tuple = (None, ()),
              first_report: bool = False, quick: bool = False) -> Outcome:
    env = dict(os.environ, CI="true")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        findings_path = os.path.join(tmp, "findings.json")
        try:
            proc = subprocess.run(command(engine, profile, findings_path, first_report, quick), cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return Outcome(name, category, "TIMEOUT", time.perf_counter() - start, f"no verdict within {timeout:g} s", out,
                           blame=blame)
        seconds = time.perf_counter() - start
        try:
            with open(findings_path, encoding="utf-8") as handle:
                written = json.load(handle)
        except (OSError, ValueError):
            written = None
    output = proc.stdout + proc.stderr
    findings = None if written is None else written["findings"]
    unexplained = None if written is None else written["unexplained"]
    failed = FAILED_LINE.findall(output)
    if quick and proc.returncode == 1:  # gradproof check: 1 means findings
        first = findings[0]["summary"] if findings else "-"
        return Outcome(name, category, "yes", seconds, first[:80], output, findings, unexplained, blame)
    if proc.returncode == 1 and failed:
        test, message = failed[0]
        check = CHECK_NAME.search(message or "")
        return Outcome(name, category, "yes", seconds, test + (f" ({check.group(1)})" if check else ""), output,
                       findings, unexplained, blame)
    if proc.returncode == 0:
        return Outcome(name, category, "NO", seconds, "-", output, findings, unexplained, blame)
    errors = ERROR_LINE.findall(output)
    what = f"pytest exit {proc.returncode}" + (f": ERROR {errors[0]}" if errors else "")
    return Outcome(name, category, "ERROR", seconds, what, output, findings, unexplained, blame)


def _median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def compare_alternatives(outcome: Outcome, engine: str) -> None:
    """Fill in whether the fixed-point checks and the per-op gradcheck catch this engine."""
    from mutant_engines._alternatives import verdicts

    fixed, gradcheck = verdicts(engine)
    outcome.fixed_points = "missed" if fixed is None else "caught"
    outcome.gradcheck = "missed" if gradcheck is None else "caught"


def table(outcomes: list[Outcome]) -> str:
    header = ("mutant", "category", "killed", "seconds", "blamed", "causes", "right", "fixed points", "gradcheck",
              "caught by")
    rows = [(o.name, o.category, o.verdict, f"{o.seconds:.1f}", o.blamed, o.causes, "yes" if o.right else "NO",
             o.fixed_points,
             o.gradcheck, o.caught_by) for o in outcomes]
    last = len(header) - 1
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(last)]
    lines = []
    for i, row in enumerate([header, *rows]):
        cells = [cell.rjust(w) if c == 3 else cell.ljust(w) for c, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells) + "  " + row[last])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len(header[last]))
    return "\n".join(lines)


def category_summary(outcomes: list[Outcome], markdown: bool = False) -> str:
    """Per kind of bug: how many mutants, and how many the suite and each alternative catch (as
    Markdown for docs/results.md, whose table is never edited by hand)."""
    header = ("category", "mutants", "suite", "all causes found", "blamed right", "fixed points", "gradcheck")

    def counts(label: str, group: list[Outcome]) -> tuple[str, ...]:
        return (label, str(len(group)), str(sum(o.killed for o in group)),
                str(sum(o.all_causes_found or o.name in CONTROLS for o in group)), str(sum(o.right for o in group)),
                str(sum(o.fixed_points == "caught" for o in group)), str(sum(o.gradcheck == "caught" for o in group)))

    categories = dict.fromkeys(o.category for o in outcomes)
    rows = [counts(c, [o for o in outcomes if o.category == c]) for c in categories] + [counts("all", outcomes)]
    if markdown:
        bold = [tuple(f"**{cell}**" for cell in rows[-1])]
        return "\n".join("| " + " | ".join(r) + " |" for r in [header, ("---",) * len(header), *rows[:-1], *bold])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutant_engines", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--profile", default=None,
                        help="hypothesis profile (default: mutants; with --first-report: ci, as CI=true loads it)")
    parser.add_argument("--quick", action="store_true",
                        help="run gradproof check (the quick verdict) instead of the whole suite")
    parser.add_argument("--first-report", action="store_true",
                        help="run CI=true pytest properties/ -x as a CI user does (shrinking on): time to first report")
    parser.add_argument("--jobs", type=int, default=2, help="parallel pytest runs (default: 2)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run (default: 900)")
    parser.add_argument("--logs", metavar="DIR", help="write each run's pytest output to DIR/NAME.log")
    parser.add_argument("--show-output", action="store_true", help="print pytest's output for every run not killed")
    parser.add_argument("--no-control", action="store_true", help="skip the control runs (correct engines)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the per-category table as Markdown too (docs/results.md is regenerated from it)")
    args = parser.parse_args(argv)
    if args.quick and args.first_report:
        parser.error("--quick and --first-report are two different runs: choose one")

    available = names()
    selected = args.only or available
    unknown = [n for n in selected if n not in available]
    if unknown:
        parser.error(f"unknown mutants: {', '.join(unknown)} (available: {', '.join(available)})")
    profile = args.profile or (None if args.first_report else "mutants")
    runs = [] if args.no_control else [(name, engine, "a correct engine", (None, ())) for name, engine in CONTROLS.items()]
    runs += [(name, f"mutant_engines.{name}:Value", load(name).CATEGORY, load(name).BLAME) for name in selected]

    start = time.perf_counter()
    outcomes: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # the controls first: they are the longest runs (the whole suite passes)
        futures = [pool.submit(run_suite, name, engine, category, profile, args.timeout, blame, args.first_report, args.quick)
                   for name, engine, category, blame in runs]
        for done, future in enumerate(as_completed(futures), 1):
            o = future.result()
            outcomes[o.name] = o
            if args.logs:
                Path(args.logs).mkdir(parents=True, exist_ok=True)
                log_name = re.sub(r"\W+", "_", o.name).strip("_")  # "(control: other formulas)": control_other_formulas
                (Path(args.logs) / f"{log_name}.log").write_text(o.output)
            right = "" if o.name in CONTROLS else f", blamed {o.blamed}: {'right' if o.right else 'WRONG'}"
            print(f"[{done}/{len(runs)}] {o.name}: {o.verdict} ({o.seconds:.1f} s{right})", file=sys.stderr, flush=True)
    total = time.perf_counter() - start

    ordered = [outcomes[name] for name in selected]
    for o in ordered:
        compare_alternatives(o, f"mutant_engines.{o.name}:Value")
    print(table(ordered))
    killed = sum(o.killed for o in ordered)
    right = sum(o.right for o in ordered)
    seconds = sorted(o.seconds for o in ordered if o.killed)
    what = ("time to first report" if args.first_report else "time to a quick verdict (gradproof check)" if args.quick
            else "time to kill (whole suite, no shrinking)")
    median = f"; median {what} {_median(seconds):.1f} s" if seconds else ""
    print(f"\nkilled {killed}/{len(ordered)} mutants, blamed right {right}/{len(ordered)}{median}; total wall time "
          f"{total:.1f} s (sum of runs {sum(o.seconds for o in outcomes.values()):.1f} s, {args.jobs} jobs, "
          + ("gradproof check)" if args.quick else f"profile {profile or 'ci'}{', -x' if args.first_report else ''})"))
    print("\n" + category_summary(ordered))
    if args.markdown:
        print(f"\n<!-- generated by: python -m mutant_engines --markdown ({time.strftime('%Y-%m-%d')}) -->\n"
              + category_summary(ordered, markdown=True))
    alive = [o for o in ordered if not o.killed or not o.right]
    if alive:
        print("not killed or not blamed right: " + ", ".join(f"{o.name} ({o.verdict}, {o.blamed})" for o in alive))
    failed_controls = []
    for name, engine in CONTROLS.items():
        control = outcomes.get(name)
        if control is None:
            continue
        if control.verdict == "NO" and control.findings == []:
            print(f"control: {engine} passes the suite with no findings ({control.seconds:.1f} s)")
        else:
            print(f"CONTROL FAILED: the suite does not pass the correct engine {engine} "
                  f"({control.verdict}: {control.caught_by}); the kills above may be false positives")
            failed_controls.append(control)
    alive = failed_controls + alive
    if args.show_output:
        for o in alive:
            print(f"\n===== {o.name} ({o.verdict}) =====\n{o.output[-4000:]}")
    if failed_controls:
        return 2
    return 1 if alive else 0


if __name__ == "__main__":
    sys.exit(main())
