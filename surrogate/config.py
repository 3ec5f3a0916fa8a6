"""What the configurations of both models share: one :class:`Instance` per member of a batch
(seed, width, training fraction and per-instance hyper-parameters), :func:`grid`, the
:class:`BatchConfig` base (validation, dict round trip, the differences a resume refuses, the
word tensor it trains on and the size model's estimate of the run) and :class:`ConfigError`.
Nothing here imports torch."""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from fusion.decompose import decomposition_estimate
from wordtensor import Group, Word, WordTensor, sizes, word_tensor
from wordtensor.errors import WordTensorError
from wordtensor.validate import (
    choice,
    finite_float,
    nonnegative_int,
    positive_float,
    positive_int,
    probability,
    tolerance,
)

__all__ = ["Instance", "grid", "ConfigError"]


def fix(config, name: str, value) -> None:
    """Keep a checked value in a field of a frozen configuration (``"1e-3"`` becomes 0.001)."""
    object.__setattr__(config, name, value)

LOSSES = ("mse", "ce")
OPTIMIZERS = ("adam", "gd")
DECAYS = ("l2", "decoupled")
DTYPES = ("float32", "float64")
#: The most instances one batch may hold (each is a Python object, a row per log step, ...).
MAX_INSTANCES = 100_000


class ConfigError(WordTensorError):
    """An invalid surrogate or network configuration.

    >>> Instance(seed=0, width=0).check()
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: width must be a whole number >= 1, got 0
    >>> issubclass(ConfigError, ValueError), issubclass(ConfigError, WordTensorError)
    (True, True)
    """


@dataclass(frozen=True)
class Instance:
    """One member of a batch.

    ``seed`` draws the initial parameters; ``split_seed`` (default: ``seed``) draws the
    training tuples: the first ``round(train_fraction · n^k)`` of a random permutation, so
    splits of one split seed are nested across fractions. ``weight_decay`` acts as the model's
    configuration says (an L2 term in the gradient, or decoupled).

    >>> Instance(seed=3, width=9).split, Instance(seed=3, width=9, split_seed=0).split
    (3, 0)
    >>> Instance(seed=0, width=9, train_fraction=0.5).check()       # valid: silent
    >>> Instance(seed=0, width=9, lr=float("nan")).check()
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: learning rate must be a finite number > 0, got nan
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
        """Check every field, keeping the checked value (an ``int`` or a ``float``)."""
        v = dict(error=ConfigError)
        fix(self, "width", positive_int(self.width, "width", **v))
        fix(self, "train_fraction", probability(self.train_fraction, "train fraction",
                                                allow_zero=False, **v))
        fix(self, "lr", positive_float(self.lr, "learning rate", **v))
        fix(self, "weight_decay", finite_float(self.weight_decay, "weight decay", minimum=0, **v))
        fix(self, "init_scale", positive_float(self.init_scale, "initial scale", **v))
        fix(self, "seed", nonnegative_int(self.seed, "seed", **v))
        if self.split_seed is not None:
            fix(self, "split_seed", nonnegative_int(self.split_seed, "split seed", **v))


def _axis(values, name: str) -> list:
    """A grid axis as a list: one number, or an iterable of numbers (each checked later by
    :class:`Instance`); anything else is refused with a :class:`ConfigError`."""
    if isinstance(values, numbers.Real) and not isinstance(values, bool):
        return [values]
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise ConfigError(f"{name} must be a number or a list of numbers, got {values!r}")
    out = list(values)
    if not out:
        raise ConfigError(f"{name} is empty: give at least one value")
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in out):
        raise ConfigError(f"{name} must be numbers, got {out!r}")
    return out


def grid(seeds: Iterable[int] | int = 1, widths: Iterable[int] | int = 16,
         fractions: Iterable[float] | float = 1.0, *, lr: float = 1e-2,
         weight_decay: float = 1e-4, init_scale: float = 0.3) -> tuple[Instance, ...]:
    """The Cartesian product widths × fractions × seeds (seed fastest). An int ``seeds`` means
    ``range(seeds)``.

    >>> [(i.width, i.seed) for i in grid(2, [9, 10])]
    [(9, 0), (9, 1), (10, 0), (10, 1)]
    """
    seeds = range(seeds) if isinstance(seeds, int) and not isinstance(seeds, bool) else seeds
    seeds, widths, fractions = (_axis(x, name) for x, name in
                                ((seeds, "seeds"), (widths, "widths"), (fractions, "fractions")))
    count = len(seeds) * len(widths) * len(fractions)
    if count > MAX_INSTANCES:
        raise ConfigError(f"a batch of {count} instances (seeds x widths x fractions) is more than "
                          f"{MAX_INSTANCES}; train fewer per run")
    out = tuple(Instance(seed=s, width=m, train_fraction=f, lr=lr,
                         weight_decay=weight_decay, init_scale=init_scale)
                for m, f, s in itertools.product(widths, fractions, seeds))
    for inst in out:
        inst.check()  # a width of 2.5 is refused, not cut to 2
    return out


class BatchConfig:
    """Base of the surrogate's and the networks' configurations: a tuple of :class:`Instance`
    (normalised from dicts), Adam betas, the batch width, dict round trip, ``replace`` and
    :meth:`differences`. Subclasses are frozen dataclasses with ``spec``, ``word``,
    ``instances``, ``steps``, ``loss``, ``betas``, ``dtype`` and ``log_per_decade`` fields,
    name the run-folder kind they train in ``KIND``, and extend :meth:`check`.

    >>> from surrogate.cp.config import SurrogateConfig
    >>> a = SurrogateConfig("S3", "xy", grid(2, 9), steps=100)
    >>> a.width, isinstance(a, BatchConfig), a.KIND
    (9, True, 'surrogate')
    """

    KIND = ""

    def __post_init__(self):
        try:
            instances = tuple(i if isinstance(i, Instance) else Instance(**i)
                              for i in self.instances)
        except TypeError as exc:
            raise ConfigError(f"instances must be Instance objects or dicts of their fields "
                              f"(seed, width, train_fraction, lr, ...): {exc}") from None
        object.__setattr__(self, "instances", instances)
        try:
            object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        except (TypeError, ValueError):
            raise ConfigError(f"Adam betas are two numbers in [0, 1), got {self.betas!r}") from None
        self.check()

    def check(self) -> None:
        v = dict(error=ConfigError)
        for name in ("spec", "word"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ConfigError(f"{name} must be a non-empty string, got {getattr(self, name)!r}")
        if not self.instances:
            raise ConfigError("a run needs at least one instance")
        if len(self.instances) > MAX_INSTANCES:
            raise ConfigError(f"a batch of {len(self.instances)} instances is more than "
                              f"{MAX_INSTANCES}; train fewer per run")
        for i in self.instances:
            i.check()
        fix(self, "steps", nonnegative_int(self.steps, "steps", **v))
        choice(self.loss, "loss", LOSSES, **v)
        choice(self.dtype, "dtype", DTYPES, **v)
        if len(self.betas) != 2:
            raise ConfigError(f"Adam betas are two numbers, got {self.betas}")
        for b in self.betas:
            probability(b, "Adam betas", allow_one=False, **v)
        fix(self, "log_per_decade", positive_int(self.log_per_decade, "log_per_decade", **v))
        fix(self, "eps", tolerance(self.eps, "eps", **v))
        fix(self, "active_tol", tolerance(self.active_tol, "active_tol", allow_zero=True, **v))
        fix(self, "purity_tol", probability(self.purity_tol, "purity_tol", allow_zero=False, **v))

    @property
    def width(self) -> int:
        return max(i.width for i in self.instances)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict):
        """The configuration of :meth:`to_dict`'s dict; a :class:`ConfigError` says what is
        missing or unknown in anything else."""
        if not isinstance(d, dict):
            raise ConfigError(f"a {cls.__name__} is read from a dict (to_dict()), got "
                              f"{type(d).__name__}")
        d = dict(d)
        d.pop("format", None)
        try:
            d["instances"] = tuple(Instance(**i) for i in d["instances"])
            if "betas" in d:
                d["betas"] = tuple(d["betas"])
            return cls(**d)
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"not a {cls.__name__} dict (as to_dict() writes it): "
                              f"{type(exc).__name__} {exc}") from exc

    def replace(self, **kw):
        return replace(self, **kw)

    def prepare(self, tensor: WordTensor | None = None) -> WordTensor:
        """The word tensor this configuration trains on (``tensor`` when given, checked to be
        the one ``spec`` and ``word`` name), after the size model's check of the run
        (:meth:`estimate`): called before a run folder is touched.

        >>> from surrogate.cp.config import SurrogateConfig
        >>> SurrogateConfig("S3", "xy", grid(1, 9)).prepare().nnz
        36
        >>> SurrogateConfig("S3", "xy", grid(1, 9)).prepare(word_tensor("S4", "xy"))
        Traceback (most recent call last):
        ...
        surrogate.config.ConfigError: the word tensor given is xy on S4, but the configuration names xy on S3
        """
        if tensor is None:
            tensor = word_tensor(self.spec, self.word)
        else:
            w = Word.parse(self.word)
            same = str(w) == str(tensor.word) and w.variables == tensor.word.variables
            if same and tensor.group.name != self.spec:
                G = Group.from_spec(self.spec)
                same = G.order == tensor.n and np.array_equal(G.mul, tensor.group.mul)
            if not same:
                raise ConfigError(f"the word tensor given is {tensor.word} on {tensor.group.name}, "
                                  f"but the configuration names {self.word} on {self.spec}")
        if tensor.arity < 1:
            raise ConfigError(f"the word {tensor.word} has no variables; nothing to learn")
        sizes.check(self.estimate(tensor))
        return tensor

    def estimate(self, tensor: WordTensor) -> sizes.Estimate:
        """The size model's estimate of the run: the representations and triplet decomposition
        its analysis needs (:func:`fusion.decompose.decomposition_estimate`), then the batched
        training (:func:`wordtensor.sizes.training_stage`).

        >>> from surrogate.cp.config import SurrogateConfig
        >>> est = SurrogateConfig("S3", "xy", grid(4, 9), steps=100).estimate(word_tensor("S3", "xy"))
        >>> est.stages[-1].name, est.bytes < 1 << 30
        ('surrogate training', True)
        """
        dec = decomposition_estimate(tensor.group, tensor.word)
        N = tensor.nnz
        train = max(min(N, max(1, int(round(i.train_fraction * N)))) for i in self.instances)
        stage = sizes.training_stage(
            self.KIND, instances=len(self.instances), n=tensor.n, arity=tensor.arity,
            width=self.width, steps=self.steps, itemsize=4 if self.dtype == "float32" else 8,
            train_tuples=train if train < N else None, log_per_decade=self.log_per_decade)
        return sizes.Estimate(f"the {self.KIND} run of {tensor.word} on {tensor.group.name}",
                              dec.stages + (stage,), baseline=sizes.TORCH_BASELINE)

    def differences(self, other: BatchConfig, *, ignore: Iterable[str] = ("steps",)) -> list[str]:
        """What differs between this (saved) configuration and ``other`` (asked for), one text
        per setting, instance settings as lists over the instances.

        >>> from surrogate.cp.config import SurrogateConfig
        >>> saved = SurrogateConfig("S3", "xy", grid(2, 9), steps=100)
        >>> saved.differences(saved.replace(steps=500))          # only steps: none
        []
        >>> saved.differences(SurrogateConfig("S4", "xy", grid(2, 16)))
        ["spec: saved 'S3', asked 'S4'", 'width: saved [9, 9], asked [16, 16]']
        """
        a, b = self.to_dict(), other.to_dict()
        out = []
        for f in fields(self):
            key = f.name
            if key in ignore or not f.compare or key == "instances" or a.get(key) == b.get(key):
                continue
            out.append(f"{key}: saved {a.get(key)!r}, asked {b.get(key)!r}")
        if len(self.instances) != len(other.instances):
            out.append(f"instances: saved {len(self.instances)}, asked {len(other.instances)}")
        else:
            for f in fields(Instance):
                sa = [getattr(i, f.name) for i in self.instances]
                sb = [getattr(i, f.name) for i in other.instances]
                if sa != sb:
                    out.append(f"{f.name}: saved {sa}, asked {sb}")
        return out
