"""python -m properties.field: the suite on published engines, here offline on a wheel built locally."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from properties.field import table
from properties.runner.field_runs import FieldEngine, Report, parse
from correct_engines import TOY_ENGINE_SOURCE as ENGINE

ROOT = Path(__file__).resolve().parent.parent

# The test engine with tanh computed from exp, as ten published engines do: it cancels to 0.0 near 0.
TANH_FROM_EXP = '''

    def tanh(self):
        z = math.exp(2.0 * self.data)
        t = (z - 1.0) / (z + 1.0)
        return Value(t, (self,), (1.0 - t * t,))
'''


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("fieldtoy_source")
    (source / "fieldtoy").mkdir()
    (source / "fieldtoy" / "__init__.py").write_text("")
    engine = textwrap.dedent(ENGINE)
    head, tail = engine.split("    def backward(self):")
    (source / "fieldtoy" / "engine.py").write_text(head + TANH_FROM_EXP.lstrip("\n") + "\n    def backward(self):" + tail)
    (source.parent / "fieldtoy_engine.py").write_text((source / "fieldtoy" / "engine.py").read_text())
    (source / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "fieldtoy"
        version = "0.1"
    '''))
    out = tmp_path_factory.mktemp("wheels")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "--wheel-dir", str(out), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


@pytest.mark.slow  # two engines, each the suite in a process of its own: about 20 s, run by .ci/run (pytest -m slow)
def test_the_field_report_runs_a_downloaded_engine_and_tabulates_its_findings(wheels, tmp_path):
    listing = tmp_path / "engines.txt"
    # -k keeps the runs short: the ops they name, the gate and the regression corpus
    fork = tmp_path / "forks" / "my-grad"  # a fork of one's own: a folder, its engine file found in it
    (fork / "nn").mkdir(parents=True)
    (fork / "nn" / "engine.py").write_text((wheels.parent / "fieldtoy_engine.py").read_text())
    (fork / "README.md").write_text("my fork")
    listing.write_text("# a comment\nfieldtoy==0.1 fieldtoy.engine:Value --alias log=ln --alias relu=reLU "
                       "-k 'tanh or log_alone or coverage or regression'\n"
                       f"{fork} --alias log=ln --alias relu=reLU -k 'tanh or log_alone'\n")
    report = tmp_path / "field.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADPROOF_")}
    result = subprocess.run(
        [sys.executable, "-m", "properties.field", str(listing), "--find-links", str(wheels), "--no-index",
         "--profile", "smoke", "--work", str(tmp_path / "work"), "--json", str(report),
         f"--report={tmp_path / 'pages'}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "[1/2] fieldtoy==0.1" in result.stderr and f"[2/2] {fork}" in result.stderr
    packaged, local = json.loads(report.read_text())
    for entry in (packaged, local):
        assert entry["status"] == "ran" and "log" in entry["verified_ops"] and "tanh" in entry["verified_ops"]
        # tanh from exp(2x): 0.0 near 0 and OverflowError beyond 355, one finding
        assert [(f["op"], f["kinds"]) for f in entry["findings"]] == [("tanh", ["forward", "crash"])], entry["findings"]
    assert local["value_class"].endswith("my-grad/nn/engine.py"), local["value_class"]
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("engine"))
    assert lines[header].split()[:6] == ["engine", "version", "ops", "verified", "worst", "op"]
    assert lines[header + 1].startswith("fieldtoy") and re.search(r"\[crash(, extreme inputs)?\] tanh, crash: tanh\(",
                                                                  lines[header + 1])
    assert "tanh " in lines[header + 1].split("[crash")[0]  # its worst op: tanh, past its allowance
    assert lines[header + 2].startswith("my-grad") and "local" in lines[header + 2]
    index = (tmp_path / "pages" / "index.html").read_text()
    pages = re.findall(r"<a href='([^']+)'>", index)
    assert pages == ["01-fieldtoy.html", "02-my-grad.html"] or pages == ["02-my-grad.html", "01-fieldtoy.html"]
    for name in pages:
        assert "<section class='finding" in (tmp_path / "pages" / name).read_text()


def test_a_malformed_line_names_its_line():
    with pytest.raises(ValueError, match="engines.txt:2: expected"):
        parse("micrograd==0.1.0 micrograd.engine:Value\nmikegrad==0.2.0 --alias log=ln\n", "engines.txt")
    [engine] = parse("omnigrad==0.2.3 omnigrad.diffengine:Value --alias log=ln  # typo'd names\n")
    assert (engine.name, engine.version, engine.engine, engine.extra) == (
        "omnigrad", "0.2.3", "omnigrad.diffengine:Value", ["--alias", "log=ln"])
    fork, file = parse("../forks/my-grad --alias log=ln\ncourse/hw1/engine.py Scalar\n")
    assert (fork.local, fork.name, fork.version, fork.engine, fork.extra) == (
        True, "my-grad", "local", None, ["--alias", "log=ln"])
    assert (file.name, file.engine, file.extra) == ("engine.py", "Scalar", [])


def test_the_table_has_a_line_per_finding_and_says_why_an_engine_did_not_run():
    ran = Report(FieldEngine("a==1", "a:Value"), "ran", 1.0, "",
                 [{"summary": "exp, forward value: ...", "severity": "wrong", "reproducer": "x0 = Value(1.0)\n..."},
                  {"summary": "log, crash: ...", "severity": "crash", "reproducer": "x0 = Value(-0.0)\n..."}],
                 ["add", "exp"])
    ran.unexplained = [{"test": "properties/test_x.py::test_y", "message": "..."}]
    broken = Report(FieldEngine("b==2", "b:Value"), "error", 0.0, "pip download b==2 failed")
    text = table([ran, broken], markdown=True)
    assert "|  |  |  |  | 1 failing test(s) not traced to a root cause: properties/test_x.py::test_y |" in text
    assert "| a | 1 | 2 | - | [wrong] exp, forward value: ... |" in text and "|  |  |  |  | [crash] log, crash: ... |" in text
    assert "| b | 2 | - | - | not run: pip download b==2 failed |" in text
    folded = text[text.index("<details><summary>a==1: the reproducers</summary>"):]
    assert "[crash] log, crash: ...\n\n```python\nx0 = Value(-0.0)\n...\n```" in folded
    assert "b==2" not in folded and folded.rstrip().endswith("</details>")


def test_a_finding_line_names_the_ops_other_kinds():
    from properties.results.findings import finding_line

    finding = {"summary": "softsign, derivative: d/dx0 of softsign(0.0) is 0.0", "severity": "crash",
               "kind": "derivative", "kinds": ["derivative", "crash"]}
    assert finding_line(finding) == "[crash] softsign, derivative: d/dx0 of softsign(0.0) is 0.0 (also a crash)"
    assert finding_line({**finding, "kinds": ["derivative"], "severity": "wrong"}) == (
        "[wrong] softsign, derivative: d/dx0 of softsign(0.0) is 0.0")
