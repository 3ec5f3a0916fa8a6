"""The words of docs/claims.md around its tables (used by scripts/claims_report.py): each claim
quoted with its paper, the test, and a verdict computed from the stored results by the rules
written next to it, so that a rerun with other numbers cannot keep a stale verdict."""

from __future__ import annotations

import statistics

GPU_NOTE = ("**GPU.** No GPU was lent to the session that made this page, so the GPU figures "
            "the issue asks for (S5, SL(2,5) or A5 networks and surrogates with 64 seeds batched "
            "on CUDA, steps per second on GPU against CPU, the fraction of peak) are **not "
            "measured** here. Every run below is CPU-only; the same commands take "
            "`--device cuda` (and the Python functions `device=\"cuda\"`).")


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _f(x, spec=".3g"):
    return "–" if x is None else format(x, spec)


def _reached(insts, thr=0.99):
    return sum(1 for i in insts if i["test_accuracy"] is not None and i["test_accuracy"] >= thr)


# ------------------------------------------------------------------------------ verdicts
def verdict_a(res: dict) -> tuple[str, str]:
    runs = res["words"]["runs"] + res.get("words_more", {}).get("runs", [])
    cells = {}
    for r in runs:
        key = (r["spec"], r["word"])
        ok = _reached(r["instances"])
        cells[key] = max(cells.get(key, (0, 1)), (ok, len(r["instances"])), key=lambda t: t[0] / t[1])
    learned = [k for k, (ok, n) in cells.items() if ok > 0]
    full = [k for k, (ok, n) in cells.items() if ok == n]
    ratios = [i["grok_ratio"] for r in runs for i in r["instances"] if i["grok_ratio"]]
    groups = sorted({k[0] for k in cells})
    measured = (f"{len(full)} of {len(cells)} (group, word) cells with every network ≥ 99% "
                f"test, {len(learned)} with at least one ({', '.join(groups)}; 5 words; 2–4 "
                f"networks per cell); median grokking ratio {_f(_med(ratios), '.2g')} "
                f"(range {_f(min(ratios), '.2g')}–{_f(max(ratios), '.2g')})")
    missing = [f"{w} on {g}" for (g, w), (ok, n) in cells.items() if ok == 0]
    if len(full) == len(cells):
        v = "reproduced"
    elif len(learned) >= len(cells) / 2:
        v = ("partly: every word is learned on some group, and where the held-out pairs are "
             "learned they come later than the training pairs (grokking; a short delay at "
             "fraction 0.8, several times the memorisation step at 0.6); some cells need more "
             "data than 60% of the pairs, and " + ", ".join(f"`{m.split(' on ')[0]}` on "
                                                            f"{m.split(' on ')[1]}"
                                                            for m in missing)
             + " were not learned within the budget")
    else:
        v = "not reproduced in this budget"
    return measured, v


def verdict_b(res: dict) -> tuple[str, str]:
    s = res["atlas"]["summary"]
    med = {w: d["median_upper"] for w, d in s.items()}
    below = min(d["share_below_third"] for d in s.values())
    orders = [r["order"] for r in res["atlas"]["rows"] if r["order"] >= 4]
    measured = (f"median certified upper bound / n² over the {s[next(iter(s))]['groups']} groups "
                f"of order {min(orders)}–{max(orders)}: "
                + ", ".join(f"`{w}` {v:.3f}" for w, v in med.items())
                + f"; at least {below:.0%} of the groups below the generic ~1/3 for every word")
    v = ("reproduced for `xy` (rank ≈ 2n, proven to within the Alder–Strassen (+1) gap) and for "
         "most cells of the other words; the open cells (mostly `xyx` and `[x,y]`) lie between "
         "Koszul–Young or flattening lower bounds and box-cover upper bounds (docs/atlas.md)")
    return measured, v


def verdict_c(res: dict) -> tuple[str, str]:
    parts, rel = [], []
    for d in res["widths"]["diagrams"]:
        b = d["bounds"]
        parts.append(f"{d['model']} {d['spec']} `{d['word']}`: every seed from width "
                     f"{_f(d['width_all'])}, some from {_f(d['width_any'])} (rank "
                     f"{b['lower']}..{b['upper']})")
        if d["width_all"] is not None and b["upper"]:
            rel.append(d["width_all"] / b["upper"])
    measured = "; ".join(parts)
    if rel and max(rel) <= 2:
        v = ("reproduced: the width that generalises lies within a factor 2 of the certified "
             "rank (near the rank, not at the recipe's 256); below the rank's lower bound "
             "networks do not generalise")
    else:
        v = "partly (see the table)"
    return measured, v


def verdict_d(res: dict) -> tuple[str, str]:
    s = res["strassen"]
    net = s["S3_network"]
    boxes = net["boxes"]["boxes"]
    i2a = next(i for i, b in enumerate(boxes) if b["box"].startswith("2a"))
    by_w = {}
    for j, inst in enumerate(net["instances"]):
        by_w.setdefault(inst["width"], []).append(j)
    exact = {w: sum(net["neuron_fit"][j]["fit"] == "exact" for j in idx) for w, idx in by_w.items()}
    on2a_exact = sorted({boxes[i2a]["neurons"][j] for j in range(len(net["instances"]))
                         if net["neuron_fit"][j]["fit"] == "exact"})
    sur = s["S3_surrogate"]
    sur_exact = [c["per_triplet"].get("2a,2a,2a") for c, f in zip(sur["components"], sur["fit"])
                 if f == "exact"]
    measured = ("S3 networks (8 seeds per width, all pairs): exact after the polish "
                + ", ".join(f"{exact[w]}/{len(by_w[w])} at width {w}" for w in sorted(by_w))
                + f", the exact ones with {on2a_exact} neurons on M₂(R); surrogate width 9: "
                  f"{len(sur_exact)}/{len(sur['fit'])} exact, with {sorted(set(sur_exact))} "
                  "components on M₂(R)")
    if on2a_exact and min(on2a_exact) <= 7:
        v = "reproduced for the networks"
    else:
        v = ("partly: the CP surrogate finds Strassen's count (7 on M₂(R), exact); the networks "
             "do not — at width 8 (room for 1 + 7) they stay approximate (cosine ≤ 0.98), and "
             "their exact solutions use 8 products on M₂(R), the standard algorithm")
    return measured, v


def verdict_e(res: dict) -> tuple[str, str]:
    o = res["orthogonality"]
    sm, nm = o["surrogate"]["mean_overlap"], o["network"]["mean_overlap"]
    measured = (f"mean \\|cos\\| across bscs, start → end: surrogate {_f(_med(sm[0]), '.2f')} → "
                f"{_f(_med(sm[-1]), '.3f')}, network {_f(_med(nm[0]), '.2f')} → "
                f"{_f(_med(nm[-1]), '.3f')}")
    pure = o.get("pure_start", [])
    if pure:
        measured += "; started inside the blocks, the largest leak out of them: " + ", ".join(
            f"{p['optimizer']} fraction {p['train_fraction']:g}: {max(p['outside_max']):.0e}"
            for p in pure)
    gd_full = [p for p in pure if p["optimizer"] == "gd" and p["train_fraction"] == 1.0]
    kept = bool(gd_full) and max(gd_full[0]["outside_max"]) < 1e-12
    if kept:
        v = ("partly: gradient descent on all pairs keeps the bsc blocks exactly (to rounding); "
             "Adam and a training subset do not, and from a random start orthogonality is "
             "reached by the end of training rather than preserved")
    else:
        v = "partly: orthogonality is reached at the end of training, not preserved throughout"
    return measured, v


def verdict_f(res: dict) -> tuple[str, str]:
    runs = [r for r in res["words"]["runs"] + res.get("words_more", {}).get("runs", [])
            if r["word"] != "xy"]
    def shares(rs):
        out = []
        for r in rs:
            mem = r.get("membership")
            if mem:
                out += mem["share_in_box"]
            else:
                b = r["boxes"]
                out += [i / a for i, a in zip(b["in_box"], b["active"]) if a]
        return out

    share = shares(runs)
    sxy = shares([r for r in res["words"]["runs"] if r["word"] == "xy"])
    cos = [c for r in runs for c in r["boxes"]["cosine"] if c is not None]
    measured = (f"share of active neurons inside a box of the minimal box cover (≥ 90% of each "
                f"weight vector's mass in the box's bscs): median {_f(_med(share), '.2f')} "
                f"(range {_f(min(share), '.2f')}–{_f(max(share), '.2f')}) over {len(share)} "
                f"networks on words other than `xy`, whose interaction parts have median cosine "
                f"{_f(_med(cos), '.3f')} with δ; {_f(_med(sxy), '.2f')} for `xy`")
    v = ("not reproduced for words other than `xy` in this setting: most neurons are mixed "
         "across boxes" if (_med(share) or 0) < 0.5 else "partly")
    return measured, v


def verdict_chughtai(res: dict) -> tuple[str, str]:
    parts, varies, subset = [], False, False
    for r in res["chughtai"]["runs"]:
        orders = [tuple(tuple(g) if isinstance(g, list) else (g,) for g in x["order"])
                  for x in r["blocks"]]
        sets = [frozenset(b for g in o for b in g) for o in orders]
        n_blocks = len(r["blocks"][0]["blocks"]) if r["blocks"] else 0
        varies |= len(set(orders)) > 1
        subset |= any(len(s) < n_blocks for s in sets)
        parts.append(f"{r['spec']} {r['activation']}: blocks formed per seed "
                     + "/".join(str(len(s)) for s in sets) + f" of {n_blocks}, "
                     + f"{len(set(orders))} distinct order(s) over {len(orders)} seeds")
    measured = "; ".join(parts)
    if subset and varies:
        v = "reproduced: seeds use different subsets and orders"
    elif varies:
        v = ("partly: the order in which blocks form varies with the seed, but with MSE against "
             "the one-hot rows every seed forms every non-trivial block (no subset)")
    else:
        v = "not reproduced in this setting: the same blocks form in the same order for every seed"
    return measured, v


def verdict_morwani(res: dict) -> tuple[str, str]:
    parts = []
    for r in res["morwani"]["runs"]:
        by = {}
        for s in r["single"]:
            by.setdefault(s["weight_decay"], []).append(s["single"][-1])
        parts.append(f"{r['loss']} fraction {r['train_fraction']:g}: "
                     + ", ".join(f"wd {wd:g} → {statistics.median(v):.2f}"
                                 for wd, v in sorted(by.items())))
    measured = "single-bsc share at the end: " + "; ".join(parts)
    v = ("partly: with every pair in training (MSE) every neuron ends on one bsc; with held-out "
         "pairs only with enough weight decay (where the networks generalise), and cross-entropy "
         "at the largest weight decay leaves many mixed neurons")
    return measured, v


def verdict_modular(res: dict) -> tuple[str, str]:
    m = res["modular"]
    parts = []
    for r in m["runs"]:
        al = [a["aligned"] for a in r["single_frequency"]
              if a["test_accuracy"] is not None and a["test_accuracy"] >= 0.99]
        parts.append(f"k = {r['k']} ({r['activation']}): every seed from width "
                     f"{_f(r['width_all'])} (2^(2k−2)(p−1) = {r['li_bound']}), "
                     f"single-frequency share {_f(_med(al), '.2f')} in the networks that generalise")
    rk = m["ranks"]
    up3 = rk["xyz"].get("upper_numerical") or rk["xyz"]["upper_blocks"]
    measured = (f"Z{m['p']}: " + "; ".join(parts) + f"; rank xy {rk['xy']['lower']}.."
                f"{rk['xy']['upper']}, xyz {rk['xyz']['lower']}..{_f(up3)}")
    theory = [r for r in m["runs"] if r["activation"] != "gelu"]
    below = all(r["width_all"] is not None and r["width_all"] < r["li_bound"] for r in theory)
    at_bound = []
    for r in theory:
        al = [a["aligned"] for a in r["single_frequency"] if a["width"] == r["li_bound"]]
        at_bound.append(f"{_f(_med(al), '.2f')} at width {r['li_bound']} (k = {r['k']})")
    measured += "; single-frequency share at the theory's width: " + ", ".join(at_bound)
    v = ("reproduced at the theory's width: there every neuron is on one frequency; but the "
         "networks generalise from a far smaller width, near the tensor's rank (24 and 48 "
         "against 40 and 160), with most but not all neurons aligned — the bound is enough for "
         "the max-margin solution, not needed to generalise") if below else "partly (see the table)"
    return measured, v


CLAIMS = [
    ("SLT (a)", "words", "Shutman–Louidor–Tessler, arXiv 2509.06931 (abstract)",
     "a simple two-layer neural network with standard activation functions can learn an "
     "arbitrary word operation in any finite group, provided sufficient width is available "
     "and exhibits grokking while doing so", verdict_a,
     "`python scripts/claims.py --only words words_more`"),
    ("SLT (b)", "atlas", "Shutman–Louidor–Tessler (abstract)",
     "we reframe the problem as that of learning a particular 3-tensor, which we show is "
     "typically of low rank", verdict_b, "`python scripts/claims.py --only atlas`"),
    ("SLT (c)", "widths", "Shutman–Louidor–Tessler (abstract)",
     "the network is able to find such low-rank implementations (or approximations thereof), "
     "thereby using limited width to approximate the word-tensor in a generalizable way",
     verdict_c, "`python scripts/claims.py --only widths`"),
    ("SLT (d)", "strassen", "Shutman–Louidor–Tessler (abstract)",
     "In the case of the simple multiplication word, we further elucidate the form of these "
     "low-rank implementations, showing that the network effectively implements efficient "
     "matrix multiplication in the sense of Strassen", verdict_d,
     "`python scripts/claims.py --only strassen`"),
    ("SLT (e)", "orthogonality", "Shutman–Louidor–Tessler, as summarised by arxivlens.com "
     "(not a quotation of the paper)",
     "the training dynamics preserve orthogonality between different representation spaces",
     verdict_e, "`python scripts/claims.py --only orthogonality`"),
    ("SLT (f)", "words", "Shutman–Louidor–Tessler, as summarised by arxivlens.com "
     "(not a quotation of the paper)",
     "neural networks trained on group-theoretic tasks naturally decompose into minimal box "
     "covers corresponding to irreducible representations", verdict_f,
     "`python scripts/claims.py --only words words_more`"),
    ("Chughtai", "chughtai", "Chughtai, Chan, Nanda, *A toy model of universality*, ICML 2023",
     "networks learn group composition through a subset of irreps, and which irreps, and in "
     "what order, varies with the seed (the issue's paraphrase)", verdict_chughtai,
     "`python scripts/claims.py --only chughtai`"),
    ("Morwani", "morwani", "Morwani, Edelman, Oncescu, Zhao, Kakade, arXiv 2311.07568",
     "we prove that the trained networks … employ features corresponding to irreducible "
     "group-theoretic representations to perform compositions in general groups” (abstract); "
     "the issue's reading: “under margin maximisation every neuron is supported on a single "
     "irrep", verdict_morwani,
     "`python scripts/claims.py --only morwani`"),
    ("k-input", "modular", "Li, Liang, Shi, Song, Zhou, arXiv 2402.09469",
     "a neuron count of m ≥ 2^{2k−2}·(p−1) … attain a maximum L_{2,k+1}-margin … each "
     "hidden-layer neuron aligns with a specific Fourier spectrum", verdict_modular,
     "`python scripts/claims.py --only modular`"),
]


def page(res: dict, tables: dict) -> str:
    total = sum(r.get("seconds", 0) for r in res.values())
    lines = ["# The papers' claims, tested", "",
             "Generated by `python scripts/claims_report.py` from the results that "
             "`python scripts/claims.py` stored under `docs/runs/claims/<experiment>/result.json`; "
             "every number is read back from those files, and the run folders beside them keep "
             "each run's configuration, metrics (`metrics.csv`, on a log-spaced schedule), summary "
             "and comparison table. `notebooks/05_claims.ipynb` draws the figures. "
             f"The experiments took {total / 60:.0f} minutes of wall time in all on the "
             "development machine's CPU (one torch thread per process, two processes side by "
             "side, about 35 minutes end to end; 2 cores shared with other jobs, load average 7–10 "
             "while they ran — on a quiet machine the same runs are 2–5 times faster: the "
             "orthogonality experiment took 51 s under that load and 21 s later); per "
             "experiment: "
             + ", ".join(f"{k} {v.get('seconds', 0) / 60:.1f} min" for k, v in res.items())
             + " (the atlas experiment reads the stored atlas).",
             "", GPU_NOTE, "",
             "Settings common to the networks: the two-layer network of `docs/design.md`, "
             "quadratic σ unless said otherwise, MSE against the one-hot rows, full-batch AdamW "
             "(lr 1e-2, β = (0.9, 0.98)), init scale 0.3 (the recipe of "
             "`surrogate.networks.RECIPE`); seeds, widths and weight decays of one run train as "
             "one batch. *Test accuracy* is on the held-out pairs; the *grokking ratio* is the "
             "step of 99% test accuracy over the step of 100% train accuracy. A fit is "
             "*exact* only when Levenberg–Marquardt, started from the trained factors, brings its "
             "relative error below 1e-10 (`surrogate.fits`); otherwise it is *approximate*.", "",
             "## Summary", "",
             "| claim | paper | test | measured (seeds) | verdict |", "|---|---|---|---|---|"]
    bodies = []
    for tag, key, paper, quote, fn, cmd in CLAIMS:
        if key not in res:
            lines.append(f"| {tag} | {paper} | {cmd} | not run | – |")
            continue
        measured, v = fn(res)
        lines.append(f"| **{tag}**: “{_short(quote)}” | {paper} | {cmd} | {measured} | **{v}** |")
        bodies.append((tag, key, paper, quote, cmd, measured, v))
    for tag, _key, paper, quote, cmd, measured, v in bodies:
        lines += ["", f"## {tag}", "", f"> “{quote}” — {paper}", "", f"**Test.** {cmd}. "
                  + TESTS.get(tag, ""), ""]
        for name in SECTIONS.get(tag, []):
            if name in tables:
                lines += tables[name] + [""]
        lines += [f"**Measured.** {measured}.", "", f"**Verdict: {v}.** " + NOTES.get(tag, ""), ""]
    return "\n".join(lines).rstrip() + "\n"


def _short(q: str, n: int = 90) -> str:
    return q if len(q) <= n else q[:n].rsplit(" ", 1)[0] + " …"


SECTIONS = {"SLT (a)": ["words", "words_more"], "SLT (b)": ["atlas"], "SLT (c)": ["widths"],
            "SLT (d)": ["strassen"], "SLT (e)": ["orthogonality"], "SLT (f)": ["boxes", "boxes_more"],
            "Chughtai": ["chughtai"], "Morwani": ["morwani"], "k-input": ["modular"]}

TESTS = {
    "SLT (a)": ("Five words (`xy`, `xyX` = xyx⁻¹, `[x,y]`, `x^2y`, `xyx`) on S4 and SL(2,3) "
                "(order 24, training fraction 0.6), the dihedral group `D8` of order 16 "
                "(fraction 0.8), and `xy`, `[x,y]` on A5 (fraction 0.4); width 256, 2000 steps, "
                "two seeds at weight decay 1 and two at 3. The words that fall short on the "
                "groups of order 24 are trained again at fraction 0.8, weight decay 3, 4000 "
                "steps (second table)."),
    "SLT (b)": ("The rank atlas `docs/atlas.csv` made by `wordtensor atlas` (docs/atlas.md: "
                "the rank report of `fusion.ranks.rank_bounds` for the 144 SmallGroups of order "
                "≤ 32 and the words `xy`, `xyx`, `xyX`, `xxyy`, `[x,y]`; without the CSV the "
                "script computes the bounds itself for the orders ≤ 24); rank / n² beside the "
                "~1/3 of a generic n × n × n tensor (its rank is ⌈n³/(3n−2)⌉)."),
    "SLT (c)": ("Network phase diagrams over the width at one training fraction (3 seeds, "
                "3000 steps; `surrogate.networks.network_phase_diagram`) for S4 `xy`, "
                "SL(2,3) `xy`, D8 `xy` and S4 `xyX`, and a CP-surrogate one for S4 `xy` "
                "(`surrogate.phase_diagram`, Adam, 4000 steps), with the proven rank bounds."),
    "SLT (d)": ("S3 `xy` on all 36 pairs at widths 7, 8, 9 (8 seeds each, 10000 steps): the "
                "neurons on the block of the 2-dimensional bsc (M₂(R), rank 7 by Strassen and "
                "Winograd), the cosine of the interaction part with δ, and whether the neurons, "
                "polished by Levenberg–Marquardt towards δ (centred and scaled alike), are an "
                "exact decomposition; a CP surrogate of width 9 (8 seeds); S4 `xy` at the "
                "rank's upper bound 55 and twice it."),
    "SLT (e)": ("S4 `xy`: a CP surrogate (width 64, fraction 0.5, Adam, 4000 steps, 4 seeds) and "
                "a network (width 64, fraction 0.6, 3000 steps, 4 seeds, parameters saved ten "
                "times per decade) from a random start: the |cos| between the factor vectors of "
                "components (neurons) whose dominant bscs differ, and the mass outside the "
                "dominant bsc. Then a surrogate started inside the blocks (each component "
                "projected onto one bsc, float64, 2 seeds): plain gradient descent (lr 10) and "
                "Adam (lr 1e-2), on all pairs and on half."),
    "SLT (f)": ("The networks of (a): per box of the minimal box cover (`fusion.ranks`), the "
                "active neurons whose input and output weights lie in the box (purity ≥ 0.9), "
                "against the box's rank bound (`wordtensor compare`)."),
    "Chughtai": ("S4 `xy` for quadratic, relu and gelu networks with their recipe settings "
                 "(width 128, fraction 0.6, 3000 steps, 4 seeds, 20 log points per decade) and "
                 "S5 `xy` (quadratic, width 512, fraction 0.3, 1500 steps, 2 seeds; SL(2,5) "
                 "is not run, for time). For each non-trivial block t of δ (a bsc triplet "
                 "(φ, φ, φ)), the excluded-loss gap g_t = (loss with the network's piece on t "
                 "removed − loss) / (the same cost for δ's own piece, ‖δ^t‖²/n³): 1 when the "
                 "network holds the block at δ's scale. A block has *formed* when g_t ≥ 1/2; "
                 "its step is the first logged step there. (Chughtai et al. train with "
                 "cross-entropy: a probe with cross-entropy and relu on S4, lr 1e-3 to 1e-2, "
                 "4000 steps, did not generalise (test accuracy ≤ 0.45), so the MSE recipe is "
                 "measured.)"),
    "Morwani": ("S4 `xy`, quadratic networks of width 128, 3000 steps, 2 seeds per weight "
                "decay 0.1, 0.3, 1, 3 (one batch): MSE and cross-entropy on all pairs (the "
                "setting of the margin theory), and MSE at fraction 0.6. A neuron is on a single "
                "bsc when each of its input and output weight vectors (centred) has ≥ 90% of its "
                "mass in the same bsc; the share is over the active neurons."),
    "k-input": ("Z11 with `xy` (k = 2, quadratic σ = x², fraction 0.8, weight decay 3, 5000 "
                "steps, 4 seeds per width) and `xyz` (k = 3, fraction 0.5, 3000 steps, 2 seeds "
                "per width) with σ = x³ — the activation of degree k of the theory (a quadratic "
                "network's logits hold only pairwise interactions of the inputs and cannot fit "
                "a three-variable word) — and with gelu. Neurons aligned with a single frequency: "
                "pure (≥ 90%) in one bsc of Z11 in every input and the output. Rank bounds of "
                "the (k+1)-way tensor: `fusion.ranks` for `xy`; for `xyz`, the lower bound by "
                "restriction (setting z = e leaves the `xy` tensor), the upper bound by the "
                "Fourier blocks (1 + 5 × the real rank of the product of three complex numbers, "
                "found numerically) and by a CP search on the whole tensor."),
}

#: A reading of the stored results, written by hand (a rerun regenerates the tables, the
#: measured lines and the verdicts, not these paragraphs).
NOTES = {
    "SLT (a)": (
        "*Reading.* The recipe's budget (2000 steps, 60% of the pairs) learns `xy` on all four "
        "groups (on SL(2,3) and A5 at one of the two weight decays only) and, on D8 with 80% of "
        "the pairs, every word. On the groups of order 24 `xyX`, `x^2y`, `xyx` and SL(2,3)'s "
        "`[x,y]` need 80% of the pairs (second table). `[x,y]` on S4 (its image is A4, and 120 of "
        "the 576 pairs commute) stays at test accuracy 0.41 even then, and `[x,y]` on A5 at 40% "
        "of the pairs near chance: that is where the claim is not reproduced in this budget. The "
        "delay between memorising and generalising is clear with 60% of the pairs on the groups "
        "of order 24 (median ratios 5–18) and shorter with 80% (1.3–7.3). Only 2–4 networks "
        "per cell; groups larger than A5 and activations other than σ = x² are not tested "
        "here."),
    "SLT (b)": (
        "*Reading.* The upper bounds are certified (constructive factors checked in the group "
        "basis, or exact 0/1 slices) and the lower bounds are theorems (Alder–Strassen for "
        "`xy`, flattenings — at most n — otherwise). For `xy` the rank is pinned between 2n − t "
        "and the best known block decompositions, so 'low rank' (about 2n against the ~n²/3 of "
        "a generic tensor) is proven. For the other words 'low' is a statement about upper "
        "bounds only, and where an upper bound reaches the generic rank (6 of 141 cells for "
        "`xyx`, e.g. C7 : C3 with 329 against 152, and A4 `xxyy`) it is the bound that is "
        "loose, not the rank shown to be high. The atlas CSV read here is main's of commit "
        "de39c13, whose lower bounds predate the minimal-rank +1 (it gives Q8 `xy` 11..12, "
        "S4 `xy` 43..55); regenerating it can only raise lower bounds."),
    "SLT (c)": (
        "*Reading.* The networks generalise from about the rank: D8 `xy` exactly at its rank 25, "
        "S4 `xy` at 64 (rank 43..55; mean test accuracy 0.95 at 55), SL(2,3) `xy` at 64–96 (rank "
        "43..56), S4 `xyX` from its upper bound 54, the CP surrogate at 55, S4's certified upper "
        "bound. No seed generalises below the proven lower bound. Z11 (k-input, below) agrees: "
        "widths 24 and 48 for ranks 16 and 16..21. One training fraction per diagram (width and "
        "fraction trade off: docs/network_recipe.md), 3 seeds per cell."),
    "SLT (d)": (
        "*Reading.* For S3 the trivial block is carried by the biases, so a network of width 8 "
        "has exactly room for 1 (the sign block) + 7 (Strassen on M₂(R)). Five of the eight "
        "width-8 networks do put 1 + 7 neurons there and classify every pair, but their "
        "interaction part stays at cosine 0.95–0.98 with δ: an approximation, not a "
        "decomposition (none polishes to one). At width 9 five of eight networks polish to an "
        "exact decomposition, each with 8 neurons on M₂(R) — the standard algorithm. On S4 at "
        "the rank's upper bound 55 the networks use 8 on M₂(R) as well, and they do not quite "
        "generalise (test accuracy 0.91–0.98). The CP surrogate, the paper's tractable model, "
        "does find Strassen's count: 7 of 8 seeds end at an exact rank-9 fit with 1 + 1 + 7 "
        "components (notebook 02 checks that the seven are a decomposition of ⟨2,2,2⟩). So "
        "'Strassen-like' holds for the surrogate, not for these networks."),
    "SLT (e)": (
        "*Reading.* From a random start neither model is orthogonal across bscs (mean |cos| 0.16 "
        "at step 0, about that of random vectors, and still 0.13–0.15 half-way in log-time); it "
        "is at the end of training that the mean falls to 0.010 and each component's mass "
        "outside its dominant bsc to 0.005 (surrogate) and 0.018 (network): orthogonality is "
        "*reached*, not preserved. The surrogate started inside the blocks separates the "
        "mechanisms: plain gradient descent on all pairs keeps every component in its block to "
        "rounding error, as it must (with δ and the model block-diagonal, the gradient of a "
        "component in R_φ ⊗ R_φ ⊗ R_φ stays there), while a training subset (the mask breaks "
        "the block structure of the loss) and Adam (its coordinate-wise scaling in the group "
        "basis does not commute with the projectors P_φ) both move mass between blocks. The "
        "quoted wording comes from a third-party summary of the paper, not from the paper."),
    "SLT (f)": (
        "*Reading.* For `xy` the minimal cover is the diagonal and most neurons sit in one block "
        "(S4 0.94, D8 1.00, A5 0.82, SL(2,3) 0.60 after these short runs). For every other word "
        "the networks fit δ well (median cosine 0.97) with neurons that straddle several boxes "
        "of the cover; more data (second table) raises the share (SL(2,3) `x^2y` 0.80) but not "
        "to most neurons in general. The minimal box cover describes δ's support; it does not "
        "describe how these networks share δ out among their neurons. Measured for σ = x² at "
        "width 256; narrower networks were not examined box by box. The quoted wording comes "
        "from a third-party summary of the paper."),
    "Chughtai": (
        "*Reading.* With MSE against the one-hot rows every non-trivial block has to be fitted, "
        "and every seed forms all of them (final g 0.8–1.0 on S4, 0.68–0.99 on S5). Seeds "
        "differ in the order only among "
        "blocks that form within a few log steps of one another (the sign block 1b first in 11 "
        "of the 12 S4 networks). The blocks form on the training pairs well before the held-out "
        "pairs are predicted (quadratic S4: steps 35–89 against 420–501). Chughtai et al.'s "
        "subset of irreps is found with cross-entropy, where one faithful irrep can rank the "
        "right answer first; the cross-entropy probe here did not generalise within its budget, "
        "so that setting is untested, as are SL(2,5) and more than 2 seeds on S5."),
    "Morwani": (
        "*Reading.* No neuron is on a single bsc at initialisation; they get there during "
        "training. With every pair in training and MSE, all of them do, at every weight decay. "
        "Cross-entropy on all pairs ends at 0.99–1.00 at weight decay 0.1 and 1 but 0.79 and 0.55 "
        "at 0.3 and 3, with few active neurons at 0.1 and 0.3 (44 and 19 of 128): 3000 steps at "
        "lr 1e-2 are not the margin-maximising limit the theorem is about. With held-out pairs "
        "the share follows generalisation: 0.03 at weight decay 0.1 (test accuracy 0.44), 0.64 "
        "at 0.3, 1.00 at 1 and 3. Two seeds per setting."),
    "k-input": (
        "*Reading.* The (k+1)-way tensors have the same proven lower bound, 16: restricting the "
        "`xyz` tensor to z = e leaves the `xy` tensor, whose rank is 16 (Alder–Strassen, met by "
        "1 + 5 × Gauss's 3). The `xyz` upper bound 21 is numerical: 1 + 5 × 4, four being the "
        "real rank found for the product of three complex numbers (three not found in 40 "
        "restarts), confirmed by a CP search on the whole tensor (rank 21 found, rank 20 not in "
        "8 restarts; `exactify` did not round the rank-21 fit to rationals in 60 s). At the "
        "theory's width 2^(2k−2)(p−1) every neuron is on one frequency, as the theorem says "
        "of the max-margin solution; but the networks generalise from about the rank (24 for "
        "k = 2, 48 for k = 3), where 0.5–1.0 of the neurons are aligned. A quadratic network "
        "cannot fit `xyz` (its logits hold only pairwise interactions of the inputs), hence "
        "σ = x³, the degree-k activation of the theory (`--activation cubic`). Z11 only: a "
        "small prime keeps the k = 3 tensor at 11⁴ entries."),
}
