"""Figures of a network run (matplotlib PNGs, without pyplot's global state): the excluded /
restricted losses over time (:func:`plot_progress`), the neuron-by-bsc mass map
(:func:`plot_neuron_boxes`) and all figures of a run (:func:`plot_network_run`)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from wordtensor import Word, validate, word_tensor

from ..plots import plot_curves, save_figure
from .analysis import NetworkAnalyzer, neuron_boxes
from .result import NetworkResult

__all__ = ["plot_progress", "plot_neuron_boxes", "plot_network_run"]


def plot_progress(res: NetworkResult, path: str | os.PathLike, instance: int | None = None
                  ) -> Path:
    """Excluded losses per support triplet, the excluded / restricted / train / test losses and
    the interaction mass on the support, against the step (one instance, or the median).

    >>> import tempfile
    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5),
    ...                     progress=False)
    >>> png = plot_progress(res, Path(tempfile.mkdtemp()) / "progress.png")
    >>> png.suffix, png.is_file()
    ('.png', True)
    """
    fig = Figure(figsize=(11, 4.2))
    ax, ax2 = fig.subplots(1, 2)
    cols = [c for c in dict.fromkeys(c for r in res.rows for c in r) if c.startswith("excl:")]
    keys = [("train_loss", "k", "-"), ("test_loss", "k", "--"), ("restricted_loss", "C3", "-"),
            ("excluded_loss", "C3", "--")] + [(c, f"C{j % 10}", ":") for j, c in enumerate(cols)]

    def pick(vals):
        if instance is not None:
            return vals[:, instance]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(vals, axis=1)

    for key, colour, ls in keys:
        steps, vals = res.series(key)
        ax.plot(np.maximum(steps, 0.8), np.maximum(pick(vals), 1e-8), ls, color=colour,
                label=key.replace("excl:", "excluded "))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"{res.config.loss} loss (train tuples unless 'test')")
    ax.legend(fontsize=6)
    for key, colour in (("support_mass", "C0"), ("restricted_acc", "C3"), ("test_acc", "k")):
        steps, vals = res.series(key)
        ax2.plot(np.maximum(steps, 0.8), pick(vals), color=colour, label=key)
    ax2.set_xscale("log")
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_xlabel("step")
    ax2.legend(fontsize=7)
    who = f"instance {instance}" if instance is not None else "median over instances"
    fig.suptitle(f"{res.config.spec} {res.config.word}: excluded / restricted losses ({who})")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_neuron_boxes(res: NetworkResult, path: str | os.PathLike, instance: int = 0, *,
                      analyzer: NetworkAnalyzer | None = None) -> Path:
    """Heat map of the final parameters of one instance: one row per active neuron (sorted by
    triplet, strongest first), one column per (weight vector, bsc): its mass there.

    >>> import tempfile
    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5),
    ...                     progress=False)
    >>> png = plot_neuron_boxes(res, Path(tempfile.mkdtemp()) / "boxes.png", instance=1)
    >>> png.name, png.is_file()
    ('boxes.png', True)
    """
    cfg = res.config
    an = analyzer if analyzer is not None else NetworkAnalyzer(word_tensor(cfg.spec, cfg.word))
    q = {p: np.asarray(v)[instance:instance + 1] for p, v in res.params.items()}
    nb = neuron_boxes(q, cfg.activation, an, active_tol=cfg.active_tol, purity_tol=cfg.purity_tol)
    mass, dom, pur, st = nb["mass"][0], nb["dominant"][0], nb["purity"][0], nb["strength"][0]
    order = sorted(np.flatnonzero(nb["active"][0]), key=lambda j: (tuple(dom[j]), -st[j]))
    K, t, _ = mass.shape
    names = an.bsc_names
    labels = list(Word.parse(cfg.word).variables) + ["out"]
    img = (np.concatenate([mass[i][:, order].T for i in range(K)], axis=1) if order
           else np.zeros((1, K * t)))
    fig = Figure(figsize=(1.5 + 0.45 * K * t, 1.8 + 0.1 * max(len(order), 1)))
    ax = fig.subplots()
    im = ax.imshow(img, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_xticks(range(K * t), [f"{labels[i]}:{names[p]}" for i in range(K) for p in range(t)],
                  rotation=60, fontsize=7)
    step = max(1, len(order) // 40)
    ax.set_yticks(range(0, len(order), step),
                  [",".join(names[x] for x in dom[order[j]]) + ("" if pur[order[j]] >=
                                                                cfg.purity_tol else " (mixed)")
                   for j in range(0, len(order), step)], fontsize=6)
    for i in range(1, K):
        ax.axvline(i * t - 0.5, color="w", lw=1.5)
    counts = ", ".join(f"{c}×({an.triplet_name(k)})" for k, c in nb["counts"][0].items())
    ax.set_title(f"{cfg.spec} {cfg.word}, seed {cfg.instances[instance].seed}: {counts}"
                 + (f", {nb['mixed'][0]} mixed" if nb["mixed"][0] else ""), fontsize=8)
    ax.set_ylabel("active neurons (triplet)")
    fig.colorbar(im, ax=ax, label="mass in bsc (centred weights)")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_network_run(res: NetworkResult, out_dir: str | os.PathLike | None = None, *,
                     analyzer: NetworkAnalyzer | None = None) -> list[Path]:
    """curves.png (:func:`surrogate.plots.plot_curves`), progress.png and neuron_boxes.png
    (first instance that did not diverge) into ``out_dir`` (default: the run folder).

    >>> import tempfile
    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> d = tempfile.mkdtemp()
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 8, 0.5), steps=5),
    ...                     run_dir=d, progress=False)
    >>> paths = plot_network_run(res)  # into the run folder
    >>> [p.name for p in paths], all(p.parent == Path(d) and p.is_file() for p in paths)
    (['curves.png', 'progress.png', 'neuron_boxes.png'], True)
    """
    validate.instance(res, "res", NetworkResult, "a NetworkResult",
                      hint="train_network(...) returns one")
    out = Path(out_dir or res.run_dir or ".")
    ok = [b for b, s in enumerate(res.status) if s == "ok"] or [0]
    paths = [plot_curves(res, out / "curves.png"), plot_progress(res, out / "progress.png")]
    if res.params:
        paths.append(plot_neuron_boxes(res, out / "neuron_boxes.png", ok[0], analyzer=analyzer))
    return paths
