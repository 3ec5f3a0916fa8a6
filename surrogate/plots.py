"""Figures (matplotlib PNGs, without pyplot's global state) of a run of either model, a
phase diagram and a comparison table:

* :func:`plot_curves` — train/test loss and accuracy against the step, grokking step marked;
* :func:`plot_triplet_residuals` — ‖(T̃ − δ̃)_{φψζ}‖ per support triplet over time (surrogate);
* :func:`plot_box_masses` — the component-by-bsc mass heat map at the end of training
  (surrogate); :func:`plot_run` draws these three;
* :func:`plot_phase` — the width × training-fraction heat map with the rank bounds;
* :func:`plot_compare` — per box: rank bounds, neurons, components.

The network's own figures are in :mod:`surrogate.networks.plots`.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from wordtensor import Word, WordTensorError, validate
from wordtensor.storage import atomic_write

from .bsc import active_per_triplet
from .comparison import check_comparison
from .cp.result import TrainResult
from .cp.runs import load_run
from .phase import PhaseResult
from .results import RunResult, grokking_steps

if TYPE_CHECKING:
    from .phase import PhaseResult

__all__ = ["plot_curves", "plot_triplet_residuals", "plot_box_masses", "plot_run", "plot_phase",
           "plot_compare"]

_MAX_LINES = 12

#: A run to draw: a result, or the path of a surrogate run folder.
Run = RunResult | str | os.PathLike


def _result(run: Run) -> RunResult:
    return run if isinstance(run, RunResult) else load_run(run)


def _label(res: RunResult, b: int) -> str:
    i = res.config.instances[b]
    return f"seed {i.seed}, m={i.width}, f={i.train_fraction:g}"


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` as a PNG at ``path``, atomically (its folder created), and return the
    path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write(path, buf.getvalue())
    return path


def _xpos(steps):
    return np.maximum(steps, 0.8)  # step 0 drawn just left of step 1 on the log axis


def plot_curves(run: Run, path: str | os.PathLike, instances=None) -> Path:
    """Loss (log-log) and accuracy (log-x) curves; dotted verticals at each instance's grokking
    step (first logged step with test accuracy ≥ 99%). Over 12 instances: median and 10–90%
    band.

    >>> import tempfile
    >>> from surrogate import SurrogateConfig, grid, train
    >>> res = train(SurrogateConfig("S3", "xy", grid(2, 9, 0.5), steps=5), progress=False)
    >>> png = plot_curves(res, Path(tempfile.mkdtemp()) / "curves.png")
    >>> png.suffix, png.is_file()
    ('.png', True)
    """
    res = _result(run)
    B = len(res.config.instances)
    inst = list(range(B)) if instances is None else list(instances)
    grok = grokking_steps(res.rows, B)
    fig = Figure(figsize=(11, 4.2))
    axl, axa = fig.subplots(1, 2)
    many = len(inst) > _MAX_LINES
    colours = [f"C{j % 10}" for j in range(len(inst))]
    for ax, keys, ylab in ((axl, ("train_loss", "test_loss"), f"{res.config.loss} loss"),
                           (axa, ("train_acc", "test_acc"), "accuracy")):
        for key, ls in zip(keys, ("-", "--")):
            steps, vals = res.series(key)
            x = _xpos(steps)
            vals = vals[:, inst]
            if many:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    med = np.nanmedian(vals, axis=1)
                    lo, hi = np.nanpercentile(vals, [10, 90], axis=1)
                ax.plot(x, med, ls, color="k", label=f"{key.split('_')[0]} (median)")
                ax.fill_between(x, lo, hi, color="k", alpha=0.15)
            else:
                for j, b in enumerate(inst):
                    ax.plot(x, vals[:, j], ls, color=colours[j],
                            label=_label(res, b) if ls == "-" else None)
        ax.set_xscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(ylab + " (solid: train, dashed: test)")
    axl.set_yscale("log")
    axa.set_ylim(-0.02, 1.02)
    gs = [grok[b]["test"] for b in inst]
    for j, g in enumerate(gs):
        if g is not None:
            for ax in (axl, axa):
                ax.axvline(max(g, 0.8), color="k" if many else colours[j], ls=":", lw=1)
    done = [g for g in gs if g is not None]
    last = res.series("test_acc")[1][-1, inst]
    final = np.nan_to_num(last, nan=-1)
    title = (f"{res.config.spec} {res.config.word}: trained on all input tuples (no test set)"
             if np.isnan(last).all() else
             f"{res.config.spec} {res.config.word}: test acc reaches 99% in {len(done)}/{len(gs)}"
             + (f" (median step {int(np.median(done))}, dotted)" if done else "")
             + f", ends ≥ 99% in {int((final >= 0.99).sum())}/{len(gs)}")
    fig.suptitle(title)
    axa.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_triplet_residuals(run: Run, path: str | os.PathLike, instance: int | None = None
                           ) -> Path:
    """‖(T̃ − δ̃)_{φψζ}‖ over time for every support triplet and the off-support remainder
    (one instance, or the median over instances).

    Drawn here from a run folder rather than a :class:`~surrogate.cp.TrainResult`:

    >>> import tempfile
    >>> from surrogate import SurrogateConfig, grid, train
    >>> run = tempfile.mkdtemp()
    >>> _ = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), run_dir=run, progress=False)
    >>> png = plot_triplet_residuals(run, Path(run) / "residuals.png", instance=0)
    >>> png.name, png.is_file()
    ('residuals.png', True)
    """
    res = _result(run)
    cols = sorted({c for r in res.rows for c in r if c.startswith("res:")})
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    if not cols:
        ax.text(0.5, 0.5, "per-triplet residuals were not computed\n(tensor too large)",
                ha="center", va="center", transform=ax.transAxes)
    for j, c in enumerate(cols):
        steps, vals = res.series(c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y = vals[:, instance] if instance is not None else np.nanmedian(vals, axis=1)
        ax.plot(_xpos(steps), np.maximum(y, 1e-16), color=f"C{j % 10}", label=c[4:],
                ls="--" if c == "res:off-support" else "-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖(T̃ − δ̃) block‖")
    who = _label(res, instance) if instance is not None else "median over instances"
    ax.set_title(f"{res.config.spec} {res.config.word}: residual per bsc triplet ({who})",
                 fontsize=10)
    if cols:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_box_masses(run: Run, path: str | os.PathLike, instance: int = 0) -> Path:
    """Heat map at the last logged step: one row per component (active ones, sorted by their
    dominant triplet), one column per (factor, bsc): the box mass ‖F_φ u‖²/‖u‖².

    >>> import tempfile
    >>> from surrogate import SurrogateConfig, grid, train
    >>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), progress=False)
    >>> png = plot_box_masses(res, Path(tempfile.mkdtemp()) / "box_mass.png", instance=1)
    >>> png.suffix, png.is_file()
    ('.png', True)
    """
    res = _result(run)
    if not isinstance(res, TrainResult) or "box_mass" not in res.dynamics:
        raise WordTensorError("this run has no box masses logged (a surrogate run has them)")
    mass = res.dynamics["box_mass"][-1][instance]  # (k+1, t, M)
    strength = res.dynamics["strength"][-1][instance]
    active = res.dynamics["active"][-1][instance]
    dom = res.dynamics["dominant"][-1][instance]
    pur = res.dynamics["purity"][-1][instance]
    K, t, M = mass.shape
    order = sorted(np.flatnonzero(active), key=lambda r: (tuple(dom[r]), -strength[r]))
    names = res.bsc_names or [str(i) for i in range(t)]
    variables = list(Word.parse(res.config.word).variables)
    factors = [f"{v}" for v in variables] + ["out"]
    img = np.concatenate([mass[i][:, order].T for i in range(K)], axis=1) if order else \
        np.zeros((1, K * t))
    fig = Figure(figsize=(1.2 + 0.45 * K * t, 1.6 + 0.28 * max(len(order), 1)))
    ax = fig.subplots()
    im = ax.imshow(img, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_xticks(range(K * t), [f"{factors[i]}:{names[p]}" for i in range(K) for p in range(t)],
                  rotation=60, fontsize=7)
    ax.set_yticks(range(len(order)), [f"{r} ({','.join(names[x] for x in dom[r])}"
                                      f"{'' if pur[r] >= res.config.purity_tol else ', mixed'})"
                                      f" {strength[r]:.2g}" for r in order], fontsize=7)
    for i in range(1, K):
        ax.axvline(i * t - 0.5, color="w", lw=1.5)
    counts, mixed = active_per_triplet(dom, pur, active, res.config.purity_tol)
    summ = ", ".join(f"{c}×({','.join(names[x] for x in key)})" for key, c in counts.items())
    ax.set_title(f"{_label(res, instance)}, step {res.steps[-1]}: {summ}"
                 + (f", {mixed} mixed" if mixed else ""), fontsize=8)
    ax.set_ylabel("component (triplet) strength")
    fig.colorbar(im, ax=ax, label="mass in bsc", shrink=max(0.25, min(1.0, 12 / max(len(order), 1))))
    fig.tight_layout()
    return save_figure(fig, path)


def plot_run(run: Run, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """All three figures into ``out_dir`` (default: the run folder).

    >>> import tempfile
    >>> from surrogate import SurrogateConfig, grid, train
    >>> run = tempfile.mkdtemp()
    >>> res = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=5), run_dir=run, progress=False)
    >>> paths = plot_run(res)  # into the run folder
    >>> [p.name for p in paths], all(p.parent == Path(run) and p.is_file() for p in paths)
    (['curves.png', 'triplet_residuals.png', 'box_mass.png'], True)
    """
    res = _result(run)
    out = Path(out_dir or res.run_dir or ".")
    return [plot_curves(res, out / "curves.png"),
            plot_triplet_residuals(res, out / "triplet_residuals.png"),
            plot_box_masses(res, out / "box_mass.png")]


def _axis_pos(value: float, ticks: list[int]) -> float:
    """Position of ``value`` on a categorical axis with ``ticks`` (linear in between,
    half a cell beyond the ends)."""
    idx = np.arange(len(ticks), dtype=float)
    if len(ticks) == 1:
        return 0.0 if value == ticks[0] else (-0.5 if value < ticks[0] else 0.5)
    if value <= ticks[0]:
        return -0.5 if value < ticks[0] else 0.0
    if value >= ticks[-1]:
        return len(ticks) - 0.5 if value > ticks[-1] else len(ticks) - 1.0
    return float(np.interp(value, ticks, idx))


def plot_phase(result: PhaseResult, path: str | os.PathLike) -> Path:
    """Heat map of the mean test accuracy (width on x, training fraction on y; train accuracy
    at fractions without held-out tuples, marked "(train)"); each cell annotated with the number
    of seeds reaching 99%; rank bounds as vertical lines.

    >>> import tempfile
    >>> from surrogate.phase import PhaseResult, RankBounds
    >>> acc = np.array([[[0.4, 0.5]], [[1.0, 0.995]], [[1.0, 0.9]]])   # (widths, fractions, seeds)
    >>> pr = PhaseResult("S3", "xy", [4, 9, 12], [1.0], [0, 1], acc, acc, RankBounds(9, 9))
    >>> png = plot_phase(pr, os.path.join(tempfile.mkdtemp(), "phase.png"))
    >>> png.suffix, png.exists()
    ('.png', True)
    """
    validate.instance(result, "result", PhaseResult, "a PhaseResult",
                      hint="phase_diagram(...) returns one")
    acc = result.mean_acc.T  # (fractions, widths)
    on_train = result.on_train
    fig = Figure(figsize=(max(5.5, 2.5 + 0.6 * len(result.widths)),
                          2.6 + 0.45 * len(result.fractions)))
    ax = fig.subplots()
    ax.set_facecolor("0.85")  # cells without held-out tuples
    im = ax.imshow(np.ma.masked_invalid(acc), origin="lower", vmin=0, vmax=1, cmap="magma",
                   aspect="auto")
    ax.set_xticks(range(len(result.widths)), [str(w) for w in result.widths])
    ax.set_yticks(range(len(result.fractions)),
                  [f"{f:g}" + (" (train)" if t else "") for f, t in zip(result.fractions, on_train)])
    ax.set_xlabel("width m")
    ax.set_ylabel("training fraction")
    S = len(result.seeds)
    for i in range(len(result.widths)):
        for j in range(len(result.fractions)):
            txt = "n/a" if np.isnan(acc[j, i]) else f"{int(round(result.solved[i, j] * S))}/{S}"
            ax.text(i, j, txt, ha="center", va="center", fontsize=7,
                    color="k" if np.isnan(acc[j, i]) or acc[j, i] > 0.6 else "w")
    b = result.bounds
    for val, name, style in ((b.lower, "lower", "--"), (b.upper, "upper", ":")):
        if val is not None:
            x = _axis_pos(val, result.widths)
            ax.axvline(x, color="c", ls=style, lw=2, label=f"rank {name} bound {val}")
    if b.lower is not None or b.upper is not None:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2,
                  frameon=False)
    fig.colorbar(im, ax=ax, label="mean test accuracy" + (" (train where marked)"
                                                           if on_train.any() else ""))
    ax.set_title(f"{result.spec} {result.word}: test accuracy (seeds ≥ 99%)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
def plot_compare(d: dict, path: str | os.PathLike) -> Path:
    """Bars per box: rank lower / upper bound, the network's neurons (median, min–max), the
    numerical rank of its bilinear part, and the surrogate's active components when given.

    >>> import tempfile
    >>> from surrogate import NetworkConfig, compare, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
    ...                     progress=False)
    >>> png = plot_compare(compare(res, write=False), Path(tempfile.mkdtemp()) / "c.png")
    >>> png.suffix, png.exists()
    ('.png', True)
    """
    check_comparison(d)
    blocks = d["blocks"]
    x = np.arange(len(blocks))
    series = [("rank lower", [r["rank_lower"] for r in blocks], None, "0.75"),
              ("rank upper (certified)", [r["rank_upper"] for r in blocks], None, "0.45")]

    def stat(key):
        med, err = [], [[], []]
        for r in blocks:
            vals = [v for v in (r[key] or []) if v is not None]
            m = float(np.median(vals)) if vals else np.nan
            med.append(m)
            err[0].append(m - min(vals) if vals else 0)
            err[1].append(max(vals) - m if vals else 0)
        return med, err

    if blocks and blocks[0]["surrogate_active"] is not None:
        series.append(("surrogate components", *stat("surrogate_active"), "C2"))
    series.append(("network neurons", *stat("network_neurons"), "C0"))
    if any(v is not None for r in blocks for v in r["network_rank"]):
        series.append(("network rank (neuron CP)", *stat("network_rank"), "C1"))
    width = 0.8 / len(series)
    fig = Figure(figsize=(max(6, 1.3 * len(blocks) + 2), 4.2))
    ax = fig.subplots()
    for j, (label, vals, err, colour) in enumerate(series):
        vals = np.array([np.nan if v is None else v for v in vals], dtype=float)
        ax.bar(x + (j - (len(series) - 1) / 2) * width, vals, width, label=label, color=colour,
               yerr=err, capsize=2 if err is not None else 0)
    ax.set_xticks(x, [r["box"] for r in blocks], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("count")
    ax.legend(fontsize=7)
    b = d["bounds"]
    ax.set_title(f"{d['spec']} {d['word']}: neurons per block vs rank bounds "
                 f"(total {b['lower']}..{b['upper']})", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
