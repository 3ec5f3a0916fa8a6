"""The phase diagram as a sweep (``wordtensor phase``): one cell per (width, training
fraction), holding every seed as one batch, run as tasks on Dask distributed through
:func:`wordtensor.sweep.run_sweep` into a :class:`~wordtensor.sweep.CellStore` in the run
folder; then the diagram (:class:`~surrogate.phase.PhaseResult`) and its files.

The run folder::

    sweep.json        kind "phase" and the settings: model, spec, word, seeds, every training
                      setting of the configuration, device, threads, compile (a re-run must match)
    cells/            w<width>_f<fraction>.json: one record per cell, its result the training
                      summary of that batch of seeds (the keys of ``wordtensor surrogate --json``)
    history.json      one entry per run that computed cells (cells, seconds, workers)
    summary.json      the cells' summaries merged in grid order (width, fraction, seed fastest)
    phase.json        the diagram (PhaseResult.to_dict(), plus "sweep")
    phase.csv         one row per (width, fraction, seed)
    phase.png         the figure (surrogate.plots.plot_phase)

A cell is the batch ``grid(seeds, [width], [fraction])`` of the configuration (the same batch
as ``wordtensor surrogate --width W --train-fraction F --seeds K``): its instances share their
width and their number of training tuples, so nothing is padded, and its results do not depend
on which worker trains it nor on how many there are (on CPU, with ``threads`` torch threads in
the worker: bit for bit). They may differ in the last bits from :func:`surrogate.phase_diagram`,
which trains the whole grid as one padded batch in one process. Checkpoints and metrics are not
kept: a cell is trained in memory and stored when it ends.

>>> import tempfile
>>> from wordtensor.sweep import SerialExecutor
>>> run = run_phase("S3", "xy", [4, 9], [0.5, 1.0], [0, 1], out=tempfile.mkdtemp(),
...                 settings={"steps": 20}, executor=SerialExecutor(), progress=False)
>>> [c for c in run.sweep.computed], run.result.test_acc.shape
(['w4_f0.5', 'w4_f1.0', 'w9_f0.5', 'w9_f1.0'], (2, 2, 2))
>>> sorted(p.name for p in run.out.iterdir())     # doctest: +NORMALIZE_WHITESPACE
['cells', 'history.json', 'phase.csv', 'phase.json', 'phase.png', 'summary.json',
 'sweep.json']
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from wordtensor import WordTensor, validate, word_tensor
from wordtensor.errors import UsageError
from wordtensor.storage import atomic_write, write_json
from wordtensor.sweep import Cell, CellStore, SweepResult, dask_executor, default_workers, run_sweep

from .config import ConfigError
from .cp.config import SurrogateConfig
from .cp.trainer import train
from .networks.config import NetworkConfig
from .networks.sweeps import network_sweep_config
from .networks.trainer import train_network
from .phase import PhaseResult, RankBounds, phase_bounds, phase_config, phase_result
from .plots import plot_phase

__all__ = ["KIND", "MODELS", "cell_key", "phase_cells", "phase_settings", "phase_cell",
           "PhaseRun", "run_phase", "merge_summaries", "phase_csv", "local_workers"]

#: The kind of sweep a phase-diagram folder holds (its manifest's ``kind``).
KIND = "phase"
#: The models a phase diagram trains: name -> (configuration of a grid, its class, trainer).
MODELS = {"surrogate": (phase_config, SurrogateConfig, train),
          "network": (network_sweep_config, NetworkConfig, train_network)}
#: The most local worker processes started when --workers is not given (each loads torch).
MAX_DEFAULT_WORKERS = 4


def cell_key(width: int, fraction: float) -> str:
    """The key (and file name) of a cell: ``w<width>_f<fraction>`` (the fraction's repr, so
    two fractions never share a key).

    >>> cell_key(55, 0.5), cell_key(9, 1.0), cell_key(4, 1e-05)
    ('w55_f0.5', 'w9_f1.0', 'w4_f1e-05')
    """
    return f"w{int(width)}_f{float(fraction)!r}"


def _grid_config(model: str, spec: str, word: str, widths, fractions, seeds, settings: dict):
    if model not in MODELS:
        raise UsageError(f"phase: the model must be one of {', '.join(MODELS)}, got {model!r}")
    try:
        return MODELS[model][0](spec, word, widths, fractions, list(seeds), **settings)
    except ConfigError as exc:
        raise UsageError(f"phase: {exc}") from None


def phase_settings(config, model: str, *, device: str = "cpu", threads: int = 1,
                   compile: bool = False) -> dict:
    """What decides a cell's content besides its width and fraction: the model, the
    configuration without its instances (spec, word, steps, loss, ..., as the configuration
    holds them, defaults included), the seeds and the instances' shared hyper-parameters,
    and where it trains (device, torch threads, compile). A store keeps them in its manifest
    and refuses a run with others.

    >>> s = phase_settings(phase_config("S3", "xy", [4, 9], [0.5], [0, 1], steps=20), "surrogate")
    >>> s["model"], s["spec"], s["seeds"], s["steps"], s["lr"], s["log_per_decade"], s["threads"]
    ('surrogate', 'S3', [0, 1], 20, 0.01, 4, 1)
    """
    d = config.to_dict()
    inst = d.pop("instances")
    first = inst[0]
    shared = {k: first[k] for k in ("lr", "weight_decay", "init_scale")}
    for i in inst:  # the grid gives every instance the same hyper-parameters
        if {k: i[k] for k in shared} != shared or i.get("split_seed") is not None:
            raise UsageError("phase: every instance of a phase diagram must share lr, weight "
                             "decay and initial scale")
    seeds = list(dict.fromkeys(i["seed"] for i in inst))
    return {"model": model, **d, "seeds": seeds, **shared, "device": str(device),
            "threads": int(threads), "compile": bool(compile)}


def phase_cells(config, model: str, settings: dict) -> list[Cell]:
    """The cells of a grid configuration: one per (width, fraction), widths outer, each
    holding the batch of its seeds (the configuration's instances of that width and fraction,
    in order) as a configuration dict, with the model and where it trains.

    >>> cfg = phase_config("S3", "xy", [4, 9], [0.5, 1.0], [0, 1], steps=20)
    >>> cells = phase_cells(cfg, "surrogate", phase_settings(cfg, "surrogate"))
    >>> [c.key for c in cells], [i["seed"] for i in cells[1].params["config"]["instances"]]
    (['w4_f0.5', 'w4_f1.0', 'w9_f0.5', 'w9_f1.0'], [0, 1])
    """
    d = config.to_dict()
    groups: dict[tuple[int, float], list[dict]] = {}
    for i in d["instances"]:
        groups.setdefault((i["width"], i["train_fraction"]), []).append(dict(i))
    where = {k: settings[k] for k in ("device", "threads", "compile")}
    return [Cell(cell_key(w, f), {"model": model, "width": w, "fraction": f,
                                  "config": {**d, "instances": inst}, **where})
            for (w, f), inst in groups.items()]


@lru_cache(maxsize=4)
def _tensor(spec: str, word: str) -> WordTensor:
    """The word tensor, kept per worker process for the next cells."""
    return word_tensor(spec, word)


def phase_cell(params: dict) -> dict:
    """The task of one cell (run on a worker): train the batch ``params["config"]`` of
    ``params["model"]`` in memory on ``params["device"]`` with ``params["threads"]`` torch CPU
    threads and return its summary (the dict of ``TrainResult.summary()`` /
    ``NetworkResult.summary()``, without ``run_dir``). A configuration the model refuses
    raises its :class:`~wordtensor.errors.WordTensorError` (the engine stores a failed cell).

    >>> cfg = phase_config("S3", "xy", [9], [1.0], [0, 1], steps=20)
    >>> cell = phase_cells(cfg, "surrogate", phase_settings(cfg, "surrogate"))[0]
    >>> s = phase_cell(cell.params)
    >>> s["widths"], s["seeds"], s["status"]
    ([9, 9], [0, 1], ['ok', 'ok'])
    """
    validate.instance(params, "params", dict, "the params of a cell of phase_cells(...)")
    if params.get("model") not in MODELS or not isinstance(params.get("config"), dict):
        raise ConfigError(f"params must hold a model ({', '.join(MODELS)}) and a configuration "
                          "dict, as the cells of phase_cells(...) do")
    _, config_class, trainer = MODELS[params["model"]]
    config = config_class.from_dict(params["config"])
    torch.set_num_threads(validate.threads(params.get("threads", 1), "threads",
                                           error=ConfigError))
    tensor = config.prepare(_tensor(config.spec, config.word))
    res = trainer(config, tensor=tensor, device=params.get("device", "cpu"), progress=False,
                  compile=bool(params.get("compile", False)))
    if hasattr(res, "judge"):
        res.judge(tensor)  # the fits of the summary, on the tensor at hand
    summary = res.summary()
    summary.pop("run_dir", None)
    return summary


def merge_summaries(summaries: Sequence[dict | None], sizes: Sequence[int],
                    missing: Sequence[str]) -> dict:
    """The summaries of the cells (each over its ``size`` seeds) as one summary in grid order:
    per-instance lists concatenated, ``notes`` without repeats, ``seconds`` added up, the
    rest from the first cell. A cell without a summary (``None``: failed or lost) has None
    entries and its ``missing`` reason as the status and error of each of its instances.

    >>> a = {"spec": "S3", "seeds": [0, 1], "test_accuracy": [0.5, 1.0], "status": ["ok", "ok"],
    ...      "errors": [None, None], "notes": ["n"], "seconds": 1.0}
    >>> m = merge_summaries([a, None, a], [2, 2, 2], ["", "lost: its workers died", ""])
    >>> m["test_accuracy"], m["status"][2], m["notes"], m["seconds"]
    ([0.5, 1.0, None, None, 0.5, 1.0], 'lost: its workers died', ['n'], 2.0)
    """
    done = [s for s in summaries if s is not None]
    if not done:  # every cell failed or was lost: the accuracies are all missing
        why = [m for m, k in zip(missing, sizes) for _ in range(k)]
        return {"train_accuracy": [None] * len(why), "test_accuracy": [None] * len(why),
                "status": why, "errors": why, "notes": [], "seconds": 0.0}
    first, per = done[0], {}
    keys = [k for k, v in first.items() if k != "notes" and isinstance(v, list)
            and all(isinstance(s.get(k), list) and len(s[k]) == n
                    for s, n in zip(summaries, sizes) if s is not None)]
    for k in keys:
        per[k] = []
        for s, n, why in zip(summaries, sizes, missing):
            per[k] += s[k] if s is not None else [why if k in ("status", "errors") else None] * n
    notes = list(dict.fromkeys(x for s in done for x in s.get("notes") or []))
    seconds = sum(float(s.get("seconds") or 0.0) for s in done)
    return {**first, **per, "notes": notes, "seconds": seconds}


def phase_csv(result: PhaseResult) -> str:
    """One row per (width, fraction, seed): the accuracies and the instance's error.

    >>> import numpy as np
    >>> acc = np.array([[[0.5, np.nan]]])
    >>> pr = PhaseResult("S3", "xy", [9], [0.5], [0, 1], acc, acc, RankBounds(9, 9))
    >>> print(phase_csv(pr).strip())
    width,fraction,seed,accuracy_on,train_accuracy,test_accuracy,accuracy,solved
    9,0.5,0,test,0.5,0.5,0.5,False
    9,0.5,1,test,,,,False
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["width", "fraction", "seed", "accuracy_on", "train_accuracy", "test_accuracy",
                "accuracy", "solved"])
    on, acc = result.on_train, result.accuracy

    def num(x):
        return "" if x != x else repr(float(x))

    for i, width in enumerate(result.widths):
        for j, frac in enumerate(result.fractions):
            for s, seed in enumerate(result.seeds):
                a = acc[i, j, s]
                w.writerow([width, repr(float(frac)), seed, "train" if on[j] else "test",
                            num(result.train_acc[i, j, s]), num(result.test_acc[i, j, s]),
                            num(a), bool(a == a and a >= 0.99)])
    return buf.getvalue()


def local_workers(cells: int) -> int:
    """The local worker processes when none are asked for: the CPU cores, at most
    :data:`MAX_DEFAULT_WORKERS` (each worker process loads torch) and at most the cells.

    >>> 1 <= local_workers(100) <= MAX_DEFAULT_WORKERS, local_workers(1)
    (True, 1)
    """
    return max(1, min(default_workers(), MAX_DEFAULT_WORKERS, cells))


@dataclass
class PhaseRun:
    """What :func:`run_phase` did: the folder, the sweep's result, the diagram, the merged
    summary and the files written.

    >>> import tempfile
    >>> from wordtensor.sweep import SerialExecutor
    >>> run = run_phase("S3", "xy", [9], [1.0], [0], out=tempfile.mkdtemp(),
    ...                 settings={"steps": 5}, executor=SerialExecutor(), progress=False)
    >>> run.complete, run.settings["steps"], sorted(run.files)
    (True, 5, ['phase.csv', 'phase.json', 'phase.png', 'summary.json'])
    """

    out: Path
    settings: dict
    sweep: SweepResult
    result: PhaseResult
    summary: dict
    files: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.sweep.complete


def run_phase(spec: str, word: str, widths: Sequence[int], fractions: Sequence[float],
              seeds: Sequence[int], *, out: str | os.PathLike, model: str = "surrogate",
              settings: dict | None = None, device: str = "cpu", threads: int = 1,
              compile: bool = False, tensor: WordTensor | None = None,
              bounds: RankBounds | tuple[int | None, int | None] | None = None,
              workers: int | None = None, scheduler: str | None = None, executor=None,
              progress: bool = True) -> PhaseRun:
    """Compute (or resume, or extend to more widths and fractions) the phase diagram of
    ``model`` over ``widths`` × ``fractions`` × ``seeds`` into the folder ``out`` (module
    docstring) and write its files. ``settings``: the training settings of
    :func:`~surrogate.phase.phase_config` (or of
    :func:`~surrogate.networks.network_sweep_config`). The cells run as tasks on Dask: a
    ``LocalCluster`` of ``workers`` processes (default :func:`local_workers`; spawned, which
    CUDA needs), or the cluster at ``scheduler``; or on ``executor``. Cells stored in ``out``
    by an earlier run with the same settings are not trained again; a folder with other
    settings (or that holds something else) is refused before anything is written
    (:class:`~wordtensor.sweep.SweepStoreError`).

    >>> import tempfile
    >>> from wordtensor.sweep import SerialExecutor
    >>> out = tempfile.mkdtemp()
    >>> run = run_phase("S3", "xy", [9], [0.5], [0, 1], out=out, settings={"steps": 10},
    ...                 executor=SerialExecutor(), progress=False)
    >>> more = run_phase("S3", "xy", [4, 9], [0.5], [0, 1], out=out, settings={"steps": 10},
    ...                  executor=SerialExecutor(), progress=False)   # one more width
    >>> more.sweep.skipped, more.sweep.computed, more.result.widths
    (['w9_f0.5'], ['w4_f0.5'], [4, 9])
    >>> run_phase("S3", "xy", [9], [0.5], [0, 1], out=out, settings={"steps": 20},
    ...           executor=SerialExecutor())              # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.sweep.store.SweepStoreError: ... other settings (steps: 10, not 20); ...
    """
    cfg = _grid_config(model, spec, word, widths, fractions, seeds, settings or {})
    tensor = cfg.prepare(tensor)  # the size model's refusal comes before the folder is made
    if not isinstance(bounds, RankBounds) and bounds is not None:
        bounds = phase_bounds(tensor, bounds)  # given bounds: checked before the folder
    store_settings = phase_settings(cfg, model, device=device, threads=threads, compile=compile)
    cells = phase_cells(cfg, model, store_settings)
    if executor is None:
        executor = dask_executor(workers, scheduler, default=local_workers(len(cells)),
                                 start_method="spawn" if str(device).startswith("cuda") else None,
                                 malloc_trim=False)  # torch: ~4x slower with Dask's trim
    with contextlib.ExitStack() as stack:
        if scheduler is not None:  # a cluster that is not there is refused before the folder
            stack.enter_context(executor)
        run = _sweep_into(out, cfg, model, store_settings, cells, tensor, bounds, executor,
                          progress)
    return run


def _sweep_into(out, cfg, model, store_settings, cells, tensor, bounds, executor,
                progress) -> PhaseRun:
    with CellStore.open(out, KIND, store_settings) as store:
        bounds = bounds if isinstance(bounds, RankBounds) else phase_bounds(tensor)
        sweep = run_sweep(store, cells, phase_cell, executor, progress=progress, desc="phase")
        summaries, missing = [], []
        for c in cells:
            rec = sweep.records.get(c.key)
            ok = rec is not None and rec.get("status") == "ok"
            summaries.append(rec["result"] if ok else None)
            missing.append("" if ok else (f"lost: {sweep.lost[c.key]}" if rec is None else
                                          f"failed: {rec['error']['message']}"))
        summary = merge_summaries(summaries, [len(c.params["config"]["instances"])
                                              for c in cells], missing)
        summary["run_dir"] = str(out)
        result = phase_result(summary, cfg, bounds, out)
        run = PhaseRun(Path(out), store_settings, sweep, result, summary)
        run.files = _write_outputs(run, cfg, model)
    return run


def _write_outputs(run: PhaseRun, cfg, model: str) -> dict[str, str]:
    out = run.out
    files = {name: str(out / name) for name in ("summary.json", "phase.json", "phase.csv",
                                                "phase.png")}
    write_json(files["summary.json"], run.summary)
    data = run.result.to_dict()
    if model == "network":
        data |= {"model": "network", "activation": cfg.activation}
    write_json(files["phase.json"], data | {"sweep": sweep_json(run.sweep)})
    atomic_write(files["phase.csv"], phase_csv(run.result).encode())
    files["phase.png"] = str(plot_phase(run.result, files["phase.png"]))
    return files


def sweep_json(sweep: SweepResult) -> dict:
    """What the sweep did, for ``phase.json`` and ``--json``: cells, computed, skipped,
    failed, lost, seconds, workers (0: nothing was computed, no cluster started) and the
    scheduler's address."""
    d = sweep.to_json()
    d["scheduler"] = d.pop("address")
    return d
