"""``wordtensor study``: the main job end to end for one group and word.

Stages (each writes its results atomically into the report folder and is skipped on
``--resume`` when already there): the group and its word tensor; the triplet decomposition and
the fusion cover; the rank bounds with certified factors (``factors.npz``); a short batched
surrogate run; a short network run; the comparison of both with the rank bounds; then
``report.md`` (tables and embedded PNG figures) and ``summary.json``.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

import numpy as np

from wordtensor import Group, word_tensor
from wordtensor.commands import group_info
from wordtensor.storage import atomic_write, write_json

__all__ = ["study", "StudyConfig", "register"]

STAGES = ("tensor", "fusion", "rank", "surrogate", "network", "compare", "report")


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




def _clean(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def _save_fig(fig, path: Path) -> Path:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    atomic_write(path, buf.getvalue())
    return path


# ---------------------------------------------------------------------------- stages
def _stage_tensor(G, cfg, out):
    T = word_tensor(G, cfg["word"])
    return {"group": group_info(G), "tensor": T.stats()}


def _stage_fusion(G, cfg, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fusion import bscs
    from fusion.decompose import check_support_in_cover, decompose, fusion_cover

    dec = decompose(G, cfg["word"])
    cov = fusion_cover(G, dec.word)
    check_support_in_cover(dec, cov)
    names = [b.name for b in bscs(G)]
    sup = dec.support
    labels = ["(" + ",".join(names[i] for i in t) + ")" for t in sup]
    fig, ax = plt.subplots(figsize=(max(5, 0.45 * len(sup) + 2), 3.6))
    ax.bar(range(len(sup)), [dec.norms[t] for t in sup], color="tab:blue")
    ax.set_xticks(range(len(sup)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("squared norm of the piece")
    ax.set_title(f"{dec.word} on {G.name}: {len(sup)} support triplets, cover {len(cov)}")
    fig.tight_layout()
    _save_fig(fig, out / "fusion_norms.png")
    return {"bscs": [{"name": b.name, "kind": b.kind, "dim": b.dim, "space_dim": b.space_dim}
                     for b in bscs(G)],
            "support": [list(t) for t in sup], "norms": [float(dec.norms[t]) for t in sup],
            "cover": [list(t) for t in cov.triplets], "occurrences": list(cov.occurrences),
            "method": dec.method, "figure": "fusion_norms.png"}


def _stage_rank(G, cfg, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fusion.ranks import rank_bounds

    rep = rank_bounds(G, cfg["word"])
    rep.save(out / "factors.npz")
    w, facs = rep.cp
    data = rep.to_json()
    if facs[0].shape[1] <= 400:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
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
        _save_fig(fig, out / "factors.png")
        data["figure"] = "factors.png"
    data["factors_file"] = "factors.npz"
    return data


def _surrogate_width(rank: dict) -> int:
    return int(max(rank["upper"], rank["lower"]))


def _stage_surrogate(G, cfg, out, rank):
    from .config import SurrogateConfig, grid
    from .plots import plot_run
    from .train import train

    n_pairs = G.order ** 2
    frac = 1.0 if n_pairs <= 100 else 0.5
    width = _surrogate_width(rank)
    # On every pair there is nothing to generalise to: no weight decay, float64 and twice the
    # steps let Adam settle on an exact rank-`width` fit (weight decay biases the fit by ~1e-2).
    exact = frac >= 1.0
    conf = SurrogateConfig(cfg["spec"], cfg["word"],
                           grid(cfg["seeds"], width, frac, weight_decay=0.0 if exact else 1e-5),
                           steps=cfg["surrogate_steps"] * (2 if exact else 1),
                           dtype="float64" if exact else "float32")
    run_dir = out / "surrogate"
    res = train(conf, run_dir=run_dir, resume=(run_dir / "config.json").exists(),
                device=cfg["device"], progress=True)
    figs = [p.name for p in plot_run(res, out_dir=run_dir)]
    s = _clean(res.summary())
    s["figures"] = [f"surrogate/{f}" for f in figs]
    s["width"] = width
    s["train_fraction"] = frac
    s["num_pairs"] = n_pairs
    return s


def _stage_network(G, cfg, out):
    from .network import RECIPE, NetworkConfig, network_grid, train_network
    from .plots import plot_curves

    frac = 1.0 if G.order ** 2 <= 100 else RECIPE["train_fraction"]
    conf = NetworkConfig(cfg["spec"], cfg["word"], network_grid(cfg["seeds"], fractions=frac),
                         steps=cfg["network_steps"])
    run_dir = out / "network"
    res = train_network(conf, run_dir=run_dir, resume=(run_dir / "config.json").exists(),
                        device=cfg["device"], progress=True)
    plot_curves(res, run_dir / "curves.png")
    s = _clean(res.summary())
    s.update(width=RECIPE["width"], activation=conf.activation, train_fraction=frac,
             steps=conf.steps, figures=["curves.png"])
    return s


def _stage_compare(G, cfg, out):
    from .compare import compare, plot_compare

    d = _clean(compare(out / "network", surrogate_dir=out / "surrogate"))
    plot_compare(d, out / "compare.png")
    d["figure"] = "compare.png"
    return d


# ---------------------------------------------------------------------------- report
def _table(rows: list[list], head: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _fmt(x, digits=3):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _report(cfg, res: dict) -> str:
    g, t = res["tensor"]["group"], res["tensor"]["tensor"]
    fu, rk = res["fusion"], res["rank"]
    names = [b["name"] for b in fu["bscs"]]
    md = [f"# Study of `{cfg['word']}` on {g['name']}", "",
          f"Generated by `wordtensor study {cfg['spec']} {cfg['word']}` on "
          f"{time.strftime('%Y-%m-%d %H:%M')}.", "",
          "## The group and the word tensor", "",
          _table([[g["order"], g["num_classes"], g["exponent"], "yes" if g["abelian"] else "no",
                   "x".join(map(str, t["shape"])), t["nnz"], t["image_size"],
                   f"{t['fibre_min']}–{t['fibre_max']}"]],
                 ["order", "classes", "exponent", "abelian", "shape", "non-zeros", "image",
                  "fibres"]), "",
          "## Triplet decomposition and fusion cover", "",
          _table([[i, b["name"], b["kind"], b["dim"], b["space_dim"]]
                  for i, b in enumerate(fu["bscs"])], ["#", "bsc", "kind", "D", "dim R_φ"]), "",
          f"Support: {len(fu['support'])} triplets inside a fusion cover of "
          f"{len(fu['cover'])} (occurrences {fu['occurrences']}).", "",
          _table([["(" + ", ".join(names[i] for i in tr) + ")", _fmt(nv, 6)]
                  for tr, nv in zip(fu["support"], fu["norms"])], ["triplet", "‖piece‖²"]), "",
          f"![squared norms of the pieces]({fu['figure']})", "",
          "## Rank bounds", "",
          f"**{rk['lower']} ≤ rank ≤ {rk['upper']}**" + (" (exact)" if rk["exact"] else ""), "",
          _table([["lower", rk["lower"], rk["lower_method"], ""],
                  ["upper", rk["upper"], rk["upper_method"],
                   f"max-abs error {_fmt(rk['max_abs_error'])} ({rk['verified_in']})"]],
                 ["bound", "value", "method", "certificate"]), ""]
    if rk.get("blocks"):
        md += ["Per bsc block (constructive):", "",
               _table([[b["bsc"], b["kind"], b["algebra"], b["rank"], f"`{b['method']}`"]
                       for b in rk["blocks"]], ["bsc", "kind", "algebra", "rank", "method"]), ""]
    if rk.get("box_cover"):
        bc = rk["box_cover"]
        md += [f"Box cover ({bc['solver']}): {len(bc['boxes'])} boxes, bound {bc['bound']}.", ""]
    md += [f"Factors: `{rk['factors_file']}` (weights, A, B, C in the group basis)."]
    if rk.get("figure"):
        md += ["", f"![certified factors]({rk['figure']})"]
    s = res.get("surrogate")
    if s:
        md += ["", "## CP surrogate", "",
               f"Width {s['width']} (the upper bound), training fraction {s['train_fraction']}, "
               f"{s['steps']} {s['optimizer']} steps, loss {s['loss']}, seeds {s['seeds']}.", "",
               _table([[sd, _fmt(tr), _fmt(te), _fmt(me), ex, c["active"],
                        ", ".join(f"{k}: {v}" for k, v in c["per_triplet"].items())]
                       for sd, tr, te, me, ex, c in zip(s["seeds"], s["train_accuracy"],
                                                        s["test_accuracy"], s["max_abs_error"],
                                                        s["exact_fit"], s["components"])],
                      ["seed", "train acc", "test acc", "max-abs error", "exact fit", "active",
                       "components per triplet"]), ""]
        md += [f"![{f}]({f})" for f in s["figures"]]
        md += [f"*{nt}*" for nt in s.get("notes", [])]
        if s["train_fraction"] >= 1:
            md += ["*Trained on every pair (the group is too small to hold pairs out: "
                   f"{_pairs(s)} pairs), so there is no test accuracy; the question here is "
                   "whether gradient descent reaches an exact rank-"
                   f"{s['width']} fit and how its components spread over the blocks.*"]
    nw = res.get("network")
    if nw:
        md += ["", "## Two-layer network", "", _network_md(nw)]
    cmp_ = res.get("compare")
    if cmp_:
        md += ["", "## Comparison per block", "", _compare_md(cmp_), "",
               f"![neurons per block beside the rank bounds]({cmp_['figure']})"]
    return "\n".join(md) + "\n"


def _pairs(s: dict) -> str:
    return str(s.get("num_pairs", "few"))


def _network_md(nw: dict) -> str:
    keys = ["seeds", "train_accuracy", "test_accuracy", "step_train_100", "step_test_99"]
    rows = list(zip(*[nw.get(k, []) for k in keys]))
    head = (f"Width {nw.get('width')}, activation {nw.get('activation')}, training fraction "
            f"{nw.get('train_fraction')}, {nw.get('steps')} steps.\n\n")
    figs = "\n".join(f"![{f}](network/{Path(f).name})" for f in nw.get("figures", []))
    return head + _table([[_fmt(x) for x in r] for r in rows],
                         ["seed", "train acc", "test acc", "step 100% train", "step 99% test"]) \
        + ("\n\n" + figs if figs else "")


def _compare_md(c: dict) -> str:
    blocks = c.get("blocks", [])
    if not blocks:
        return "(no blocks)"
    wanted = ["box", "block_dim", "rank_lower", "rank_upper", "upper_method",
              "surrogate_active_median", "network_neurons_median", "network_rank_median",
              "network_cosine"]
    keys = [k for k in wanted if k in blocks[0]] or list(blocks[0].keys())

    def cell(v):
        if isinstance(v, list):
            return "[" + ", ".join(_fmt(x) for x in v) + "]"
        return _fmt(v)

    return _table([[cell(b.get(k)) for k in keys] for b in blocks], keys)


# ---------------------------------------------------------------------------- driver
def study(spec: str = "S3", word: str = "xy", *, out=None, resume: bool = False,
          quick: bool = False, device: str = "cpu", seeds: int | None = None,
          stages=STAGES, progress: bool = True) -> dict:
    """Run the study and write the report folder; returns the summary dict.

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
    from tqdm.auto import tqdm

    cfg = StudyConfig.default(spec, word, quick=quick)
    cfg["device"] = device
    if seeds is not None:
        cfg["seeds"] = int(seeds)
    G = Group.from_spec(spec)
    word_tensor(G, word)  # validate the word early
    out = Path(out) if out else Path("runs") / re.sub(r"[^A-Za-z0-9_.+-]+", "_",
                                                     f"study-{spec}-{word}")
    out.mkdir(parents=True, exist_ok=True)
    if (out / "study.json").exists() and not resume:
        from wordtensor.errors import WordTensorError

        raise WordTensorError(f"{out} already holds a study; pass --resume to continue it or "
                              "choose another --out")
    write_json(out / "study.json", dict(cfg))
    results: dict = {}
    bar = tqdm(total=len(stages), desc="study", disable=not progress)
    t0 = time.perf_counter()
    timings = {}
    for st in stages:
        bar.set_postfix_str(st)
        path = out / f"{st}.json"
        if st == "report":
            text = _report(cfg, results)
            atomic_write(out / "report.md", text.encode())
        elif resume and path.exists():
            results[st] = json.loads(path.read_text())
        else:
            t1 = time.perf_counter()
            if st == "tensor":
                r = _stage_tensor(G, cfg, out)
            elif st == "fusion":
                r = _stage_fusion(G, cfg, out)
            elif st == "rank":
                r = _stage_rank(G, cfg, out)
            elif st == "surrogate":
                r = _stage_surrogate(G, cfg, out, results["rank"])
            elif st == "network":
                r = _stage_network(G, cfg, out)
            elif st == "compare":
                r = _stage_compare(G, cfg, out)
            else:
                raise ValueError(f"unknown stage {st!r}")
            timings[st] = time.perf_counter() - t1
            results[st] = r
            write_json(path, r)
        bar.update(1)
    bar.close()
    summary = {
        "spec": spec, "word": word, "report": str(out / "report.md"), "out": str(out),
        "order": results["tensor"]["group"]["order"],
        "support": results["fusion"]["support"], "cover": results["fusion"]["cover"],
        "lower": results["rank"]["lower"], "upper": results["rank"]["upper"],
        "lower_method": results["rank"]["lower_method"],
        "upper_method": results["rank"]["upper_method"],
        "max_abs_error": results["rank"]["max_abs_error"],
        "seconds": time.perf_counter() - t0, "stage_seconds": timings,
    }
    for st in ("surrogate", "network"):
        if st in results:
            summary[st] = {k: results[st].get(k) for k in
                           ("test_accuracy", "train_accuracy", "exact_fit", "step_train_100",
                            "step_test_99", "run_dir") if k in results[st]}
    if "compare" in results:
        summary["compare"] = results["compare"].get("blocks")
    write_json(out / "summary.json", _clean(summary))
    return summary


def register(sub) -> None:
    """Add the ``study`` sub-command to the sub-parsers ``sub``.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["study", "--quick", "--skip", "network"])
    >>> args.spec, args.word, args.quick, args.skip, args.func.__name__
    ('S3', 'xy', True, ['network'], 'cmd_study')
    """
    from wordtensor.commands import add_json

    p = sub.add_parser("study", help="the main job: tensor, decomposition, ranks, surrogate, "
                       "network and comparison, written to a report folder")
    p.add_argument("spec", nargs="?", default="S3", help="group spec (default S3)")
    p.add_argument("word", nargs="?", default="xy", help="word (default xy)")
    p.add_argument("--out", default=None, help="report folder (default runs/study-SPEC-WORD)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted study")
    p.add_argument("--quick", action="store_true", help="short training runs (a smoke test)")
    p.add_argument("--seeds", type=int, default=None, help="seeds per model (default 4)")
    p.add_argument("--device", default="cpu", help="torch device for training (default cpu)")
    p.add_argument("--skip", nargs="*", default=[], choices=list(STAGES[3:6]),
                   help="stages to skip")
    add_json(p)
    p.set_defaults(func=cmd_study)


def cmd_study(args) -> int:
    from wordtensor.cli import emit

    stages = tuple(s for s in STAGES if s not in set(args.skip))
    if "network" not in stages and "compare" in stages:
        stages = tuple(s for s in stages if s != "compare")
    s = study(args.spec, args.word, out=args.out, resume=args.resume, quick=args.quick,
              device=args.device, seeds=args.seeds, stages=stages, progress=not args.json)

    def text(d):
        lines = [f"study of {d['word']} on {d['spec']} (order {d['order']}) in {d['seconds']:.1f} s",
                 f"  support {len(d['support'])} / cover {len(d['cover'])} triplets",
                 f"  rank {d['lower']} ({d['lower_method']}) <= R <= {d['upper']} "
                 f"({d['upper_method']}, max-abs error {_fmt(d['max_abs_error'])})"]
        for st in ("surrogate", "network"):
            if st not in d:
                continue
            r = d[st]
            if any(x is not None for x in r["test_accuracy"]):
                lines.append(f"  {st:<9} test accuracy {[_fmt(x) for x in r['test_accuracy']]}")
            else:  # trained on every pair: no held-out pairs
                line = (f"  {st:<9} all pairs trained; train accuracy "
                        f"{[_fmt(x) for x in r['train_accuracy']]}")
                if "exact_fit" in r:
                    line += f", exact fits {sum(bool(x) for x in r['exact_fit'])}/" \
                            f"{len(r['exact_fit'])}"
                lines.append(line)
        lines.append(f"  report    {d['report']}")
        return "\n".join(lines)

    emit(args, s, text)
    return 0
