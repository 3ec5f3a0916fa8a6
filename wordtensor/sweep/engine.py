"""The sweep engine: run the cells of a sweep as tasks on an executor, store each finished
cell as it comes, skip the cells already stored.

A *cell* is a key and a dict of parameters; a *task* is a module-level function
``task(params) -> dict`` (JSON data). :func:`run_sweep` submits every cell that the store does
not hold yet, wrapped in :func:`run_cell`, which runs on the worker: it returns the stored
record at once if the cell is already there (a task that the scheduler runs again after a
worker died), else runs the task, and when the worker sees the store (a ``LocalCluster``, or a
cluster on a shared file system) writes the record itself before returning it. The client
stores every record it receives that is not stored yet. A cell is therefore stored as soon as
it is finished, on whichever side can, and a finished cell is never computed again: not when a
worker dies after finishing it, not when the client dies (a re-run skips it).

A task that raises :class:`~wordtensor.errors.WordTensorError` (bad input: a word the rank
engine refuses, say) gives a *failed* record with the message, stored like any other and
not retried. Another exception is retried by the executor, and if it persists it is stored as
a failed record too. A cell whose workers died too often, or whose cluster went away, is
*lost*: not stored, reported, computed by the next run.

The record of a cell::

    {"format": 1, "key": ..., "status": "ok" | "failed", "params": {...},
     "result": {...} | null, "error": null | {"type": ..., "message": ...},
     "timing": {"seconds": ..., "started": ..., "finished": ..., "worker": "host:pid"}}

Everything but ``timing`` is a function of the parameters (for a deterministic task), which is
what :func:`without_timing` compares.

>>> import tempfile, math
>>> from pathlib import Path
>>> from wordtensor.sweep import CellStore, SerialExecutor
>>> cells = [Cell(f"n{n}", {"n": n}) for n in (1, 2, 3)]
>>> with CellStore.open(Path(tempfile.mkdtemp()) / "s", "demo", {}) as store:
...     first = run_sweep(store, cells[:2], demo_task, SerialExecutor(), progress=False)
...     again = run_sweep(store, cells, demo_task, SerialExecutor(), progress=False)
>>> first.computed, again.computed, again.skipped
(['n1', 'n2'], ['n3'], ['n1', 'n2'])
>>> [again.records[c.key]["result"]["square"] for c in cells]
[1, 4, 9]
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import WordTensorError
from .executors import Outcome
from .store import CellStore, StoreRef, check_key

__all__ = ["Cell", "SweepResult", "run_sweep", "run_cell", "without_timing", "demo_task"]

#: Version of the cell record.
RECORD_FORMAT = 1


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: its ``key`` (the name of its file, see
    :func:`~wordtensor.sweep.store.check_key`) and the ``params`` its task gets.

    >>> Cell("w64_f0.5_s3", {"width": 64, "fraction": 0.5, "seed": 3}).key
    'w64_f0.5_s3'
    """

    key: str
    params: dict


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _record(key: str, params: dict, status: str, result, error, seconds: float,
            started: str) -> dict:
    return {"format": RECORD_FORMAT, "key": key, "status": status, "params": params,
            "result": result, "error": error,
            "timing": {"seconds": seconds, "started": started, "finished": _now(),
                       "worker": f"{socket.gethostname()}:{os.getpid()}"}}


def _error(exc: BaseException) -> dict:
    return {"type": type(exc).__name__, "message": " ".join(str(exc).split())}


def run_cell(task: Callable[[dict], dict], key: str, params: dict,
             store: StoreRef | None = None) -> dict:
    """Run one cell where this function is called (on a worker) and return its record: the
    stored one if ``store`` already holds the cell; else the task's result, or a failed record
    when the task raises a :class:`~wordtensor.errors.WordTensorError`, written into ``store``
    when this process sees it (:meth:`CellStore.attach`). Any other exception propagates, for
    the executor to retry.

    >>> run_cell(demo_task, "n3", {"n": 3})["result"]
    {'square': 9}
    >>> r = run_cell(demo_task, "bad", {"n": -1})
    >>> r["status"], r["error"]
    ('failed', {'type': 'WordTensorError', 'message': 'demo_task needs n >= 0, got -1'})
    """
    target = CellStore.attach(store) if store is not None else None
    if target is not None and target.has(key):
        return target.read(key)
    started, t0 = _now(), time.perf_counter()
    try:
        result = task(params)
    except WordTensorError as exc:  # bad input: the same every time, so not retried
        record = _record(key, params, "failed", None, _error(exc), time.perf_counter() - t0,
                         started)
    else:
        record = _record(key, params, "ok", result, None, time.perf_counter() - t0, started)
    if target is not None:
        target.write(key, record)
    return record


def without_timing(record: dict) -> dict:
    """``record`` without its ``timing`` and without every ``seconds`` entry of its result, at
    any depth: what two runs of a deterministic sweep must agree on.

    >>> without_timing({"key": "a", "result": {"seconds": 1.5, "r": [{"seconds": 2, "x": 1}]},
    ...                 "timing": {"seconds": 1.6}})
    {'key': 'a', 'result': {'r': [{'x': 1}]}}
    """
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k != "seconds"}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o

    return strip({k: v for k, v in record.items() if k != "timing"})


@dataclass
class SweepResult:
    """What :func:`run_sweep` did: the ``records`` of every requested cell that is stored (by
    key, in the order of the request), the keys ``computed`` now, ``skipped`` (stored before),
    ``failed`` (stored as failed, now or before) and ``lost`` (key: reason; not stored), the
    wall time and the number of workers.

    >>> r = SweepResult({"a": {"status": "ok"}}, ["a"], [], [], {"b": "its workers died"}, 1.0, 2)
    >>> r.complete, r.to_json()["lost"]
    (False, {'b': 'its workers died'})
    """

    records: dict[str, dict]
    computed: list[str]
    skipped: list[str]
    failed: list[str]
    lost: dict[str, str]
    seconds: float
    workers: int
    address: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every requested cell is stored (none lost)."""
        return not self.lost

    def to_json(self) -> dict:
        return {"cells": len(self.records) + len(self.lost), "computed": len(self.computed),
                "skipped": len(self.skipped), "failed": self.failed, "lost": self.lost,
                "seconds": self.seconds, "workers": self.workers, "address": self.address}


def run_sweep(store: CellStore, cells: Sequence[Cell], task: Callable[[dict], dict], executor,
              *, progress: bool = True, desc: str = "cells") -> SweepResult:
    """Run every cell of ``cells`` that ``store`` does not hold through ``executor`` (a
    :class:`~wordtensor.sweep.DaskExecutor` or :class:`~wordtensor.sweep.SerialExecutor`,
    entered here; executors are re-entrant), storing each record as it arrives; progress over the
    cells on stderr (tqdm). The executor is started only if there is something to compute; a
    run that computes appends its entry to the store's history (:meth:`CellStore.log_run`).

    >>> import tempfile
    >>> from pathlib import Path
    >>> from wordtensor.sweep import CellStore, SerialExecutor
    >>> with CellStore.open(Path(tempfile.mkdtemp()) / "s", "demo", {}) as store:
    ...     r = run_sweep(store, [Cell("a", {"n": 2}), Cell("b", {"n": -2})], demo_task,
    ...                   SerialExecutor(), progress=False)
    >>> r.computed, r.failed, r.records["b"]["error"]["message"]
    (['a', 'b'], ['b'], 'demo_task needs n >= 0, got -2')
    """
    t0, started = time.perf_counter(), _now()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # how busy the machine was
    keys = [check_key(c.key) for c in cells]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise WordTensorError(f"a sweep needs distinct cell keys; repeated: {dup[:5]}")
    done = store.keys()
    todo = [c for c in cells if c.key not in done]
    skipped = [c.key for c in cells if c.key in done]
    records = {k: store.read(k) for k in skipped}
    computed: list[str] = []
    lost: dict[str, str] = {}
    workers, address = 0, ""
    if todo:
        from tqdm.auto import tqdm  # the progress bar (tqdm), on stderr

        bar = tqdm(total=len(cells), initial=len(skipped), desc=desc, unit="cell",
                   file=sys.stderr, disable=not progress, dynamic_ncols=True)
        ref = store.ref()
        by_key = {c.key: c for c in todo}
        calls = [(c.key, run_cell, (task, c.key, c.params, ref)) for c in todo]
        try:
            with executor:
                workers, address = executor.workers, executor.address
                for out in executor.run(calls):
                    if out.lost is not None:
                        lost[out.key] = out.lost
                    else:
                        records[out.key] = _settle(store, out, by_key[out.key])
                        computed.append(out.key)
                    bar.update(1)
                    bar.set_postfix(failed=sum(r["status"] != "ok" for r in records.values()),
                                    refresh=False)
        finally:
            bar.close()
    records = {k: records[k] for k in keys if k in records}
    failed = [k for k, r in records.items() if r.get("status") != "ok"]
    result = SweepResult(records, [k for k in keys if k in computed], skipped, failed, lost,
                         time.perf_counter() - t0, workers, address)
    if todo:
        store.log_run({"started": started, "finished": _now(), "cells": len(cells),
                       "computed": len(computed), "skipped": len(skipped), "lost": len(lost),
                       "seconds": result.seconds, "workers": workers, "address": address,
                       "cpus": os.cpu_count(), "load_average": load})
    return result


def _settle(store: CellStore, out: Outcome, cell: Cell) -> dict:
    """The record of a finished call, stored if the worker did not store it."""
    if out.error is not None:  # raised on every retry: a failed cell, with the last message
        record = _record(cell.key, cell.params, "failed", None, _error(out.error), 0.0, _now())
    else:
        record = out.value
    if not store.has(cell.key):
        store.write(cell.key, record)
    return record


def demo_task(params: dict) -> dict:
    """A task for examples: the square of ``params["n"]``; refuses a negative n.

    >>> demo_task({"n": 4})
    {'square': 16}
    """
    n = params["n"]
    if n < 0:
        raise WordTensorError(f"demo_task needs n >= 0, got {n}")
    return {"square": n * n}
