"""The experiments behind docs/claims.md (run by scripts/claims.py): one function per
experiment, each trains into run folders under its folder and returns the figures that its
``result.json`` keeps. The measures they share are in scripts/claims_measures.py."""

from __future__ import annotations

import time
from pathlib import Path

import claims_measures as cm

from fusion.decompose import decompose
from fusion.ranks import rank_bounds
from surrogate import NetworkConfig, SurrogateConfig, grid, phase_diagram, train, train_network
from surrogate.comparison import compare
from surrogate.networks import network_phase_diagram
from surrogate.networks.analysis import NetworkAnalyzer
from surrogate.networks.recipes import recipe
from wordtensor import Group, word_tensor
from wordtensor.storage import to_jsonable
from wordtensor.storage import write_json as _write_json

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "runs" / "claims"
SETTINGS: dict = {"small": False, "out": OUT}
#: name → (function, claims it tests, description)
EXPERIMENTS: dict = {}


def write_json(path: Path, data) -> None:
    _write_json(path, to_jsonable(data))


def experiment(name: str, claims: list[str]):
    def deco(fn):
        EXPERIMENTS[name] = (fn, claims, fn.__doc__)
        return fn
    return deco


def S(full, small):
    """The full setting, or the smoke test's."""
    return small if SETTINGS["small"] else full


def _net(folder: Path, name: str, cfg: NetworkConfig, tensor=None):
    run_dir = folder / name
    t0 = time.perf_counter()
    res = train_network(cfg, tensor=tensor, run_dir=run_dir, progress=False,
                        resume=(run_dir / "config.json").exists())
    print(f"  {name}: {len(cfg.instances)} instance(s), {cfg.steps} steps, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return res


def _sur(folder: Path, name: str, cfg: SurrogateConfig, tensor=None):
    run_dir = folder / name
    t0 = time.perf_counter()
    res = train(cfg, tensor=tensor, run_dir=run_dir, progress=False,
                resume=(run_dir / "config.json").exists())
    print(f"  {name}: {len(cfg.instances)} instance(s), {cfg.steps} steps, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return res


def _instances(res) -> list[dict]:
    """Per instance: its settings, accuracies and grokking steps (from the run's summary)."""
    s = res.summary()
    keys = {"seeds": "seed", "widths": "width", "train_fractions": "train_fraction",
            "weight_decay": "weight_decay", "train_accuracy": "train_accuracy",
            "test_accuracy": "test_accuracy", "step_train_100": "step_train_100",
            "step_test_99": "step_test_99", "grok_ratio": "grok_ratio"}
    return [{new: s[old][b] for old, new in keys.items() if old in s}
            for b in range(len(s["seeds"]))]


def _bounds(G, word) -> dict:
    rep = rank_bounds(G, word)
    return {"lower": rep.lower, "upper": rep.upper, "lower_method": rep.lower_method,
            "upper_method": rep.upper_method}


# ------------------------------------------------------------------------------ (a), (f)
@experiment("words", ["SLT (a)", "SLT (f)"])
def words(folder: Path) -> dict:
    """Networks learn words other than xy, with grokking (a); their neurons against the
    minimal box cover (f)."""
    plan = S([("S4", 0.6, ["xy", "xyX", "[x,y]", "x^2y", "xyx"]),
              ("SL(2,3)", 0.6, ["xy", "xyX", "[x,y]", "x^2y", "xyx"]),
              ("D8", 0.8, ["xy", "xyX", "[x,y]", "x^2y", "xyx"]),
              ("A5", 0.4, ["xy", "[x,y]"])],
             [("S3", 0.8, ["xy", "xyX"])])
    runs = []
    for spec, frac, words_ in plan:
        G = Group.from_spec(spec)
        for word in words_:
            T = word_tensor(G, word)
            rep = rank_bounds(G, word)
            insts = (grid(2, S(256, 16), frac, lr=1e-2, weight_decay=1.0, init_scale=0.3)
                     + grid(2, S(256, 16), frac, lr=1e-2, weight_decay=3.0, init_scale=0.3))
            cfg = NetworkConfig(spec, word, insts, steps=S(2000, 30))
            res = _net(folder, f"{cm.spec_slug(spec)}-{cm.word_slug(word)}", cfg, T)
            table = compare(res, report=rep, analyzer=NetworkAnalyzer(T))
            runs.append({"spec": spec, "word": word, "order": G.order, "train_fraction": frac,
                         "rank": {"lower": rep.lower, "upper": rep.upper},
                         "instances": _instances(res), "boxes": cm.box_summary(table),
                         "membership": cm.box_membership(res, table, T),
                         "run_dir": cm.rel(res.run_dir)})
    return {"runs": runs}


@experiment("words_more", ["SLT (a)", "SLT (f)"])
def words_more(folder: Path) -> dict:
    """The words that the first pass left short of 99% on the groups of order 24, again with
    more data (fraction 0.8), weight decay 3 and twice the steps."""
    plan = S([(spec, ["xyX", "[x,y]", "x^2y", "xyx"]) for spec in ("S4", "SL(2,3)")],
             [("S3", ["xyX"])])
    runs = []
    for spec, words_ in plan:
        G = Group.from_spec(spec)
        for word in words_:
            T = word_tensor(G, word)
            rep = rank_bounds(G, word)
            cfg = NetworkConfig(spec, word, grid(2, S(256, 16), 0.8, lr=1e-2, weight_decay=3.0,
                                                 init_scale=0.3), steps=S(4000, 30))
            res = _net(folder, f"{cm.spec_slug(spec)}-{cm.word_slug(word)}", cfg, T)
            table = compare(res, report=rep, analyzer=NetworkAnalyzer(T))
            runs.append({"spec": spec, "word": word, "order": G.order, "train_fraction": 0.8,
                         "rank": {"lower": rep.lower, "upper": rep.upper},
                         "instances": _instances(res), "boxes": cm.box_summary(table),
                         "membership": cm.box_membership(res, table, T),
                         "run_dir": cm.rel(res.run_dir)})
    return {"runs": runs}


# ------------------------------------------------------------------------------ (b)
@experiment("atlas", ["SLT (b)"])
def atlas(folder: Path) -> dict:
    """The word tensor is typically of low rank: rank / n² over small groups and five words."""
    from wordtensor.smallgroups import small_groups

    words_ = ["xy", "xyX", "[x,y]", "x^2y", "xyx"]
    csv = Path(SETTINGS.get("atlas_csv") or ROOT / "docs" / "atlas.csv")
    rows = cm.read_atlas(csv) if csv.is_file() and not SETTINGS["small"] else []
    source = ("the rank atlas docs/atlas.csv (`wordtensor atlas`)" if rows
              else "fusion.ranks.rank_bounds, computed here")
    if not rows:
        for g in small_groups(range(2, S(25, 9))):
            G = Group.from_spec(g.spec)
            for word in words_:
                t0 = time.perf_counter()
                rep = rank_bounds(G, word)
                rows.append({"spec": g.spec, "structure": g.structure, "order": G.order,
                             "word": word, "lower": rep.lower, "upper": rep.upper,
                             "lower_method": rep.lower_method, "upper_method": rep.upper_method,
                             "seconds": time.perf_counter() - t0})
    return {"source": source, "rows": rows, "summary": cm.atlas_summary(rows)}


# ------------------------------------------------------------------------------ (c)
@experiment("widths", ["SLT (c)"])
def widths(folder: Path) -> dict:
    """The width needed to generalise against the rank bounds (network and surrogate phase
    diagrams at one training fraction)."""
    plan = S([("S4", "xy", [16, 24, 32, 43, 55, 64, 96], 0.6, 1.0),
              ("SL(2,3)", "xy", [16, 24, 32, 43, 56, 64, 96], 0.6, 1.0),
              ("D8", "xy", [6, 9, 12, 16, 25, 32, 48], 0.8, 1.0),
              ("S4", "xyX", [12, 24, 32, 54, 64, 96], 0.6, 3.0)],
             [("S3", "xy", [4, 9], 0.8, 1.0)])
    seeds = S(3, 1)
    diagrams = []
    for spec, word, ws, frac, wd in plan:
        T = word_tensor(spec, word)
        run_dir = folder / f"net-{cm.spec_slug(spec)}-{cm.word_slug(word)}"
        t0 = time.perf_counter()
        pr = network_phase_diagram(spec, word, ws, [frac], seeds, tensor=T, steps=S(3000, 30),
                                   weight_decay=wd, run_dir=run_dir, progress=False,
                                   resume=(run_dir / "config.json").exists())
        print(f"  {run_dir.name}: {time.perf_counter() - t0:.0f} s", flush=True)
        diagrams.append(cm.phase_summary(pr, "network", run_dir, weight_decay=wd))
    spec, word, ws, frac = S(("S4", "xy", [16, 24, 32, 43, 55, 64, 96], 0.6),
                             ("S3", "xy", [4, 9], 0.8))
    run_dir = folder / f"sur-{cm.spec_slug(spec)}-{cm.word_slug(word)}"
    t0 = time.perf_counter()
    pr = phase_diagram(spec, word, ws, [frac], seeds, steps=S(4000, 30), weight_decay=1e-5,
                       run_dir=run_dir, progress=False, resume=(run_dir / "config.json").exists())
    print(f"  {run_dir.name}: {time.perf_counter() - t0:.0f} s", flush=True)
    diagrams.append(cm.phase_summary(pr, "surrogate", run_dir, weight_decay=1e-5))
    return {"diagrams": diagrams}


# ------------------------------------------------------------------------------ (d)
@experiment("strassen", ["SLT (d)"])
def strassen(folder: Path) -> dict:
    """For xy, neurons per block against the ⟨d,d,d⟩ ranks (Strassen's 7 for M₂(R)), the
    cosine with δ, and whether the neurons polish to an exact decomposition."""
    out = {}
    G = Group.from_spec("S3")
    T = word_tensor(G, "xy")
    rep = rank_bounds(G, "xy")
    cfg = NetworkConfig("S3", "xy", grid(S(8, 2), [7, 8, 9], 1.0, lr=1e-2, weight_decay=1.0,
                                         init_scale=0.3), steps=S(10000, 50))
    res = _net(folder, "net-S3-w7-9", cfg, T)
    table = compare(res, report=rep, analyzer=NetworkAnalyzer(T))
    out["S3_network"] = {"instances": _instances(res), "boxes": cm.box_summary(table),
                         "cosine": table["cosine"],
                         "neuron_fit": cm.neuron_fits(res, T), "run_dir": cm.rel(res.run_dir)}
    cfg = SurrogateConfig("S3", "xy", grid(S(8, 2), 9, 1.0, weight_decay=0.0),
                          steps=S(20000, 50), dtype="float64")
    sres = _sur(folder, "sur-S3-w9", cfg, T)
    s = sres.summary()
    out["S3_surrogate"] = {"fit": s["fit"], "fit_relative_error": s["fit_relative_error"],
                           "max_abs_error": s["max_abs_error"], "components": s["components"],
                           "run_dir": cm.rel(sres.run_dir)}
    spec = S("S4", "S3")
    G = Group.from_spec(spec)
    T = word_tensor(G, "xy")
    rep = rank_bounds(G, "xy")
    up = rep.upper
    cfg = NetworkConfig(spec, "xy", grid(S(4, 1), [up, 2 * up], 0.6, lr=1e-2, weight_decay=1.0,
                                         init_scale=0.3), steps=S(3000, 30))
    res = _net(folder, f"net-{spec}-upper", cfg, T)
    table = compare(res, report=rep, analyzer=NetworkAnalyzer(T))
    out["S4_network"] = {"spec": spec, "instances": _instances(res),
                         "boxes": cm.box_summary(table), "cosine": table["cosine"],
                         "rank": {"lower": rep.lower, "upper": rep.upper},
                         "run_dir": cm.rel(res.run_dir)}
    return out


# ------------------------------------------------------------------------------ (e)
@experiment("orthogonality", ["SLT (e)"])
def orthogonality(folder: Path) -> dict:
    """Overlap between components (surrogate) and neurons (network) of different bscs over
    training, from a random start; and a surrogate started inside the bsc blocks (does the
    training keep it there?)."""
    spec = S("S4", "S3")
    T = word_tensor(spec, "xy")
    cfg = SurrogateConfig(spec, "xy", grid(S(4, 1), 64, 0.5, weight_decay=1e-5),
                          steps=S(4000, 30))
    sres = _sur(folder, f"sur-{spec}-w64", cfg, T)
    cfg = NetworkConfig(spec, "xy", grid(S(4, 1), 64, 0.6, lr=1e-2, weight_decay=1.0,
                                         init_scale=0.3), steps=S(3000, 30),
                        checkpoint_per_decade=10)
    nres = _net(folder, f"net-{spec}-w64", cfg, T)
    pure = []
    for frac, opt, lr in S([(1.0, "gd", 10.0), (0.5, "gd", 10.0), (1.0, "adam", 1e-2),
                            (0.5, "adam", 1e-2)], [(1.0, "gd", 10.0), (1.0, "adam", 1e-2)]):
        t0 = time.perf_counter()
        pure.append(cm.pure_start(spec, 64, frac, opt, lr, S(3000, 30), seeds=S(2, 1)))
        print(f"  pure start, {opt}, fraction {frac:g}: {time.perf_counter() - t0:.0f} s",
              flush=True)
    return {"surrogate": cm.surrogate_overlaps(sres), "network": cm.network_overlaps(nres, T),
            "pure_start": pure, "surrogate_instances": sres.summary()["test_accuracy"],
            "network_instances": _instances(nres)}


# ------------------------------------------------------------------------------ Chughtai
@experiment("chughtai", ["Chughtai et al. 2023"])
def chughtai(folder: Path) -> dict:
    """Which blocks (bsc triplets) each seed learns and the step each forms (excluded loss),
    on S4 for three activations and on S5."""
    runs = []
    plan = S([("S4", act, 128, 0.6, 4, 3000, 20) for act in ("quadratic", "relu", "gelu")]
             + [("S5", "quadratic", 512, 0.3, 2, 1500, 10)],
             [("S3", "quadratic", 16, 0.8, 1, 30, 10)])
    for spec, act, width, frac, seeds, steps, lpd in plan:
        G = Group.from_spec(spec)
        T = word_tensor(G, "xy")
        r = recipe(act)
        cfg = NetworkConfig(spec, "xy", grid(seeds, width, frac, lr=r["lr"],
                                             weight_decay=r["weight_decay"],
                                             init_scale=r["init_scale"]),
                            steps=steps, activation=act, log_per_decade=lpd)
        res = _net(folder, f"{spec}-{act}", cfg, T)
        runs.append({"spec": spec, "activation": act, "width": width, "train_fraction": frac,
                     "instances": _instances(res),
                     "blocks": cm.block_formation(res, decompose(G, "xy")),
                     "run_dir": cm.rel(res.run_dir)})
    return {"runs": runs, "threshold": cm.FORMED}


# ------------------------------------------------------------------------------ Morwani
@experiment("morwani", ["Morwani et al. 2023"])
def morwani(folder: Path) -> dict:
    """The fraction of neurons supported on a single bsc, over training and against weight
    decay (S4 xy, quadratic networks, MSE and cross-entropy)."""
    spec = S("S4", "S3")
    T = word_tensor(spec, "xy")
    decays = S([0.1, 0.3, 1.0, 3.0], [1.0])
    runs = []
    for loss, frac in S([("mse", 1.0), ("ce", 1.0), ("mse", 0.6)], [("mse", 1.0)]):
        insts = sum((grid(S(2, 1), 128, frac, lr=1e-2, weight_decay=wd, init_scale=0.3)
                     for wd in decays), ())
        cfg = NetworkConfig(spec, "xy", insts, steps=S(3000, 30), loss=loss)
        res = _net(folder, f"{spec}-{loss}-f{frac:g}", cfg, T)
        runs.append({"loss": loss, "train_fraction": frac, "instances": _instances(res),
                     "single": cm.single_bsc_series(res), "run_dir": cm.rel(res.run_dir)})
    return {"spec": spec, "runs": runs}


# ------------------------------------------------------------------------------ k inputs
@experiment("modular", ["k-input modular addition"])
def modular(folder: Path) -> dict:
    """Z_p with k = 2 and 3 inputs (xy, xyz): neurons aligned with one frequency, the width
    needed to generalise, the rank bounds of the (k+1)-way tensor and 2^{2k−2}(p−1)."""
    p = S(11, 5)
    spec = f"Z{p}"
    out = {"p": p, "runs": []}
    plan = S([("xy", "quadratic", [2, 4, 6, 8, 10, 12, 16, 24, 40, 64], 0.8, 1e-2, 3.0, 0.3, 4,
               5000),
              ("xyz", "cubic", [8, 12, 16, 21, 24, 32, 48, 64, 160], 0.5, 1e-2, 1.0, 0.3, 2,
               3000),
              ("xyz", "gelu", [32, 64, 128, 160], 0.5, 3e-2, 1.0, 0.3, 2, 3000)],
             [("xy", "quadratic", [4, 8], 0.8, 1e-2, 3.0, 0.3, 1, 30),
              ("xyz", "cubic", [8], 0.5, 1e-2, 1.0, 0.3, 1, 30)])
    for word, act, ws, frac, lr, wd, scale, seeds, steps in plan:
        T = word_tensor(spec, word)
        run_dir = folder / f"{spec}-{word}-{act}"
        t0 = time.perf_counter()
        pr = network_phase_diagram(spec, word, ws, [frac], seeds, tensor=T, steps=steps,
                                   activation=act, lr=lr, weight_decay=wd, init_scale=scale,
                                   bounds=(None, None), run_dir=run_dir, progress=False,
                                   resume=(run_dir / "config.json").exists())
        print(f"  {run_dir.name}: {time.perf_counter() - t0:.0f} s", flush=True)
        k = T.arity
        d = cm.phase_summary(pr, "network", run_dir, weight_decay=wd)
        d.update(word=word, k=k, activation=act, lr=lr,
                 li_bound=2 ** (2 * k - 2) * (p - 1),
                 single_frequency=cm.aligned_fractions(run_dir))
        out["runs"].append(d)
    out["ranks"] = cm.modular_ranks(p, S(8, 2))
    return out

