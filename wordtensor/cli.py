"""The ``wordtensor`` command line.

Sub-commands are registered by each package through the ``wordtensor.commands`` entry-point
group (a function ``register(subparsers)``), so this module never imports the packages built on
top of it. The core commands (``info``, ``tensor``) are always there; the other packages are
loaded only as far as the command asked for needs (all of them for ``--help`` or an unknown
command), so a command never pays for the imports of another package's commands. Every
sub-command takes ``--max-memory`` and ``--max-seconds``, the limits of the size model
(:mod:`wordtensor.sizes`).

Exit codes (:data:`EXIT_CODES`): 0 done; 2 bad input or a refusal (one line on stderr,
``wordtensor: error: …``, no traceback); 3 a training run whose every instance diverged (its
results are written; one line on stderr); 130 interrupted (Ctrl-C). Anything else, with a
traceback, is a bug.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__, commands, sizes
from .cli_common import emit  # noqa: F401  (plug-ins import it from here too)
from .errors import UsageError, WordTensorError
from .validate import byte_size, cli_type, positive_float

__all__ = ["main", "build_parser", "EXIT_CODES"]

#: The exit code of a training command whose every instance diverged.
EXIT_DIVERGED = 3
#: What each exit code of ``wordtensor`` means (README, "Exit codes").
EXIT_CODES = {0: "done", 2: "bad input or a refusal (one line on stderr)",
              3: "every instance of a training run diverged (results written)",
              130: "interrupted"}

#: The entry-point group each package registers its sub-commands in, and the core's entry.
ENTRY_POINTS = "wordtensor.commands"
CORE = "wordtensor.commands:register"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise UsageError(f"{self.prog}: {message}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``wordtensor`` argument parser, with the sub-commands of every installed package; or,
    given ``command``, with those of the packages up to the one that registers it.

    >>> args = build_parser().parse_args(["tensor", "S3", "[x,y]", "--json"])
    >>> args.command, args.spec, args.word, args.json
    ('tensor', 'S3', '[x,y]', True)
    >>> build_parser().parse_args(["info", "Q8"]).labels
    False
    >>> "characters" in build_parser().format_help()        # fusion's commands too
    True
    >>> "characters" in build_parser("info").format_help()  # the core is enough for info
    False
    """
    parser = _Parser(prog="wordtensor", description=__doc__.splitlines()[0].strip("`. "))
    parser.add_argument("--version", action="version", version=f"wordtensor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.register(sub)
    if command is None or command not in sub.choices:
        for register in _plugins():
            register(sub)
            if command is not None and command in sub.choices:
                break
    for p in dict.fromkeys(sub.choices.values()):  # aliases share a parser
        _add_limits(p)
    return parser


def _add_limits(p: argparse.ArgumentParser) -> None:
    """``--max-memory`` and ``--max-seconds`` on a sub-command (once)."""
    if any("--max-memory" in a.option_strings for a in p._actions):
        return
    g = p.add_argument_group("limits of the size model (wordtensor.sizes)")
    g.add_argument("--max-memory", type=cli_type(byte_size), default=None, metavar="SIZE",
                   help="refuse a job estimated to need more memory, e.g. 8G (default: "
                        "WORDTENSOR_MAX_MEMORY, else 3/4 of the available memory)")
    g.add_argument("--max-seconds", type=cli_type(positive_float), default=None, metavar="S",
                   help="refuse a job estimated to take longer (default: "
                        "WORDTENSOR_MAX_SECONDS, else 4 hours)")


def _plugins():
    """The ``register`` functions of the other installed packages, in the order of their
    entry-point names, each imported only when the loop above asks for it."""
    from importlib.metadata import entry_points  # 25-65 ms; not needed by the core commands

    for ep in sorted(entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        if ep.value != CORE:
            yield ep.load()


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
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # the top-level parser takes no option with a value: the first word is the command
        parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            return _error("no command given: choose one of "
                          f"{', '.join(parser._subparsers._group_actions[0].choices)} "
                          "('wordtensor --help' says what each does)")
        with sizes.limits(max_memory=getattr(args, "max_memory", None),
                          max_seconds=getattr(args, "max_seconds", None)):
            return int(args.func(args) or 0)
    except (WordTensorError, MemoryError) as exc:
        return _error(exc)
    except KeyboardInterrupt:
        print("wordtensor: interrupted; what was written is kept (a run folder continues "
              "with --resume)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the system refused: a full disk, a file that cannot be written
        where = f" {exc.filename}" if exc.filename else ""
        return _error(f"cannot read or write{where}: {exc.strerror or exc}")
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0


def _error(exc) -> int:
    msg = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, MemoryError) and not isinstance(exc, WordTensorError):
        msg = ("out of memory" + (f" ({msg})" if msg != "MemoryError" else "")
               + "; choose a smaller group or word, or pass --max-memory to be told before")
    print(f"wordtensor: error: {msg}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
