"""Run folders: everything a surrogate run writes, written atomically (temporary file in the
same folder, then ``os.replace``), and read back for ``--resume`` and for plots.

Layout::

    config.json     the SurrogateConfig (plus format, device, package version, creation time)
    split.npz       train_mask (B, n^k) and the seeds / split seeds / fractions that drew it
    metrics.csv     one row per (log step, instance): losses, accuracies, residuals per
                    support triplet (res:φ,ψ,ζ), active components per triplet (act:φ,ψ,ζ), status
    factors.npz     steps (S,), factors (S, B, k+1, n, M): checkpoints on the log schedule
    dynamics.npz    steps, triplet_residual (S, B, t, …, t), box_mass (S, B, k+1, t, M),
                    strength / purity / active (S, B, M), dominant (S, B, M, k+1), bsc_names,
                    support
    state.npz       the latest full-precision training state (factors, Adam moments, step)
    summary.json    the final summary (what ``wordtensor surrogate --json`` prints)
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import numpy as np

from wordtensor.errors import WordTensorError
from wordtensor.storage import atomic_write, dumps, npz_bytes

from .config import SurrogateConfig

__all__ = ["RunFolder", "RunFolderError", "load_run", "load_config",
           "FORMAT"]

FORMAT = 1
_INT_COLUMNS = {"step", "instance", "seed", "width", "active", "mixed"}


class RunFolderError(WordTensorError):
    """A run folder that is missing, incomplete or does not match the request.

    Training into a folder that already holds a run, without ``resume``, is refused:

    >>> import tempfile
    >>> from surrogate.config import grid
    >>> from surrogate.train import train
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=5)
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> train(cfg, run_dir=d, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.runs.RunFolderError: ... already holds a run; pass resume=True (--resume) ...
    >>> issubclass(RunFolderError, WordTensorError)
    True
    """


def csv_bytes(rows: list[dict]) -> bytes:
    """The CSV text of ``rows`` (columns in order of first appearance; missing cells empty)."""
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode()


def _parse(key: str, value: str):
    if key == "status":
        return value
    if key in _INT_COLUMNS or key.startswith("act:"):
        return int(value)
    return float(value)


class RunFolder:
    """Reader/writer of one run folder (see the module docstring for its layout).

    >>> from surrogate.config import grid
    >>> from surrogate.train import train
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> folder = RunFolder(d)
    >>> folder.exists()
    False
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=5)
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> folder.exists(), folder.read_config() == cfg
    (True, True)
    >>> sorted(f.name for f in folder.path.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['config.json', 'dynamics.npz', 'factors.npz', 'metrics.csv', 'split.npz', 'state.npz',
     'summary.json']
    >>> rows = folder.read_rows()  # one row per (log step, instance): steps 0..5, 2 instances
    >>> len(rows), rows[-1]["step"], rows[-1]["instance"], folder.read_split().shape
    (12, 5, 1, (2, 36))
    """

    def __init__(self, path):
        self.path = Path(path)

    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    # -- writing -------------------------------------------------------------------------------
    def _json(self, name: str, data) -> None:
        text = dumps(data) + "\n"
        atomic_write(self.path / name, text.encode())

    def open_for(self, config, resume: bool):
        """Check this folder before a run of ``config`` starts: with ``resume`` an existing run
        must hold the same configuration (only ``steps`` may change) and not be past
        ``config.steps``; without it the folder must not hold a run. Returns
        ``(train_mask, state, saved_config)`` to resume from (all None for a fresh run)."""
        if not self.exists():
            return None, None, None
        if not resume:
            raise RunFolderError(f"{self.path} already holds a run; pass resume=True "
                                 "(--resume) to continue it or choose another folder")
        saved = self.read_config()
        if saved.replace(steps=config.steps).to_dict() != config.to_dict():
            raise RunFolderError(
                f"{self.path} holds a different configuration; resume it with its own "
                "settings (only steps may change; read them with load_config) or choose "
                "another folder")
        state = self.read_state()
        if state is not None and int(state["t"]) > config.steps:
            raise RunFolderError(f"{self.path} is already at step {int(state['t'])}, past "
                                 f"the {config.steps} steps asked for")
        return self.read_split(), state, saved

    def start(self, model, result, config, state, saved) -> None:
        """Create the folder and either restore ``model``/``result`` from ``state`` (resume) or
        write the configuration and split of a fresh run."""
        self.path.mkdir(parents=True, exist_ok=True)
        if state is not None:
            model.load_state_dict(state)
            self.load_into(result, upto=model.t)
            if saved.steps != config.steps:
                self.write_config(config, device=str(model.device))
        else:
            self.write_config(config, device=str(model.device))
            self.write_split(model.train_mask, config)

    def write_config(self, config: SurrogateConfig, device: str = "cpu") -> None:
        from wordtensor import __version__

        self._json("config.json", {"format": FORMAT, "config": config.to_dict(), "device": device,
                                   "version": __version__,
                                   "created": time.strftime("%Y-%m-%dT%H:%M:%S")})

    def write_split(self, train_mask: np.ndarray, config: SurrogateConfig) -> None:
        inst = config.instances
        atomic_write(self.path / "split.npz", npz_bytes(
            train_mask=np.asarray(train_mask, dtype=bool),
            seeds=np.array([i.seed for i in inst]), split_seeds=np.array([i.split for i in inst]),
            train_fractions=np.array([i.train_fraction for i in inst])))

    def write_log(self, result, analyzer) -> None:
        """metrics.csv, factors.npz and dynamics.npz from a TrainResult so far."""
        atomic_write(self.path / "metrics.csv", csv_bytes(result.rows))
        steps = np.array(result.steps)
        atomic_write(self.path / "factors.npz",
                     npz_bytes(steps=steps, factors=np.stack(result.factors)))
        dyn = {k: np.stack(v) for k, v in result.dynamics.items()}
        atomic_write(self.path / "dynamics.npz", npz_bytes(
            steps=steps, bsc_names=np.array(analyzer.bsc_names),
            support=np.array(analyzer.support, dtype=int).reshape(len(analyzer.support), -1),
            **dyn))

    def write_state(self, state: dict) -> None:
        atomic_write(self.path / "state.npz", npz_bytes(**state))

    def write_summary(self, summary: dict) -> None:
        self._json("summary.json", summary)

    # -- reading -------------------------------------------------------------------------------
    def _need(self, name: str) -> Path:
        p = self.path / name
        if not p.is_file():
            raise RunFolderError(f"{p} is missing; is {self.path} a surrogate run folder?")
        return p

    def read_config(self) -> SurrogateConfig:
        d = json.loads(self._need("config.json").read_text())
        if d.get("format") != FORMAT:
            raise RunFolderError(f"{self.path}: unknown run-folder format {d.get('format')!r}")
        return SurrogateConfig.from_dict(d["config"])

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

    def load_into(self, result, upto: int | None = None) -> None:
        """Fill a TrainResult with what the folder holds up to step ``upto``."""
        rows = self.read_rows()
        result.rows = [r for r in rows if upto is None or r["step"] <= upto]
        fac = self.read_npz("factors.npz")
        dyn = self.read_npz("dynamics.npz")
        if fac:
            keep = [j for j, s in enumerate(fac["steps"]) if upto is None or s <= upto]
            result.steps = [int(fac["steps"][j]) for j in keep]
            result.factors = [fac["factors"][j] for j in keep]
            dsteps = list(dyn.get("steps", []))
            result.dynamics = {k: [v[dsteps.index(s)] for s in result.steps]
                               for k, v in dyn.items()
                               if k not in ("steps", "bsc_names", "support")}
        if rows:
            last = max(r["step"] for r in result.rows) if result.rows else None
            result.status = [r["status"] for r in result.rows if r["step"] == last]


def load_config(path) -> SurrogateConfig:
    """The configuration saved in a run folder.

    >>> from surrogate.config import grid
    >>> from surrogate.train import train
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=5, dtype="float64")
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> load_config(d) == cfg, load_config(d).dtype
    (True, 'float64')
    """
    return RunFolder(path).read_config()


def load_run(path):
    """A finished or interrupted run folder as a :class:`~surrogate.train.TrainResult`.

    >>> from surrogate.config import grid
    >>> from surrogate.train import train
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=5)
    >>> res = train(cfg, run_dir=d, progress=False)
    >>> back = load_run(d)
    >>> back.config == cfg, back.steps, back.run_dir == d
    (True, [0, 1, 2, 3, 4, 5], True)
    >>> [r["train_loss"] for r in back.rows] == [r["train_loss"] for r in res.rows]
    True
    >>> bool(np.array_equal(back.final_factors, res.final_factors))
    True
    >>> back.bsc_names, back.support
    (['1a', '1b', '2a'], [(0, 0, 0), (1, 1, 1), (2, 2, 2)])
    """
    from .train import TrainResult

    folder = RunFolder(path)
    result = TrainResult(folder.read_config())
    folder.load_into(result)
    result.train_mask = folder.read_split()
    dyn = folder.read_npz("dynamics.npz")
    if dyn:
        result.bsc_names = [str(x) for x in dyn["bsc_names"]]
        result.support = [tuple(int(x) for x in row) for row in dyn["support"]]
    result.run_dir = str(folder.path)
    return result
