"""Configuration of a batch of surrogate runs: shared settings and one :class:`Instance` per
member of the batch (seed, width, training fraction and per-instance hyper-parameters)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from wordtensor.errors import WordTensorError

from .model import LOSSES

__all__ = ["Instance", "SurrogateConfig", "grid", "ConfigError", "OPTIMIZERS", "DTYPES", "DECAYS"]

OPTIMIZERS = ("adam", "gd")
DECAYS = ("l2", "decoupled")
DTYPES = ("float32", "float64")


class ConfigError(WordTensorError, ValueError):
    """An invalid surrogate configuration.

    >>> SurrogateConfig("S3", "xy", grid(1, 9), loss="l1")
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: unknown loss 'l1'; choose one of mse, ce
    >>> issubclass(ConfigError, ValueError), issubclass(ConfigError, WordTensorError)
    (True, True)
    """


@dataclass(frozen=True)
class Instance:
    """One member of a batch.

    ``seed`` draws the initial factors; ``split_seed`` (default: ``seed``) draws the training
    tuples: the first ``round(train_fraction · n^k)`` of a random permutation, so splits of one
    split seed are nested across fractions. ``weight_decay`` acts as set by the config's
    ``decay`` (an L2 term in the gradient, or decoupled).

    >>> Instance(seed=3, width=9).split, Instance(seed=3, width=9, split_seed=0).split
    (3, 0)
    >>> Instance(seed=0, width=9, train_fraction=0.5).check()       # valid: silent
    >>> Instance(seed=0, width=0).check()
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: width must be ≥ 1, got 0
    >>> SurrogateConfig("S3", "xy", [{"seed": 0, "width": 9}]).instances[0] == Instance(0, 9)
    True
    """

    seed: int
    width: int
    train_fraction: float = 1.0
    lr: float = 1e-2
    weight_decay: float = 1e-4
    init_scale: float = 0.3
    split_seed: int | None = None

    @property
    def split(self) -> int:
        return self.seed if self.split_seed is None else self.split_seed

    def check(self) -> None:
        if self.width < 1:
            raise ConfigError(f"width must be ≥ 1, got {self.width}")
        if not 0 < self.train_fraction <= 1:
            raise ConfigError(f"train fraction must be in (0, 1], got {self.train_fraction}")
        if not self.lr > 0:
            raise ConfigError(f"learning rate must be > 0, got {self.lr}")
        if not self.weight_decay >= 0:
            raise ConfigError(f"weight decay must be ≥ 0, got {self.weight_decay}")
        if not self.init_scale > 0:
            raise ConfigError(f"initial scale must be > 0, got {self.init_scale}")
        if self.seed < 0 or self.split < 0:
            raise ConfigError(f"seeds must be ≥ 0, got {self.seed} / {self.split}")


def grid(seeds: Iterable[int] | int = 1, widths: Iterable[int] | int = 16,
         fractions: Iterable[float] | float = 1.0, *, lr: float = 1e-2,
         weight_decay: float = 1e-4, init_scale: float = 0.3) -> tuple[Instance, ...]:
    """The Cartesian product widths × fractions × seeds (seed fastest). An int ``seeds`` means
    ``range(seeds)``.

    >>> [(i.width, i.seed) for i in grid(2, [9, 10])]
    [(9, 0), (9, 1), (10, 0), (10, 1)]
    """
    seeds = range(seeds) if isinstance(seeds, int) else seeds
    widths = [widths] if isinstance(widths, int) else widths
    fractions = [fractions] if isinstance(fractions, (int, float)) else fractions
    return tuple(Instance(seed=int(s), width=int(m), train_fraction=float(f), lr=lr,
                          weight_decay=weight_decay, init_scale=init_scale)
                 for m, f, s in itertools.product(widths, fractions, seeds))


class BatchConfig:
    """What the surrogate's and the networks' configurations share: a tuple of
    :class:`Instance` (normalised from dicts), Adam betas, the batch width, dict round trip,
    ``replace``. Subclasses are frozen dataclasses with ``instances``, ``steps``, ``loss``,
    ``betas`` and ``dtype`` fields and extend :meth:`check`."""

    def __post_init__(self):
        object.__setattr__(self, "instances", tuple(
            i if isinstance(i, Instance) else Instance(**i) for i in self.instances))
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        self.check()

    def check(self) -> None:
        if not self.instances:
            raise ConfigError("a run needs at least one instance")
        for i in self.instances:
            i.check()
        if self.steps < 0:
            raise ConfigError(f"steps must be ≥ 0, got {self.steps}")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}; choose one of {', '.join(DTYPES)}")
        if not all(0 <= b < 1 for b in self.betas):
            raise ConfigError(f"Adam betas must be in [0, 1), got {self.betas}")
        if self.log_per_decade < 1:
            raise ConfigError(f"log_per_decade must be ≥ 1, got {self.log_per_decade}")

    @property
    def width(self) -> int:
        return max(i.width for i in self.instances)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict):
        d = dict(d)
        d.pop("format", None)
        d["instances"] = tuple(Instance(**i) for i in d["instances"])
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)

    def replace(self, **kw):
        return replace(self, **kw)


@dataclass(frozen=True)
class SurrogateConfig(BatchConfig):
    """Everything that determines a batched run (saved as ``config.json``).

    ``log_per_decade`` log-spaced points per decade of steps carry the metrics and the
    factor checkpoints. ``active_tol``: a component is active when ‖u‖‖v‖‖w‖ (its Frobenius
    norm) is at least this; ``purity_tol``: it is assigned to the bsc triplet of its largest
    masses when each of them is at least this, else it counts as mixed. ``fit_tol``: an exact
    fit is a max-abs reconstruction error below it.

    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=100)
    >>> SurrogateConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

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
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of "
                              f"{', '.join(OPTIMIZERS)}")
        if self.decay not in DECAYS:
            raise ConfigError(f"unknown weight-decay mode {self.decay!r}; choose one of "
                              f"{', '.join(DECAYS)}")
