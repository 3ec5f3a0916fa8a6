"""The files of a training-run folder (:class:`RunFolder`), written so that the I/O grows
linearly with the run and a kill at any moment resumes bitwise identical.

Layout of a training run (surrogate or network; the models add their own checkpoint arrays)::

    config.json        format, kind ("surrogate" / "network"), the configuration, device,
                       package version, creation time, and what the model adds (bsc names, …)
    split.npz          train_mask (B, n^k) and the seeds / split seeds / fractions that drew it
    metrics.csv        one row per (log step, instance), appended as training goes
    checkpoints/       step-<step>.npz: one file per checkpointed step
    state.npz          the latest full-precision training state (parameters, optimiser
                       moments, step, and the size of metrics.csv at that step)
    summary.json       the final summary
    lock               while a process works in the folder: its pid, host and start time

Every file except metrics.csv is written atomically (a temporary file, then ``os.replace``).
metrics.csv is appended and flushed; the state records its length, and a resume cuts it back
to that length and drops the checkpoints past the state's step, so whatever a kill left half
written is written again, identically.

The checks and the lock that come first are in :mod:`surrogate.folders`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from wordtensor import __version__, validate
from wordtensor.storage import atomic_write, dumps, npz_bytes

from .folders import (
    ConfigMismatchError,
    OutPathError,
    RunFolderError,
    RunFormatError,
    RunKindError,
    RunLock,
    check_out,
    kind_name,
    make_folder,
    read_json,
    run_kind,
)

__all__ = ["RunFolder"]

#: The run-folder format this version writes; format 1 (before per-step checkpoints) is read.
FORMAT = 2
CHECKPOINTS = "checkpoints"
_INT_COLUMNS = {"step", "instance", "seed", "width", "active", "mixed"}


# ------------------------------------------------------------------------------ the folder
class RunFolder:
    """Reader and writer of one training-run folder (module docstring). The models subclass
    it: ``KIND``, ``config_class``, what their checkpoints hold and how old folders read.

    >>> import tempfile
    >>> from surrogate.cp import SurrogateConfig, SurrogateRunFolder, train
    >>> from surrogate.config import grid
    >>> d = tempfile.mkdtemp()
    >>> folder = SurrogateRunFolder(d)
    >>> folder.exists()
    False
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=5)
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> folder.exists(), folder.read_config() == cfg
    (True, True)
    >>> sorted(f.name for f in folder.path.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['checkpoints', 'config.json', 'metrics.csv', 'split.npz', 'state.npz', 'summary.json']
    >>> rows = folder.read_rows()  # one row per (log step, instance): steps 0..5, 2 instances
    >>> len(rows), rows[-1]["step"], rows[-1]["instance"], folder.read_split().shape
    (12, 5, 1, (2, 36))
    >>> folder.checkpoint_steps()
    [0, 1, 2, 3, 4, 5]
    """

    KIND = ""
    config_class: type = object

    def __init__(self, path: str | os.PathLike):
        self.path = validate.path(path, "the run folder", error=OutPathError)
        self._columns: list[str] | None = None

    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    # -- opening ---------------------------------------------------------------------------
    def check(self, config, *, resume: bool) -> dict | None:
        """Everything a run of ``config`` needs to know before it writes, read without
        writing: None for a fresh run, else ``{"config", "split", "state"}`` to resume from
        (``state`` None when the run was stopped before its first saved state)."""
        check_out(self.path, self.KIND, resume=resume)
        if not self.exists():
            return None
        meta = self.read_meta()
        saved = self._config_from(meta)
        diff = saved.differences(config)
        if diff:
            raise ConfigMismatchError(
                f"{self.path} holds a different configuration ({'; '.join(diff)}); resume it "
                "with its own settings (only steps may change; read them with load_config) or "
                "choose another folder")
        if meta.get("format") != FORMAT:
            raise RunFormatError(
                f"{self.path} was written by an older version (run-folder format "
                f"{meta.get('format')}): it can still be read (load_run, compare, plots) but not "
                "resumed; start the run again in another folder")
        state = self.read_state()
        if state is not None and int(state["t"]) > config.steps:
            raise RunFolderError(f"{self.path} is already at step {int(state['t'])}, past "
                                 f"the {config.steps} steps asked for")
        split = self.read_split() if state is not None else None
        return {"config": saved, "split": split, "state": state}

    @contextlib.contextmanager
    def session(self, config, *, resume: bool) -> Iterator[dict | None]:
        """Check (:meth:`check`, nothing written on a refusal), create the folder, take its
        lock, check again under the lock (another process may have started a run in between),
        and yield what to resume from; the lock is released at the end."""
        self.check(config, resume=resume)
        make_folder(self.path)
        with RunLock(self.path):
            yield self.check(config, resume=resume)

    def start(self, config, saved: dict | None, *, device: str, train_mask: np.ndarray,
              meta: dict | None = None) -> None:
        """Prepare the folder under the lock: for a fresh run (or one stopped before its first
        state) write the configuration and the split and clear what an earlier attempt left;
        for a resume cut metrics.csv back to the saved state and drop later checkpoints."""
        for tmp in list(self.path.glob(".*.tmp")) + list(self.path.glob(f"{CHECKPOINTS}/.*.tmp")):
            tmp.unlink()  # half-written by a process that was killed (we hold the lock)
        state = saved["state"] if saved else None
        if state is None:
            self.write_config(config, device=device, meta=meta)
            self.write_split(train_mask, config)
            self._truncate_metrics(0)
            self._drop_checkpoints_after(-1)
            return
        self._truncate_metrics(int(state["metrics_bytes"]))
        self._drop_checkpoints_after(int(state["t"]))
        if saved["config"].steps != config.steps:
            self.write_config(config, device=device, meta=meta)

    # -- writing ---------------------------------------------------------------------------
    def _write(self, name: str, data: bytes) -> None:
        try:
            atomic_write(self.path / name, data)
        except OSError as exc:
            raise RunFolderError(f"cannot write {self.path / name}: {exc.strerror or exc}") from None

    def write_config(self, config, device: str = "cpu", meta: dict | None = None) -> None:
        d = {"format": FORMAT, "kind": self.KIND, "config": config.to_dict(), "device": device,
             "version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self._write("config.json", (dumps(d | (meta or {})) + "\n").encode())

    def write_split(self, train_mask: np.ndarray, config) -> None:
        inst = config.instances
        self._write("split.npz", npz_bytes(
            train_mask=np.asarray(train_mask, dtype=bool),
            seeds=np.array([i.seed for i in inst]), split_seeds=np.array([i.split for i in inst]),
            train_fractions=np.array([i.train_fraction for i in inst])))

    def append_rows(self, rows: list[dict]) -> None:
        """Append metrics rows to metrics.csv (the header with the first rows; every later row
        has the same columns) and flush them to disk."""
        p = self.path / "metrics.csv"
        if self._columns is None:
            self._columns = _header(p)
        fresh = self._columns is None
        if fresh:
            self._columns = list(dict.fromkeys(c for r in rows for c in r))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self._columns, lineterminator="\n")
        if fresh:
            w.writeheader()
        try:
            w.writerows(rows)
        except ValueError as exc:  # a column the header does not have
            raise RunFolderError(f"{p}: a metrics row does not fit the header ({exc})") from None
        try:
            with open(p, "ab") as fh:
                fh.write(buf.getvalue().encode())
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise RunFolderError(f"cannot write {p}: {exc.strerror or exc}") from None

    def _truncate_metrics(self, size: int) -> None:
        p = self.path / "metrics.csv"
        self._columns = None
        if size == 0:
            p.unlink(missing_ok=True)
        elif p.is_file():
            with open(p, "r+b") as fh:
                fh.truncate(size)

    def metrics_size(self) -> int:
        p = self.path / "metrics.csv"
        return p.stat().st_size if p.is_file() else 0

    def write_checkpoint(self, step: int, arrays: dict[str, np.ndarray]) -> None:
        """``checkpoints/step-<step>.npz`` holding ``arrays`` (one file per step)."""
        d = self.path / CHECKPOINTS
        make_folder(d)
        self._write(f"{CHECKPOINTS}/step-{int(step):010d}.npz", npz_bytes(**arrays))

    def _checkpoint_files(self) -> list[tuple[int, Path]]:
        d = self.path / CHECKPOINTS
        if not d.is_dir():
            return []
        return sorted((int(p.stem.removeprefix("step-")), p) for p in d.glob("step-*.npz"))

    def _drop_checkpoints_after(self, step: int) -> None:
        for s, p in self._checkpoint_files():
            if s > step:
                p.unlink()

    def checkpoint_steps(self) -> list[int]:
        return [s for s, _ in self._checkpoint_files()]

    def read_checkpoints(self, upto: int | None = None) -> tuple[list[int], list[dict]]:
        """(steps, one dict of arrays per step) of the checkpoints up to step ``upto``."""
        steps, data = [], []
        for s, p in self._checkpoint_files():
            if upto is None or s <= upto:
                with np.load(p) as z:
                    data.append({k: z[k] for k in z.files})
                steps.append(s)
        return steps, data

    def write_state(self, state: dict) -> None:
        """The resume state, with the length of metrics.csv at this moment."""
        self._write("state.npz", npz_bytes(**state, metrics_bytes=np.array(self.metrics_size())))

    def write_summary(self, summary: dict) -> None:
        self._write("summary.json", (dumps(summary) + "\n").encode())

    # -- reading ---------------------------------------------------------------------------
    def _need(self, name: str) -> Path:
        p = self.path / name
        if not p.is_file():
            raise RunFolderError(f"{p} is missing; is {self.path} {kind_name(self.KIND)} folder?")
        return p

    def read_meta(self) -> dict:
        """config.json as a dict, checked to be of this folder's kind."""
        d = read_json(self._need("config.json"))
        kind = run_kind(self.path)
        if kind != self.KIND:
            raise RunKindError(f"{self.path} holds {kind_name(kind)}, not {kind_name(self.KIND)}")
        if d.get("format") not in (1, FORMAT):
            raise RunFormatError(f"{self.path}: unknown run-folder format {d.get('format')!r}")
        return d

    def _config_from(self, meta: dict):
        try:
            return self.config_class.from_dict(meta["config"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RunFormatError(f"{self.path}/config.json does not hold a valid "
                                 f"{self.KIND} configuration ({exc})") from None

    def read_config(self):
        return self._config_from(self.read_meta())

    def read_split(self) -> np.ndarray:
        with np.load(self._need("split.npz")) as z:
            return z["train_mask"].astype(bool)

    def read_state(self) -> dict | None:
        p = self.path / "state.npz"
        if not p.is_file():
            return None
        with np.load(p) as z:
            return {k: z[k] for k in z.files}

    def read_rows(self) -> list[dict]:
        p = self.path / "metrics.csv"
        if not p.is_file():
            return []
        with open(p, newline="") as fh:
            return [{k: _parse(k, v) for k, v in r.items() if v != ""} for r in csv.DictReader(fh)]

    def read_npz(self, name: str) -> dict[str, np.ndarray]:
        p = self.path / name
        if not p.is_file():
            return {}
        with np.load(p) as z:
            return {k: z[k] for k in z.files}


def _header(p: Path) -> list[str] | None:
    if not p.is_file() or p.stat().st_size == 0:
        return None
    with open(p, newline="") as fh:
        return next(csv.reader(fh), None)


def _parse(key: str, value: str):
    if key == "status":
        return value
    if key in _INT_COLUMNS or key.startswith("act:"):
        return int(value)
    return float(value)
