"""How a user's mistake reaches the command line: one exception type and one way to report it.

The library checks its inputs where they are used and raises ``ValueError`` / ``TypeError`` naming the
field, the value and the limit (:mod:`spikegate.sim.checks`). The command line reads files and options
given by a person; around each such step it names *what* it was reading::

    with user_input(args.config):                 # a path or an option, e.g. "--sensor"
        config = XyloConfig.load(args.config)

and any ``ValueError``, ``TypeError`` or ``OSError`` raised inside becomes a :class:`UserError` whose message
starts with that name. :func:`spikegate.sim.cli.main` prints a :class:`UserError` as the single line
``spikegate <command>: <message>`` on stderr and exits with status 2 (``--debug`` or ``SPIKEGATE_DEBUG=1``
shows the traceback instead). Anything else that escapes a command is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

#: Exit status of a command refused because of the user's input (as argparse uses for bad options).
USER_ERROR_STATUS = 2


class UserError(Exception):
    """A mistake in what the user gave (a file, an option or a field of a file): the message says what
    was wrong, names the file/option/field, its value and what was expected. The CLI prints it on one
    line and exits with :data:`USER_ERROR_STATUS`."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe(error: BaseException) -> str:
    """A one-line reason for an exception met while reading a user's input."""
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    if isinstance(error, FileNotFoundError):
        return "no such file or folder"
    if isinstance(error, IsADirectoryError):
        return "is a folder, expected a file"
    if isinstance(error, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, OSError) and error.strerror:
        return _one_line(error.strerror)
    if isinstance(error, UnicodeDecodeError):
        return "not a text file (cannot be decoded as UTF-8)"
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}" if error.args else "a field is missing"
    return _one_line(error)


@contextmanager
def user_input(what: str | os.PathLike | None):
    """Turn a ``ValueError``, ``TypeError``, ``KeyError`` or ``OSError`` raised while reading or checking
    ``what`` (a file path or an option name) into a :class:`UserError` that starts with ``what`` (``None``,
    or a message that starts with it already: the message names what was wrong)."""
    try:
        yield
    except UserError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = describe(error)
        if what is not None and not message.startswith(f"{os.fspath(what)}: "):  # else it names ``what`` already
            message = f"{os.fspath(what)}: {message}"
        raise UserError(message) from error


def load_array(path: str | os.PathLike, what: str | None = None) -> np.ndarray:
    """A ``.npy`` array from a user's file (no pickled objects), errors naming the file."""
    path = Path(path)
    with user_input(what or path):
        if path.suffix != ".npy":
            raise ValueError(f"expected a .npy file (numpy.save), got {path.suffix or 'no suffix'!r}")
        try:
            array = np.load(path, allow_pickle=False)
        except (EOFError, SyntaxError, zipfile.BadZipFile) as error:  # a damaged header or no data after it
            raise ValueError(f"not a .npy file numpy can read ({_one_line(error) or type(error).__name__})") from None
        if not isinstance(array, np.ndarray):
            array.close()
            raise ValueError("an .npz archive, expected a .npy array (numpy.save)")
        return array


def load_json(path: str | os.PathLike) -> dict:
    """A JSON object from a user's file, errors naming the file."""
    with user_input(path):
        doc = json.loads(Path(path).read_text())
        if not isinstance(doc, dict):
            raise ValueError(f"expected a JSON object, got a JSON {type(doc).__name__}")
        return doc


def positive_ints(option: str, text: str, form: str) -> tuple[int, ...]:
    """An option's comma-separated positive integers, as many as ``form`` names (e.g. "W,H,P")."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != len(form.split(",")) or min(values) < 1:
        raise UserError(f"{option}: value {text!r} is not {form} ({len(form.split(','))} positive integers "
                        f"separated by commas)")
    return values
