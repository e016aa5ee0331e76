"""Fuzzing campaigns: the suite's properties, round after round, failures into the corpus.

    python -m properties.fuzz [--engine MODULE:ATTR] [--alias OP=METHOD ...] [--seconds N] [--corpus DIR]
                              [--workers N] [--property NAME ...] [--seed N] [--database DIR|none]
                              [--redis URL] [--replay] [--list]

Runs the suite's case properties (:mod:`properties.catalog`): the random expression DAGs
(``composite``: every check) and the per-op ones (``op-NAME-alone``: the op anywhere in its
domain, every check; ``op-NAME-inside``: the op below the root, gradient and torch checks)
for every op the engine has, under hypothesis
settings like the ``fuzz`` profile (no deadline, example database on, random):
each round visits every property in a shuffled order for a slice of the time,
until ``--seconds`` are up.  ``--property`` takes names or
shell patterns (``'op-sin-*'``, ``'composite-*'``); ``--list`` prints them.

The engine, its aliases and its ops modules resolve as for the pytest plugin
(:mod:`properties.core.config`): options, then ``GRADPROOF_*``, then ``[tool.gradproof]`` in
the current directory's pyproject.toml.

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
import multiprocessing
import os
import queue as queue_module
import sys
import time

from properties.catalog import properties
from properties.core.config import ConfigError, resolve
from properties.runner.campaign import Campaign, redis_database, select, start, worker


# ----- command line ------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m properties.fuzz",
                                     description="Fuzz an engine with the suite's properties; failures go to the corpus.")
    parser.add_argument("--engine", default=None, metavar="MODULE:ATTR",
                        help="the Value class under test (default: $GRADPROOF_ENGINE, [tool.gradproof] engine, "
                             "else engine:Value)")
    parser.add_argument("--alias", dest="aliases", action="append", default=[], metavar="OP=METHOD",
                        help="verify registry op OP through the engine's method METHOD (repeatable; also "
                             "$GRADPROOF_ALIASES and [tool.gradproof] aliases)")
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
        config = resolve({"engine": args.engine, "aliases": args.aliases, "ops_modules": args.ops_modules,
                          "shrink_seconds": args.shrink_seconds or min(300.0, max(10.0, args.seconds / 10))})
        engine = start(config).engine
    except ConfigError as error:
        parser.error(str(error))
    found = properties(engine)
    if args.list:
        print("\n".join(p.name for p in found))
        return 0
    chosen = select(found, args.patterns)
    if not chosen:
        parser.error(f"--property {' '.join(args.patterns or [])} matches none of: "
                     f"{', '.join(p.name for p in found) or '(the engine has no registry ops)'}")
    database = None if args.database.lower() == "none" else args.database
    if args.redis is not None:
        try:
            redis_database(args.redis)
        except ValueError as error:
            parser.error(f"--redis: {error}")
    settings = {
        "config": config, "patterns": args.patterns,
        "database": database, "redis": args.redis, "replay": args.replay,
        "corpus": args.corpus, "seed": args.seed,
        "shrink_seconds": config.shrink_seconds, "deadline": time.time() + args.seconds,
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
            worker(0, settings, campaign.handle)
        else:
            _run_workers(args.workers, settings, campaign)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
    campaign.progress(force=True)
    sys.stderr.write("\n")
    print(campaign.summary())
    return 1 if campaign.failed else 0


def _spawned_worker(index: int, settings: dict, messages) -> None:
    worker(index, settings, messages.put)


def _run_workers(n: int, settings: dict, campaign: Campaign) -> None:
    context = multiprocessing.get_context("spawn")  # torch is not fork-safe
    messages = context.Queue()
    processes = [context.Process(target=_spawned_worker, args=(i, settings, messages), daemon=True) for i in range(n)]
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
