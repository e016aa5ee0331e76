"""Replays the regression corpus: every entry, on the engine under test, deterministically
(no hypothesis).  The entries are the suite's known traps (``properties/traps/``, installed
with the suite), the project's ``corpus/`` directory if it has one (where
``python -m properties.fuzz`` saves what it finds), and every ``--corpus=DIR``.

    pytest -m regression                          # the known traps and ./corpus on engine:Value
    pytest -m regression --engine mypkg:Value --corpus my-corpus/

Each entry names the check it guards (forward, gradient or torch); an op the
engine lacks, or a point where nothing can be judged, is a skip.  An entry that
does not parse fails, and the message names its file.  See properties/core/corpus.py
for the format and ``python -m properties.fuzz`` for how entries are found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from properties.core.checks import CHECKS, CheckFailure, Skip, judge
from properties.core.config import Config
from properties.core.corpus import CorpusError, case_from_entry, load_all
from properties.core.session import active
from reference.ops import REGISTRY

pytestmark = pytest.mark.regression


TRAPS = Path(__file__).resolve().parent / "traps"


def corpus_directories(config: Config) -> list[Path]:
    """The known traps, the project's corpus/ if present, then each --corpus DIR (each once)."""
    directories = [TRAPS]
    if (config.root / "corpus").is_dir():
        directories.append(config.root / "corpus")
    for directory in config.corpus:
        path = Path(directory).resolve()
        if path not in directories:
            directories.append(path)
    return directories


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "corpus_entry" not in metafunc.fixturenames:
        return
    params = []
    for directory in corpus_directories(active().config):
        params += _entries(directory)
    metafunc.parametrize("corpus_entry", params)


def _entries(directory: Path) -> list:
    params = []
    if not directory.is_dir():
        problem = CorpusError(directory, "(directory)", "no such directory (--corpus)")
        return [pytest.param((directory, problem), id=directory.name or str(directory), marks=pytest.mark.op("*"))]
    prefix = "" if directory == TRAPS else f"{directory.name}/"
    for path, entry in load_all(directory):
        if isinstance(entry, CorpusError):
            marks = pytest.mark.op("*")  # a broken file shows whatever --op says
        else:
            marks = pytest.mark.op(*sorted(case_from_entry(entry, path).expression.ops()) or ["*"])
        params.append(pytest.param((path, entry), id=prefix + path.name, marks=marks))
    return params


def test_corpus_entry(engine, corpus_entry):
    """The case of one corpus entry passes the check it names."""
    __tracebackhide__ = True  # the report says it all
    path, entry = corpus_entry
    if isinstance(entry, CorpusError):
        pytest.fail(f"corpus entry does not parse: {entry}", pytrace=False)
    case = case_from_entry(entry, path)
    missing = sorted(op for op in case.expression.ops() if not engine.supports(REGISTRY[op]))
    if missing:
        pytest.skip(f"{engine.name} lacks {', '.join(REGISTRY[op].method for op in missing)}")
    try:
        judge(case, engine, CHECKS[entry["check"]])
    except Skip as skip:
        pytest.skip(skip.reason)
    except CheckFailure as failure:
        raise CheckFailure(f"corpus entry {path}\nnote: {entry['note']}\n\n{failure}", label=failure.label,
                           case=failure.case, engine=failure.engine, mismatch=failure.mismatch,
                           raised=failure.raised) from None
