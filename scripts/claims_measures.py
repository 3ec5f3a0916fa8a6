"""The measures behind docs/claims.md (used by scripts/claims_experiments.py): small functions
that read trained runs and return plain, JSON-ready figures.

* ``box_summary``: neurons per box of the minimal box cover against the box's rank bounds, and
  how many neurons are pure and inside a box (claim (f)).
* ``neuron_fits``: the interaction part of a quadratic network, one rank-one term per neuron,
  polished towards δ centred and scaled alike and judged exact or approximate (claim (d)).
* ``surrogate_overlaps`` / ``network_overlaps``: the overlap |cos| between the factor vectors of
  components (neurons) whose dominant bscs differ, and the mass outside the dominant bsc, over
  training (claim (e)).
* ``block_formation``: per seed and block, the excluded-loss gap normalised by the cost of
  removing δ's own piece, the step it forms and the order (Chughtai et al.).
* ``single_bsc_series``: the share of active neurons supported on one bsc, over training
  (Morwani et al.).
* ``phase_summary``, ``aligned_fractions``, ``modular_ranks``: widths needed to generalise,
  frequency-aligned neurons, and the rank bounds of the modular-addition tensors.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from pathlib import Path

import numpy as np
import tensorly as tl
import torch

from fusion import bscs
from fusion.ranks import rank_bounds
from surrogate.cp.metrics import cross_bsc_overlap
from surrogate.fits import judge_fit
from surrogate.networks.analysis import NetworkAnalyzer, interaction_part, neuron_boxes
from surrogate.networks.bilinear import interaction_cp
from wordtensor import Group, cp_search, exactify, word_tensor
from wordtensor.linalg import flattening_rank

ROOT = Path(__file__).resolve().parent.parent

#: A block has formed when removing the network's piece there costs at least this fraction of
#: what removing δ's own piece costs (excluded-loss gap / ‖δ^t‖² n^{-(k+1)}).
FORMED = 0.5


def spec_slug(spec: str) -> str:
    """A folder-name form of a group spec: ``SL(2,3)`` → ``SL-2-3``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", spec).strip("-")


def word_slug(word: str) -> str:
    """A folder-name form of a word (an uppercase letter, an inverse, as ``_`` and the letter,
    so that names differ on case-insensitive file systems): ``[x,y]`` → ``comm-x-y``,
    ``xyX`` → ``xy_x``, ``x^2y`` → ``x2y``."""
    text = word.replace("[", "comm-").replace("]", "").replace("^", "")
    text = re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), text)
    return re.sub(r"[^a-z0-9_]+", "-", text).strip("-")


def rel(path) -> str | None:
    if path is None:
        return None
    p = Path(path).resolve()
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


# ------------------------------------------------------------------------------ boxes (f)
def box_summary(table: dict) -> dict:
    """The comparison table cut down to what the claims quote."""
    o = table["other"]
    boxes = [{"box": b["box"], "rank_lower": b["rank_lower"], "rank_upper": b["rank_upper"],
              "block_dim": b["block_dim"], "neurons": b["network_neurons"],
              "cosine": b["network_cosine"], "centred_away": b["centred_delta_norm"] == 0}
             for b in table["blocks"]]
    in_box = [sum(b["neurons"][i] for b in boxes) for i in range(len(table["instances"]))]
    return {"bounds": table["bounds"], "widths": table["widths"], "boxes": boxes,
            "active": o["active_neurons"], "mixed": o["mixed_neurons"],
            "off_box": o["off_box_neurons"], "in_box": in_box,
            "support_mass": o["support_mass"], "cosine": table["cosine"]}


def box_membership(res, table: dict, tensor, threshold: float = 0.9) -> dict:
    """Per instance, which box of the minimal box cover each active neuron lies in: its mass
    in a box is the smallest, over its weight vectors (inputs and output, centred), of the mass
    in that box's set of bscs for that mode; a neuron is *in* the box where that is largest
    when it is at least ``threshold``. (Purity asks for one bsc per mode; a box may hold
    several, e.g. {1a, 2a} × {3a} × {3a}, and a neuron spread over them is in the box.)"""
    an = NetworkAnalyzer(tensor)
    cfg = res.config
    wm = np.arange(cfg.width)[None, :] < np.array([i.width for i in cfg.instances])[:, None]
    nb = neuron_boxes(res.params, cfg.activation, an, active_tol=cfg.active_tol,
                      purity_tol=cfg.purity_tol, width_mask=wm)
    mass, active = nb["mass"], nb["active"]  # (B, k+1, t, M), (B, M)
    index = {nm: i for i, nm in enumerate(an.bsc_names)}
    boxes = [[[index[nm] for nm in s] for s in b["sets"]] for b in table["blocks"]]
    inside = np.stack([np.min(np.stack([mass[:, m][:, s].sum(1) for m, s in enumerate(sets)]),
                              axis=0) for sets in boxes])  # (boxes, B, M)
    best, which = inside.max(0), inside.argmax(0)
    out = {"threshold": threshold, "share_in_box": [], "per_box": []}
    for b in table["instances"]:
        act = active[b]
        inb = act & (best[b] >= threshold)
        out["share_in_box"].append(float(inb.sum() / max(1, act.sum())))
        out["per_box"].append([int((inb & (which[b] == i)).sum()) for i in range(len(boxes))])
    return out


# ------------------------------------------------------------------------------ Strassen (d)
def centred_delta(tensor) -> np.ndarray:
    """δ centred over every input and the output (what a network's interaction part aims at)."""
    n = tensor.n
    image = torch.as_tensor(np.array(tensor.image), dtype=torch.long)
    onehot = torch.nn.functional.one_hot(image, n).double()
    return interaction_part(onehot[None], tensor.arity)[0].numpy()


def neuron_fits(res, tensor) -> list[dict]:
    """Per instance of a quadratic two-variable network: its neurons as rank-one terms of the
    interaction part, judged against s · C δ (s the least-squares scale) after a polish."""
    D = centred_delta(tensor)
    out = []
    for b, inst in enumerate(res.config.instances):
        cp = interaction_cp(res.params, "quadratic", b, inst.width)
        X = tl.cp_to_tensor(cp)
        s = float((X * D).sum() / (D * D).sum())
        j = judge_fit(cp, s * D)
        out.append({"width": inst.width, "seed": inst.seed, "scale": s, "fit": j.fit,
                    "relative_error": j.relative_error,
                    "trained_relative_error": j.trained_relative_error, "polished": j.polished})
    return out


# ------------------------------------------------------------------------------ overlaps (e)
def overlap_stats(theta: torch.Tensor, dominant: torch.Tensor, active: torch.Tensor,
                  purity: torch.Tensor) -> dict:
    """Per instance: the largest and the mean |cos| between factor vectors of active
    components whose dominant bscs differ in that factor, and the mean mass outside the
    dominant bsc (1 − purity) of the active components."""
    mx = cross_bsc_overlap(theta, dominant, active).tolist()
    X = theta / theta.norm(dim=2, keepdim=True).clamp_min(1e-300)
    C = (X.transpose(2, 3) @ X).abs()
    d = dominant.transpose(1, 2)
    pair = (d[..., :, None] != d[..., None, :]) & active[:, None, :, None] & active[:, None, None, :]
    cnt = pair.sum(dim=(1, 2, 3)).clamp_min(1)
    mean = ((C * pair).sum(dim=(1, 2, 3)) / cnt).tolist()
    act = active.to(purity.dtype)
    outside = (((1 - purity) * act).sum(1) / act.sum(1).clamp_min(1)).tolist()
    return {"max_overlap": mx, "mean_overlap": mean, "outside_mass": outside}


def _series(steps, stats: list[dict]) -> dict:
    return {"steps": list(steps),
            **{k: [s[k] for s in stats] for k in ("max_overlap", "mean_overlap", "outside_mass")}}


def surrogate_overlaps(sres) -> dict:
    """The overlaps of a surrogate run at each logged step (its factor checkpoints)."""
    stats = []
    for j in range(len(sres.steps)):
        theta = torch.as_tensor(sres.factors[j], dtype=torch.float64)
        dom = torch.as_tensor(sres.dynamics["dominant"][j])
        act = torch.as_tensor(sres.dynamics["active"][j]).bool()
        pur = torch.as_tensor(sres.dynamics["purity"][j], dtype=torch.float64)
        stats.append(overlap_stats(theta, dom, act, pur))
    return _series(sres.steps, stats)


def network_overlaps(nres, tensor) -> dict:
    """The overlaps of a network run's neurons (centred input and output weights) at each
    parameter checkpoint."""
    an = NetworkAnalyzer(tensor)
    cfg = nres.config
    wm = np.arange(cfg.width)[None, :] < np.array([i.width for i in cfg.instances])[:, None]
    stats = []
    for j, _ in enumerate(nres.checkpoint_steps):
        params = {p: v[j] for p, v in nres.checkpoints.items()}
        nb = neuron_boxes(params, cfg.activation, an, active_tol=cfg.active_tol,
                          purity_tol=cfg.purity_tol, width_mask=wm)
        E = torch.as_tensor(params["E"], dtype=torch.float64)
        W = torch.as_tensor(params["W"], dtype=torch.float64)
        theta = torch.cat([E, W.transpose(1, 2)[:, None]], dim=1)
        theta = theta - theta.mean(dim=2, keepdim=True)
        stats.append(overlap_stats(theta, torch.as_tensor(nb["dominant"]),
                                   torch.as_tensor(nb["active"]).bool(),
                                   torch.as_tensor(nb["purity"], dtype=torch.float64)))
    return _series(nres.checkpoint_steps, stats)


# ------------------------------------------------------------------------------ Chughtai
def block_formation(res, dec) -> list[dict]:
    """Per instance: for each non-trivial support triplet t, the gap g_t = (excl:t − train
    loss) / (‖δ^t‖² / n^{k+1}) over the logged steps (1 when the network holds δ's piece at
    full scale and nothing else stands in for it), its final value, whether it formed
    (final g_t ≥ FORMED), the first logged step with g_t ≥ FORMED, and the blocks in the
    order they formed (a list of groups: the blocks that formed at the same logged step share
    a group). MSE runs only (the normaliser is the MSE cost of δ's piece)."""
    names = res.bsc_names or [b.name for b in bscs(Group.from_spec(res.config.spec))]
    support = [tuple(t) for t in dec.support if any(p != 0 for p in t)]  # trivial bsc: index 0
    k = len(dec.support[0]) - 1
    nn = round(res.train_mask.shape[1] ** (1 / k))  # n^k input tuples
    out = []
    B = len(res.config.instances)
    steps = sorted({r["step"] for r in res.rows})
    for b in range(B):
        rows = {r["step"]: r for r in res.rows if r["instance"] == b}
        rec = {"seed": res.config.instances[b].seed, "blocks": {}}
        for t in support:
            name = ",".join(names[p] for p in t)
            cost = float(dec.norms[t]) / nn ** (k + 1)
            g = [(rows[s][f"excl:{name}"] - rows[s]["train_loss"]) / cost
                 if s in rows and f"excl:{name}" in rows[s] else math.nan for s in steps]
            formed = next((s for s, v in zip(steps, g) if v >= FORMED), None)
            rec["blocks"][name] = {"final": g[-1], "formed": bool(g[-1] >= FORMED),
                                   "step": formed if g[-1] >= FORMED else None, "series": g}
        at: dict = {}
        for nm, v in rec["blocks"].items():
            if v["formed"]:
                at.setdefault(v["step"], []).append(nm)
        rec["order"] = [sorted(at[s]) for s in sorted(at)]  # blocks formed at one logged step
        rec["steps"] = steps
        out.append(rec)
    return out


# ------------------------------------------------------------------------------ Morwani
def single_bsc_series(res) -> list[dict]:
    """Per instance, over the logged steps: the share of active neurons whose input and output
    weights all lie (≥ 90% of their mass) in one bsc (a support triplet of xy: (φ, φ, φ)),
    the share that is mixed, and the pure ones in a triplet off the support."""
    support = [",".join(res.bsc_names[p] for p in t) for t in res.support]
    out = []
    for b, inst in enumerate(res.config.instances):
        rows = sorted((r for r in res.rows if r["instance"] == b), key=lambda r: r["step"])
        act = [max(r.get("active", 0), 1) for r in rows]
        single = [sum(r.get(f"act:{t}", 0) for t in support) / a for r, a in zip(rows, act)]
        out.append({"seed": inst.seed, "weight_decay": inst.weight_decay,
                    "steps": [r["step"] for r in rows], "single": single,
                    "mixed": [r.get("mixed", 0) / a for r, a in zip(rows, act)],
                    "other": [r.get("act:other", 0) / a for r, a in zip(rows, act)],
                    "active": [r.get("active", 0) for r in rows]})
    return out


# ------------------------------------------------------------------------------ widths (c)
def phase_summary(pr, model: str, run_dir: Path, **extra) -> dict:
    """A phase diagram at one training fraction: per width the share of seeds at ≥ 99% and the
    mean accuracy, the narrowest width where every seed (any seed) gets there."""
    solved = pr.solved[:, 0].tolist()
    widths = list(pr.widths)
    return {"model": model, "spec": pr.spec, "word": pr.word, "widths": widths,
            "train_fraction": pr.fractions[0], "seeds": list(pr.seeds),
            "solved": solved, "mean_accuracy": pr.mean_acc[:, 0].tolist(),
            "accuracy": pr.accuracy[:, 0, :].tolist(),
            "bounds": {"lower": pr.bounds.lower, "upper": pr.bounds.upper,
                       "source": pr.bounds.source},
            "width_all": next((w for w, s in zip(widths, solved) if s >= 1), None),
            "width_any": next((w for w, s in zip(widths, solved) if s > 0), None),
            "run_dir": rel(run_dir), **extra}


def aligned_fractions(run_dir: Path) -> list[dict]:
    """Per instance of a run folder: the share of active neurons that are pure in a support
    triplet (for Z_p: one frequency in every input and the output)."""
    s = json.loads((Path(run_dir) / "summary.json").read_text())
    out = []
    for b, nr in enumerate(s["neurons"]):
        pure = sum(v for k, v in nr["per_triplet"].items() if k != "other")
        out.append({"width": s["widths"][b], "seed": s["seeds"][b],
                    "test_accuracy": s["test_accuracy"][b], "active": nr["active"],
                    "aligned": pure / nr["active"] if nr["active"] else None,
                    "mixed": nr["mixed"]})
    return out


def complex_product_tensor(k: int) -> np.ndarray:
    """The real 2 × … × 2 ((k+1)-way) tensor of z_1 ⋯ z_k in C = R ⊕ R i."""
    units = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]

    def mul(a, b):
        return np.array([a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]])

    T = np.zeros((2,) * (k + 1))
    for idx in np.ndindex(*(2,) * k):
        z = units[idx[0]]
        for i in idx[1:]:
            z = mul(z, units[i])
        T[idx] = z
    return T


def modular_ranks(p: int, restarts: int) -> dict:
    """Rank bounds of the (k+1)-way tensors of Z_p for k = 2, 3 (see docs/claims.md)."""
    G = Group.from_spec(f"Z{p}")
    rep = rank_bounds(G, "xy")
    out = {"xy": {"lower": rep.lower, "upper": rep.upper, "lower_method": rep.lower_method,
                  "upper_method": rep.upper_method}}
    T3 = word_tensor(G, "xyz")
    flats = [flattening_rank(T3, m) for m in ((0,), (1,), (2,), (3,), (0, 1), (0, 2), (0, 3))]
    C3 = complex_product_tensor(3)
    block = {}
    for r in (3, 4):
        res = cp_search(C3, r, restarts=40, random_state=0)
        block[r] = {"success": res.success, "error": res.error}
    r_block = min((r for r, v in block.items() if v["success"]), default=None)
    upper_blocks = 1 + (p - 1) // 2 * r_block if r_block else None
    search = []
    if upper_blocks:
        for r in range(upper_blocks, rep.lower - 1, -1):
            t0 = time.perf_counter()
            res = cp_search(T3, r, restarts=restarts, method="lm", random_state=0,
                            time_limit=120)
            rec = {"rank": r, "success": res.success, "error": res.error,
                   "seconds": time.perf_counter() - t0}
            if res.success and r == upper_blocks:
                cert = exactify(res.cp, T3, time_limit=60)
                rec["exact_certificate"] = bool(cert.exact)
            search.append(rec)
            if not res.success:
                break
    found = [s["rank"] for s in search if s["success"]]
    out["xyz"] = {"lower": rep.lower,
                  "lower_method": "restriction: z = e gives the xy tensor (" + rep.lower_method
                                  + ")",
                  "flattening_ranks": flats, "complex_triple_product": block,
                  "upper_blocks": upper_blocks, "search": search,
                  "upper_numerical": min(found) if found else None}
    return out


# ------------------------------------------------------------------------------ (b)
def read_atlas(path: Path) -> list[dict]:
    """Rows of the atlas CSV (wordtensor atlas) with the keys the claims use: spec,
    structure, order, word, lower, upper (columns matched by name, loosely)."""
    with open(path, newline="") as f:
        raw = list(csv.DictReader(f))
    if not raw:
        return []

    def pick(row, *names):
        for nm in names:
            for key in row:
                if key.lower() == nm:
                    return row[key]
        return None

    rows = []
    for r in raw:
        if (pick(r, "status") or "ok") != "ok":
            continue
        order = pick(r, "order", "n")
        lo, up = pick(r, "lower", "rank_lower"), pick(r, "upper", "rank_upper")
        if order is None or lo in (None, "") or up in (None, ""):
            continue
        rows.append({"spec": pick(r, "spec", "group", "id"),
                     "structure": pick(r, "structure", "name"), "order": int(order),
                     "word": pick(r, "word"), "lower": int(float(lo)), "upper": int(float(up)),
                     "lower_method": pick(r, "lower_method"),
                     "upper_method": pick(r, "upper_method")})
    return rows


def atlas_summary(rows: list[dict]) -> dict:
    """Per word: how many groups (order ≥ 4), the median and largest upper / n², the median
    lower / n², and the share with upper / n² below the generic rank's ~1/3."""
    out = {}
    for word in dict.fromkeys(r["word"] for r in rows):
        rs = [r for r in rows if r["word"] == word and r["order"] >= 4]
        if not rs:
            continue
        up = np.array([r["upper"] / r["order"] ** 2 for r in rs])
        lo = np.array([r["lower"] / r["order"] ** 2 for r in rs])
        worst = rs[int(np.argmax(up))]
        out[word] = {"groups": len(rs), "median_upper": float(np.median(up)),
                     "max_upper": float(up.max()), "max_upper_group": worst["structure"]
                     or worst["spec"], "median_lower": float(np.median(lo)),
                     "share_below_third": float((up < 1 / 3).mean()),
                     "share_exact": float(np.mean([r["lower"] == r["upper"] for r in rs]))}
    return out


# ------------------------------------------------------------------------------ (e), invariance
def pure_start(spec: str, width: int, fraction: float, optimizer: str, lr: float, steps: int,
               seeds: int = 2, log_per_decade: int = 4) -> dict:
    """A CP surrogate of ``xy`` started *inside* the bsc blocks: each component's three factor
    vectors projected onto the bsc where its first factor has most mass (so every component is
    pure, and components of different bscs are exactly orthogonal). Returns, over the log
    schedule, the largest and the mean mass outside the starting bsc (over the active
    components and their factors), the number of active components, the train loss and
    accuracy. Gradient flow on all pairs keeps the blocks (the
    gradient of a pure component stays in its bsc when δ and the model are block-diagonal);
    Adam's coordinate-wise scaling and a training subset need not."""
    from surrogate.batching import log_schedule
    from surrogate.bsc import box_masses, fourier_segments
    from surrogate.config import grid
    from surrogate.cp.config import SurrogateConfig
    from surrogate.cp.metrics import Analyzer
    from surrogate.cp.trainer import BatchedCP

    T = word_tensor(spec, "xy")
    cfg = SurrogateConfig(spec, "xy", grid(seeds, width, fraction, lr=lr, weight_decay=1e-5),
                          steps=steps, optimizer=optimizer, dtype="float64")
    model = BatchedCP(cfg, T)
    F, Smat, _ = fourier_segments(T)
    F, Smat = torch.as_tensor(F), torch.as_tensor(Smat)
    theta = model.theta
    phi = box_masses(theta, F, Smat)[:, 0].argmax(1)  # (B, M): the bsc of each component
    P = torch.stack([F.T @ torch.diag(Smat[:, j]) @ F for j in range(Smat.shape[1])])  # (t, n, n)
    proj = P[phi]  # (B, M, n, n)
    model.theta = torch.einsum("bmij,bkjm->bkim", proj, theta).contiguous()
    an = Analyzer(T)
    sched = set(log_schedule(steps, log_per_decade))
    out = {"train_fraction": fraction, "optimizer": optimizer, "lr": lr, "width": width,
           "steps": [], "outside_max": [], "outside_mean": [], "active": [], "train_loss": [],
           "train_acc": []}

    def log():
        mass = box_masses(model.theta, F, Smat)  # (B, k+1, t, M)
        own = torch.gather(mass, 2, phi[:, None, None, :].expand(-1, mass.shape[1], 1, -1))[:, :, 0]
        m = an.evaluate(model.theta, model.train_mask, cfg.loss)
        act = torch.as_tensor(m["active"])[:, None, :].expand_as(own)  # active components only
        leak = (1 - own).clamp_min(0)[act]  # (direction of a decayed component means nothing)
        out["steps"].append(model.t)
        out["outside_max"].append(float(leak.max()) if leak.numel() else 0.0)
        out["outside_mean"].append(float(leak.mean()) if leak.numel() else 0.0)
        out["active"].append(int(m["active"].sum()))
        out["train_loss"].append(float(np.median(m["train_loss"])))
        out["train_acc"].append(float(np.median(m["train_acc"])))

    log()
    while model.t < steps:
        model.step()
        if model.t in sched:
            log()
    return out
