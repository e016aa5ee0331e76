"""A downstream engine registers its own op without editing this repository."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "downstream"


def run_suite(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)])}
    env.pop("GRADPROOF_ENGINE", None)
    env.pop("GRADPROOF_OPS", None)
    command = [sys.executable, "-m", "pytest", "properties/test_coverage.py", "properties/test_each_op.py", "-q", "-n", "0",
               "-p", "no:cacheprovider", "--hypothesis-profile=smoke", "--engine", "swish_engine:Value", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # the suite in a process of its own: run by .ci/run (pytest -m slow)
def test_without_its_spec_the_coverage_gate_names_the_new_op():
    result = run_suite("-k", "coverage")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "- swish_engine.Value.swish: swish returns a value of the engine" in result.stdout, result.stdout
    assert "--ops-module" in result.stdout


@pytest.mark.slow  # the suite in a process of its own: run by .ci/run (pytest -m slow)
def test_with_ops_module_the_new_op_is_verified():
    result = run_suite("--ops-module", "swish_spec", "-k", "coverage or swish")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "swish" in result.stdout.split("verified ops")[1].splitlines()[0]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_an_unknown_ops_module_is_a_usage_error():
    result = run_suite("--ops-module", "no_such_module_here", "-k", "coverage")
    assert result.returncode == 4
    assert "no_such_module_here" in result.stderr


def test_the_coverage_gate_sees_public_methods_and_operators_only():
    from engine import Value
    from properties.diagnosis.coverage import uncovered_methods

    class Extended(Value):
        __slots__ = ()

        def swish(self):  # a new op without a spec
            return (self.exp() + 1).log()

        def __matmul__(self, other):  # an operator without a spec
            return self * other

        def _helper(self):  # private: not an op
            return self

        def zero_grad(self):  # API, not an op (NOT_OPS)
            self.grad = 0.0

    # what mutmut 3 adds to a class it mutates: variants of a method, reached through a trampoline
    setattr(Extended, "xǁExtendedǁswish__mutmut_1", Extended.swish)
    setattr(Extended, "xǁExtendedǁswish__mutmut_orig", Extended.swish)
    assert uncovered_methods(Value) == []
    assert uncovered_methods(Extended) == ["__matmul__", "swish"]
    assert uncovered_methods(Extended, not_ops=["swish"]) == ["__matmul__"]
