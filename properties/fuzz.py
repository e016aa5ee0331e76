"""Fuzzing campaigns: the suite's properties, round after round, failures into the corpus.

    python -m properties.fuzz [--engine MODULE:ATTR] [--seconds N] [--corpus DIR] [--workers N]
                              [--property NAME ...] [--seed N] [--database DIR|none]
                              [--redis URL] [--replay] [--list]

Runs the composite properties (random expression DAGs: ``composite-forward``,
``composite-gradient``, ``composite-torch``) and the per-op ones (``op-NAME-alone``:
the op anywhere in its domain, every check; ``op-NAME-inside``: the op below the
root, gradient and torch checks) for every op the engine has, under hypothesis
settings like the ``fuzz`` profile (no deadline, example database on, random):
each round visits every property in a shuffled order for a slice of the time,
until ``--seconds`` are up.  ``--property`` takes names or
shell patterns (``'op-sin-*'``, ``'composite-*'``); ``--list`` prints them.

Every failure is shrunk by hypothesis (for at most ``--shrink-seconds``) and saved into the corpus (``corpus/`` by
default) as an entry that ``pytest -m regression`` replays; a property that
failed is retired for the rest of the run (hypothesis' example database replays
it first next time).  ``--workers N`` runs N processes (spawned: torch is not
fork-safe), sharing the corpus directory: entries are written atomically under
content-hash names, so concurrent finds of one case are one file.  ``--seed N``
makes the generation repeatable, but hypothesis ignores its example database
under a fixed seed, so then failures go to the corpus only.

Campaigns on several machines share what they find through hypothesis'
``RedisExampleDatabase``: with ``--redis URL`` every failing example is also
stored in Redis (under the engine's and the property's key), and every
campaign on that engine replays what the others stored before it generates
anything new.  ``--replay`` only replays (no generation, one pass, ``--seconds``
ignored): it pulls what the other machines found into this machine's corpus.

Progress goes to stderr (at most once a second), a summary table at the end.
Exit status: 1 if any failure was found, 0 if none, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import multiprocessing
import os
import queue as queue_module
import random
import sys
import time
import unittest
from dataclasses import dataclass, field
from pathlib import Path

CHECK_NAMES = ("forward", "gradient", "torch")
MAX_CHUNK = 10_000  # examples in one hypothesis run
REDIS_KEY_PREFIX = b"gradproof-example:"
REPLAY_EXAMPLES = 1_000  # at most this many saved examples replayed per property
FIRST_GUESS = 0.1  # seconds per example before a property has been measured


# ----- the properties ----------------------------------------------------------------


@dataclass(frozen=True)
class FuzzProperty:
    name: str
    strategy: object  # a hypothesis strategy of properties.strategies.Case
    checks: tuple[str, ...]  # names in properties.corpus.PROPERTIES, run in this order


def fuzz_properties(engine) -> list[FuzzProperty]:
    """The properties of test_composite.py and test_each_op.py, for the ops ``engine`` has."""
    from properties.strategies import cases, op_cases
    from reference.ops import REGISTRY

    found = []
    if engine.ops:
        composite = cases(ops=engine.ops)
        found += [FuzzProperty(f"composite-{check}", composite, (check,)) for check in CHECK_NAMES]
    has_mul = engine.supports(REGISTRY["mul"])
    for op in engine.ops:
        spec = REGISTRY[op]
        found.append(FuzzProperty(f"op-{op}-alone", op_cases(spec), CHECK_NAMES))
        if has_mul:
            found.append(FuzzProperty(f"op-{op}-inside", op_cases(spec, upstream=True), ("gradient", "torch")))
    return found


def select(properties: list[FuzzProperty], patterns: list[str] | None) -> list[FuzzProperty]:
    if not patterns:
        return properties
    return [p for p in properties if any(fnmatch.fnmatchcase(p.name, pattern) for pattern in patterns)]


# ----- one hypothesis run ------------------------------------------------------------


@dataclass
class Failure:
    property: str
    message: str
    path: str | None  # the corpus entry written, if the failing case was captured


def run_property(prop: FuzzProperty, engine, *, max_examples: int, seed: int | None, database, corpus: Path,
                 on_example, replay: bool = False) -> Failure | None:
    """Run ``prop`` for ``max_examples`` examples (``replay``: only the database's); on a failure,
    save the shrunk case.  A ``seed`` makes the run repeatable; hypothesis then uses no database."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
    from hypothesis import seed as with_seed
    from hypothesis.errors import Unsatisfiable

    from properties.checks import Skip, check_forward, check_gradient, check_torch, oracles
    from properties.corpus import save

    checks = {"forward": check_forward, "gradient": check_gradient, "torch": check_torch}
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
                checks[name](o)
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
    )(given(prop.strategy)(body))
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
        entry = minimal_entry(case, check, o, engine, prop.name, message or type(error).__name__)
        return Failure(prop.name, message, str(save(entry, corpus)))


def minimal_entry(case, check: str, o, engine, property_name: str, message: str) -> dict:
    """The corpus entry for a failure: the minimal case blame found (one op at the engine's own
    operand values, or the small graph a traversal bug shows in), with the expression it was found
    in kept in the note; the failing case itself where blame finds nothing."""
    from properties.blame import blame
    from properties.checks import Skip, oracles
    from properties.corpus import entry_from_case

    where = f"found by python -m properties.fuzz ({property_name}) on {engine.name}"
    try:
        cause = blame(case, engine)
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


def _prepare(config: dict):
    for module in config["ops_modules"]:
        importlib.import_module(module)
    from properties.engine_under_test import select_engine

    return select_engine(config["engine"])


def worker(index: int, config: dict, emit) -> None:
    """Fuzz until ``config["deadline"]`` (a time.time()), reporting through ``emit(message)``."""
    try:
        engine = _prepare(config)
        from properties.shrinking import limit_shrinking

        limit_shrinking(config["shrink_seconds"])
        properties = select(fuzz_properties(engine), config["patterns"])
        database = open_database(config["database"], config["redis"])
        corpus = Path(config["corpus"])
        if config["replay"]:
            replay_all(index, properties, engine, database, corpus, emit)
            return
        rng = random.Random(None if config["seed"] is None else f"{config['seed']}-{index}")  # one per worker
        deadline, slice_seconds = config["deadline"], config["slice"]
        per_example = {p.name: FIRST_GUESS for p in properties}
        active = list(properties)
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

                seed = None if config["seed"] is None else rng.getrandbits(64)
                failure = run_property(prop, engine, max_examples=n, seed=seed, database=database, corpus=corpus,
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


def replay_all(index: int, properties: list[FuzzProperty], engine, database, corpus: Path, emit) -> None:
    """One pass over ``properties`` that only replays what ``database`` holds for them."""
    for prop in properties:
        emit(("start", index, prop.name))
        replayed: list[None] = []
        start = time.time()
        failure = run_property(prop, engine, max_examples=REPLAY_EXAMPLES, seed=None, database=database, corpus=corpus,
                               on_example=lambda: replayed.append(None), replay=True)
        emit(("examples", index, prop.name, len(replayed), time.time() - start))
        if failure is not None:
            emit(("failure", index, failure.property, failure.path, failure.message))


def _spawned_worker(index: int, config: dict, messages) -> None:
    worker(index, config, messages.put)


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


# ----- command line ------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m properties.fuzz",
                                     description="Fuzz an engine with the suite's properties; failures go to the corpus.")
    parser.add_argument("--engine", default=None, metavar="MODULE:ATTR",
                        help="the Value class under test (default: $GRADPROOF_ENGINE, else engine:Value)")
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to fuzz (default 180)")
    parser.add_argument("--corpus", default="corpus", metavar="DIR",
                        help="where failures are saved (default: corpus/ in the current directory, which "
                             "pytest -m regression replays when run from there)")
    parser.add_argument("--workers", type=int, default=1, help="processes fuzzing side by side (default 1)")
    parser.add_argument("--property", dest="patterns", action="extend", nargs="+", metavar="NAME",
                        help="only these properties (names or shell patterns; see --list)")
    parser.add_argument("--seed", type=int, default=None,
                        help="repeatable generation from this seed; hypothesis then ignores its example "
                             "database (default: random, database on)")
    parser.add_argument("--database", default=os.path.join(".hypothesis", "examples"), metavar="DIR|none",
                        help="hypothesis' example database (default .hypothesis/examples, as pytest uses)")
    parser.add_argument("--redis", default=None, metavar="URL",
                        help="also share failing examples through Redis (redis://host:port/db), "
                             "with every campaign that uses the same URL")
    parser.add_argument("--replay", action="store_true",
                        help="only replay the examples the database holds (e.g. what other machines "
                             "stored in --redis), saving failures to the corpus; one pass, no generation")
    parser.add_argument("--ops-module", dest="ops_modules", action="append", default=[], metavar="MODULE",
                        help="import MODULE first: it registers specs for a downstream engine's ops")
    parser.add_argument("--shrink-seconds", type=float, default=None, metavar="N",
                        help="stop shrinking a failure after N s (default: a tenth of --seconds, 10 to 300)")
    parser.add_argument("--list", action="store_true", help="list the properties and exit")
    args = parser.parse_args(argv)
    if not args.seconds > 0:
        parser.error("--seconds must be positive")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.seed is not None and (args.replay or args.redis):
        parser.error("--seed does not mix with --replay or --redis: hypothesis ignores its database under a fixed seed")
    if args.replay and args.database.lower() == "none" and args.redis is None:
        parser.error("--replay needs a database to replay: --database DIR or --redis URL")
    args.parser = parser
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parser = args.parser
    try:
        engine = _prepare({"ops_modules": args.ops_modules, "engine": args.engine})
    except ImportError as error:
        parser.error(f"--ops-module: {error}")
    except ValueError as error:  # EngineSpecError
        parser.error(f"--engine: {error}")
    properties = fuzz_properties(engine)
    if args.list:
        print("\n".join(p.name for p in properties))
        return 0
    chosen = select(properties, args.patterns)
    if not chosen:
        parser.error(f"--property {' '.join(args.patterns or [])} matches none of: "
                     f"{', '.join(p.name for p in properties) or '(the engine has no registry ops)'}")
    database = None if args.database.lower() == "none" else args.database
    if args.redis is not None:
        try:
            redis_database(args.redis)
        except ValueError as error:
            parser.error(f"--redis: {error}")
    config = {
        "engine": engine.name, "ops_modules": args.ops_modules, "patterns": args.patterns,
        "database": database, "redis": args.redis, "replay": args.replay,
        "corpus": args.corpus, "seed": args.seed,
        "shrink_seconds": args.shrink_seconds or min(300.0, max(10.0, args.seconds / 10)), "deadline": time.time() + args.seconds,
        # each property gets a slice of about 1/2 of its share of the time per round, 1 s to 60 s
        "slice": min(60.0, max(1.0, args.seconds * args.workers / (2 * len(chosen)))),
    }
    campaign = Campaign([p.name for p in chosen], None if args.replay else args.seconds)
    shared = f", shared through {args.redis}" if args.redis else ""
    if args.replay:
        sys.stderr.write(f"replaying the saved examples of {len(chosen)} properties on {engine.name}{shared}, "
                         f"corpus {args.corpus}\n")
    else:
        sys.stderr.write(f"fuzzing {engine.name}: {len(chosen)} properties, {args.seconds:.0f}s, "
                         f"{args.workers} worker(s), " + ("" if args.seed is None else f"seed {args.seed}, ")
                         + f"corpus {args.corpus}{shared}\n")
    try:
        if args.workers == 1 or args.replay:
            worker(0, config, campaign.handle)
        else:
            _run_workers(args.workers, config, campaign)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
    campaign.progress(force=True)
    sys.stderr.write("\n")
    print(campaign.summary())
    return 1 if campaign.failed else 0


def _run_workers(n: int, config: dict, campaign: Campaign) -> None:
    context = multiprocessing.get_context("spawn")  # torch is not fork-safe
    messages = context.Queue()
    processes = [context.Process(target=_spawned_worker, args=(i, config, messages), daemon=True) for i in range(n)]
    for process in processes:
        process.start()
    done = set()
    try:
        while len(done) < n:
            try:
                message = messages.get(timeout=0.5)
            except queue_module.Empty:
                dead = [i for i, p in enumerate(processes) if not p.is_alive() and i not in done]
                for i in dead:  # exited without saying so (killed): count it as done
                    if processes[i].exitcode not in (0, None):
                        campaign.handle(("error", i, f"exited with status {processes[i].exitcode}"))
                    done.add(i)
                campaign.progress()
                continue
            if message[0] == "done":
                done.add(message[1])
            campaign.handle(message)
        while True:  # what a worker sent just before it exited
            try:
                campaign.handle(messages.get(timeout=0.5))
            except queue_module.Empty:
                break
    finally:
        for process in processes:
            process.join(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
