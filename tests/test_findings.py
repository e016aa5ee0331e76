"""The findings summary: one finding per root cause, led by the instance a user is likeliest to meet."""

from mutant_engines import blamed_right
from properties.diagnosis.causes import Cause
from properties.results.findings import Findings, remoteness


def _cause(kind: str, operands: tuple, severity: str = "wrong") -> Cause:
    return Cause(op="truediv", kind=kind, severity=severity, summary=f"truediv, {kind} at {operands}",
                 reproducer=f"repro {operands}", relative_error=1.0, operands=operands)


def test_one_op_is_one_finding_led_by_its_most_severe_then_most_ordinary_instance():
    """micrograd's x / y: a subnormal gradient lost at y = 1.8e308, and an OverflowError in
    backward at y = 1e-300 and at y = 1e-160.  One finding; its summary and reproducer are the
    crash at the input nearest ordinary numbers; its kinds list both, the most telling first."""
    findings = Findings()
    findings.add(_cause("derivative", (-1.7976931348623157e308, -1.7976931348623157e308)), "t1")
    findings.add(_cause("crash", (1e-200, 1e-300), "crash"), "t2")
    findings.add(_cause("crash", (1e-200, 1e-160), "crash"), "t3")
    findings.add(_cause("derivative", (-1.7976931348623157e308, -1.7976931348623157e308)), "t1")
    [finding] = findings.findings
    assert finding.cause.operands == (1e-200, 1e-160)
    assert finding.kind == "crash" and finding.kinds == ["derivative", "crash"] and finding.severity == "crash"
    assert finding.tests == ["t1", "t2", "t3"]
    data = finding.to_json()
    assert data["reproducer"] == "repro (1e-200, 1e-160)" and data["kind"] == "crash"


def test_a_wrong_value_far_out_leads_an_imprecise_one_nearby():
    """tanh from exp(2x): 6 ulps off at 0.04, 0.0 at 1e-300: the finding shows the wrong value."""
    findings = Findings()
    findings.add(_cause("forward", (0.04,), "imprecise"), "t1")
    findings.add(_cause("forward", (1e-300,), "wrong"), "t2")
    assert findings.findings[0].cause.operands == (1e-300,) and findings.findings[0].severity == "wrong"


def test_at_ordinary_operands_a_wrong_value_leads_a_crash():
    """pytorch-mini: every c / x computes x / c, and c = 0 raises ZeroDivisionError: the finding
    shows the wrong value at ordinary operands; a crash far out leads a wrong value farther out."""
    findings = Findings()
    findings.add(_cause("crash", (1.0,), "crash"), "t1")
    findings.add(_cause("forward", (4.0,)), "t2")
    assert findings.findings[0].cause.kind == "forward" and findings.findings[0].severity == "crash"
    far = Findings()
    far.add(_cause("forward", (1e-300,)), "t1")
    far.add(_cause("crash", (1e4,), "crash"), "t2")
    far.add(_cause("crash", (1e200,), "crash"), "t3")
    assert far.findings[0].cause.operands == (1e4,)


def test_at_equal_severity_and_remoteness_a_wrong_value_leads_a_wrong_derivative():
    findings = Findings()
    findings.add(_cause("derivative", (2.0, 0.5)), "t1")
    findings.add(_cause("forward", (0.5, 2.0)), "t2")
    assert findings.findings[0].cause.kind == "forward"


def test_remoteness_counts_decades_from_one_and_zero_as_ordinary():
    assert remoteness(()) == remoteness((0.0,)) == remoteness((1.0, -1.0)) == 0.0
    assert remoteness((1e-200, 10.0)) == 200.0
    assert remoteness((-1e300,)) == 300.0


def test_a_mutant_is_judged_on_its_findings_most_telling_kind():
    """tanh from exp(2x): wrong near 0 and overflowing beyond 355 is one finding whose most
    telling kind is forward, whichever instance its summary shows."""
    finding = {"op": "tanh", "kind": "crash", "kinds": ["forward", "crash"]}
    assert blamed_right(("tanh", "forward"), [finding])
    assert not blamed_right(("tanh", "derivative"), [finding])
    assert not blamed_right(("sin", "forward"), [finding])
    assert not blamed_right(("tanh", "forward"), [])


def test_the_summary_ends_with_each_finding_in_one_line():
    """What a terminal shows last: one line per finding, so that a run with several causes still
    tells them all on one screen; the tests each explains are cut to three."""
    findings = Findings()
    findings.add(_cause("crash", (1e-200, 1e-160), "crash"), "t1")
    for test in ("t2", "t3", "t4", "t5"):
        findings.add(Cause(op="tanh", kind="forward", severity="wrong", reproducer="repro", relative_error=1.0,
                           summary="tanh, forward value: tanh(1e-100) returned 0.0", operands=(1e-100,)), test)
    findings.add(_cause("derivative", (1.7976931348623157e308, 1.7976931348623157e308)), "t1")
    lines = findings.lines("m:Value", 5)
    assert lines[-3:] == ["in short:",
                          "[1] [crash, extreme inputs] truediv, crash at (1e-200, 1e-160) (also its derivative)",
                          "[2] [wrong, extreme inputs] tanh, forward value: tanh(1e-100) returned 0.0"]
    assert "    explains: t2, t3, t4, ... and 1 more" in lines


def test_the_findings_a_user_will_meet_come_first_whatever_their_severity():
    """micrograd: a crash of x / y at y = 1e-200 is worse than a wrong log(1), but no training run
    meets it: the ordinary finding leads, under a heading that says so, and each extreme one says
    the input nearest ordinary numbers that shows it."""
    findings = Findings()
    findings.add(_cause("crash", (1.0, 1e-200), "crash"), "t1")
    findings.add(_cause("crash", (1.0, 1e-160), "crash"), "t2")
    log = Cause(op="log", kind="forward", severity="imprecise", reproducer="r", relative_error=1e-8,
                summary="log, forward value: log(1.0) returned -1e-08, true 0", operands=(1.0,))
    findings.add(log, "t3")
    findings.add(Cause(op="exp", kind="forward", severity="wrong", reproducer="r", relative_error=1.0,
                       summary="exp, forward value: exp(20.0) returned 0", operands=(20.0,)), "t4")  # result 4.9e8
    findings.add(Cause(op=None, kind="crash", severity="crash", reproducer="r", error="RecursionError",
                       summary="backward recursed", phase="backward"), "t5")
    assert [(f.op, f.met_at) for f in findings.findings] == [
        (None, "ordinary"), ("log", "ordinary"), ("truediv", "extreme"), ("exp", "extreme")]
    lines = findings.lines("m:Value", 5)
    ordinary, extreme = (next(i for i, line in enumerate(lines) if line.startswith(f"== met {w}"))
                         for w in ("at ordinary", "only at extreme"))
    assert ordinary < lines.index("    log, forward value: log(1.0) returned -1e-08, true 0") < extreme
    assert "    first met at (1, 1e-160) (the input nearest ordinary numbers that shows it)" in lines[extreme:]
    assert [f["met_at"] for f in findings.to_json(_Engine())["findings"]] == ["ordinary"] * 2 + ["extreme"] * 2


class _Engine:
    name, ops, aliases = "m:Value", ["log"], {}


def test_the_scan_of_where_an_op_fails_finds_a_crash_the_examples_missed():
    """BestDreamy's minitorch sigmoid, 1 / (1 + math.pow(math.e, -x)): 3.7e-14 off at x = -700 (math.e
    is rounded), OverflowError below x = -709.78.  Seen only imprecise, the finding becomes a crash
    once where() scans the op: its summary is the crash, its kinds both, its stretch x <= -20."""
    from properties.core.engine_under_test import load_engine
    from properties.diagnosis.probes import Probe, cause_from, run_probe
    from properties.results.findings import where

    engine = load_engine("sigmoid_math_e_engine_for_findings:Value")
    outcome = run_probe(engine, Probe("sigmoid", (-700.0,)))
    assert outcome.kind == "forward"
    findings = Findings()
    finding = findings.add(cause_from(engine, outcome), "t1")
    assert finding.severity == "imprecise" and finding.kinds == ["forward"]
    assert where(finding, engine) == "x <= -20"
    assert finding.kinds == ["forward", "crash"] and finding.severity == "crash"
    assert finding.summary.startswith("sigmoid, crash: sigmoid(-712.0) raised OverflowError in forward")


def test_a_result_that_float64_rounds_to_zero_is_extreme_not_ordinary():
    """sigmoid(-760) is e**-760, which float64 rounds to 0: exactly 0 is ordinary, that is not."""
    from properties.results.findings import met_at_ordinary

    assert not met_at_ordinary("sigmoid", (-760.0,))
    assert met_at_ordinary("sigmoid", (-7.0,)) and met_at_ordinary("mul", (0.0, 3.0))
    assert not met_at_ordinary("exp", (20.0,))  # 4.9e8: past 1e8
    assert not met_at_ordinary("rsub", (0.0,), 1e300)  # the constant of 1e300 - x is an input too
