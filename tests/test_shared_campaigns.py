"""Campaigns on several machines share what they find through Redis (properties/fuzz.py --redis).

A real ``redis-server`` is started for the test (``.ci/run`` installs it; elsewhere the
test is skipped with a reason when it is missing). Two campaign processes play two
machines: each has its own corpus and no local example database, only the shared Redis.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from properties.core.corpus import load_all

ROOT = Path(__file__).resolve().parent.parent
MUTANT = "mutant_engines.sin_deriv_neg_cos:Value"  # sin's derivative has the wrong sign: any input finds it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    redis = pytest.importorskip("redis")
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    pytest.fail(f"redis-server exited with status {process.returncode}")
                time.sleep(0.1)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _fuzz(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GRADPROOF_ENGINE")}
    return subprocess.run([sys.executable, "-m", "properties.fuzz", "--engine", MUTANT, "--database", "none", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _entries(corpus: Path) -> list[str]:
    return sorted(path.name for path, _ in load_all(corpus))


@pytest.mark.slow  # two campaigns and a Redis server, each a process: run by .ci/run (pytest -m slow)
def test_a_failure_found_on_one_machine_reaches_the_other(redis_url, tmp_path):
    import redis

    shared = f"{redis_url}/0"
    first = _fuzz("--seconds", "30", "--corpus", str(tmp_path / "first"), "--redis", shared,
                  "--property", "op-sin-alone")
    assert first.returncode == 1, first.stdout + first.stderr
    found = _entries(tmp_path / "first")
    assert len(found) == 1, first.stdout + first.stderr
    assert redis.Redis.from_url(shared).keys(b"gradproof-example:*"), "the failing example was not stored in Redis"

    # The second machine only replays (no generation), so what it finds came from Redis.
    second = _fuzz("--replay", "--corpus", str(tmp_path / "second"), "--redis", shared)
    assert second.returncode == 1, second.stdout + second.stderr
    assert "FAILURE in op-sin-alone" in second.stderr
    assert _entries(tmp_path / "second") == found  # the same shrunk case: the same content-hash name

    # Control: the same replay against an empty Redis database finds nothing and writes nothing.
    empty = _fuzz("--replay", "--corpus", str(tmp_path / "empty"), "--redis", f"{redis_url}/1",
                  "--property", "op-sin-*")
    assert empty.returncode == 0, empty.stdout + empty.stderr
    assert _entries(tmp_path / "empty") == []


def test_an_unreachable_redis_is_a_usage_error():
    pytest.importorskip("redis")
    closed = _free_port()
    result = _fuzz("--redis", f"redis://127.0.0.1:{closed}/0", "--seconds", "1")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot reach Redis" in result.stderr
