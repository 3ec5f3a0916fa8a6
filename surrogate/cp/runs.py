"""The surrogate's run folder (:class:`SurrogateRunFolder`: what its checkpoints hold) and
reading one back (:func:`load_run`, :func:`load_config`), old (format 1) folders included.

Each checkpoint ``checkpoints/step-<step>.npz`` holds ``factors`` (B, k+1, n, M) and the
dynamics arrays of that step: ``triplet_residual`` (B, t, …, t), ``box_mass`` (B, k+1, t, M),
``strength`` / ``purity`` / ``active`` (B, M), ``dominant`` (B, M, k+1). ``config.json``
also holds ``bsc_names`` and ``support``. Format 1 folders (written before the checkpoints
were split by step) hold all steps in ``factors.npz`` and ``dynamics.npz``; they are read,
not resumed.
"""

from __future__ import annotations

import os

from ..runfolder import RunFolder
from .config import SurrogateConfig
from .result import TrainResult

__all__ = ["SurrogateRunFolder", "load_run", "load_config"]

DYNAMICS_KEYS = ("triplet_residual", "box_mass", "strength", "dominant", "purity", "active")


class SurrogateRunFolder(RunFolder):
    """A surrogate run folder (module docstring; the layout is :class:`~surrogate.runfolder.RunFolder`'s).

    >>> import tempfile
    >>> from surrogate.config import grid
    >>> from surrogate.cp import train
    >>> d = tempfile.mkdtemp()
    >>> _ = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), run_dir=d, progress=False)
    >>> steps, data = SurrogateRunFolder(d).read_checkpoints()
    >>> steps, data[-1]["factors"].shape, data[-1]["box_mass"].shape
    ([0, 1, 2, 3, 4, 5], (2, 3, 6, 9), (2, 3, 3, 9))
    """

    KIND = "surrogate"
    config_class = SurrogateConfig

    def load_into(self, result: TrainResult, upto: int | None = None) -> None:
        """Fill a TrainResult with what the folder holds up to step ``upto``."""
        rows = self.read_rows()
        result.rows = [r for r in rows if upto is None or r["step"] <= upto]
        if (self.path / "factors.npz").is_file() and not (self.path / "checkpoints").is_dir():
            steps, data = self._format1_checkpoints()  # written by an older version
        else:
            steps, data = self.read_checkpoints()
        keep = [j for j, s in enumerate(steps) if upto is None or s <= upto]
        result.steps = [int(steps[j]) for j in keep]
        result.factors = [data[j]["factors"] for j in keep]
        result.dynamics = {k: [data[j][k] for j in keep] for k in DYNAMICS_KEYS
                           if keep and k in data[keep[0]]}
        if result.rows:
            last = max(r["step"] for r in result.rows)
            result.status = [r["status"] for r in sorted(result.rows, key=lambda r: r["instance"])
                             if r["step"] == last]

    def _format1_checkpoints(self) -> tuple[list[int], list[dict]]:
        fac, dyn = self.read_npz("factors.npz"), self.read_npz("dynamics.npz")
        dsteps = list(dyn.get("steps", []))
        data = []
        for j, s in enumerate(fac["steps"]):
            d = {"factors": fac["factors"][j]}
            if s in dsteps:
                d |= {k: dyn[k][dsteps.index(s)] for k in DYNAMICS_KEYS if k in dyn}
            data.append(d)
        return [int(s) for s in fac["steps"]], data

    def read_bscs(self) -> tuple[list[str], list[tuple[int, ...]]]:
        """(bsc names, support triplets) as the run saved them."""
        meta = self.read_meta()
        if "bsc_names" in meta:
            return list(meta["bsc_names"]), [tuple(t) for t in meta["support"]]
        dyn = self.read_npz("dynamics.npz")  # format 1
        if not dyn:
            return [], []
        return ([str(x) for x in dyn["bsc_names"]],
                [tuple(int(x) for x in row) for row in dyn["support"]])


def load_config(path: str | os.PathLike) -> SurrogateConfig:
    """The configuration saved in a surrogate run folder.

    >>> import tempfile
    >>> from surrogate.config import grid
    >>> from surrogate.cp import train
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=5, dtype="float64")
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> load_config(d) == cfg, load_config(d).dtype
    (True, 'float64')
    """
    return SurrogateRunFolder(path).read_config()


def load_run(path: str | os.PathLike) -> TrainResult:
    """A finished or interrupted surrogate run folder as a :class:`TrainResult`.

    >>> import tempfile
    >>> from surrogate.config import grid
    >>> from surrogate.cp import train
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=5)
    >>> res = train(cfg, run_dir=d, progress=False)
    >>> back = load_run(d)
    >>> back.config == cfg, back.steps, back.run_dir == d
    (True, [0, 1, 2, 3, 4, 5], True)
    >>> [r["train_loss"] for r in back.rows] == [r["train_loss"] for r in res.rows]
    True
    >>> import numpy as np
    >>> bool(np.array_equal(back.final_factors, res.final_factors))
    True
    >>> back.bsc_names, back.support
    (['1a', '1b', '2a'], [(0, 0, 0), (1, 1, 1), (2, 2, 2)])
    """
    folder = SurrogateRunFolder(path)
    result = TrainResult(folder.read_config())
    folder.load_into(result)
    result.train_mask = folder.read_split()
    result.bsc_names, result.support = folder.read_bscs()
    result.run_dir = str(folder.path)
    return result
