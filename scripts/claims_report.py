"""Write docs/claims.md from the results that scripts/claims.py stored under
docs/runs/claims/<experiment>/result.json (no training here: every number in the page is read
back from those files).

Usage::

    python scripts/claims_report.py            # docs/claims.md
    python scripts/claims_report.py --out /tmp/claims.md --runs /tmp/claims
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import claims_text as text  # noqa: E402  (the verdicts and the words around the tables)


def load(runs: Path) -> dict:
    out = {}
    for f in sorted(runs.glob("*/result.json")):
        out[f.parent.name] = json.loads(f.read_text())
    return out


def med(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(x, spec=".3g"):
    if x is None:
        return "–"
    if isinstance(x, float) and x != x:
        return "–"
    if isinstance(x, (int, float)):
        return format(x, spec)
    return str(x)


def table(head: list[str], rows: list[list]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in r) + " |"
               for r in rows])


def at_least(values, thr=0.99):
    return sum(1 for v in values if v is not None and v >= thr)


# ------------------------------------------------------------------------------ sections
def words_section(d: dict) -> list[str]:
    rows = []
    for r in d["runs"]:
        inst = r["instances"]
        te = [i["test_accuracy"] for i in inst]
        by_wd = {}
        for i in inst:
            by_wd.setdefault(i["weight_decay"], []).append(i["test_accuracy"])
        rows.append([f"{r['spec']} (n = {r['order']})", f"`{r['word']}`",
                     f"{r['rank']['lower']}..{r['rank']['upper']}", fmt(r["train_fraction"]),
                     ", ".join(f"{at_least(v)}/{len(v)}" for _, v in sorted(by_wd.items())),
                     fmt(min(te)), fmt(med([i["step_train_100"] for i in inst])),
                     fmt(med([i["step_test_99"] for i in inst])),
                     fmt(med([i["grok_ratio"] for i in inst]), ".2g")])
    return table(["group", "word", "rank", "fraction", "≥ 99% test (wd 1, wd 3)",
                  "lowest test acc", "median step 100% train", "median step 99% test",
                  "median ratio"], rows)


def boxes_section(d: dict) -> list[str]:
    rows = []
    for r in d["runs"]:
        b = r["boxes"]
        act = b["active"]
        share_in = [i / a if a else None for i, a in zip(b["in_box"], act)]
        share_mixed = [m / a if a else None for m, a in zip(b["mixed"], act)]
        live = [x for x in b["boxes"] if not x["centred_away"]]
        used = [sum(1 for x in live if x["neurons"][i] > 0) for i in range(len(act))]
        over = [sum(max(0, x["neurons"][i] - (x["rank_upper"] or 0)) for x in live)
                for i in range(len(act))]
        mem = r.get("membership") or {}
        rows.append([r["spec"], f"`{r['word']}`", str(len(live)),
                     fmt(med(act)), fmt(med(share_in), ".2f"), fmt(med(share_mixed), ".2f"),
                     fmt(med(mem.get("share_in_box", [None])), ".2f"),
                     f"{med(used):g} / {len(live)}", fmt(med(over)),
                     fmt(med(b["cosine"]), ".3f")])
    return table(["group", "word", "boxes (non-trivial)", "active neurons",
                  "share pure (one bsc per mode) and in a box", "share mixed",
                  "share inside a box (≥ 90% of each weight vector in the box's bscs)",
                  "boxes with pure neurons", "pure neurons above the boxes' upper bounds",
                  "cosine with δ"], rows)


def generic_rank(n: int) -> int:
    """The rank of a generic n × n × n tensor (over C; over R it is a typical rank),
    ⌈n³ / (3n − 2)⌉ for n ≠ 3 (Lickteig; Strassen)."""
    return -(-n ** 3 // (3 * n - 2)) + (1 if n == 3 else 0)


def atlas_section(d: dict) -> list[str]:
    rows = []
    for w, s in d["summary"].items():
        rs = [r for r in d["rows"] if r["word"] == w and r["order"] >= 4]
        gen = [r["upper"] / generic_rank(r["order"]) for r in rs]
        rows.append([f"`{w}`", str(s["groups"]), fmt(s["median_lower"], ".3f"),
                     fmt(s["median_upper"], ".3f"),
                     f"{s['max_upper']:.3f} ({s['max_upper_group']})",
                     fmt(med(gen), ".2f"), f"{sum(g < 1 for g in gen)}/{len(gen)}",
                     fmt(s["share_exact"], ".2f")])
    orders = [r["order"] for r in d["rows"] if r["order"] >= 4]
    lines = [f"Source: {d['source']}.", ""]
    lines += table(["word", f"groups (order {min(orders)}–{max(orders)})", "median lower / n²",
                    "median upper / n²",
                   "largest upper / n²", "median upper / generic rank",
                   "upper below the generic rank", "share with lower = upper"], rows)
    big = [r for r in d["rows"] if r["order"] == 24]
    if big:
        n = big[0]["order"]
        lines += ["", f"Order {n} ({n}² = {n * n}, generic rank {generic_rank(n)}), every group "
                  "and word: upper bound (lower bound).", ""]
        specs = list(dict.fromkeys(r["spec"] for r in big))
        words_ = list(dict.fromkeys(r["word"] for r in big))
        cell = {(r["spec"], r["word"]): r for r in big}
        lines += table(["group"] + [f"`{w}`" for w in words_],
                       [[f"{s} = {cell[(s, words_[0])]['structure']}"]
                        + [f"{cell[(s, w)]['upper']} ({cell[(s, w)]['lower']})" for w in words_]
                        for s in specs])
    return lines


def phase_section(d: dict) -> list[str]:
    lines = []
    for p in d["diagrams"]:
        b = p["bounds"]
        lines += ["", f"**{p['model']} · {p['spec']} `{p['word']}`**, fraction "
                  f"{p['train_fraction']:g}, weight decay {p['weight_decay']:g}, "
                  f"{len(p['seeds'])} seeds; rank {b['lower']}..{b['upper']}: "
                  f"every seed at ≥ 99% test from width {fmt(p['width_all'])}, "
                  f"some seed from {fmt(p['width_any'])}.", ""]
        lines += table(["width"] + [str(w) for w in p["widths"]],
                       [["seeds ≥ 99%"] + [f"{round(s * len(p['seeds']))}/{len(p['seeds'])}"
                                           for s in p["solved"]],
                        ["mean test acc"] + [fmt(a, ".2f") for a in p["mean_accuracy"]]])
    return lines


def strassen_section(d: dict) -> list[str]:
    n = d["S3_network"]
    boxes = n["boxes"]["boxes"]
    i2a = next(i for i, b in enumerate(boxes) if b["box"].startswith("2a"))
    i1b = next(i for i, b in enumerate(boxes) if b["box"].startswith("1b"))
    rows = []
    for w in sorted({i["width"] for i in n["instances"]}):
        idx = [j for j, i in enumerate(n["instances"]) if i["width"] == w]
        on2a = [boxes[i2a]["neurons"][j] for j in idx]
        on1b = [boxes[i1b]["neurons"][j] for j in idx]
        fits = [n["neuron_fit"][j] for j in idx]
        rows.append([str(w), str(len(idx)),
                     str(sum(1 for j in idx if n["instances"][j]["train_accuracy"] == 1.0)),
                     ", ".join(f"{c}×{k}" for k, c in sorted(_count(on2a).items())),
                     ", ".join(f"{c}×{k}" for k, c in sorted(_count(on1b).items())),
                     fmt(med([n["cosine"][j] for j in idx]), ".3f"),
                     fmt(max(n["cosine"][j] for j in idx), ".4f"),
                     f"{sum(f['fit'] == 'exact' for f in fits)}/{len(fits)}"])
    lines = table(["width", "seeds", "train acc = 1", "neurons on 2a (M₂(R), rank 7)",
                   "neurons on 1b", "median cosine with δ", "best cosine",
                   "exact after polish"], rows)
    s = d["S3_surrogate"]
    comps = [c["per_triplet"].get("2a,2a,2a") for c in s["components"]]
    lines += ["", f"CP surrogate of width 9 on all 36 pairs ({len(s['fit'])} seeds, float64, no "
              f"weight decay): {sum(f == 'exact' for f in s['fit'])}/{len(s['fit'])} fits exact "
              "after the polish (relative errors "
              + ", ".join(f"{e:.0e}" for e in s["fit_relative_error"]) + "); components on 2a: "
              + ", ".join(str(c) for c in comps) + "."]
    m = d["S4_network"]
    bx = m["boxes"]["boxes"]
    rows = []
    for w in sorted({i["width"] for i in m["instances"]}):
        idx = [j for j, i in enumerate(m["instances"]) if i["width"] == w]
        rows.append([str(w), fmt(med([m["instances"][j]["test_accuracy"] for j in idx]), ".3f"),
                     fmt(med([m["cosine"][j] for j in idx]), ".3f")]
                    + [f"{med([b['neurons'][j] for j in idx]):g} "
                       f"[{min(b['neurons'][j] for j in idx)}–{max(b['neurons'][j] for j in idx)}]"
                       for b in bx[1:]])
    lines += ["", f"{m['spec']} `xy` at the rank's upper bound {m['rank']['upper']} and twice it "
              f"(fraction 0.6, {len(m['instances']) // 2} seeds per width; neurons per block, "
              "median [range]):", ""]
    lines += table(["width", "median test acc", "median cosine"]
                   + [f"{b['box'].split(',')[0]} (rank {b['rank_lower']}..{b['rank_upper']})"
                      for b in bx[1:]], rows)
    return lines


def _count(values):
    out = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _pick(series, frac):
    """The value at the logged step nearest to ``frac`` of the run (0: first, 1: last)."""
    return series[min(len(series) - 1, round(frac * (len(series) - 1)))]


def orthogonality_section(d: dict) -> list[str]:
    rows = []
    for model in ("surrogate", "network"):
        s = d[model]
        for j, label in ((0, "initialisation"), (len(s["steps"]) // 2, "middle"),
                         (len(s["steps"]) - 1, "end")):
            rows.append([model, f"{label} (step {s['steps'][j]})",
                         fmt(med(s["max_overlap"][j]), ".3f"),
                         fmt(med(s["mean_overlap"][j]), ".3f"),
                         fmt(med(s["outside_mass"][j]), ".3f")])
    lines = table(["model", "when", "largest \\|cos\\| across bscs",
                   "mean \\|cos\\| across bscs", "mass outside the dominant bsc"], rows)
    pure = d.get("pure_start") or []
    if pure:
        lines += ["", "Started inside the blocks (every component projected onto one bsc; largest "
                  "and mean mass outside its starting bsc over components, factors and seeds):", ""]
        rows = []
        for p in pure:
            j = max(range(len(p["outside_max"])), key=lambda i: p["outside_max"][i])
            rows.append([p["optimizer"], fmt(p["lr"]), fmt(p["train_fraction"]),
                         f"{max(p['outside_max']):.1e} (step {p['steps'][j]})",
                         f"{p['outside_max'][-1]:.1e}", f"{p['outside_mean'][-1]:.1e}",
                         fmt(p["train_acc"][-1], ".3f")])
        lines += table(["optimiser", "lr", "fraction", "largest leak (when)", "largest at the end",
                        "mean at the end", "train acc at the end"], rows)
    return lines


def chughtai_section(d: dict) -> list[str]:
    lines = []
    for r in d["runs"]:
        rows = []
        for inst, rec in zip(r["instances"], r["blocks"]):
            rows.append([str(rec["seed"]), fmt(inst["test_accuracy"], ".3f"),
                         fmt(inst["step_test_99"]),
                         ", ".join(f"{nm.split(',')[0]}@{v['step']}" if v["formed"]
                                   else f"{nm.split(',')[0]} ({v['final']:.2f})"
                                   for nm, v in rec["blocks"].items()),
                         " < ".join(_group(g) for g in rec["order"]) or "–"])
        lines += ["", f"**{r['spec']} `xy`, {r['activation']}**, width {r['width']}, fraction "
                  f"{r['train_fraction']:g}:", ""]
        lines += table(["seed", "test acc", "step 99% test",
                        "blocks: formed @ step (or final gap g)", "order of formation"], rows)
    return lines


def _group(names) -> str:
    names = [x.split(",")[0] for x in (names if isinstance(names, list) else [names])]
    return names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"


def morwani_section(d: dict) -> list[str]:
    rows = []
    for r in d["runs"]:
        by_wd = {}
        for s, inst in zip(r["single"], r["instances"]):
            by_wd.setdefault(s["weight_decay"], []).append((s, inst))
        for wd, group in sorted(by_wd.items()):
            rows.append([r["loss"], fmt(r["train_fraction"]), fmt(wd),
                         fmt(med([_pick(s["single"], 0) for s, _ in group]), ".2f"),
                         fmt(med([_pick(s["single"], 0.5) for s, _ in group]), ".2f"),
                         fmt(med([s["single"][-1] for s, _ in group]), ".2f"),
                         fmt(med([s["mixed"][-1] for s, _ in group]), ".2f"),
                         fmt(med([s["active"][-1] for s, _ in group])),
                         fmt(med([i["train_accuracy"] for _, i in group]), ".3f"),
                         fmt(med([i["test_accuracy"] for _, i in group]), ".3f")])
    mid = _pick(d["runs"][0]["single"][0]["steps"], 0.5)
    return table(["loss", "fraction", "weight decay", "single-bsc share at init",
                  f"at step {mid}", "at the end", "mixed share at the end",
                  "active neurons (end)", "train acc", "test acc"], rows)


def modular_section(d: dict) -> list[str]:
    lines = []
    rk = d["ranks"]
    for r in d["runs"]:
        k = r["k"]
        ranks = rk["xy"] if k == 2 else rk["xyz"]
        up = ranks.get("upper", ranks.get("upper_numerical"))
        al = {}
        for a in r["single_frequency"]:
            al.setdefault(a["width"], []).append(a["aligned"])
        lines += ["", f"**Z{d['p']} `{r['word']}` (k = {k}), {r['activation']}**, fraction "
                  f"{r['train_fraction']:g}, lr {r['lr']:g}, weight decay {r['weight_decay']:g}, "
                  f"{len(r['seeds'])} seeds: every seed at ≥ 99% test from width "
                  f"{fmt(r['width_all'])} (some seed from {fmt(r['width_any'])}); rank "
                  f"{ranks['lower']}..{fmt(up)}; 2^(2k−2)(p−1) = {r['li_bound']}.", ""]
        lines += table(["width"] + [str(w) for w in r["widths"]],
                       [["seeds ≥ 99%"] + [f"{round(s * len(r['seeds']))}/{len(r['seeds'])}"
                                           for s in r["solved"]],
                        ["mean test acc"] + [fmt(a, ".2f") for a in r["mean_accuracy"]],
                        ["single-frequency share"] + [fmt(med(al.get(w, [])), ".2f")
                                                      for w in r["widths"]]])
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", default=str(ROOT / "docs" / "runs" / "claims"))
    p.add_argument("--out", default=str(ROOT / "docs" / "claims.md"))
    args = p.parse_args(argv)
    res = load(Path(args.runs))
    #: table name → (function, the experiment it reads)
    sections = {"words": (words_section, "words"), "words_more": (words_section, "words_more"),
                "boxes": (boxes_section, "words"), "boxes_more": (boxes_section, "words_more"),
                "atlas": (atlas_section, "atlas"), "widths": (phase_section, "widths"),
                "strassen": (strassen_section, "strassen"),
                "orthogonality": (orthogonality_section, "orthogonality"),
                "chughtai": (chughtai_section, "chughtai"), "morwani": (morwani_section, "morwani"),
                "modular": (modular_section, "modular")}
    tables = {}
    for name, (fn, src) in sections.items():
        if src in res:
            tables[name] = fn(res[src])
    md = text.page(res, tables)
    Path(args.out).write_text(md)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
