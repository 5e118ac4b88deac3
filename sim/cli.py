"""The ``spikegate`` command line.

Subcommands are registered by the packages that implement them through the entry-point group
``spikegate.commands`` (see ``pyproject.toml``): each entry is a function ``register(subparsers)``
that adds one sub-parser and sets ``func`` on it. This keeps the base package free of imports of
the packages built on top of it.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

from . import __version__


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
        except ImportError as error:  # a subcommand whose module is missing must not break the rest
            subparsers.add_parser(entry.name, help=f"(unavailable: {error})")
            continue
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
