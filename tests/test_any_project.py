"""The suite as another project uses it: installed from this repository, run as a pytest plugin
from that project's own directory, on that project's engine (a top-level ``engine.py``, as in
most micrograd-style repositories), with aliases from its pyproject.toml.

This repository is installed (no dependencies, they are this environment's) into a directory of
its own that comes first on ``PYTHONPATH``, so the run uses the installed copy and its entry point,
not the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from correct_engines import TOY_ENGINE_SOURCE as ENGINE

ROOT = Path(__file__).resolve().parent.parent

# A subclass that adds two ops: tan, right, and softsign, whose slope at 0 is wrong (omnigrad's bug).
SUBCLASS = '''
import math

import engine


class Value(engine.Value):
    def tan(self):
        t = math.tan(self.data)
        return Value(t, (self,), (1.0 + t * t,))

    def softsign(self):
        x = self.data
        d = 1.0 + abs(x)
        return Value(x / d, (self,), (1.0 / (d * d) if x else 0.0,))
'''

TRAP = "gradient-41acc7447582.json"  # one of the known traps
PYPROJECT = '''
[project]
name = "my-engine"
version = "0.1"

[tool.gradproof]
engine = "engine:Value"
aliases = {log = "ln", relu = "reLU"}
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """This repository, installed without dependencies into a directory of its own (from a copy of
    its sources: two pytest-xdist workers building in the checkout's own build/ would collide)."""
    target, source = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("source") / "gradproof"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", ".hypothesis", "__pycache__", "mutants", ".benchmarks", "docs"))
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
               "--target", str(target), str(source)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (target / "properties" / "plugin" / "__init__.py").is_file() and not (target / "engine").exists()
    return target


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("my_project")
    (root / "engine.py").write_text(textwrap.dedent(ENGINE))
    (root / "subclass_engine.py").write_text(textwrap.dedent(SUBCLASS))
    (root / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    return root


def run(project: Path, installed: Path, *args: str, target: str = "properties") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADPROOF_")}
    env.update(CI="true", PYTHONPATH=os.pathsep.join([str(installed), str(project)]))
    command = [sys.executable, "-m", "pytest", "--pyargs", target, "-p", "no:cacheprovider",
               "--hypothesis-profile=smoke", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow  # the installed suite on a project of its own, in a process: run by .ci/run (pytest -m slow)
def test_a_project_runs_the_installed_suite_on_its_own_engine(project, installed):
    findings = project / "findings.json"
    # the properties of the aliased ops, the gate and softmax (which goes through ln): enough to see them verified
    result = run(project, installed, f"--findings={findings}", "-k", "log or relu or coverage or softmax")
    out = result.stdout
    assert result.returncode == 0, out[-4000:]
    assert f"engine under test: engine:Value ({project / 'engine.py'})" in out, out[:2000]
    assert "aliases: log as .ln, relu as .reLU" in out
    verified = out.split("ops verified: ")[1].splitlines()[0].split(", ")
    assert {"log", "relu", "exp", "truediv"} <= set(verified)
    assert "not verified (not ops: they return no value of the engine): is_finite, named" in out
    written = json.loads(findings.read_text())
    assert (written["engine"], written["findings"], written["unexplained"]) == ("engine:Value", [], [])
    assert written["aliases"] == {"log": "ln", "relu": "reLU"} and "log" in written["verified_ops"]
    assert str(installed) in subprocess.run(
        [sys.executable, "-c", "import properties; print(properties.__file__)"], cwd=project, capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": str(installed)}).stdout


def test_a_path_option_given_with_a_space_is_told_apart_from_one_given_with_an_equals_sign():
    """What the plugin refuses before pytest picks a rootdir (the end-to-end run is the slow test below)."""
    from properties.core.config import spaced_path_options

    args = ["--findings", "out.json", "--corpus=corpus", "--report", "r.html", "-q", "--findings=f.json"]
    assert spaced_path_options(args) == ["--findings", "--report"]
    assert spaced_path_options(["--findings=out.json", "--report=r.html", "--corpus=c"]) == []


@pytest.mark.slow  # an installed project, run four ways: run by .ci/run (pytest -m slow)
def test_path_options_parse_from_any_directory_and_a_space_is_refused(project, installed, tmp_path):
    """``--corpus=DIR`` works from any directory.  ``--corpus DIR`` (or ``--findings PATH``) would let
    pytest take DIR for a test path while it chooses the rootdir: once the path exists, the
    project's pyproject.toml is ignored.  It stops with a message that says to write the ``=``."""
    elsewhere = tmp_path / "corpus"
    elsewhere.mkdir()
    (elsewhere / "gradient-000000000000.json").write_text((ROOT / "properties" / "traps" / TRAP).read_text())
    result = run(project, installed, "--collect-only", f"--corpus={elsewhere}", target="properties.test_regression")
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-2000:])
    assert "corpus/gradient-000000000000.json" in result.stdout and TRAP in result.stdout, result.stdout[-3000:]
    existing = tmp_path / "reports" / "out.json"
    existing.parent.mkdir()
    existing.write_text("{}")
    for option, value in (("--corpus", elsewhere), ("--findings", existing)):
        result = run(project, installed, "--collect-only", option, str(value), target="properties.test_regression")
        assert result.returncode == 4, (option, result.stdout[-2000:], result.stderr[-2000:])
        assert f"write {option}=PATH, with '='" in result.stderr, result.stderr[-2000:]


@pytest.mark.slow  # the whole suite on a subclass engine, in a process: run by .ci/run (pytest -m slow)
def test_a_subclass_engine_fails_only_where_it_is_wrong(project, installed):
    findings = project / "subclass.json"
    # every property that touches the ops it adds, and the random expressions over all of them
    result = run(project, installed, "--engine", "subclass_engine:Value", f"--findings={findings}",
                 "-k", "tan or softsign or coverage or composite or graph")
    assert result.returncode == 1, result.stdout[-3000:]
    data = json.loads(findings.read_text())
    wrong = [(f["op"], f["kind"]) for f in data["findings"] if f["kind"] != "unsupported"]
    assert wrong == [("softsign", "derivative")], data
    # its added ops are lost on the results of the ops it inherits: reported, not failed
    unsupported = {f["op"]: f["summary"] for f in data["findings"] if f["kind"] == "unsupported"}
    assert set(unsupported) == {"softsign", "tan"}, unsupported
    assert "engine.Value, which has no tan" in unsupported["tan"] and "subclass_engine.Value.tan" in unsupported["tan"]
    assert data["unexplained"] == []
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all("softsign" in line for line in failed), failed
    assert "returned Value, not Value" not in result.stdout
