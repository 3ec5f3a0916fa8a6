"""The store of a sweep: one folder, one JSON file per finished cell, a manifest that fixes the
sweep's kind and settings, and a lock that keeps a second client out.

Layout::

    sweep.json          {"format", "kind", "settings", "run_id", "created", "version"}
    cells/<key>.json    one record per finished cell (ok or failed), written atomically
    history.json        one entry per run of the sweep (what it computed, how long it took)
    .lock               {"pid", "host", "started"} of the client that holds the folder

A cell file appears only once its record is complete (:func:`wordtensor.storage.write_json`
writes a temporary file and renames it), so whatever is in ``cells/`` is finished: a sweep
resumes by skipping those keys. (The temporary files of a process killed mid-write are removed
when the store is next opened.) :meth:`CellStore.open` refuses, before writing anything, a path
that is a file or lies under one, a folder that holds something else (another kind of run, or
files and no manifest), a store of another kind or with other settings, and a folder locked by
a live process; a lock left by a process that died is taken over.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp()) / "sweep"
>>> with CellStore.open(d, "demo", {"steps": 10}) as store:
...     store.write("a", {"status": "ok", "value": 1})
...     sorted(store.keys()), store.read("a")["value"]
(['a'], 1)
>>> CellStore.open(d, "demo", {"steps": 20})     # doctest: +ELLIPSIS
Traceback (most recent call last):
...
wordtensor.sweep.store.SweepStoreError: ... holds a demo sweep with other settings (steps: 10, not 20); ...
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import WordTensorError
from ..storage import write_json

__all__ = ["CellStore", "StoreRef", "SweepStoreError", "FORMAT", "check_key"]

#: Version of the folder layout and of the manifest.
FORMAT = 1
MANIFEST = "sweep.json"
CELLS = "cells"
HISTORY = "history.json"
LOCK = ".lock"

#: Cell keys are file names: lowercase (safe on case-insensitive file systems), no separators.
_KEY = re.compile(r"[a-z0-9][a-z0-9_.=+-]{0,199}")

#: What other run folders of the toolkit hold, to name them in a refusal.
_OTHER_RUNS = {"config.json": "a training run (config.json)", "summary.json": "a run (summary.json)"}


class SweepStoreError(WordTensorError):
    """A sweep folder that cannot be used for the sweep asked for (the command line prints it
    as one line and exits with code 2).

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "file.txt"
    >>> _ = f.write_text("not a folder")
    >>> CellStore.open(f / "sub", "demo", {})       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.sweep.store.SweepStoreError: cannot use .../sub as a sweep folder: .../file.txt is a file
    """


def check_key(key: str) -> str:
    """``key`` if it can name a cell file: lowercase letters, digits and ``_ . = + -``, at most
    200 characters, starting with a letter or digit.

    >>> check_key("24_12_xy-3f2a")
    '24_12_xy-3f2a'
    >>> check_key("../x")                          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.sweep.store.SweepStoreError: bad cell key '../x': use lowercase letters, digits ...
    """
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise SweepStoreError(f"bad cell key {key!r}: use lowercase letters, digits and _ . = + - "
                              "(a file name)")
    return key


def _describe_settings(old: dict, new: dict) -> str:
    diff = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return ", ".join(f"{k}: {old.get(k)!r}, not {new.get(k)!r}".replace("'", "") for k in diff[:3])


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: a demo sweep, an atlas sweep."""
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class CellStore:
    """One sweep folder (see the module docstring): its manifest and its cell records.

    Open it with :meth:`open` (the client: checks, creates, locks) or :meth:`attach` (a worker
    that writes the cells it finished, when the folder is on a file system it sees).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with CellStore.open(d / "s", "demo", {}) as store:
    ...     store.has("a"), store.write("a", {"status": "ok"}), store.has("a")
    (False, None, True)
    >>> sorted(p.name for p in (d / "s").iterdir())     # the lock is gone after the block
    ['cells', 'sweep.json']
    """

    def __init__(self, path: str | os.PathLike, manifest: dict):
        self.path = Path(path)
        self.manifest = manifest
        self._locked = False

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, kind: str, settings: dict) -> CellStore:
        """Open the store at ``path`` for a sweep of ``kind`` with ``settings`` (JSON data that
        decides what a cell holds), creating it if it does not exist, and lock it. Every
        refusal (:class:`SweepStoreError`) happens before anything is written."""
        path = Path(path).absolute()
        settings = json.loads(json.dumps(settings))  # the form the manifest will read back as
        manifest = cls._check(path, kind, settings)
        path.mkdir(parents=True, exist_ok=True)
        store = cls(path, manifest or {})
        store._lock()
        try:
            manifest = cls._check(path, kind, settings)  # again, now that we hold the lock
            if manifest is None:
                manifest = {"format": FORMAT, "kind": kind, "settings": settings,
                            "run_id": uuid.uuid4().hex, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                            "version": __version__}
                write_json(path / MANIFEST, manifest)
            (path / CELLS).mkdir(exist_ok=True)
            for tmp in (path / CELLS).glob(".*.tmp"):  # left by a process killed mid-write
                tmp.unlink(missing_ok=True)
        except BaseException:
            store.close()
            raise
        store.manifest = manifest
        return store

    @staticmethod
    def _check(path: Path, kind: str, settings: dict) -> dict | None:
        """The manifest of an existing store of ``kind`` with ``settings``, None for a folder
        to create; :class:`SweepStoreError` for anything else."""
        what = f"cannot use {path} as a sweep folder"
        for parent in [path, *path.parents]:
            if parent.exists() and not parent.is_dir():
                raise SweepStoreError(f"{what}: {parent} is a file" if parent != path else
                                      f"{what}: it is a file; give a folder (it is created if needed)")
            if parent.exists():
                break
        if not path.exists():
            return None
        entries = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
        if MANIFEST not in entries:
            if not entries:
                return None
            others = [_OTHER_RUNS[e] for e in entries if e in _OTHER_RUNS]
            held = others[0] if others else "files (" + ", ".join(entries[:3]) + (
                ", ..." if len(entries) > 3 else "") + ") and no sweep.json"
            raise SweepStoreError(f"{what}: it holds {held}; choose a new or empty folder")
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise SweepStoreError(f"{what}: its {MANIFEST} cannot be read ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SweepStoreError(f"{what}: its {MANIFEST} has an unknown format "
                                  f"{manifest.get('format') if isinstance(manifest, dict) else None!r}")
        if manifest.get("kind") != kind:
            raise SweepStoreError(f"{what}: it holds {_a(str(manifest.get('kind')))} sweep, not "
                                  f"{_a(kind)} sweep; choose another folder")
        if manifest.get("settings") != settings:
            raise SweepStoreError(
                f"{path} holds {_a(kind)} sweep with other settings "
                f"({_describe_settings(manifest.get('settings') or {}, settings)}); resume it with "
                "its own settings (see its sweep.json) or choose another folder")
        return manifest

    @classmethod
    def attach(cls, ref: StoreRef) -> CellStore | None:
        """The store ``ref`` names, as this process sees it, or None when this process does not
        see that store (another machine without the folder, or a folder that another sweep
        took over since). Used by workers; takes no lock.

        >>> import tempfile
        >>> with CellStore.open(Path(tempfile.mkdtemp()) / "s", "demo", {}) as store:
        ...     CellStore.attach(store.ref()) is not None
        ...     CellStore.attach(StoreRef(str(store.path), "another-run")) is None
        True
        True
        """
        path = Path(ref.path)
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get("run_id") != ref.run_id:
            return None
        return cls(path, manifest)

    def ref(self) -> StoreRef:
        """A small picklable handle that workers turn back into the store (:meth:`attach`)."""
        return StoreRef(str(self.path), self.manifest["run_id"])

    # -- the lock --------------------------------------------------------------------------
    def _lock(self) -> None:
        lock = self.path / LOCK
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        for _ in range(3):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    held = json.loads(lock.read_text())
                except (OSError, ValueError):
                    held = {}
                pid, host = held.get("pid"), held.get("host")
                if host == me["host"] and isinstance(pid, int) and not _pid_alive(pid):
                    lock.unlink(missing_ok=True)  # left by a client that died: take it over
                    continue
                if not held:  # being written by another process this instant
                    time.sleep(0.05)
                    continue
                raise SweepStoreError(
                    f"{self.path} is in use by process {pid} on {host} (since "
                    f"{held.get('started')}); wait for it to finish, or delete {lock} if that "
                    "process is gone") from None
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            self._locked = True
            return
        raise SweepStoreError(f"cannot lock {self.path}: {lock} keeps changing")

    def close(self) -> None:
        """Release the lock (if this object holds it)."""
        if self._locked:
            (self.path / LOCK).unlink(missing_ok=True)
            self._locked = False

    def __enter__(self) -> CellStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- cells -----------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.manifest.get("kind", "")

    @property
    def settings(self) -> dict:
        return self.manifest.get("settings", {})

    def cell_path(self, key: str) -> Path:
        """The file of the cell ``key``."""
        return self.path / CELLS / f"{check_key(key)}.json"

    def has(self, key: str) -> bool:
        """Whether the cell ``key`` is finished (its file exists)."""
        return self.cell_path(key).is_file()

    def keys(self) -> set[str]:
        """The keys of every finished cell."""
        folder = self.path / CELLS
        return {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()

    def read(self, key: str) -> dict:
        """The record of the finished cell ``key``."""
        p = self.cell_path(key)
        try:
            return json.loads(p.read_text())
        except FileNotFoundError:
            raise SweepStoreError(f"{p}: cell {key!r} is not finished") from None
        except ValueError as exc:
            raise SweepStoreError(f"{p} is not a cell record ({exc}); delete it to recompute "
                                  "the cell") from exc

    def write(self, key: str, record: dict) -> None:
        """Store the record of a finished cell, atomically."""
        write_json(self.cell_path(key), record)

    def history(self) -> list[dict]:
        """The entries :meth:`log_run` wrote, oldest first."""
        try:
            return json.loads((self.path / HISTORY).read_text())
        except (OSError, ValueError):
            return []

    def log_run(self, entry: dict) -> None:
        """Append one run's entry (JSON data) to ``history.json``, atomically.

        >>> import tempfile
        >>> with CellStore.open(Path(tempfile.mkdtemp()) / "s", "demo", {}) as store:
        ...     store.log_run({"computed": 3}); store.log_run({"computed": 0})
        ...     [e["computed"] for e in store.history()]
        [3, 0]
        """
        write_json(self.path / HISTORY, [*self.history(), entry])


@dataclass(frozen=True)
class StoreRef:
    """Where a store lives (``path``) and which sweep it is (``run_id``): what a worker needs to
    write into it (:meth:`CellStore.attach`).

    >>> StoreRef("/tmp/s", "abc")
    StoreRef(path='/tmp/s', run_id='abc')
    """

    path: str
    run_id: str

