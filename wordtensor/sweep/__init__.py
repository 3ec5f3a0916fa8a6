"""Sweeps: many independent cells (a group × a word, a width × a fraction, ...) run as
tasks on Dask distributed, each finished cell stored as its own file so that a sweep resumes.

* ``store`` — :class:`CellStore`: the folder, its manifest (kind and settings), one JSON file
  per finished cell, the lock, the refusals (:class:`SweepStoreError`);
* ``executors`` — :class:`DaskExecutor` (a ``LocalCluster`` of worker processes, or a running
  cluster by its scheduler address) and :class:`SerialExecutor` (in this process);
* ``engine`` — :func:`run_sweep`: submit the cells not stored yet, store each record as it
  arrives, report what was computed, skipped, failed or lost.

A sweep is a list of :class:`Cell` and a task, a module-level function ``task(params) -> dict``
that the workers can import. The rank atlas (``fusion.atlas``: ``atlas_cell``, one cell per
group and word) is one; the phase diagram (``surrogate.phase_sweep``: ``phase_cell``, one cell
per width and training fraction holding every seed as one batch, ``wordtensor phase``) is
another. Tasks that train on CUDA work in Dask's worker processes because they are spawned
(see :class:`DaskExecutor`, ``start_method``); a GPU cluster would give each worker one device
(``dask worker --resources GPU=1`` and one process per GPU).

>>> import tempfile
>>> from pathlib import Path
>>> cells = [Cell(f"n{n}", {"n": n}) for n in range(4)]
>>> with CellStore.open(Path(tempfile.mkdtemp()) / "squares", "demo", {}) as store:
...     result = run_sweep(store, cells, demo_task, SerialExecutor(), progress=False)
>>> [r["result"]["square"] for r in result.records.values()], result.complete
([0, 1, 4, 9], True)
"""

from .engine import Cell, SweepResult, demo_task, run_cell, run_sweep, without_timing
from .executors import DaskExecutor, Outcome, SerialExecutor, dask_executor, default_workers
from .store import CellStore, StoreRef, SweepStoreError

__all__ = ["Cell", "SweepResult", "run_sweep", "run_cell", "without_timing", "demo_task",
           "DaskExecutor", "SerialExecutor", "Outcome", "dask_executor", "default_workers",
           "CellStore", "StoreRef", "SweepStoreError"]
