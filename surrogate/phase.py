"""Phase diagram: test accuracy over width × training fraction (× seeds), one batched run,
drawn as a heat map with the tensor's rank bounds marked on the width axis.

Rank bounds: :func:`rank_bounds` takes them as an argument; otherwise it asks
``fusion.ranks.rank_bounds`` (certified bounds of two-variable words) and, for words it does
not handle, falls back to what is computed here: the largest flattening rank, and for the
group product xy the Alder–Strassen lower bound 2n − t (t bscs) and the constructive upper
bound Σ_φ rank of the best known decomposition of each simple block (fusion.algebras).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from fusion import bscs
from wordtensor import WordTensor, WordTensorError, word_tensor
from wordtensor.storage import write_json

from .config import SurrogateConfig, grid
from .train import train

__all__ = ["RankBounds", "rank_bounds", "xy_rank_lower_bound", "xy_rank_upper_bound",
           "is_group_product", "PhaseResult", "phase_diagram", "plot_phase"]


@dataclass(frozen=True)
class RankBounds:
    """lower ≤ rank ≤ upper (either may be None), and where they came from.

    >>> b = rank_bounds(word_tensor("Z4", "xy"))        # Alder–Strassen 2·4 − 3 = 1 + 1 + 3
    >>> b.lower, b.upper, b.source
    (5, 5, 'fusion.ranks (alder-strassen; constructive)')
    >>> RankBounds(9, None, "given") == rank_bounds(word_tensor("S3", "xy"), (9, None))
    True
    """

    lower: int | None
    upper: int | None
    source: str = ""


def is_group_product(tensor: WordTensor) -> bool:
    """True when the word tensor is that of xy (δ[a, b, c] = 1 iff g_a g_b = g_c).

    >>> [is_group_product(word_tensor("S3", w)) for w in ("xy", "yx", "[x,y]")]
    [True, False, False]
    >>> is_group_product(word_tensor("Z4", "yx"))       # abelian: yx has the tensor of xy
    True
    """
    return tensor.arity == 2 and np.array_equal(tensor.image,
                                                tensor.group.mul.reshape(-1).astype(np.int64))


def xy_rank_lower_bound(G) -> int:
    """Alder–Strassen: rank of the algebra R[G] ≥ 2 dim − (number of maximal two-sided
    ideals) = 2n − t, t the number of bscs (simple components).

    >>> from wordtensor import Group
    >>> xy_rank_lower_bound(Group.from_spec("S3")), xy_rank_lower_bound(Group.from_spec("S4"))
    (9, 43)
    """
    return 2 * G.order - len(bscs(G))


def xy_rank_upper_bound(G) -> int:
    """Σ over bscs of the best known rank of the block's algebra: M_d(R) (real type),
    M_d(C) (complex), M_{d/2}(H) (quaternionic), d the complex irrep dimension.

    >>> from wordtensor import Group
    >>> xy_rank_upper_bound(Group.from_spec("S3")), xy_rank_upper_bound(Group.from_spec("S4"))
    (9, 55)
    """
    from fusion.algebras.best import best_rank

    total = 0
    for b in bscs(G):
        d = b.irrep_dim
        algebra, size = {"real": ("R", d), "complex": ("C", d), "quaternionic": ("H", d // 2)}[b.kind]
        total += best_rank(algebra, size)
    return total


def _flattening_lower(tensor: WordTensor, max_entries: int = 1 << 24) -> int | None:
    if tensor.n * tensor.nnz > max_entries:
        return None
    return max(int(np.linalg.matrix_rank(tensor.unfolding(i).toarray()))
               for i in range(tensor.ndim))


def rank_bounds(tensor: WordTensor, given: tuple[int | None, int | None] | None = None
                ) -> RankBounds:
    """Rank bounds of a word tensor for the phase diagram's width axis.

    >>> b = rank_bounds(word_tensor("S3", "xy")); (b.lower, b.upper)
    (9, 9)
    >>> rank_bounds(word_tensor("S3", "xy"), (9, 10)).upper
    10
    """
    if given is not None:
        lo, up = given
        return RankBounds(None if lo is None else int(lo), None if up is None else int(up),
                          "given")
    try:  # certified bounds for two-variable words (fusion.ranks)
        from fusion.ranks import rank_bounds as _fusion_rank_bounds

        rep = _fusion_rank_bounds(tensor.group, tensor.word)
        return RankBounds(int(rep.lower), int(rep.upper),
                          f"fusion.ranks ({rep.lower_method}; {rep.upper_method})")
    except (ImportError, WordTensorError):  # not available, or a word it does not handle
        pass
    lower = _flattening_lower(tensor)
    src = ["flattening"] if lower is not None else []
    upper = None
    if is_group_product(tensor):
        lower = max(lower or 0, xy_rank_lower_bound(tensor.group))
        upper = xy_rank_upper_bound(tensor.group)
        src = ["Alder-Strassen 2n-t", "known block decompositions"]
    return RankBounds(lower, upper, "; ".join(src))


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


def phase_diagram(spec: str, word: str, widths, fractions, seeds=4, *, steps: int = 2000,
                  loss: str = "mse", optimizer: str = "adam", lr: float = 1e-2,
                  weight_decay: float = 1e-4, init_scale: float = 0.3, decay: str = "l2",
                  dtype: str = "float32", device="cpu", run_dir=None, resume: bool = False,
                  progress: bool = True, compile: bool = False,
                  rank_bounds_: tuple[int | None, int | None] | None = None,
                  log_per_decade: int = 4) -> PhaseResult:
    """Train every (width, fraction, seed) as one batch and collect the final accuracies.

    >>> pr = phase_diagram("S3", "xy", [4, 9], [0.5, 1.0], 1, steps=30, progress=False)
    >>> pr.test_acc.shape, pr.bounds.lower
    ((2, 2, 1), 9)
    """
    widths, fractions = [int(w) for w in widths], [float(f) for f in fractions]
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    tensor = word_tensor(spec, word)
    cfg = SurrogateConfig(spec, word, grid(seeds, widths, fractions, lr=lr,
                                           weight_decay=weight_decay, init_scale=init_scale),
                          steps=steps, loss=loss, optimizer=optimizer, dtype=dtype, decay=decay,
                          log_per_decade=log_per_decade)
    res = train(cfg, tensor=tensor, device=device, run_dir=run_dir, resume=resume,
                progress=progress, compile=compile)
    s = res.summary()
    shape = (len(widths), len(fractions), len(seeds))

    def arr(key):
        return np.array([np.nan if v is None else v for v in s[key]], dtype=float).reshape(shape)

    out = PhaseResult(spec, word, widths, fractions, seeds, arr("test_accuracy"),
                      arr("train_accuracy"), rank_bounds(tensor, rank_bounds_), res.run_dir,
                      [e for e in s["errors"] if e])
    if run_dir is not None:
        write_json(Path(run_dir) / "phase.json", out.to_dict())
    return out


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


def plot_phase(result: PhaseResult, path) -> Path:
    """Heat map of the mean test accuracy (width on x, training fraction on y; train accuracy
    at fractions without held-out tuples, marked "(train)"); each cell annotated with the number
    of seeds reaching 99%; rank bounds as vertical lines.

    >>> import os, tempfile
    >>> acc = np.array([[[0.4, 0.5]], [[1.0, 0.995]], [[1.0, 0.9]]])   # (widths, fractions, seeds)
    >>> pr = PhaseResult("S3", "xy", [4, 9, 12], [1.0], [0, 1], acc, acc, RankBounds(9, 9))
    >>> png = plot_phase(pr, os.path.join(tempfile.mkdtemp(), "phase.png"))
    >>> png.suffix, png.exists()
    ('.png', True)
    """
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
