"""Phase diagrams: final accuracy over width × training fraction (× seeds), trained as one
batch, with the tensor's rank bounds for the width axis (:func:`phase_bounds`, from
``fusion.ranks.rank_bounds``, their one owner). :func:`surrogate.plots.plot_phase` draws them;
:func:`surrogate.networks.network_phase_diagram` makes them for networks.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from fusion.ranks import rank_bounds
from wordtensor import WordTensor, WordTensorError, word_tensor
from wordtensor.linalg import flattening_rank
from wordtensor.storage import write_json

from .batching import Device
from .config import grid
from .cp.config import SurrogateConfig
from .cp.runs import SurrogateRunFolder
from .cp.trainer import train

__all__ = ["RankBounds", "phase_bounds", "PhaseResult", "phase_config", "phase_diagram"]


@dataclass(frozen=True)
class RankBounds:
    """lower ≤ rank ≤ upper (either may be None), and where they came from.

    >>> RankBounds(9, None, "given").lower
    9
    """

    lower: int | None
    upper: int | None
    source: str = ""


def phase_bounds(tensor: WordTensor, given: tuple[int | None, int | None] | None = None
                 ) -> RankBounds:
    """Rank bounds of a word tensor for the phase diagram's width axis: ``given``, else the
    certified bounds of :func:`fusion.ranks.rank_bounds`, else (a word it does not handle) the
    largest flattening rank over Q as the lower bound.

    >>> b = phase_bounds(word_tensor("Z4", "xy"))        # Alder–Strassen 2·4 − 3 = 1 + 1 + 3
    >>> b.lower, b.upper, b.source
    (5, 5, 'fusion.ranks (alder-strassen; constructive)')
    >>> phase_bounds(word_tensor("S3", "xy"), (9, 10))
    RankBounds(lower=9, upper=10, source='given')
    >>> b = phase_bounds(word_tensor("Z3", "xyz"))      # three variables
    >>> b.lower, b.upper
    (4, 5)
    """
    if given is not None:
        lo, up = (None if v is None else int(v) for v in given)
        if lo is not None and up is not None and lo > up:
            raise WordTensorError(f"rank bounds must have lower ≤ upper, got {lo} > {up}")
        return RankBounds(lo, up, "given")
    try:
        rep = rank_bounds(tensor.group, tensor.word)
    except WordTensorError:  # a word fusion.ranks does not handle
        lower = max(flattening_rank(tensor, (m,)) for m in range(tensor.ndim))
        return RankBounds(lower, None, "flattening")
    return RankBounds(int(rep.lower), int(rep.upper),
                      f"fusion.ranks ({rep.lower_method}; {rep.upper_method})")


@dataclass
class PhaseResult:
    """test_acc / train_acc: (widths, fractions, seeds) arrays (NaN: no held-out tuples or a
    diverged instance).

    >>> acc = np.array([[[0.4, 0.5]], [[1.0, 0.995]], [[1.0, 0.9]]])   # (widths, fractions, seeds)
    >>> pr = PhaseResult("S3", "xy", [4, 9, 12], [1.0], [0, 1], acc, acc, RankBounds(9, 9))
    >>> pr.solved.tolist()                   # fraction of seeds at ≥ 99%
    [[0.0], [1.0], [0.5]]
    >>> [round(x, 4) for x in pr.mean_test_acc[:, 0].tolist()]
    [0.45, 0.9975, 0.95]
    >>> pr.to_dict()["bounds"]
    {'lower': 9, 'upper': 9, 'source': ''}
    """

    spec: str
    word: str
    widths: list[int]
    fractions: list[float]
    seeds: list[int]
    test_acc: np.ndarray
    train_acc: np.ndarray
    bounds: RankBounds
    run_dir: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def mean_test_acc(self) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
            return np.nanmean(self.test_acc, axis=2)

    @property
    def on_train(self) -> np.ndarray:
        """Per fraction: True where no instance has held-out tuples (fraction 1), so that
        :attr:`accuracy` is the train accuracy there.

        >>> te = np.array([[[0.5], [np.nan]]]); tr = np.array([[[1.0], [0.98]]])
        >>> pr = PhaseResult("S3", "xy", [9], [0.5, 1.0], [0], te, tr, RankBounds(9, 9))
        >>> pr.on_train.tolist(), pr.accuracy[0, :, 0].tolist(), pr.solved.tolist()
        ([False, True], [0.5, 0.98], [[0.0, 0.0]])
        """
        return np.isnan(self.test_acc).all(axis=(0, 2)) & np.isfinite(self.train_acc).any(
            axis=(0, 2))

    @property
    def accuracy(self) -> np.ndarray:
        """(widths, fractions, seeds): test accuracy, and train accuracy at the fractions
        without held-out tuples (:attr:`on_train`)."""
        acc = self.test_acc.copy()
        acc[:, self.on_train, :] = self.train_acc[:, self.on_train, :]
        return acc

    @property
    def mean_acc(self) -> np.ndarray:
        """Mean over seeds of :attr:`accuracy` (NaN where no seed has a value)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.accuracy, axis=2)

    @property
    def solved(self) -> np.ndarray:
        """Fraction of seeds with accuracy ≥ 99% per (width, fraction): test accuracy, train
        accuracy where there are no held-out tuples (:attr:`on_train`)."""
        return (np.nan_to_num(self.accuracy, nan=-1) >= 0.99).mean(axis=2)

    def to_dict(self) -> dict:
        def clean(a):
            return [clean(x) for x in a] if isinstance(a, list) else (None if a != a else a)

        d = asdict(self)
        d["test_acc"] = clean(self.test_acc.tolist())
        d["train_acc"] = clean(self.train_acc.tolist())
        d["mean_test_acc"] = clean(self.mean_test_acc.tolist())
        d["mean_acc"] = clean(self.mean_acc.tolist())
        d["accuracy_on"] = ["train" if t else "test" for t in self.on_train.tolist()]
        d["solved"] = self.solved.tolist()
        d["bounds"] = asdict(self.bounds)
        return d


def phase_config(spec: str, word: str, widths: Iterable[int], fractions: Iterable[float],
                 seeds: Iterable[int] | int = 4, *, steps: int = 2000, loss: str = "mse",
                 optimizer: str = "adam", lr: float = 1e-2, weight_decay: float = 1e-4,
                 init_scale: float = 0.3, decay: str = "l2", dtype: str = "float32",
                 log_per_decade: int = 4) -> SurrogateConfig:
    """The surrogate configuration of a phase diagram: every (width, fraction, seed) as one
    batch (seed fastest).

    >>> cfg = phase_config("S3", "xy", [4, 9], [0.5, 1.0], 2, steps=30)
    >>> len(cfg.instances), cfg.instances[2].width, cfg.instances[2].train_fraction
    (8, 4, 1.0)
    """
    return SurrogateConfig(spec, word, grid(seeds, widths,
                                            fractions, lr=lr,
                                            weight_decay=weight_decay, init_scale=init_scale),
                           steps=steps, loss=loss, optimizer=optimizer, dtype=dtype, decay=decay,
                           log_per_decade=log_per_decade)


def grid_axes(config) -> tuple[list[int], list[float], list[int]]:
    """(widths, fractions, seeds) of a configuration made by :func:`~surrogate.config.grid`."""
    inst = config.instances
    axes = ([i.width for i in inst], [i.train_fraction for i in inst], [i.seed for i in inst])
    return tuple(list(dict.fromkeys(a)) for a in axes)


def phase_result(summary: dict, config, bounds: RankBounds, run_dir) -> PhaseResult:
    """The :class:`PhaseResult` of a grid run's summary (either model)."""
    widths, fractions, seeds = grid_axes(config)
    shape = (len(widths), len(fractions), len(seeds))

    def arr(key):
        return np.array([np.nan if v is None else v for v in summary[key]],
                        dtype=float).reshape(shape)

    return PhaseResult(config.spec, config.word, widths, fractions, seeds, arr("test_accuracy"),
                       arr("train_accuracy"), bounds, None if run_dir is None else str(run_dir),
                       [e for e in summary["errors"] if e])


def phase_diagram(spec: str, word: str, widths: Iterable[int], fractions: Iterable[float],
                  seeds: Iterable[int] | int = 4, *, tensor: WordTensor | None = None,
                  bounds: RankBounds | tuple[int | None, int | None] | None = None,
                  device: Device = "cpu", run_dir: str | os.PathLike | None = None,
                  resume: bool = False, progress: bool = True, compile: bool = False,
                  **settings) -> PhaseResult:
    """Train every (width, fraction, seed) as one batch of surrogates (``settings``: the
    training settings of :func:`phase_config`) and collect the final accuracies; with
    ``run_dir`` the batch's run folder also gets ``phase.json``. ``tensor``: the word tensor
    when the caller has it; ``bounds``: the rank bounds to mark (default :func:`phase_bounds`).

    >>> pr = phase_diagram("S3", "xy", [4, 9], [0.5, 1.0], 1, steps=30, progress=False)
    >>> pr.test_acc.shape, pr.bounds.lower
    ((2, 2, 1), 9)
    """
    cfg = phase_config(spec, word, widths, fractions, seeds, **settings)
    tensor = tensor if tensor is not None else word_tensor(spec, word)
    if not isinstance(bounds, RankBounds):
        bounds = phase_bounds(tensor, bounds)
    if run_dir is None:
        res = train(cfg, tensor=tensor, device=device, progress=progress, compile=compile)
        return phase_result(res.summary(), cfg, bounds, None)
    with SurrogateRunFolder(run_dir).session(cfg, resume=resume):
        res = train(cfg, tensor=tensor, device=device, run_dir=run_dir, resume=resume,
                    progress=progress, compile=compile)
        out = phase_result(res.summary(), cfg, bounds, res.run_dir)
        write_json(Path(run_dir) / "phase.json", out.to_dict())
    return out
