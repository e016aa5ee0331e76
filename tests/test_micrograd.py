"""The suite on a partial engine: micrograd 0.1.0 (add, mul, pow, relu, neg, sub, div only).

Its missing ops are skipped, never failed.  It fails where it is wrong, and the findings say
so, one per root cause: its recursive topological sort raises RecursionError on a graph
deeper than Python's recursion limit (its PR 90), and its division, a * b ** -1, loses the
gradient of a huge divisor (b ** -2 underflows) and raises OverflowError on a tiny one (0 / x
at x = 5e-324: x ** -1 overflows); and x ** 0 at x = 0 raises ZeroDivisionError in backward
(its derivative is 0 * 0.0 ** -1; torch and mpmath give 0, as x ** 0 is 1 everywhere, e.g. the
constant term of polynomial features).  Each was checked by hand against torch and mpmath.
"""

import json

import pytest

from properties import run

pytest.importorskip("micrograd", reason="micrograd 0.1.0 is a dev dependency: pip install -e '.[dev]'")


@pytest.mark.slow  # the whole suite on micrograd in a process of its own: run by .ci/run (pytest -m slow)
def test_micrograd_fails_only_where_it_is_wrong(tmp_path):
    """One run of every property (in this process, through the Python API): the ops micrograd
    lacks are skipped, and every failure is explained by one of its four known bugs."""
    result = run("micrograd.engine:Value", profile="quick", findings=tmp_path / "findings.json")
    assert result.exit_code == 1 and not result.ok, str(result)
    data = json.loads((tmp_path / "findings.json").read_text())
    assert data == result.json
    assert data["unexplained"] == [], data["unexplained"]
    found = {f["op"]: set(f["kinds"]) for f in data["findings"]}
    assert set(found) == {None, "truediv", "rtruediv", "pow"}, data["findings"]
    assert found[None] == {"traversal"} and found["rtruediv"] == {"crash"}, data["findings"]
    assert found["pow"] == {"crash"} and "pow(0.0, param 0.0)" in str(result), data["findings"]
    assert found["truediv"] and found["truediv"] <= {"derivative", "crash"}, data["findings"]
    assert "RecursionError" in str(result)
    assert result.skipped_ops == ["exp", "log", "sin", "cos", "tanh", "sigmoid", "abs", "pos", "sqrt", "tan",
                                  "leaky_relu", "softplus", "softsign", "rpow"]
    assert result.verified_ops == ["add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "neg", "pow",
                                   "relu"]
