"""Figures of a surrogate run (matplotlib, PNG), drawn from a :class:`~surrogate.train.TrainResult`
or a run folder, without pyplot's global state.

* :func:`plot_curves` — train/test loss and accuracy against the step, grokking step marked;
* :func:`plot_triplet_residuals` — ‖(T̃ − δ̃)_{φψζ}‖ per support triplet over time;
* :func:`plot_box_masses` — the component-by-bsc mass heat map at the end of training.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .metrics import active_per_triplet
from .train import TrainResult, grokking_steps

__all__ = ["plot_curves", "plot_triplet_residuals", "plot_box_masses", "plot_run"]

_MAX_LINES = 12


def _result(run) -> TrainResult:
    if isinstance(run, TrainResult):
        return run
    from .runs import load_run

    return load_run(run)


def _series(res: TrainResult, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps (S,), values (S, B)) of a metrics column."""
    B = len(res.config.instances)
    steps = np.array(sorted({r["step"] for r in res.rows}))
    pos = {s: j for j, s in enumerate(steps)}
    out = np.full((len(steps), B), np.nan)
    for r in res.rows:
        if key in r:
            out[pos[r["step"]], r["instance"]] = r[key]
    return steps, out


def _label(res: TrainResult, b: int) -> str:
    i = res.config.instances[b]
    return f"seed {i.seed}, m={i.width}, f={i.train_fraction:g}"


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def _xpos(steps):
    return np.maximum(steps, 0.8)  # step 0 drawn just left of step 1 on the log axis


def plot_curves(run, path, instances=None) -> Path:
    """Loss (log-log) and accuracy (log-x) curves; dotted verticals at each instance's grokking
    step (first logged step with test accuracy ≥ 99%). Over 12 instances: median and 10–90%
    band.

    >>> import tempfile
    >>> from surrogate.config import SurrogateConfig, grid
    >>> from surrogate.train import train
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
            steps, vals = _series(res, key)
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
    last = _series(res, "test_acc")[1][-1, inst]
    final = np.nan_to_num(last, nan=-1)
    title = (f"{res.config.spec} {res.config.word}: trained on all input tuples (no test set)"
             if np.isnan(last).all() else
             f"{res.config.spec} {res.config.word}: test acc reaches 99% in {len(done)}/{len(gs)}"
             + (f" (median step {int(np.median(done))}, dotted)" if done else "")
             + f", ends ≥ 99% in {int((final >= 0.99).sum())}/{len(gs)}")
    fig.suptitle(title)
    axa.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _save(fig, path)


def plot_triplet_residuals(run, path, instance: int | None = None) -> Path:
    """‖(T̃ − δ̃)_{φψζ}‖ over time for every support triplet and the off-support remainder
    (one instance, or the median over instances).

    Drawn here from a run folder rather than a :class:`~surrogate.train.TrainResult`:

    >>> import tempfile
    >>> from surrogate.config import SurrogateConfig, grid
    >>> from surrogate.train import train
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
        steps, vals = _series(res, c)
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
    return _save(fig, path)


def plot_box_masses(run, path, instance: int = 0) -> Path:
    """Heat map at the last logged step: one row per component (active ones, sorted by their
    dominant triplet), one column per (factor, bsc): the box mass ‖F_φ u‖²/‖u‖².

    >>> import tempfile
    >>> from surrogate.config import SurrogateConfig, grid
    >>> from surrogate.train import train
    >>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), progress=False)
    >>> png = plot_box_masses(res, Path(tempfile.mkdtemp()) / "box_mass.png", instance=1)
    >>> png.suffix, png.is_file()
    ('.png', True)
    """
    res = _result(run)
    if "box_mass" not in res.dynamics:
        raise ValueError("this run has no box masses logged")
    mass = res.dynamics["box_mass"][-1][instance]  # (k+1, t, M)
    strength = res.dynamics["strength"][-1][instance]
    active = res.dynamics["active"][-1][instance]
    dom = res.dynamics["dominant"][-1][instance]
    pur = res.dynamics["purity"][-1][instance]
    K, t, M = mass.shape
    order = sorted(np.flatnonzero(active), key=lambda r: (tuple(dom[r]), -strength[r]))
    names = res.bsc_names or [str(i) for i in range(t)]
    from wordtensor import Word

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
    return _save(fig, path)


def plot_run(run, out_dir=None) -> list[Path]:
    """All three figures into ``out_dir`` (default: the run folder).

    >>> import tempfile
    >>> from surrogate.config import SurrogateConfig, grid
    >>> from surrogate.train import train
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
