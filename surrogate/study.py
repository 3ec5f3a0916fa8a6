"""The main job end to end for one group and word (``wordtensor study``): the stages and the
driver that runs them into a report folder.

Stages (each writes its results atomically into the report folder and is skipped on
``--resume`` when already there): the group and its word tensor; the triplet decomposition and
the fusion cover; the rank bounds with certified factors (``factors.npz``); a short batched
surrogate run (``surrogate/``) whose fits are polished and judged exact or approximate
(:mod:`surrogate.fits`); a short network run (``network/``) at the widths that make the
comparison informative — the rank's upper bound and twice it; the comparison of both with the
rank bounds (neurons per block, cosine with δ); then ``report.md`` (:mod:`surrogate.report`)
and ``summary.json``.

The group, the word tensor, the decomposition, the rank report (with its MILP) and the network
analyzer are computed once per study (:class:`Study`) and handed to the stages that need them.
"""

from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from fusion import bscs
from fusion.decompose import check_support_in_cover, decompose, decomposition_estimate, fusion_cover
from fusion.ranks import rank_bounds
from wordtensor import Group, sizes, validate, word_tensor
from wordtensor.commands import group_info
from wordtensor.errors import UsageError
from wordtensor.storage import atomic_write, to_jsonable, write_json

from .comparison import compare
from .config import grid
from .cp.config import SurrogateConfig
from .cp.runs import load_run
from .cp.trainer import train
from .folders import ConfigMismatchError, RunLock, check_out, make_folder, read_json
from .networks.analysis import NetworkAnalyzer
from .networks.config import NetworkConfig
from .networks.recipes import RECIPE, network_grid
from .networks.runs import load_network_run
from .networks.trainer import train_network
from .plots import plot_compare, plot_curves, plot_run, save_figure
from .report import STAGES, report_markdown

__all__ = ["study", "StudyConfig", "STAGES"]


class StudyConfig(dict):
    """Settings of a study (a plain dict saved as ``study.json``).

    >>> StudyConfig.default("S3", "xy")  # doctest: +NORMALIZE_WHITESPACE
    {'spec': 'S3', 'word': 'xy', 'seeds': 4, 'surrogate_steps': 10000, 'network_steps': 1000,
     'device': 'cpu'}
    >>> quick = StudyConfig.default("S4", "xyX", quick=True)  # --quick: a smoke test
    >>> quick["seeds"], quick["surrogate_steps"], quick["network_steps"], isinstance(quick, dict)
    (2, 300, 300, True)
    """

    @classmethod
    def default(cls, spec: str, word: str, *, quick: bool = False) -> StudyConfig:
        return cls(spec=spec, word=word, seeds=4 if not quick else 2,
                   surrogate_steps=10000 if not quick else 300,
                   network_steps=1000 if not quick else 300, device="cpu")

    def differences(self, saved: dict) -> list[str]:
        """What differs from the ``saved`` settings (the device may change).

        >>> StudyConfig.default("S4", "xy").differences(StudyConfig.default("S3", "xy"))
        ["spec: saved 'S3', asked 'S4'"]
        """
        return [f"{k}: saved {saved.get(k)!r}, asked {self.get(k)!r}"
                for k in dict.fromkeys([*saved, *self]) if k != "device"
                and saved.get(k) != self.get(k)]


def check_stages(G: Group, tensor, cfg: StudyConfig, stages) -> None:
    """Check, before any stage runs, that every stage asked for can take this word and fits
    the size model's limits (:mod:`wordtensor.sizes`); raise otherwise.

    >>> G = Group.from_spec("S3")
    >>> check_stages(G, word_tensor(G, "xyz"), StudyConfig.default("S3", "xyz"), STAGES)
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: study: the rank stage bounds the rank of a two-variable word's
    3-tensor, and xyz has 3 variables; run 'wordtensor tensor' or 'wordtensor fusion' on it instead
    """
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise UsageError(f"study: unknown stage(s) {unknown}; the stages are {', '.join(STAGES)}")
    if tensor.arity != 2 and {"rank", "surrogate", "compare"} & set(stages):
        raise UsageError(f"study: the rank stage bounds the rank of a two-variable word's 3-tensor, "
                         f"and {tensor.word} has {tensor.arity} variable"
                         f"{'s' if tensor.arity != 1 else ''}; run 'wordtensor tensor' or "
                         "'wordtensor fusion' on it instead")
    n = G.order
    est = decomposition_estimate(G, tensor.word)
    extra = []
    if "surrogate" in stages:  # its width is the rank's upper bound: about 2n for these words
        frac = 1.0 if n * n <= 100 else 0.5
        extra.append(sizes.training_stage(
            "surrogate", instances=cfg["seeds"], n=n, arity=2, width=2 * n,
            steps=cfg["surrogate_steps"] * 2, itemsize=8,
            train_tuples=None if frac >= 1 else int(frac * n * n)))
    if "network" in stages:
        frac = 1.0 if n * n <= 100 else RECIPE["train_fraction"]
        extra.append(sizes.training_stage(
            "network", instances=cfg["seeds"], n=n, arity=2, width=RECIPE["width"],
            steps=cfg["network_steps"], train_tuples=None if frac >= 1 else int(frac * n * n)))
    sizes.check(sizes.Estimate(f"the study of {tensor.word} on {G.name}", est.stages + tuple(extra),
                               baseline=sizes.TORCH_BASELINE))


def check_study(out: Path, cfg: StudyConfig, *, resume: bool) -> None:
    """Check, without writing anything, that a study of ``cfg`` may write into ``out``: not a
    file, no other kind of run, no study without ``resume``, the same settings on resume."""
    check_out(out, "study", resume=resume)
    saved = out / "study.json"
    if saved.is_file():
        diff = cfg.differences(read_json(saved))
        if diff:
            raise ConfigMismatchError(f"{out} holds a study with different settings "
                                      f"({'; '.join(diff)}); resume it with its own settings or "
                                      "choose another --out")


class Study:
    """What the stages of one study share, each computed at most once: the group, the word
    tensor, the decomposition and fusion cover, the rank report, the network analyzer, and the
    two training results (trained by their stage, or read back from the report folder).

    >>> s = Study(Group.from_spec("S3"), "xy", StudyConfig.default("S3", "xy"), Path("."))
    >>> s.tensor.nnz, s.decomposition.support == s.analyzer.support, s.report.upper
    (36, True, 9)
    """

    def __init__(self, G: Group, word: str, cfg: StudyConfig, out: Path, *,
                 progress: bool = False):
        self.G, self.cfg, self.out, self.progress = G, cfg, out, progress
        self.tensor = word_tensor(G, word)
        self.surrogate = None
        self.network = None

    @functools.cached_property
    def decomposition(self):
        return decompose(self.G, self.tensor.word)

    @functools.cached_property
    def report(self):
        return rank_bounds(self.G, self.tensor.word)

    @functools.cached_property
    def analyzer(self) -> NetworkAnalyzer:
        return NetworkAnalyzer(self.tensor)

    def surrogate_result(self):
        if self.surrogate is None and (self.out / "surrogate" / "config.json").is_file():
            self.surrogate = load_run(self.out / "surrogate")
        return self.surrogate

    def network_result(self):
        if self.network is None:
            self.network = load_network_run(self.out / "network")
        return self.network


# ---------------------------------------------------------------------------- stages
def _stage_tensor(s: Study) -> dict:
    return {"group": group_info(s.G), "tensor": s.tensor.stats()}


def _stage_fusion(s: Study) -> dict:
    dec = s.decomposition
    cov = fusion_cover(s.G, dec.word)
    check_support_in_cover(dec, cov)
    names = [b.name for b in bscs(s.G)]
    sup = dec.support
    labels = ["(" + ",".join(names[i] for i in t) + ")" for t in sup]
    fig = Figure(figsize=(max(5, 0.45 * len(sup) + 2), 3.6))
    ax = fig.subplots()
    ax.bar(range(len(sup)), [dec.norms[t] for t in sup], color="tab:blue")
    ax.set_xticks(range(len(sup)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("squared norm of the piece")
    ax.set_title(f"{dec.word} on {s.G.name}: {len(sup)} support triplets, cover {len(cov)}")
    fig.tight_layout()
    save_figure(fig, s.out / "fusion_norms.png")
    return {"bscs": [{"name": b.name, "kind": b.kind, "dim": b.dim, "space_dim": b.space_dim}
                     for b in bscs(s.G)],
            "support": [list(t) for t in sup], "norms": [float(dec.norms[t]) for t in sup],
            "cover": [list(t) for t in cov.triplets], "occurrences": list(cov.occurrences),
            "method": dec.method, "figure": "fusion_norms.png"}


def _stage_rank(s: Study) -> dict:
    rep, G = s.report, s.G
    rep.save(s.out / "factors.npz")
    w, facs = rep.cp
    data = rep.to_json()
    if facs[0].shape[1] <= 400:
        fig = Figure(figsize=(12, 3.6))
        axes = fig.subplots(1, 3)
        for ax, F, nm in zip(axes, facs, ("U (input x)", "V (input y)", "W (output)")):
            lim = float(np.max(np.abs(F))) or 1.0
            im = ax.imshow(F * (w if nm.startswith("W") else 1), aspect="auto", cmap="RdBu_r",
                           vmin=-lim, vmax=lim, interpolation="nearest")
            ax.set_title(nm)
            ax.set_xlabel("rank-one term")
            ax.set_ylabel("group element")
            if G.order <= 24:
                ax.set_yticks(range(G.order), G.labels, fontsize=7)
        fig.tight_layout(rect=(0, 0, 0.92, 0.92))
        fig.colorbar(im, ax=list(axes), shrink=0.8, pad=0.02)
        fig.suptitle(f"certified rank-{rep.upper} factors of {rep.word} on {G.name} "
                     f"({rep.upper_method}), group basis")
        save_figure(fig, s.out / "factors.png")
        data["figure"] = "factors.png"
    data["factors_file"] = "factors.npz"
    return data


def _stage_surrogate(s: Study, rank: dict) -> dict:
    cfg = s.cfg
    n_pairs = s.G.order ** 2
    frac = 1.0 if n_pairs <= 100 else 0.5
    width = int(max(rank["upper"], rank["lower"]))
    # On every pair there is nothing to generalise to: no weight decay, float64 and twice the
    # steps let Adam settle on an exact rank-`width` fit (weight decay biases the fit by ~1e-2).
    exact = frac >= 1.0
    conf = SurrogateConfig(cfg["spec"], cfg["word"],
                           grid(cfg["seeds"], width, frac, weight_decay=0.0 if exact else 1e-5),
                           steps=cfg["surrogate_steps"] * (2 if exact else 1),
                           dtype="float64" if exact else "float32")
    run_dir = s.out / "surrogate"
    s.surrogate = train(conf, tensor=s.tensor, run_dir=run_dir,
                        resume=(run_dir / "config.json").exists(), device=cfg["device"],
                        progress=s.progress)
    figs = [p.name for p in plot_run(s.surrogate, out_dir=run_dir)]
    d = to_jsonable(s.surrogate.summary())
    d.update(figures=[f"surrogate/{f}" for f in figs], width=width, train_fraction=frac,
             num_pairs=n_pairs)
    return d


def network_widths(rank: dict) -> list[int]:
    """The widths of the study's networks: the rank's upper bound and twice it. A width at the
    bound asks whether a network finds a decomposition as small as the certified one (for S3,
    1 + 1 + Strassen's 7); twice the bound shows where spare neurons go. (The recipe's 256 would
    put some 200 neurons on the 2-dimensional block of S3 and say nothing about Strassen.)

    >>> network_widths({"lower": 9, "upper": 9})
    [9, 18]
    """
    upper = int(max(rank["upper"], rank["lower"]))
    return [upper, 2 * upper]


def _stage_network(s: Study, rank: dict) -> dict:
    cfg = s.cfg
    frac = 1.0 if s.G.order ** 2 <= 100 else RECIPE["train_fraction"]
    widths = network_widths(rank)
    conf = NetworkConfig(cfg["spec"], cfg["word"],
                         network_grid(cfg["seeds"], widths, fractions=frac),
                         steps=cfg["network_steps"])
    run_dir = s.out / "network"
    s.network = train_network(conf, tensor=s.tensor, run_dir=run_dir,
                              resume=(run_dir / "config.json").exists(), device=cfg["device"],
                              progress=s.progress)
    plot_curves(s.network, run_dir / "curves.png")
    d = to_jsonable(s.network.summary())
    d.update(width=widths, activation=conf.activation, train_fraction=frac,
             steps=conf.steps, figures=["curves.png"])
    return d


def _stage_compare(s: Study) -> dict:
    d = to_jsonable(compare(s.network_result(), surrogate=s.surrogate_result(), report=s.report,
                            analyzer=s.analyzer))
    plot_compare(d, s.out / "compare.png")
    d["figure"] = "compare.png"
    return d


# ---------------------------------------------------------------------------- driver
def study(spec: str = "S3", word: str = "xy", *, out: str | os.PathLike | None = None,
          resume: bool = False, quick: bool = False, device: str = "cpu",
          seeds: int | None = None, stages=STAGES, progress: bool = True) -> dict:
    """Run the study and write the report folder; returns the summary dict. The folder is
    checked before anything is computed (a file, another kind of run, a study without
    ``resume``, or one with other settings is refused) and locked while the study writes.

    The stages without training (a full ``quick`` study of S3 takes a few seconds):

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> s = study("S3", "xy", out=out, stages=("tensor", "fusion", "rank", "report"),
    ...           progress=False)
    >>> s["order"], s["lower"], s["upper"], len(s["support"])
    (6, 9, 9, 3)
    >>> sorted(s["stage_seconds"]), Path(s["report"]).name
    (['fusion', 'rank', 'tensor'], 'report.md')
    >>> (out / "report.md").read_text().splitlines()[0]
    '# Study of `xy` on S3'
    >>> sorted(f.name for f in out.glob("*.json"))  # doctest: +NORMALIZE_WHITESPACE
    ['fusion.json', 'rank.json', 'study.json', 'summary.json', 'tensor.json']
    """
    from tqdm.auto import tqdm  # the progress bar, only when the study runs

    cfg = StudyConfig.default(spec, word, quick=quick)
    cfg["device"] = str(validate.device(device, "study: device", error=UsageError))
    if seeds is not None:
        cfg["seeds"] = validate.positive_int(seeds, "study: seeds", error=UsageError)
    G = Group.from_spec(spec)
    tensor = word_tensor(G, word)  # the word and every stage are checked before any runs
    check_stages(G, tensor, cfg, stages)
    out = Path(out) if out else Path("runs") / re.sub(r"[^A-Za-z0-9_.+-]+", "_",
                                                     f"study-{spec}-{word}")
    check_study(out, cfg, resume=resume)
    make_folder(out)
    with RunLock(out):
        check_study(out, cfg, resume=resume)  # again under the lock
        write_json(out / "study.json", dict(cfg))
        s = Study(G, word, cfg, out, progress=progress)
        results: dict = {}
        timings: dict = {}
        t0 = time.perf_counter()
        bar = tqdm(total=len(stages), desc="study", disable=not progress)
        for st in stages:
            bar.set_postfix_str(st)
            path = out / f"{st}.json"
            if st == "report":
                atomic_write(out / "report.md", report_markdown(cfg, results).encode())
            elif resume and path.exists():
                results[st] = read_json(path)
            else:
                t1 = time.perf_counter()
                results[st] = (_STAGE[st](s, results["rank"]) if st in _NEEDS_RANK
                               else _STAGE[st](s))
                timings[st] = time.perf_counter() - t1
                write_json(path, results[st])
            bar.update(1)
        bar.close()
        summary = _summary(spec, word, out, results, time.perf_counter() - t0, timings)
        write_json(out / "summary.json", summary)
    return summary


_STAGE = {"tensor": _stage_tensor, "fusion": _stage_fusion, "rank": _stage_rank,
          "surrogate": _stage_surrogate, "network": _stage_network, "compare": _stage_compare}
#: the stages that size their models from the rank bounds
_NEEDS_RANK = ("surrogate", "network")


def _summary(spec, word, out, results, seconds, timings) -> dict:
    summary = {
        "spec": spec, "word": word, "report": str(out / "report.md"), "out": str(out),
        "order": results["tensor"]["group"]["order"],
        "support": results["fusion"]["support"], "cover": results["fusion"]["cover"],
        "lower": results["rank"]["lower"], "upper": results["rank"]["upper"],
        "lower_method": results["rank"]["lower_method"],
        "upper_method": results["rank"]["upper_method"],
        "max_abs_error": results["rank"]["max_abs_error"],
        "seconds": seconds, "stage_seconds": timings,
    }
    for st in ("surrogate", "network"):
        if st in results:
            summary[st] = {k: results[st].get(k) for k in
                           ("widths", "test_accuracy", "train_accuracy", "exact_fit", "fit",
                            "fit_relative_error", "step_train_100", "step_test_99", "run_dir",
                            "status") if k in results[st]}
    if "compare" in results:
        summary["compare"] = results["compare"].get("blocks")
        if "network" in summary and "cosine" in results["compare"]:
            summary["network"]["cosine"] = results["compare"]["cosine"]
    return to_jsonable(summary)
