"""The ``gradproof`` command: the suite from a shell.

    gradproof check engine.py                 # the class named Value there, or the only engine class
    gradproof check path/to/engine.py:Value   # a file and a class
    gradproof check mypkg.engine:Value        # a module and a class
    gradproof fuzz ...                        # fuzzing campaigns (python -m properties.fuzz)
    gradproof field ...                       # the field report (python -m properties.field)

``check`` runs the quick budget (a few examples per property, no shrinking) in seconds;
``--thorough`` runs the full CI sample.  Exit status: 0 no findings, 1 findings, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from properties.core.config import BUILTIN_ADAPTERS, ConfigError

USAGE = """gradproof check TARGET [options]   verify an engine: engine.py, engine.py:Value or mypkg.engine:Value
gradproof fuzz [options]           fuzzing campaigns; failures go to a regression corpus (fuzz --help)
gradproof field FILE [options]     the suite on published or local engines, one table (field --help)"""


def check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradproof check", usage="gradproof check TARGET [options]",
        description="Verify an engine: one finding per root cause, each with a reproducer.",
        epilog="Exit status: 0 no findings, 1 findings, 2 a usage error.")
    parser.add_argument("target", metavar="TARGET", help="engine.py, engine.py:Value, or mypkg.engine:Value")
    parser.add_argument("--thorough", action="store_true", help="the full CI sample (default: a quick verdict)")
    parser.add_argument("--json", metavar="PATH", help="write the findings as JSON to PATH")
    parser.add_argument("--report", metavar="PATH", help="write an HTML report (findings, accuracy, plots)")
    parser.add_argument("--accuracy", action="store_true", help="show each op's worst error in ulps, per regime")
    parser.add_argument("--ops", metavar="OP,OP", help="verify only these registry ops (e.g. tanh,exp)")
    parser.add_argument("--alias", action="append", default=[], metavar="OP=METHOD",
                        help="op OP is your METHOD, e.g. log=ln (repeatable)")
    parser.add_argument("--value-attr", metavar="NAME", help="where a value keeps its number (default: probed)")
    parser.add_argument("--grad-attr", metavar="NAME", help="where a value keeps its gradient (default: probed)")
    parser.add_argument("--backward", metavar="NAME", help="the method that runs backward (default: probed)")
    parser.add_argument("--adapter", metavar="MOD:CLASS",
                        help=f"an adapter for another shape, or: {', '.join(BUILTIN_ADAPTERS)}")
    parser.add_argument("--not-an-op", action="append", default=[], metavar="NAME",
                        help="a public method that is API, not an op (repeatable)")
    parser.add_argument("--strict-ops", action="store_true",
                        help="a missing operator (2 - x, given x - 2) fails the run")
    parser.add_argument("--seconds", type=float, metavar="N", help="a time budget for the whole run")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage:\n{USAGE}")
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "fuzz":
        from properties.fuzz import main as fuzz

        return fuzz(rest)
    if command == "field":
        from properties.field import main as field

        return field(rest)
    if command != "check":
        print(f"gradproof: no command {command!r}\nusage:\n{USAGE}", file=sys.stderr)
        return 2
    return check(rest)


def check(argv: list[str]) -> int:
    parser = check_parser()
    args = parser.parse_args(argv)
    if args.seconds is not None and not args.seconds > 0:
        parser.error("--seconds must be positive")
    from properties.notebook import verify

    if os.getcwd() not in sys.path:  # mypkg.engine:Value from the current directory, as python -m would
        sys.path.insert(0, os.getcwd())
    try:
        aliases = _aliases(args.alias)
        result = verify(args.target, ops=args.ops.split(",") if args.ops else None, seconds=args.seconds,
                        aliases=aliases, thorough=args.thorough, value_attr=args.value_attr,
                        grad_attr=args.grad_attr, backward=args.backward, adapter=args.adapter,
                        not_ops=args.not_an_op, strict_ops=args.strict_ops, progress=sys.stderr.isatty())
    except ConfigError as error:
        print(f"gradproof check: {error}", file=sys.stderr)
        return 2
    print(f"engine: {result.engine}\nshape: {result.shape}\n"
          f"ops verified ({len(result.verified_ops)}): {', '.join(result.verified_ops) or 'none'}")
    if result.skipped_ops:
        print(f"ops not in this engine ({len(result.skipped_ops)}): {', '.join(result.skipped_ops)}")
    if result.deselected_ops:
        print(f"ops left out by --ops ({len(result.deselected_ops)}): {', '.join(result.deselected_ops)}")
    print("\n".join(result.lines()[1:]))
    print(f"({'thorough' if args.thorough else 'quick'} verdict in {result.seconds:.0f} s"
          + ("" if args.thorough else "; --thorough runs the full CI sample") + ")")
    if args.accuracy:
        print("\naccuracy (worst error in ulps, per op and regime):")
        print("\n".join(result.accuracy.lines()) if result.accuracy else "no one-op case was judged")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result.json, handle, indent=2)
    if args.report:
        print(f"report: {result.report(args.report)}")
    return 0 if result.ok else 1


def _aliases(items: list[str]) -> dict[str, str] | None:
    from properties.core.config import parse_aliases

    return parse_aliases(items) if items else None


if __name__ == "__main__":
    sys.exit(main())
