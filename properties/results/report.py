"""The report to look at: one self-contained HTML page per run (``--report PATH.html``), and an
index that ranks several engines (the field's ``--report DIR``).

The page works offline: its style is inline and its plots are inline SVG (no network, no CDN).
It has the findings (those met at ordinary inputs first, each with its reproducer), the accuracy
table (worst ulps per op and regime) and one plot per op (:mod:`properties.results.plots`; without
matplotlib the page says how to get them).
"""

from __future__ import annotations

import datetime
from html import escape
from pathlib import Path

from properties.core.accuracy import Accuracy, ulps_text
from properties.results import plots
from properties.results.findings import Findings, finding_line

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
code, pre { font: 12px/1.4 ui-monospace, monospace; } pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
.finding { border-left: 4px solid #c33; padding: .2em 1em; margin: 1em 0; background: #fffafa; }
.finding.extreme { border-color: #e90; background: #fffcf5; } .finding.unsupported { border-color: #999; }
.badge { display: inline-block; padding: 0 .5em; border-radius: .3em; background: #c33; color: #fff; font-size: .85em; }
.extreme .badge { background: #e90; } .ok { color: #170; font-weight: bold; }
table { border-collapse: collapse; } td, th { padding: .15em .6em; border-bottom: 1px solid #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } tr.over td { color: #c33; font-weight: bold; }
figure.plot { margin: 1em 0; } figure.plot svg { max-width: 100%; height: auto; }
"""


def write_report(path: str | Path, findings: Findings, engine_name: str, verified_ops: list[str],
                 missing_ops: list[str] = ()) -> Path:
    """Write the page for one run to ``path`` (its folder made if need be); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(findings, engine_name, verified_ops, missing_ops), encoding="utf-8")
    return path


def page(findings: Findings, engine_name: str, verified_ops: list[str], missing_ops: list[str] = ()) -> str:
    listed = findings.findings
    ordinary = [f for f in listed if f.met_at == "ordinary"]
    extreme = [f for f in listed if f.met_at == "extreme"]
    parts = [f"<h1>gradproof: <code>{escape(engine_name)}</code></h1>",
             f"<p>{len(verified_ops)} ops verified: {escape(', '.join(verified_ops)) or 'none'}"
             + (f"; not in this engine: {escape(', '.join(missing_ops))}" if missing_ops else "")
             + f". Written {datetime.datetime.now():%Y-%m-%d %H:%M}.</p>"]
    if not listed and not findings.unexplained:
        parts.append("<p class='ok' id='verdict'>No findings.</p>")
    else:
        parts.append(f"<p id='verdict'><b>{len(listed)} finding(s)</b>: {len(ordinary)} met at ordinary inputs, "
                     f"{len(extreme)} only at extreme ones.</p>")
    number = 0
    for group, title in ((ordinary, "Met at ordinary inputs: the bugs a user will meet"),
                         (extreme, "Met only at extreme inputs (beyond 1e-8 to 1e8)")):
        if group:
            parts.append(f"<h2>{escape(title)}</h2>")
        for f in group:
            number += 1
            parts.append(_finding(number, f))
    if findings.unexplained:
        items = "".join(f"<li><code>{escape(t)}</code>: {escape(m)}</li>" for t, m in findings.unexplained)
        parts.append(f"<h2>Failing tests not traced to a root cause</h2><ul>{items}</ul>")
    if findings.unverified:
        parts.append(f"<p>Not verified, no spec (the coverage gate fails): {escape(', '.join(findings.unverified))}</p>")
    parts.append("<h2>Accuracy: the worst error in ulps, per op and regime</h2>")
    parts.append(accuracy_table(findings.accuracy))
    parts.append("<h2>Error against x, per op</h2>")
    parts.append(_plots(findings))
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>gradproof: {escape(engine_name)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _finding(number: int, f) -> str:
    data = f.to_json()
    where = f"<p>Shows at {escape(f.where)}.</p>" if f.where else ""
    nearest = ""
    if f.met_at == "extreme" and f.nearest:
        nearest = (f"<p>First met at ({escape(', '.join(f'{v:.3g}' for v in f.nearest))}): the input nearest "
                   "ordinary numbers that shows it.</p>")
    tests = f"<p>Explains {len(f.tests)} failing test(s).</p>" if f.tests else ""
    return (f"<section class='finding {escape(f.met_at)} {escape(f.severity)}' id='finding-{number}' "
            f"data-op='{escape(f.op or '')}'>"
            f"<h3>[{number}] <span class='badge'>{escape(f.severity)}</span> <code>{escape(f.op or '(engine)')}</code>"
            f" {escape(' + '.join(f.kinds))}</h3><p>{escape(finding_line(data))}</p>{where}{nearest}{tests}"
            f"<details open><summary>reproducer (runs without gradproof)</summary>"
            f"<pre>{escape(f.reproducer)}</pre></details></section>")


def accuracy_table(accuracy: Accuracy) -> str:
    worst = accuracy.worst()
    if not worst:
        return "<p>No one-op case was judged.</p>"
    rows = ["<tr><th>op</th><th>regime</th><th>points</th><th>value ulps</th><th>partial ulps</th><th>at</th>"
            "<th>of allowance</th></tr>"]
    for op, regimes in worst.items():
        for regime, w in regimes.items():
            over = " class='over'" if w.allowance_used > 1 else ""
            rows.append(f"<tr{over}><td><code>{escape(op)}</code></td><td>{escape(regime)}</td>"
                        f"<td class='n'>{w.points}</td><td class='n'>{ulps_text(w.value_ulps)}</td>"
                        f"<td class='n'>{' '.join(ulps_text(e) for e in w.partial_ulps) or '-'}</td>"
                        f"<td>{escape(', '.join(f'{x:.3g}' for x in w.at))}</td>"
                        f"<td class='n'>{w.allowance_used:.2g}</td></tr>")
    return ("<p>Above 1 of its allowance (in red), an error is more than a correct float64 engine could make.</p>"
            f"<table class='accuracy'>{''.join(rows)}</table>")


def _plots(findings: Findings) -> str:
    by_op = {op: points for op, points in findings.accuracy.samples.items() if points}
    if not by_op:
        return "<p>No one-op case was judged: nothing to plot.</p>"
    if not plots.available():
        return "<p>The plots need matplotlib: <code>pip install 'gradproof[report]'</code>.</p>"
    from reference.ops import REGISTRY

    marked: dict[str, list[float]] = {}
    for f in findings.findings:
        if f.op is not None:
            marked.setdefault(f.op, []).extend(sorted({ops[0] for ops in f.inputs})[:12])
    figures = []
    for op in sorted(by_op, key=lambda o: list(REGISTRY).index(o) if o in REGISTRY else len(REGISTRY)):
        arity = REGISTRY[op].arity if op in REGISTRY else 1
        svg = plots.op_plot(op, by_op[op], marked.get(op, []), arity=arity)
        figures.append(f"<figure class='plot' data-op='{escape(op)}'>{svg}</figure>")
    return "\n".join(figures)


def index_page(entries: list[dict]) -> str:
    """The field's index: one row per engine, ranked by the findings a user will meet, then all
    findings; each ``{"engine", "page", "status", "ordinary", "extreme", "worst_op"}``."""
    ranked = sorted(entries, key=lambda e: (e["status"] != "ran", -e.get("ordinary", 0), -e.get("extreme", 0),
                                            e["engine"]))
    rows = ["<tr><th>#</th><th>engine</th><th>findings at ordinary inputs</th><th>at extreme inputs</th>"
            "<th>worst op (ulps)</th></tr>"]
    for n, e in enumerate(ranked, 1):
        link = (f"<a href='{escape(e['page'])}'>{escape(e['engine'])}</a>" if e.get("page")
                else escape(e["engine"]))
        if e["status"] != "ran":
            rows.append(f"<tr><td class='n'>{n}</td><td>{link}</td><td colspan='3'>not run: "
                        f"{escape(e.get('detail', e['status']))}</td></tr>")
            continue
        rows.append(f"<tr><td class='n'>{n}</td><td>{link}</td><td class='n'>{e['ordinary']}</td>"
                    f"<td class='n'>{e['extreme']}</td><td>{escape(e.get('worst_op') or '-')}</td></tr>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>gradproof: the field</title>"
            f"<style>{STYLE}</style></head><body><h1>gradproof: the field</h1>"
            "<p>Engines ranked by the findings a user will meet (at ordinary inputs), then by the others.</p>"
            f"<table class='index'>{''.join(rows)}</table></body></html>\n")
