"""The networks' run folder (:class:`NetworkRunFolder`: what its checkpoints and state hold)
and reading one back (:func:`load_network_run`, :func:`is_network_run`), old (format 1)
folders included.

Each checkpoint ``checkpoints/step-<step>.npz`` holds the parameters E (B, k, n, M), b1, W, b2
in float32, on a sparser log schedule than the metrics; ``state.npz`` holds the
full-precision parameters, AdamW moments, Grokfast EMAs and grokking steps. Format 1 folders
hold all checkpoints in ``checkpoints.npz``; they are read, not resumed.
"""

from __future__ import annotations

import os

import numpy as np

from ..runfolder import RunFolder, RunFolderError, run_kind
from .config import NetworkConfig
from .model import PARAMS
from .result import NetworkResult, grok_records

__all__ = ["NetworkRunFolder", "load_network_run", "is_network_run"]


class NetworkRunFolder(RunFolder):
    """A network run folder (module docstring; the layout is
    :class:`~surrogate.runfolder.RunFolder`'s).

    >>> import tempfile
    >>> from pathlib import Path
    >>> from surrogate.networks import network_grid, train_network
    >>> d = tempfile.mkdtemp()
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5)
    >>> _ = train_network(cfg, run_dir=d, progress=False)
    >>> sorted(f.name for f in Path(d).iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['checkpoints', 'config.json', 'metrics.csv', 'split.npz', 'state.npz', 'summary.json']
    >>> folder = NetworkRunFolder(d)
    >>> folder.read_config() == cfg, folder.read_split().sum(1).tolist()  # 18 of 36 pairs
    (True, [18, 18])
    >>> steps, data = folder.read_checkpoints()
    >>> steps, data[-1]["W"].shape, data[-1]["W"].dtype.name
    ([0, 1, 2, 5], (2, 8, 6), 'float32')
    """

    KIND = "network"
    config_class = NetworkConfig

    def load_into(self, result: NetworkResult, upto: int | None = None) -> None:
        """Fill a NetworkResult with what the folder holds up to step ``upto``."""
        rows = self.read_rows()
        result.rows = [r for r in rows if upto is None or r["step"] <= upto]
        result.steps = sorted({r["step"] for r in result.rows})
        old = self.read_npz("checkpoints.npz")  # format 1: every checkpoint in one file
        if old:
            steps = [int(s) for s in old["steps"]]
            data = [{p: old[p][j] for p in PARAMS if p in old} for j in range(len(steps))]
        else:
            steps, data = self.read_checkpoints()
        keep = [j for j, s in enumerate(steps) if upto is None or s <= upto]
        result.checkpoint_steps = [steps[j] for j in keep]
        result.checkpoints = {p: [data[j][p] for j in keep] for p in PARAMS
                              if keep and p in data[keep[0]]}
        if result.rows:
            last = result.steps[-1]
            result.status = [r["status"] for r in sorted(result.rows, key=lambda r: r["instance"])
                             if r["step"] == last]


def is_network_run(path: str | os.PathLike) -> bool:
    """True when ``path`` holds a network run folder.

    >>> import tempfile
    >>> from surrogate.config import grid
    >>> from surrogate.cp import SurrogateConfig, train
    >>> from surrogate.networks import network_grid, train_network
    >>> net, sur = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 8), steps=3), run_dir=net,
    ...                   progress=False)
    >>> _ = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=3), run_dir=sur, progress=False)
    >>> is_network_run(net), is_network_run(sur), is_network_run(tempfile.mkdtemp())
    (True, False, False)
    """
    try:
        return run_kind(path) == "network"
    except RunFolderError:
        return False


def load_network_run(path: str | os.PathLike) -> NetworkResult:
    """A finished or interrupted network run folder as a :class:`NetworkResult` (final
    parameters and grokking steps from its saved state).

    >>> import tempfile
    >>> from surrogate.networks import network_grid, train_network
    >>> d = tempfile.mkdtemp()
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 16, 1.0, lr=3e-2), steps=20,
    ...                     eval_every=1, dtype="float64", log_per_decade=1)
    >>> res = train_network(cfg, run_dir=d, progress=False)
    >>> back = load_network_run(d)
    >>> back.config == cfg, back.steps, back.run_dir == d
    (True, [0, 1, 10, 20], True)
    >>> back.grok == res.grok, [g["step_train_100"] for g in back.grok]
    (True, [17, 18])
    >>> all(np.array_equal(back.params[p], res.params[p]) for p in PARAMS)  # full precision
    True
    """
    folder = NetworkRunFolder(path)
    cfg = folder.read_config()
    result = NetworkResult(cfg)
    folder.load_into(result)
    result.train_mask = folder.read_split()
    state = folder.read_state()
    if state is not None:
        result.grok = grok_records(np.asarray(state["step_train"]),
                                   np.asarray(state["step_test"]))
        result.params = {p: np.asarray(state[f"param_{p}"]) for p in PARAMS}
    result.run_dir = str(folder.path)
    return result
