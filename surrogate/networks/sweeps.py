"""Sweeps of networks: the width × training-fraction grid as one batch
(:func:`network_sweep_config`) and its phase diagram (:func:`network_phase_diagram`, a
:class:`surrogate.phase.PhaseResult`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from wordtensor import WordTensor, word_tensor
from wordtensor.storage import write_json

from ..batching import Device
from ..config import grid
from ..phase import PhaseResult, RankBounds, phase_bounds, phase_result
from .config import NetworkConfig
from .recipes import RECIPE
from .runs import NetworkRunFolder
from .trainer import train_network

__all__ = ["network_sweep_config", "network_phase_diagram"]


def network_sweep_config(spec: str, word: str, widths: Iterable[int], fractions: Iterable[float],
                         seeds: Iterable[int] | int = 4, *, steps: int = RECIPE["steps"],
                         activation: str = RECIPE["activation"], lr: float = RECIPE["lr"],
                         weight_decay: float = RECIPE["weight_decay"],
                         init_scale: float = RECIPE["init_scale"], loss: str = RECIPE["loss"],
                         dtype: str = "float32", log_per_decade: int = 4,
                         **config_kw) -> NetworkConfig:
    """The network configuration of a sweep: every (width, fraction, seed) as one batch (seed
    fastest), the recipe's settings unless given; ``config_kw`` go to :class:`NetworkConfig`.

    >>> cfg = network_sweep_config("S3", "xy", [4, 8], [0.5, 1.0], 1, steps=5)
    >>> [(i.width, i.train_fraction) for i in cfg.instances], cfg.activation
    ([(4, 0.5), (4, 1.0), (8, 0.5), (8, 1.0)], 'quadratic')
    """
    return NetworkConfig(spec, word, grid(seeds, widths,
                                          fractions, lr=lr,
                                          weight_decay=weight_decay, init_scale=init_scale),
                         steps=steps, activation=activation, loss=loss, dtype=dtype,
                         log_per_decade=log_per_decade, **config_kw)


def network_phase_diagram(spec: str, word: str, widths: Iterable[int],
                          fractions: Iterable[float], seeds: Iterable[int] | int = 4, *,
                          tensor: WordTensor | None = None,
                          bounds: RankBounds | tuple[int | None, int | None] | None = None,
                          device: Device = "cpu", run_dir: str | os.PathLike | None = None,
                          resume: bool = False, progress: bool = True, compile: bool = False,
                          **settings) -> PhaseResult:
    """The width × training-fraction phase diagram of networks (draw it with
    :func:`surrogate.plots.plot_phase`); ``settings`` go to :func:`network_sweep_config`.
    With ``run_dir`` the batch's run folder also gets ``phase.json``.

    >>> pr = network_phase_diagram("S3", "xy", [8], [0.5, 1.0], 1, steps=5, progress=False)
    >>> pr.test_acc.shape, (pr.bounds.lower, pr.bounds.upper)
    ((1, 2, 1), (9, 9))
    """
    cfg = network_sweep_config(spec, word, widths, fractions, seeds, **settings)
    tensor = tensor if tensor is not None else word_tensor(spec, word)
    if not isinstance(bounds, RankBounds):
        bounds = phase_bounds(tensor, bounds)
    if run_dir is None:
        res = train_network(cfg, tensor=tensor, device=device, progress=progress,
                            compile=compile)
        return phase_result(res.summary(), cfg, bounds, None)
    with NetworkRunFolder(run_dir).session(cfg, resume=resume):
        res = train_network(cfg, tensor=tensor, device=device, run_dir=run_dir, resume=resume,
                            progress=progress, compile=compile)
        out = phase_result(res.summary(), cfg, bounds, res.run_dir)
        write_json(Path(run_dir) / "phase.json",
                   out.to_dict() | {"model": "network", "activation": cfg.activation})
    return out
