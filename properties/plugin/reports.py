"""Every failure blamed on its root cause, where it happened; the findings collected, summarised last
and written as JSON."""

from __future__ import annotations

import pytest

from properties.core.session import Run
from properties.core.watchdog import Hung, time_limit
from properties.diagnosis.causes import Cause, Symptom
from properties.diagnosis.hangs import hang_cause
from properties.plugin.stash import RUN_KEY
from properties.results.findings import causes_of, finding_key

def cause_text(cause: Cause) -> str:
    """The lines a failure report leads with: the root cause, then a one-op reproducer."""
    lines = [f"ROOT CAUSE ({cause.kind}, {cause.severity}): {cause.summary}"]
    if cause.consequences:
        lines.append(f"(the op(s) {', '.join(cause.consequences)} fail through it)")
    lines += ["", "One-op reproducer (runs without gradproof):", ""]
    lines += ["    " + line for line in cause.reproducer.splitlines()]
    lines += ["", "Found by this property, in:", ""]
    return "\n".join(lines)


def lead_with_cause(report: pytest.TestReport, cause: Cause) -> None:
    """Put the root cause at the top of the failure's report, and make it the summary line's
    message.  The report stays pytest's own (a traceback with one more entry first), so it
    travels from a pytest-xdist worker like any other."""
    from _pytest._code.code import ReprEntryNative

    longrepr = report.longrepr
    chain = getattr(longrepr, "chain", None)
    traceback = chain[0][0] if chain else getattr(longrepr, "reprtraceback", None)
    if traceback is None or not hasattr(traceback, "reprentries"):
        report.longrepr = f"{cause_text(cause)}\n{longrepr}"
        return
    traceback.reprentries.insert(0, ReprEntryNative([cause_text(cause) + "\n"]))
    crashes = [getattr(longrepr, "reprcrash", None)] + [c for _, c, _ in chain or ()]
    for crash in crashes:
        if crash is not None:
            crash.message = f"root cause: {cause.summary}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Blame each failure where it happened (a pytest-xdist worker, or this process) and send the
    cause along with the report: :func:`pytest_runtest_logreport` collects the findings."""
    report = yield
    run = item.config.stash.get(RUN_KEY, None)
    if report.when != "call" or run is None:
        return report
    engine = run.engine
    if engine.detached:
        report.user_properties.append(("gradproof-detached", dict(engine.detached)))
    if run.measured.points:  # the points this test measured, for the accuracy profile
        report.user_properties.append(("gradproof-accuracy", run.measured.drain()))
    if not report.failed or call.excinfo is None:
        return report
    if item.get_closest_marker("coverage_gate") is not None:
        report.user_properties.append(("gradproof-unverified", getattr(call.excinfo.value, "names", [])))
        return report
    from properties.diagnosis.blame import blame

    run.failed.append(item.nodeid)
    cause = hang_cause(engine, call.excinfo) if call.excinfo.errisinstance(Hung) else None
    if cause is not None and cause.op is not None:
        run.set_aside(cause.op)
    for failure in causes_of(call.excinfo.value) if cause is None else ():
        if failure.cause is None and failure.case is not None:
            try:
                with time_limit(run.config.hang_seconds):
                    failure.cause = blame(failure.case, failure.engine or engine, Symptom.of(failure))
            except (Exception, Hung) as error:  # blame must never hide the property's own report
                report.sections.append(("gradproof", f"blame failed: {type(error).__name__}: {error}"))
        if failure.cause is not None:
            cause = failure.cause
            break
    if cause is None:
        message = str(call.excinfo.value).strip().splitlines()
        report.user_properties.append(("gradproof-unexplained", message[0][:200] if message else call.excinfo.typename))
        return report
    report.user_properties.append(("gradproof-cause", cause.to_dict()))
    lead_with_cause(report, cause)
    return report


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None:
        run.total = len(session.items)


class Collector:
    """One session's findings, from every test's report (a pytest-xdist worker's included): a plugin
    object of its own per session, so that a run inside another one (the Python API in a test)
    keeps its findings apart."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        run = self.run
        if run.progress is not None and report.when == "teardown":  # every test has one, a skipped one too
            run.done += 1
            run.progress(run.done, run.total, len(run.failed))
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == "gradproof-cause":
                run.findings.add(Cause.from_dict(value), report.nodeid)
                run.findings.failed += 1
            elif key == "gradproof-unexplained":
                run.findings.add_unexplained(report.nodeid, value)
                run.findings.failed += 1
            elif key == "gradproof-unverified":
                run.findings.unverified = sorted(set(run.findings.unverified) | set(value))
            elif key == "gradproof-detached":
                run.engine.detached.update(value)
            elif key == "gradproof-accuracy":
                run.findings.accuracy.merge(value)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    """The findings last, after pytest's own summaries (its "short test summary info" lists every
    failing test: a hundred lines that would push the few root causes off the screen)."""
    result = yield
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        _summary(terminalreporter, run)
    return result


def _summary(terminalreporter, run: Run) -> None:
    engine, findings = run.engine, run.findings
    terminalreporter.section("gradproof")
    terminalreporter.write_line(f"verified ops ({len(engine.ops)}): {', '.join(engine.ops) or 'none'}")
    terminalreporter.write_line(
        f"skipped ops ({len(engine.missing_ops)}, not in this engine): {', '.join(engine.missing_ops) or 'none'}"
    )
    _finish(run)
    terminalreporter.section("gradproof findings", bold=True, red=bool(findings))
    for line in findings.lines(engine.name, findings.failed):
        terminalreporter.write_line(line)
    if run.config.accuracy:
        terminalreporter.section("gradproof accuracy (worst error in ulps, per op and regime)")
        for line in findings.accuracy.lines() if findings.accuracy else ["no one-op case was judged"]:
            terminalreporter.write_line(line)
    if run.config.report:
        terminalreporter.write_line(f"report: {run.config.report}")


def _finish(run: Run) -> None:
    """The findings complete: ops a subclass engine adds that the results of its inherited ops
    lack, and where on the real line each finding shows."""
    from properties.diagnosis.coverage import detached_ops

    run.findings.accuracy.merge(run.measured.drain())  # measured after the last test (blame's own cases)
    for cause in detached_ops(run.engine):
        if finding_key(cause) not in run.findings.by_key:
            run.findings.add(cause, None)
    run.findings.locate(run.engine, skip=run.hung, seconds=run.config.hang_seconds)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None and not hasattr(session.config, "workerinput"):
        _finish(run)
        if run.config.findings:
            run.findings.write(run.config.findings, run.engine)
        if run.config.report:
            from properties.results.report import write_report

            write_report(run.config.report, run.findings, run.engine.name, run.engine.ops, run.engine.missing_ops)
