"""The configuration of a batch of CP surrogates (:class:`SurrogateConfig`, saved as a run
folder's ``config.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from wordtensor.validate import choice, tolerance

from ..config import DECAYS, OPTIMIZERS, BatchConfig, ConfigError, Instance, fix

__all__ = ["SurrogateConfig"]


@dataclass(frozen=True)
class SurrogateConfig(BatchConfig):
    """Everything that determines a batched surrogate run.

    ``log_per_decade`` log-spaced points per decade of steps carry the metrics and the
    factor checkpoints. ``active_tol``: a component is active when ‖u‖‖v‖‖w‖ (its Frobenius
    norm) is at least this; ``purity_tol``: it is assigned to the bsc triplet of its largest
    masses when each of them is at least this, else it counts as mixed. ``fit_tol`` no longer
    decides whether a fit is exact (:mod:`surrogate.fits` does, after a polish); it stays so
    that saved configurations load alike.

    >>> from surrogate.config import grid
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=100)
    >>> SurrogateConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> SurrogateConfig("S3", "xy", grid(1, 9), loss="l1")
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: loss must be one of mse, ce, got 'l1'
    """

    KIND: ClassVar[str] = "surrogate"

    spec: str
    word: str
    instances: tuple[Instance, ...]
    steps: int = 1000
    loss: str = "mse"
    optimizer: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    dtype: str = "float32"
    log_per_decade: int = 10
    active_tol: float = 1e-2
    purity_tol: float = 0.9
    fit_tol: float = 1e-2
    decay: str = "l2"
    extra: dict = field(default_factory=dict, compare=False)

    def check(self) -> None:
        super().check()
        choice(self.optimizer, "optimizer", OPTIMIZERS, error=ConfigError)
        choice(self.decay, "weight-decay mode (decay)", DECAYS, error=ConfigError)
        fix(self, "fit_tol", tolerance(self.fit_tol, "fit_tol", error=ConfigError))
