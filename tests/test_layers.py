"""The house's rules, checked: the layers and the rooms (import-linter's contracts in
pyproject.toml: the engine knows nothing of the suite, the oracles nothing of the properties,
each room of the suite uses only the rooms below it, no cycles inside a room), and no module
grows past about 400 lines unless it is a table."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"reference/ops.py"}  # the op registry: one spec per op
MAX_LINES = 410


def test_the_import_contracts_hold():
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports is missing: pip install -e '.[dev]' installs import-linter")
    result = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "4 kept" in result.stdout, result.stdout[-2000:]


def test_no_module_is_longer_than_about_400_lines():
    long = {}
    for package in ("engine", "reference", "properties"):
        for path in (ROOT / package).rglob("*.py"):
            name = path.relative_to(ROOT).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES and name not in TABLES:
                long[name] = lines
    assert not long, f"split these by concern: {long}"
