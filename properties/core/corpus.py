"""The regression corpus: failing (or once-failing) cases kept as data files.

Every entry is one JSON file that ``properties/test_regression.py`` replays
deterministically (``pytest -m regression``); ``python -m properties.fuzz``
adds the failures it finds.  An entry::

    {"format": 2,
     "check": "gradient",                         # the check: forward | gradient | torch
     "expression": {"n_inputs": 1, "nodes": [     # reference.expression.Expression.to_json()
         {"input": 0},                            # also {"const": "0x1.8p+1"}
         {"op": "sin", "args": [0]}]},            # and {"op": "pow", "args": [0], "param": "0x1.8p+1"}
     "inputs": ["0x1.8000000000000p+0"],          # float.hex(): exact
     "engine": "mutant_engines.sin_deriv_neg_cos:Value", # the engine it was recorded against
     "oracle": {"value": "0x1.fea...p-1", "gradient": ["0x1.21...p-4"]},  # optional, mpmath
     "date": "2025-01-31",
     "note": "why this entry exists"}

Every float (inputs, constants, params, oracle values) is ``float.hex()`` text.
Nothing in a corpus file is ever evaluated as code: it is parsed and validated
field by field, and a bad file raises :class:`CorpusError` naming the file and
the field.  File names are ``<check>-<sha256[:12]>.json`` of the canonical
JSON of check, expression and inputs, so the same case is stored once however
often (and by however many processes) it is found; writes are atomic.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from reference.expression import Case, Expression, hex_float

FORMAT = 2  # format 1 named the check "property": it is read as format 2
CHECKS = ("forward", "gradient", "torch")
_FIELDS = {"format", "check", "expression", "inputs", "engine", "oracle", "date", "note"}
_REQUIRED = ("format", "check", "expression", "inputs", "engine", "date", "note")
_ENGINE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


class CorpusError(ValueError):
    """A corpus entry that cannot be used; the message names the file and the field."""

    def __init__(self, source: str | os.PathLike | None, field: str, problem: str):
        self.source, self.field, self.problem = (str(source) if source is not None else "<entry>"), field, problem
        super().__init__(f"{self.source}: {field}: {problem}")


# ----- entries <-> cases -----------------------------------------------------------


def _oracle_json(oracles: Any, n_inputs: int) -> dict | None:
    """From a :class:`properties.core.checks.Oracles` (mpmath's value and best gradient) or a
    dict {"value": float, "gradient": [float, ...]}."""
    if oracles is None:
        return None
    if isinstance(oracles, dict):
        value, gradient = oracles["value"], list(oracles["gradient"])
    else:
        value, gradient = float(oracles.true_value), [oracles.truth(k)[0] for k in range(n_inputs)]
    return {"value": float(value).hex(), "gradient": [float(g).hex() for g in gradient]}


def entry_from_case(case: Case, check: str, engine_name: str, oracles: Any = None, note: str = "",
                    date: str | None = None) -> dict:
    """A corpus entry for ``case`` failing (or guarding) ``check``."""
    if check not in CHECKS:
        raise ValueError(f"check must be one of {CHECKS}, got {check!r}")
    entry = {
        "format": FORMAT,
        "check": check,
        "expression": case.expression.to_json(),
        "inputs": [float(x).hex() for x in case.inputs],
        "engine": engine_name,
        "date": date or datetime.date.today().isoformat(),
        "note": note,
    }
    oracle = _oracle_json(oracles, case.expression.n_inputs)
    if oracle is not None:
        entry["oracle"] = oracle
    return entry


def validate(entry: Any, source: str | os.PathLike | None = None) -> None:
    """Raise :class:`CorpusError` unless ``entry`` is a well-formed entry of this format."""
    if not isinstance(entry, dict):
        raise CorpusError(source, "(entry)", f"must be a JSON object, got {type(entry).__name__}")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise CorpusError(source, unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    for field in _REQUIRED:
        if field not in entry:
            raise CorpusError(source, field, "missing")
    if entry["format"] != FORMAT or type(entry["format"]) is not int:
        raise CorpusError(source, "format", f"unsupported format {entry['format']!r} (this suite reads {FORMAT} and 1)")
    if entry["check"] not in CHECKS:
        raise CorpusError(source, "check", f"must be one of {', '.join(CHECKS)}, got {entry['check']!r}")
    if not isinstance(entry["engine"], str) or not _ENGINE.fullmatch(entry["engine"]):
        raise CorpusError(source, "engine", f"must be MODULE:ATTR, got {entry['engine']!r}")
    try:
        datetime.date.fromisoformat(entry["date"])
    except (TypeError, ValueError):
        raise CorpusError(source, "date", f"must be YYYY-MM-DD, got {entry['date']!r}") from None
    if not isinstance(entry["note"], str):
        raise CorpusError(source, "note", f"must be a string, got {type(entry['note']).__name__}")
    case = _case(entry, source)
    if "oracle" in entry:
        oracle = entry["oracle"]
        if not isinstance(oracle, dict) or set(oracle) != {"value", "gradient"}:
            raise CorpusError(source, "oracle", "must be an object with exactly the fields value and gradient")
        _float(oracle["value"], source, "oracle.value")
        gradient = oracle["gradient"]
        if not isinstance(gradient, list) or len(gradient) != case.expression.n_inputs:
            raise CorpusError(source, "oracle.gradient", f"must be a list of {case.expression.n_inputs} floats")
        for k, g in enumerate(gradient):
            _float(g, source, f"oracle.gradient[{k}]")


def _float(text: Any, source, field: str) -> float:
    try:
        return hex_float(text, field)
    except ValueError as error:
        raise CorpusError(source, field, str(error).split(": ", 1)[1]) from None


def _case(entry: dict, source) -> Case:
    try:
        expression = Expression.from_json(entry["expression"])
    except ValueError as error:
        field, _, problem = str(error).partition(": ")
        raise CorpusError(source, "expression" + field, problem) from None
    inputs = entry["inputs"]
    if not isinstance(inputs, list) or len(inputs) != expression.n_inputs:
        raise CorpusError(source, "inputs", f"must be a list of {expression.n_inputs} float.hex() strings "
                                            f"(expression.n_inputs), got {inputs!r}")
    return Case(expression, tuple(_float(x, source, f"inputs[{k}]") for k, x in enumerate(inputs)))


def case_from_entry(entry: Any, source: str | os.PathLike | None = None) -> Case:
    """The :class:`Case` an entry stores, after validating the whole entry; ``source`` (the
    file) is named in any :class:`CorpusError`."""
    validate(entry, source)
    return _case(entry, source)


# ----- files -----------------------------------------------------------------------


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def dumps(entry: dict) -> str:
    """JSON text for an entry: one field per line, one expression node per line."""
    lines = []
    for key, value in entry.items():
        if key == "expression" and isinstance(value, dict) and isinstance(value.get("nodes"), list):
            nodes = ",\n".join(f"    {json.dumps(node)}" for node in value["nodes"])
            rest = "".join(f"{json.dumps(k)}: {json.dumps(v)}, " for k, v in value.items() if k != "nodes")
            text = f'{{{rest}"nodes": [\n{nodes}\n  ]}}'
        else:
            text = json.dumps(value)
        lines.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def file_name(entry: dict) -> str:
    """``<check>-<hash12>.json``: the hash covers what is checked, not the note, engine or date (under
    format 1's key for the check, so that a case found again is the same file)."""
    key = {"property": entry["check"], "expression": entry["expression"], "inputs": entry["inputs"]}
    return f"{entry['check']}-{hashlib.sha256(_canonical(key).encode()).hexdigest()[:12]}.json"


def save(entry: dict, directory: str | os.PathLike) -> Path:
    """Write ``entry`` into ``directory`` (created if needed) unless the same case is there
    already; returns the file's path.  Atomic: a temporary file in the same directory,
    then ``os.replace``, so concurrent writers and readers never see half a file."""
    validate(entry, "<entry to save>")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(entry)
    if path.exists():
        return path
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dumps(entry))
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; an entry is for committing
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return path


def load(path: str | os.PathLike) -> dict:
    """One entry, validated; raises :class:`CorpusError` naming ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CorpusError(path, "(file)", f"cannot be read: {error}") from None
    try:
        entry = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorpusError(path, "(file)", f"not valid JSON: {error}") from None
    entry = upgraded(entry)
    validate(entry, path)
    return entry


def upgraded(entry: Any) -> Any:
    """A format 1 entry as format 2 (the check was named "property"); anything else as it is."""
    if isinstance(entry, dict) and entry.get("format") == 1 and "property" in entry and "check" not in entry:
        entry = {("check" if key == "property" else key): value for key, value in entry.items()}
        entry["format"] = FORMAT
    return entry


def load_all(directory: str | os.PathLike) -> list[tuple[Path, dict | CorpusError]]:
    """Every ``*.json`` entry in ``directory`` (sorted by name), each with its parsed entry or
    the :class:`CorpusError` that says why it cannot be used.  A missing directory is empty."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    results: list[tuple[Path, dict | CorpusError]] = []
    for path in sorted(p for p in directory.glob("*.json") if not p.name.startswith(".")):
        try:
            results.append((path, load(path)))
        except CorpusError as error:
            results.append((path, error))
    return results


__all__ = ["CorpusError", "CHECKS", "case_from_entry", "entry_from_case", "file_name", "load", "load_all",
           "save", "validate"]
