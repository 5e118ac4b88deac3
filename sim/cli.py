"""The ``spikegate`` command line.

Subcommands are registered by the packages that implement them through the entry-point group
``spikegate.commands`` (see ``pyproject.toml``): each entry is a function ``register(subparsers)``
that adds one sub-parser and sets ``func`` on it. This keeps the base package free of imports of
the packages built on top of it.
"""

from __future__ import annotations

import argparse
import functools
import sys
from importlib.metadata import entry_points

from . import __version__
from .extras import MissingExtra


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spikegate",
        description="Bit-exact emulators of the Xylo and DYNAP-CNN neuromorphic cores.",
    )
    parser.add_argument("--version", action="version", version=f"spikegate {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for entry in sorted(entry_points(group="spikegate.commands"), key=lambda e: e.name):
        try:
            register = entry.load()
        except ImportError as error:  # a subcommand whose extra is not installed must not break the rest
            unavailable = subparsers.add_parser(entry.name, help=f"(unavailable: {error})")
            unavailable.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            unavailable.set_defaults(func=functools.partial(_unavailable, entry.name, error))
            continue
        register(subparsers)
    return parser


def _unavailable(command: str, error: ImportError, args) -> int:
    print(f"spikegate {command}: {error}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MissingExtra as error:  # a part used without its optional dependency: one line, not a traceback
        print(f"spikegate {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
