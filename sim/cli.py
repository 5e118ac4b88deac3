"""The ``spikegate`` command line.

Subcommands are registered by the packages that implement them through the entry-point group
``spikegate.commands`` (see ``pyproject.toml``): each entry is a function ``register(subparsers)``
that adds one sub-parser and sets ``func`` on it. This keeps the base package free of imports of
the packages built on top of it.

Errors take one path (:mod:`spikegate.sim.errors`): a bad option or a :class:`UserError` raised by a
command prints ``spikegate <command>: <message>`` on one line to stderr and exits with status 2;
``--debug`` (anywhere on the line) or ``SPIKEGATE_DEBUG=1`` shows the traceback instead. A closed
pipe (``spikegate trace diff a b | head -2``) ends quietly. Every command also takes ``--no-progress``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from importlib.metadata import entry_points

from . import __version__, progress
from .errors import USER_ERROR_STATUS, UserError
from .extras import MissingExtra

DEBUG_ENV = "SPIKEGATE_DEBUG"
#: Exit status after the reader of stdout went away (as a shell reports a process ended by SIGPIPE).
BROKEN_PIPE_STATUS = 141


def plain(text: str | None) -> str | None:
    """Help text without reStructuredText markup: ``code`` and :role:`~a.b.name` become code and name."""
    if text is None:
        return None
    text = re.sub(r":[a-z]+:`~[\w.]*?\.?(\w+)`", r"\1", text)
    text = re.sub(r":[a-z]+:`([^`]+)`", r"\1", text)
    return text.replace("``", "")


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are :class:`UserError` s, whose descriptions keep their lines
    (examples stay one per line) and lose their markup, and whose commands all take ``--no-progress``
    and ``--debug``."""

    def __init__(self, *args, **kwargs):
        kwargs["formatter_class"] = argparse.RawDescriptionHelpFormatter
        kwargs["description"] = plain(kwargs.get("description"))
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        error = UserError(f"{message} (see {self.prog} --help)")
        error.prog = self.prog
        raise error

    def set_defaults(self, **kwargs) -> None:
        if "func" in kwargs:  # a command: name it in its errors, and give it the options every command has
            kwargs.setdefault("prog", self.prog)
            dests = {action.dest for action in self._actions}
            if "no_progress" not in dests:
                self.add_argument("--no-progress", action="store_true", help="no progress bars")
            self.add_argument("--debug", action="store_true",
                              help=f"show the traceback of an error (or set {DEBUG_ENV}=1)")
        super().set_defaults(**kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
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
            unavailable.set_defaults(func=functools.partial(_unavailable, error))
            continue
        register(subparsers)
    return parser


def _unavailable(error: ImportError, args) -> int:
    raise UserError(str(error))


def _one_line_warnings(prog: str) -> None:
    """Warnings (e.g. a layer the converter drops) as one line each: ``spikegate <command>: warning: ...``."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{prog}: warning: {message}", file=file or sys.stderr)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    parser = build_parser()
    prog = parser.prog
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return USER_ERROR_STATUS
        prog = args.prog
        progress.configure(not args.no_progress)
        _one_line_warnings(prog)
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        return status
    except (UserError, MissingExtra) as error:  # MissingExtra: a part used without its optional dependency
        if debug:
            raise
        print(f"{getattr(error, 'prog', prog)}: {error}", file=sys.stderr)
        return USER_ERROR_STATUS
    except BrokenPipeError:
        # the reader went away (``| head``): stop quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_STATUS
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
