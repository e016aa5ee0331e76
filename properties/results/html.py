"""Findings as HTML: the table a notebook shows for a verdict (``verify(Value)`` in Jupyter)."""

from __future__ import annotations

from html import escape

from properties.results.findings import finding_line


def result_table(result) -> str:
    """One row per finding (severity, op, kind, what is wrong), its reproducer folded under it;
    then the failing tests no cause explains."""
    findings = result.findings
    head = (f"<p><b>gradproof</b> on <code>{escape(result.engine)}</code> ({escape(result.shape)}): "
            f"{len(result.verified_ops)} ops verified"
            + (f", {len(result.skipped_ops)} not in this engine" if result.skipped_ops else "")
            + f", {result.seconds:.0f} s.</p>")
    if result.stopped:
        head += f"<p>Stopped early: {escape(result.stopped)}.</p>"
    if not findings and not result.unexplained:
        return head + "<p style='color:green'><b>No findings.</b></p>" + _unverified(result)
    rows = []
    for f in findings:
        data = f.to_json()
        rows.append(
            "<tr>"
            f"<td>{escape(data['severity'])}</td><td>{escape(data['met_at'])}</td><td><code>{escape(data['op'] or '(engine)')}</code></td>"
            f"<td>{escape(' + '.join(data['kinds']))}</td>"
            f"<td>{escape(finding_line(data))}<details><summary>reproducer</summary>"
            f"<pre>{escape(data['reproducer'])}</pre></details></td>"
            "</tr>")
    table = ("<table><thead><tr><th>severity</th><th>met at</th><th>op</th><th>kind</th><th>finding</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table>")
    unexplained = ""
    if result.unexplained:
        items = "".join(f"<li><code>{escape(t)}</code>: {escape(m)}</li>" for t, m in result.unexplained[:10])
        unexplained = f"<p>{len(result.unexplained)} failing test(s) not traced to a root cause:</p><ul>{items}</ul>"
    return head + f"<p style='color:#b00'><b>{len(findings)} finding(s).</b></p>" + table + unexplained + _unverified(result)


def _unverified(result) -> str:
    if not result.unverified_ops:
        return ""
    return (f"<p>Not verified, no spec (the coverage gate fails): "
            f"{escape(', '.join(result.unverified_ops))}</p>")
