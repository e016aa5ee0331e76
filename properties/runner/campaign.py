"""Fuzzing campaigns: the suite's case properties, round after round, failures into the corpus.

The machinery behind ``python -m properties.fuzz`` (the door, with its options): one hypothesis
run of a property (:func:`run_property`), a worker that visits every property in a shuffled order
for a slice of the time until the campaign's time is up (:func:`worker`), and the campaign's
progress and summary (:class:`Campaign`).  The properties are the catalog's
(:func:`properties.catalog.properties`); the engine comes from the one configuration.
"""

from __future__ import annotations

import os
import random
import sys
import time
import unittest
from dataclasses import dataclass, field
from pathlib import Path

from properties.catalog import Property, properties
from properties.core.config import Config
from properties.core.engine_under_test import from_config
from properties.core.session import Run
from properties.diagnosis.causes import Symptom

MAX_CHUNK = 10_000  # examples in one hypothesis run
REDIS_KEY_PREFIX = b"gradproof-example:"
REPLAY_EXAMPLES = 1_000  # at most this many saved examples replayed per property
FIRST_GUESS = 0.1  # seconds per example before a property has been measured


def select(found: list[Property], patterns: list[str] | None) -> list[Property]:
    """The properties whose names match any of ``patterns`` (shell patterns), or all of them."""
    import fnmatch

    if not patterns:
        return found
    return [p for p in found if any(fnmatch.fnmatchcase(p.name, pattern) for pattern in patterns)]


# ----- one hypothesis run ------------------------------------------------------------


@dataclass
class Failure:
    property: str
    message: str
    path: str | None  # the corpus entry written, if the failing case was captured


def run_property(prop: Property, run: Run, *, max_examples: int, seed: int | None, database, corpus: Path,
                 on_example, replay: bool = False) -> Failure | None:
    """Run ``prop`` for ``max_examples`` examples (``replay``: only the database's); on a failure,
    save the shrunk case.  A ``seed`` makes the run repeatable; hypothesis then uses no database."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import seed as with_seed
    from hypothesis.errors import Unsatisfiable

    from properties.core.checks import CHECKS, Skip, oracles
    from properties.core.corpus import save

    engine = run.engine
    last: dict = {}

    def body(case):
        last["failing"] = None
        on_example()
        try:
            o = oracles(case, engine)
        except Skip:
            reject()
        for name in prop.checks:
            try:
                CHECKS[name](o)
            except BaseException:
                last["failing"] = (case, name, o)  # hypothesis replays the minimal failing example last
                raise

    # One database key per engine and property: a machine fuzzing another engine, on which a saved
    # example passes, must not delete it from a shared database.
    body._hypothesis_internal_add_digest = f"gradproof.fuzz:{engine.name}:{prop.name}".encode()
    test = settings(
        max_examples=max_examples, deadline=None, derandomize=False, database=database,
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
        verbosity=Verbosity.quiet, phases=(Phase.reuse, Phase.shrink) if replay else tuple(Phase),
    )(given(prop.cases(run))(body))
    try:
        (test if seed is None else with_seed(seed)(test))()
        return None
    except Unsatisfiable:
        return None  # every example was skipped: nothing to judge, nothing wrong
    except unittest.SkipTest:
        return None  # replay only, and the database holds nothing for this property
    except Exception as error:  # a CheckFailure, or anything else the checks or the engine raised
        message = str(error) or type(error).__name__
        captured = last.get("failing")
        if captured is None:
            return Failure(prop.name, f"{type(error).__name__} outside the checks: {message}", None)
        case, check, o = captured
        entry = minimal_entry(case, check, o, engine, prop.name, message or type(error).__name__, Symptom.of(error))
        return Failure(prop.name, message, str(save(entry, corpus)))


def minimal_entry(case, check: str, o, engine, property_name: str, message: str, symptom: Symptom | None = None) -> dict:
    """The corpus entry for a failure: the minimal case blame found (one op at the engine's own
    operand values, or the small graph a traversal bug shows in), with the expression it was found
    in kept in the note; the failing case itself where blame finds nothing."""
    from properties.core.checks import Skip, oracles
    from properties.core.corpus import entry_from_case
    from properties.diagnosis.blame import blame

    where = f"found by python -m properties.fuzz ({property_name}) on {engine.name}"
    try:
        cause = blame(case, engine, symptom)
    except Exception:  # blame must never lose a finding
        cause = None
    if cause is not None and cause.case is not None:  # (shrinking may have reached the minimal case itself)
        try:
            minimal = o if cause.case == case else oracles(cause.case, engine)
        except Skip:
            minimal = None
        found_in = f"{case.expression.source()}\n# at {list(case.inputs)!r}"
        note = f"{where}: {cause.summary}\nfound in:\n{found_in}"
        return entry_from_case(cause.case, cause.check, engine.name, oracles=minimal, note=note)
    headline = message.splitlines()[0] if message else "failure"
    return entry_from_case(case, check, engine.name, oracles=o, note=f"{where}: {headline}")


def open_database(directory: str | None, redis_url: str | None):
    """Hypothesis' example database for a campaign: the local directory, Redis, both or none."""
    from hypothesis.database import DirectoryBasedExampleDatabase, MultiplexedDatabase

    databases = []
    if directory is not None:
        databases.append(DirectoryBasedExampleDatabase(directory))
    if redis_url is not None:
        databases.append(redis_database(redis_url))
    if len(databases) > 1:
        return MultiplexedDatabase(*databases)
    return databases[0] if databases else None


def redis_database(url: str):
    """A ``RedisExampleDatabase`` at ``url`` (``redis://host:port/db``); ValueError if it is unusable."""
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise ValueError("needs the redis package: pip install redis") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10)
        client.ping()
    except (ValueError, redis.RedisError) as error:
        raise ValueError(f"cannot reach Redis at {url}: {error}") from None
    return RedisExampleDatabase(client, key_prefix=REDIS_KEY_PREFIX)


# ----- a worker: rounds until the time is up ------------------------------------------


def start(config: Config) -> Run:
    """The campaign's run: the engine the configuration names (the properties draw their cases for
    it directly: nothing is made active)."""
    return Run(config, from_config(config))


def worker(index: int, settings: dict, emit) -> None:
    """Fuzz until ``settings["deadline"]`` (a time.time()), reporting through ``emit(message)``."""
    try:
        run = start(settings["config"])
        from properties.core.shrinking import limit_shrinking

        limit_shrinking(settings["shrink_seconds"])
        chosen = select(properties(run.engine), settings["patterns"])
        database = open_database(settings["database"], settings["redis"])
        corpus = Path(settings["corpus"])
        if settings["replay"]:
            replay_all(index, chosen, run, database, corpus, emit)
            return
        rng = random.Random(None if settings["seed"] is None else f"{settings['seed']}-{index}")  # one per worker
        deadline, slice_seconds = settings["deadline"], settings["slice"]
        per_example = {p.name: FIRST_GUESS for p in chosen}
        active = list(chosen)
        while active and time.time() < deadline:
            order = active[:]
            rng.shuffle(order)
            for prop in order:
                remaining = deadline - time.time()
                if remaining <= 0:
                    break
                budget = min(slice_seconds, remaining)
                n = max(1, min(MAX_CHUNK, int(budget / per_example[prop.name])))
                emit(("start", index, prop.name))
                counter = {"n": 0, "sent": 0, "t": time.time(), "sent_t": time.time()}

                def on_example(counter=counter, name=prop.name):
                    counter["n"] += 1
                    now = time.time()
                    if now - counter["sent_t"] >= 0.25:
                        emit(("examples", index, name, counter["n"] - counter["sent"], now - counter["sent_t"]))
                        counter["sent"], counter["sent_t"] = counter["n"], now

                seed = None if settings["seed"] is None else rng.getrandbits(64)
                failure = run_property(prop, run, max_examples=n, seed=seed, database=database, corpus=corpus,
                                       on_example=on_example)
                now = time.time()
                emit(("examples", index, prop.name, counter["n"] - counter["sent"], now - counter["sent_t"]))
                if counter["n"]:
                    per_example[prop.name] = max(1e-4, (now - counter["t"]) / counter["n"])
                if failure is not None:
                    emit(("failure", index, failure.property, failure.path, failure.message))
                    active.remove(prop)
    except KeyboardInterrupt:
        pass
    except BaseException as error:  # a worker must always say it is done
        emit(("error", index, f"{type(error).__name__}: {error}"))
    finally:
        emit(("done", index))


def replay_all(index: int, chosen: list[Property], run: Run, database, corpus: Path, emit) -> None:
    """One pass over ``chosen`` that only replays what ``database`` holds for them."""
    for prop in chosen:
        emit(("start", index, prop.name))
        replayed: list[None] = []
        start = time.time()
        failure = run_property(prop, run, max_examples=REPLAY_EXAMPLES, seed=None, database=database, corpus=corpus,
                               on_example=lambda: replayed.append(None), replay=True)
        emit(("examples", index, prop.name, len(replayed), time.time() - start))
        if failure is not None:
            emit(("failure", index, failure.property, failure.path, failure.message))


# ----- the parent: progress and summary ------------------------------------------------


@dataclass
class Stats:
    examples: int = 0
    failures: int = 0
    seconds: float = 0.0
    entries: set = field(default_factory=set)


class Campaign:
    def __init__(self, names: list[str], seconds: float | None, out=sys.stderr):
        self.stats = {name: Stats() for name in names}
        self.running: dict[int, str] = {}
        self.errors: list[str] = []
        self.start, self.seconds, self.out = time.time(), seconds, out
        self.last_print = 0.0
        self.tty = out.isatty()

    def handle(self, message) -> None:
        kind, index = message[0], message[1]
        if kind == "start":
            self.running[index] = message[2]
        elif kind == "examples":
            stats = self.stats[message[2]]
            stats.examples += message[3]
            stats.seconds += message[4]
        elif kind == "failure":
            _, _, name, path, text = message
            stats = self.stats[name]
            stats.failures += 1
            if path:
                stats.entries.add(path)
            self._line(f"FAILURE in {name} (worker {index})" + (f", saved to {path}" if path else "") + f"\n{text}\n")
        elif kind == "error":
            self.errors.append(f"worker {index}: {message[2]}")
            self._line(f"worker {index} stopped: {message[2]}")
        elif kind == "done":
            self.running.pop(index, None)
        self.progress()

    def _line(self, text: str) -> None:
        self.out.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.out.flush()

    def progress(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self.last_print < (1.0 if self.tty else 10.0):
            return
        self.last_print = now
        total = sum(s.examples for s in self.stats.values())
        failures = sum(s.failures for s in self.stats.values())
        now_running = "; ".join(
            f"{name}: {self.stats[name].examples} ex, {self.stats[name].failures} fail, {self.stats[name].seconds:.0f}s"
            for name in sorted(set(self.running.values())))
        clock = f"{now - self.start:5.0f}s" + ("" if self.seconds is None else f"/{self.seconds:.0f}s")
        text = (f"[{clock}] {total} examples, {failures} failure(s)"
                + (f" | {now_running}" if now_running else ""))
        if self.tty:
            self.out.write("\r\033[K" + text[: max(20, os.get_terminal_size(self.out.fileno()).columns - 1)])
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def summary(self) -> str:
        rows = [("property", "examples", "failures", "seconds", "corpus entries")]
        for name, s in self.stats.items():
            rows.append((name, str(s.examples), str(s.failures), f"{s.seconds:.1f}", ", ".join(sorted(
                Path(p).name for p in s.entries)) or "-"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["", "fuzzing summary", ""]
        for r in rows:
            lines.append("  ".join([r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in (1, 2, 3)] + [r[4]]))
        total = sum(s.examples for s in self.stats.values())
        failures = sum(s.failures for s in self.stats.values())
        lines += ["", f"{total} examples in {time.time() - self.start:.0f}s; {failures} failure(s)"]
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)

    @property
    def failed(self) -> bool:
        return any(s.failures for s in self.stats.values()) or bool(self.errors)
