"""The ``gradproof`` command as a learner uses it: a file, not a package; exit 0 with no findings,
1 with findings, 2 on a usage error; ``--json``; a class picked, or asked for; help on one screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from correct_engines import learner_engine
from properties.cli import main



def _engine(folder, name: str, derivative: str, rename: str | None = None):
    source = learner_engine(derivative)
    if rename:
        source = source.replace("class Value", f"class {rename}").replace("Value(", f"{rename}(").replace(
            "isinstance(other, Value)", f"isinstance(other, {rename})")
    path = folder / name
    path.write_text(source)
    return path


def test_a_file_with_a_bug_is_exit_1_with_its_finding_and_reproducer(tmp_path, capsys):
    path = _engine(tmp_path, "engine.py", "(1 - t)")
    assert main(["check", str(path), "--json", str(tmp_path / "findings.json")]) == 1
    out = capsys.readouterr().out
    assert f"engine: {path}:Value" in out and "shape: value .data, gradient .grad, backward .backward()" in out
    assert "tanh, derivative: d/dx0 of tanh(" in out and f"sys.path.insert(0, '{tmp_path}')" in out
    assert "(quick verdict in" in out
    data = json.loads((tmp_path / "findings.json").read_text())
    assert [(f["op"], f["kind"]) for f in data["findings"]] == [("tanh", "derivative")]
    assert data["verified_ops"] == ["add", "radd", "mul", "rmul", "tanh"]


def test_a_right_file_is_exit_0_and_a_class_is_picked_or_named(tmp_path, capsys):
    _engine(tmp_path, "scalar.py", "(1 - t * t)", rename="Scalar")  # the only engine class there: picked
    assert main(["check", str(tmp_path / "scalar.py")]) == 0
    assert "no findings" in capsys.readouterr().out
    assert main(["check", f"{tmp_path / 'scalar.py'}:Scalar", "--ops", "tanh,add"]) == 0
    out = capsys.readouterr().out
    assert "ops verified (2): add, tanh" in out and "ops left out by --ops (3): radd, mul, rmul" in out
    assert "ops not in this engine (20): sub, rsub," in out  # what it lacks, apart from what was left out


SUB = """
    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self + other * -1.0
"""


@pytest.mark.slow  # two verdicts on every op of the engine: run by .ci/run (pytest -m slow)
def test_a_missing_operator_is_reported_and_fails_the_run_only_when_strict(tmp_path, capsys):
    path = tmp_path / "engine.py"
    path.write_text(_engine(tmp_path, "engine.py", "(1 - t * t)").read_text() + SUB)  # x - 2, but no 2 - x, no -x
    assert main(["check", str(path), "--json", str(tmp_path / "f.json")]) == 0
    out = capsys.readouterr().out
    assert "rsub | unsupported | unsupported | reported, not failing (--strict-ops fails it)" in out
    assert sorted((f["op"], f["kind"]) for f in json.loads((tmp_path / "f.json").read_text())["findings"]) == [
        ("neg", "unsupported"), ("rsub", "unsupported")]  # x - 2, so its users write 2 - x and -x
    assert main(["check", str(path), "--strict-ops"]) == 1


def test_usage_errors_are_exit_2_and_say_what_to_do(tmp_path, capsys):
    two = tmp_path / "two.py"
    two.write_text(_engine(tmp_path, "a.py", "(1 - t * t)", rename="A").read_text()
                   + _engine(tmp_path, "b.py", "(1 - t * t)", rename="B").read_text())
    assert main(["check", str(two)]) == 2
    assert f"which engine class? A, B all have an engine's shape: write {two}:A" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["check", "no_such_package.engine:Value"]) == 2
    assert "cannot import engine module 'no_such_package.engine'" in capsys.readouterr().err
    assert main(["check", str(two) + ":A", "--alias", "logarithm=ln"]) == 2
    assert "'logarithm' is not a registry op" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["check"])
    assert exit_.value.code == 2
    assert main(["frobnicate"]) == 2 and main([]) == 2


def test_help_fits_one_screen_and_the_command_is_installed(capsys):
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    check = capsys.readouterr().out
    for text in (top, check):
        lines = text.splitlines()
        assert len(lines) <= 24 and max(map(len, lines)) <= 120, text
    assert "gradproof check TARGET" in top and "gradproof fuzz" in top and "gradproof field" in top
    assert "--thorough" in check and "--json PATH" in check and "--adapter" in check
    command = shutil.which("gradproof")
    assert command is not None, "pip install -e . installs the gradproof command"
    result = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0 and result.stdout == top


def test_fuzz_and_field_are_reached_through_the_same_door(capsys):
    assert main(["fuzz", "--engine", "engine:Value", "--list"]) == 0
    assert "composite\nop-add-alone\nop-add-inside" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["field"])
    assert exit_.value.code == 2
