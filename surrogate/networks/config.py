"""The configuration of a batch of two-layer networks (:class:`NetworkConfig`, saved as a
run folder's ``config.json``); its defaults are the grokking recipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from wordtensor.validate import choice, finite_float, positive_int, probability

from ..config import BatchConfig, ConfigError, Instance, fix
from .recipes import ACTIVATION_NAMES, RECIPE

__all__ = ["NetworkConfig"]


@dataclass(frozen=True)
class NetworkConfig(BatchConfig):
    """Everything that determines a batched network run (saved as ``config.json``).

    ``instances`` are :class:`surrogate.config.Instance` (seed, width, training fraction, lr,
    weight decay, initial scale, split seed): E and W start N(0, init_scale²) and
    N(0, (output_scale · init_scale)²/width), biases at 0. ``grokfast_alpha`` /
    ``grokfast_lambda`` switch on the Grokfast EMA gradient filter when λ > 0. ``eval_every``:
    test accuracy is computed every that many steps (the resolution of the grokking step).
    ``active_tol``: a neuron is active when the norm of its contribution to the interaction
    part of the logits is at least this fraction of the largest; ``purity_tol`` as for the
    surrogate.

    >>> from surrogate.networks import network_grid
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2))
    >>> NetworkConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    KIND: ClassVar[str] = "network"

    spec: str
    word: str
    instances: tuple[Instance, ...]
    steps: int = RECIPE["steps"]
    activation: str = RECIPE["activation"]
    loss: str = RECIPE["loss"]
    betas: tuple[float, float] = RECIPE["betas"]
    eps: float = 1e-8
    output_scale: float = RECIPE["output_scale"]
    orthograd: bool = False
    grokfast_alpha: float = 0.98
    grokfast_lambda: float = 0.0
    dtype: str = "float32"
    eval_every: int = 10
    log_per_decade: int = 10
    checkpoint_per_decade: int = 3
    active_tol: float = 0.05
    purity_tol: float = 0.9
    model: str = "network"
    extra: dict = field(default_factory=dict, compare=False)

    def check(self) -> None:
        super().check()
        v = dict(error=ConfigError)
        choice(self.activation, "activation", ACTIVATION_NAMES, **v)
        fix(self, "grokfast_alpha", probability(self.grokfast_alpha, "Grokfast alpha",
                                                allow_one=False, **v))
        fix(self, "grokfast_lambda", finite_float(self.grokfast_lambda,
                                                  "Grokfast lambda (--grokfast)", minimum=0, **v))
        fix(self, "eval_every", positive_int(self.eval_every, "eval_every", **v))
        fix(self, "checkpoint_per_decade", positive_int(self.checkpoint_per_decade,
                                                        "checkpoint_per_decade", **v))
        fix(self, "output_scale", finite_float(self.output_scale, "output_scale", minimum=0, **v))
        if not isinstance(self.orthograd, bool):
            raise ConfigError(f"orthograd must be True or False, got {self.orthograd!r}")
        if self.model != "network":
            raise ConfigError(f"not a network configuration (model {self.model!r})")
