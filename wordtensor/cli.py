"""The ``wordtensor`` command line.

Sub-commands are registered by each package through the ``wordtensor.commands`` entry-point
group (a function ``register(subparsers)``), so this module never imports the packages built on
top of it. Bad input prints one line on stderr and exits with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from .errors import WordTensorError
from .storage import dumps

__all__ = ["main", "build_parser", "emit", "UsageError"]


class UsageError(WordTensorError):
    """A bad command-line argument.

    The parser raises it instead of printing usage and exiting; :func:`main` turns it into one
    line on stderr and exit code 2.

    >>> build_parser().parse_args(["info"])
    Traceback (most recent call last):
    ...
    wordtensor.cli.UsageError: wordtensor info: the following arguments are required: spec
    >>> isinstance(UsageError("x"), WordTensorError)
    True
    """


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def emit(args: argparse.Namespace, data: dict, text: Callable[[dict], str]) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else ``text(data)``.

    The JSON is strict: NaN and infinities become ``null``.

    >>> def text(d):
    ...     return f"order {d['order']}"
    >>> emit(argparse.Namespace(json=False), {"order": 6, "gap": float("nan")}, text)
    order 6
    >>> emit(argparse.Namespace(json=True), {"order": 6, "gap": float("nan")}, text)
    {
      "order": 6,
      "gap": null
    }
    """
    if getattr(args, "json", False):
        print(dumps(data))
    else:
        print(text(data))


def build_parser() -> argparse.ArgumentParser:
    """The ``wordtensor`` argument parser, with the sub-commands of every installed package.

    >>> args = build_parser().parse_args(["tensor", "S3", "[x,y]", "--json"])
    >>> args.command, args.spec, args.word, args.json
    ('tensor', 'S3', '[x,y]', True)
    >>> build_parser().parse_args(["info", "Q8"]).labels
    False
    """
    parser = _Parser(prog="wordtensor", description=__doc__.splitlines()[0].strip("`. "))
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from . import commands

    commands.register(sub)
    for ep in sorted(entry_points(group="wordtensor.commands"), key=lambda e: e.name):
        if ep.value == "wordtensor.commands:register":
            continue
        ep.load()(sub)
    return parser


def _version() -> str:
    from . import __version__

    return f"wordtensor {__version__}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wordtensor`` console script; returns the exit code.

    >>> main(["info", "S3"])
    group            S3
    order            6
    classes          3  (sizes [1, 3, 2])
    exponent         6
    abelian          no
    centre order     1
    derived subgroup 3
    element orders   1: 1, 2: 3, 3: 2
    0
    >>> main(["info", "Z4", "--json"])  # doctest: +ELLIPSIS
    {
      "name": "Z4",
      "order": 4,
      ...
      "abelian": true,
      ...
    0

    Bad input prints one line on stderr (not shown here) and returns 2:

    >>> main(["info", "Q7"])
    2
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except (WordTensorError, MemoryError) as exc:
        msg = " ".join(str(exc).split())
        print(f"wordtensor: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("wordtensor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
