"""The regression corpus (properties/corpus.py) and the fuzzing driver (properties/fuzz.py)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from properties.core.corpus import CorpusError, case_from_entry, entry_from_case, file_name, load, load_all, save
from properties.strategies import Case
from reference.expression import Expression, Node

ROOT = Path(__file__).resolve().parent.parent

AWKWARD = (0.1, -1e-310, 5e-324, 1.7976931348623157e308, -0.0, 2.0 / 3.0)


def _case(x0: float = 0.1, x1: float = -1e-310) -> Case:
    nodes = (Node(input=0), Node(input=1), Node(const=1.0 / 3.0), Node(op="add", args=(0, 2)),
             Node(op="pow", args=(3,), param=1.0 / 3.0), Node(op="mul", args=(4, 1)),
             Node(op="rsub", args=(5,), param=-0.1), Node(op="sin", args=(6,)))
    return Case(Expression(2, nodes), (x0, x1))


def test_round_trip_is_exact():
    for x in AWKWARD:
        case = _case(x, -x)
        entry = json.loads(json.dumps(entry_from_case(case, "gradient", "engine:Value", note="n")))
        back = case_from_entry(entry)
        assert back == case
        assert [math.copysign(1, v) for v in back.inputs] == [math.copysign(1, v) for v in case.inputs]  # -0.0


def test_round_trip_through_a_file(tmp_path):
    case = _case()
    oracle = {"value": 0.5, "gradient": [1.0, -2.0]}
    path = save(entry_from_case(case, "forward", "mutant_engines.rsub_swapped:Value", oracles=oracle, note="why"), tmp_path)
    entry = load(path)
    assert case_from_entry(entry, path) == case
    assert entry["oracle"] == {"value": (0.5).hex(), "gradient": [(1.0).hex(), (-2.0).hex()]}
    assert path.name == file_name(entry) and path.name.startswith("forward-")


def test_saving_twice_writes_one_file(tmp_path):
    first = save(entry_from_case(_case(), "gradient", "engine:Value", note="first"), tmp_path)
    again = save(entry_from_case(_case(), "gradient", "other:Value", note="second", date="2020-01-01"), tmp_path)
    assert first == again
    assert [p.name for p in tmp_path.iterdir()] == [first.name]
    assert load(first)["note"] == "first"  # the existing entry is left alone
    other = save(entry_from_case(_case(), "torch", "engine:Value"), tmp_path)  # another check: another entry
    assert other != first and len(list(tmp_path.iterdir())) == 2


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    for x in AWKWARD:
        save(entry_from_case(_case(x), "gradient", "engine:Value"), tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == len(AWKWARD)
    assert all(n.endswith(".json") and not n.startswith(".") for n in names)


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        save(entry_from_case(_case(), "gradient", "engine:Value"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def _corrupt(tmp_path, edit) -> Path:
    entry = entry_from_case(_case(), "gradient", "engine:Value")
    edit(entry)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(entry))
    return path


@pytest.mark.parametrize("edit, field", [
    (lambda e: e["expression"]["nodes"][3].update(op="frobnicate"), "expression.nodes[3].op"),
    (lambda e: e["expression"]["nodes"][5].update(args=[4]), "expression.nodes[5].args"),
    (lambda e: e["expression"]["nodes"][5].update(args=[4, 9]), "expression.nodes[5].args"),
    (lambda e: e["expression"]["nodes"][4].pop("param"), "expression.nodes[4].param"),
    (lambda e: e["expression"]["nodes"][2].update(const=0.25), "expression.nodes[2].const"),
    (lambda e: e["expression"].update(n_inputs="2"), "expression.n_inputs"),
    (lambda e: e["inputs"].__setitem__(0, "0.1"), "inputs[0]"),  # decimal text would be misread as hex
    (lambda e: e["inputs"].pop(), "inputs"),
    (lambda e: e.update(check="backward"), "check"),
    (lambda e: e.update(format=3), "format"),
    (lambda e: e.update(engine="__import__('os').system('true')"), "engine"),
    (lambda e: e.update(date="yesterday"), "date"),
    (lambda e: e.pop("note"), "note"),
    (lambda e: e.update(extra=1), "extra"),
])
def test_a_bad_entry_names_the_file_and_the_field(tmp_path, edit, field):
    path = _corrupt(tmp_path, edit)
    with pytest.raises(CorpusError) as error:
        load(path)
    assert error.value.field == field
    assert str(error.value).startswith(f"{path}: {field}: ")


def test_a_format_1_entry_loads_with_its_check(tmp_path):
    """Format 1 named the check "property": such entries (in users' corpora) still load, as format 2,
    and keep their file name."""
    entry = entry_from_case(_case(), "torch", "engine:Value")
    old = {("property" if key == "check" else key): value for key, value in entry.items()} | {"format": 1}
    path = tmp_path / file_name(entry)
    path.write_text(json.dumps(old))
    loaded = load(path)
    assert loaded["check"] == "torch" and loaded["format"] == 2 and "property" not in loaded
    assert file_name(loaded) == path.name


def test_load_all_reports_corrupt_files_and_keeps_the_rest(tmp_path):
    good = save(entry_from_case(_case(), "gradient", "engine:Value"), tmp_path)
    (tmp_path / "truncated.json").write_text('{"format": 1, "property": "grad')
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "README.txt").write_text("not an entry")
    results = dict(load_all(tmp_path))
    assert set(p.name for p in results) == {good.name, "truncated.json", "list.json"}
    assert isinstance(results[good], dict)
    for name in ("truncated.json", "list.json"):
        error = results[tmp_path / name]
        assert isinstance(error, CorpusError) and name in str(error)
    assert load_all(tmp_path / "missing") == []


def test_the_committed_corpus_parses():
    results = load_all(ROOT / "properties" / "traps")
    assert results, "properties/traps/ holds the known traps"
    assert [str(e) for _, e in results if isinstance(e, CorpusError)] == []


# ----- the regression test and the fuzzer, end to end ---------------------------------


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GRADPROOF_ENGINE")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_replay_fails_a_broken_entry_with_its_file_name(tmp_path):
    """In this process, through the Python API: the known traps pass on this project's engine, and
    the broken file fails with its name, not traced to any op."""
    from properties import run

    (tmp_path / "broken.json").write_text('{"format": 1')
    result = run("engine:Value", corpus=[tmp_path], pytest_args=["-m", "regression"], profile="ci")
    assert result.exit_code == 1 and result.record.failed == 1, str(result)
    [(test, message)] = result.unexplained
    assert test.endswith("broken.json]") and "does not parse" in message, (test, message)


@pytest.mark.slow  # a campaign in a process of its own, shrinking included: about 12 s, run by .ci/run
def test_fuzzing_a_mutant_finds_a_failure_and_saves_it(tmp_path):
    corpus = tmp_path / "corpus"
    result = _run("-m", "properties.fuzz", "--engine", "mutant_engines.sin_deriv_neg_cos:Value", "--seconds", "5",
                  "--corpus", str(corpus), "--database", str(tmp_path / "db"), "--property", "composite",
                  "--shrink-seconds", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILURE in composite" in result.stderr and "fuzzing summary" in result.stdout
    [(path, entry)] = load_all(corpus)
    assert isinstance(entry, dict), entry
    assert entry["engine"] == "mutant_engines.sin_deriv_neg_cos:Value"
    # the minimal case blame found (sin alone, at the engine's operand value), the expression in the note
    ops = [node["op"] for node in entry["expression"]["nodes"] if "op" in node]
    assert ops == ["sin"], entry["expression"]
    assert entry["check"] == "gradient" and "oracle" in entry
    assert "sin, derivative" in entry["note"] and "found in:\ndef f(" in entry["note"]
    replay = _run("-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-m", "regression", f"--corpus={corpus}",
                  "--engine", "mutant_engines.sin_deriv_neg_cos:Value", "properties/test_regression.py")
    assert replay.returncode == 1 and path.name in replay.stdout, replay.stdout


def test_a_failure_shrunk_to_one_op_still_carries_its_root_cause():
    """Shrinking may reach the one-op case blame would give (sin(0.0) alone): its note still says why."""
    from properties.diagnosis.probes import Probe
    from properties.core.checks import oracles
    from properties.core.engine_under_test import load_engine
    from properties.runner.campaign import minimal_entry

    engine = load_engine("mutant_engines.sin_deriv_neg_cos:Value")
    case = Probe("sin", (0.0,)).case()
    entry = minimal_entry(case, "gradient", oracles(case, engine), engine, "composite", "gradient FAILED")
    assert "sin, derivative: d/dx0 of sin(0.0) is -1.0, true 1.0" in entry["note"], entry["note"]
    assert entry["oracle"]["gradient"] == ["0x1.0000000000000p+0"]


@pytest.mark.slow  # a campaign over every property: run by .ci/run (pytest -m slow)
def test_fuzzing_the_correct_engine_finds_nothing(tmp_path):
    corpus = tmp_path / "corpus"
    result = _run("-m", "properties.fuzz", "--engine", "engine:Value", "--seconds", "1.5", "--corpus", str(corpus),
                  "--database", "none", "--property", "op-sin-alone", "op-mul-*")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"^(\d+) examples in \d+s; 0 failure\(s\)$", result.stdout, re.MULTILINE)
    assert summary and int(summary.group(1)) >= 10, result.stdout  # it did judge examples
    assert not corpus.exists() or list(corpus.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--engine", "no_such_module:Value"], "cannot import engine module"),
    (["--engine", "engine"], "MODULE:ATTR"),
    (["--property", "no-such-property"], "matches none"),
    (["--seconds", "0"], "--seconds"),
    (["--seed", "1", "--replay"], "--seed does not mix"),
    (["--replay", "--database", "none"], "--replay needs a database"),
])
def test_fuzz_usage_errors_exit_2(args, message):
    result = _run("-m", "properties.fuzz", *args, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_a_campaign_keeps_its_failures_in_the_example_database(tmp_path, request):
    """What one run found, the next run (and a --replay) tries first: hypothesis' database."""
    if request.config.getoption("hypothesis_seed", None) is not None:
        pytest.skip("--hypothesis-seed forces a seed on every hypothesis run in this process, "
                    "and hypothesis then uses no database")
    from hypothesis.database import InMemoryExampleDatabase

    from properties.catalog import properties
    from properties.core.config import resolve
    from properties.runner.campaign import run_property, select, start

    campaign = start(resolve({"engine": "mutant_engines.sin_deriv_neg_cos:Value"}))
    [prop] = select(properties(campaign.engine), ["op-sin-alone"])
    counts = []

    def run(database, *, replay=False, seed=None):
        counter = []
        failure = run_property(prop, campaign, max_examples=100, seed=seed, database=database,
                               corpus=tmp_path / "corpus", on_example=lambda: counter.append(1), replay=replay)
        counts.append(len(counter))
        return failure

    database = InMemoryExampleDatabase()
    assert run(database) is not None
    assert any(database.data.values()), "the failing example was not saved"
    assert run(database, replay=True) is not None
    assert run(InMemoryExampleDatabase(), replay=True) is None and counts[-1] == 0  # replay never generates
    seeded = InMemoryExampleDatabase()
    assert run(seeded, seed=1) is not None
    assert not seeded.data, "hypothesis ignores the database under a fixed seed"
