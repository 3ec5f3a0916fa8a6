"""What every package's sub-commands share: the ``--json`` flag and :func:`emit`, which prints
a result as strict JSON or as text.

A package plugs its sub-commands into ``wordtensor`` through the ``wordtensor.commands`` entry
points (a function ``register(subparsers)``); its command functions take the parsed arguments,
print through :func:`emit` and raise a :class:`~wordtensor.errors.WordTensorError` for bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .storage import dumps

__all__ = ["add_json", "emit"]


def add_json(p: argparse.ArgumentParser) -> None:
    """Add the ``--json`` flag (read by :func:`emit`) to a (sub-)parser.

    >>> p = argparse.ArgumentParser()
    >>> add_json(p)
    >>> p.parse_args(["--json"]).json, p.parse_args([]).json
    (True, False)
    """
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


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
