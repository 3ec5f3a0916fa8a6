"""Reproduce the network results of docs/network_results.md: the grokking recipe's runs on S4 xy
for three activations, A4 xy, S4 xyX and S5 xy, a surrogate run to compare with, and the
comparison tables; then write the Markdown report.

Every run is a ``wordtensor`` command (printed before it starts) whose run folder lands under
``--out``; a folder that already holds a finished run is resumed (a no-op), so an interrupted
script picks up where it stopped. The report quotes only numbers read back from those folders.

Usage::

    python scripts/network_results.py                      # all runs (CPU: about 30 minutes)
    python scripts/network_results.py --only S4-xy-quadratic A4-xy
    python scripts/network_results.py --report-only        # rewrite the report from the folders
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: name → (command arguments after ``wordtensor``, what the run is for). ``{out}`` is the run
#: folder. Network runs take the recipe's defaults except where an option is spelled out.
RUNS = {
    "S4-xy-quadratic": (["network", "S4", "xy", "--seeds", "4"],
                        "the recipe (quadratic σ) on S4 xy at fraction 0.6"),
    "S4-xy-relu": (["network", "S4", "xy", "--seeds", "4", "--activation", "relu"],
                   "relu with its recipe settings"),
    "S4-xy-gelu": (["network", "S4", "xy", "--seeds", "4", "--activation", "gelu"],
                   "gelu with its recipe settings"),
    "S4-xy-surrogate": (["surrogate", "S4", "xy", "--width", "64", "--train-fraction", "0.6",
                         "--steps", "4000", "--seeds", "4"],
                        "CP surrogate of width 64 on the same fraction, for the comparison"),
    "S4-xy-quadratic-w64": (["network", "S4", "xy", "--seeds", "4", "--width", "64",
                             "--steps", "4000"],
                            "the recipe at width 64, near the rank bounds 43..55"),
    "A4-xy": (["network", "A4", "xy", "--seeds", "4", "--train-fraction", "0.6", "0.8",
               "--width", "32", "--weight-decay", "3", "--steps", "4000"],
              "A4 (144 pairs) at fractions 0.6 and 0.8, width 32 (rank bounds 21..27), "
              "weight decay 3"),
    "S4-xyX": (["network", "S4", "xyX", "--seeds", "4", "--weight-decay", "3"],
               "a word that is not a multiplication: xyx⁻¹ on S4, weight decay 3 (at the "
               "recipe's 1 only 1 of 4 seeds reaches 99% by step 6000)"),
    "S5-xy": (["network", "S5", "xy", "--seeds", "2", "--train-fraction", "0.3",
               "--width", "512", "--steps", "1200"],
              "S5 (14400 pairs) at fraction 0.3, width 512"),
    "S3-xy-narrow": (["network", "S3", "xy", "--seeds", "16", "--width", "7", "8", "9",
                      "--train-fraction", "1", "--steps", "10000"],
                     "S3 on all 36 pairs at widths 7, 8, 9 around the rank 9 (the trivial "
                     "block 1a is free for a network: its biases carry it)"),
}
#: comparisons: name → (network run, surrogate run or None)
COMPARE = {
    "S4-xy-quadratic": ("S4-xy-quadratic", "S4-xy-surrogate"),
    "S4-xy-quadratic-w64": ("S4-xy-quadratic-w64", "S4-xy-surrogate"),
    "S4-xy-relu": ("S4-xy-relu", None),
    "S4-xy-gelu": ("S4-xy-gelu", None),
    "A4-xy": ("A4-xy", None),
    "S4-xyX": ("S4-xyX", None),
    "S5-xy": ("S5-xy", None),
    "S3-xy-narrow": ("S3-xy-narrow", None),
}


def wordtensor(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "wordtensor.cli", *args, "--json"]
    if args[0] != "compare":
        cmd.append("--no-progress")
    print("$ wordtensor " + " ".join(shlex.quote(a) for a in args), flush=True)
    out = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, text=True)
    if out.returncode:
        raise SystemExit(f"wordtensor {' '.join(args)} failed with exit code {out.returncode}")
    return json.loads(out.stdout)


def run(name: str, out: Path) -> dict:
    args, _ = RUNS[name]
    folder = out / name
    if (folder / "result.json").exists():  # finished earlier: keep its measured seconds
        return json.loads((folder / "result.json").read_text())
    t0 = time.perf_counter()
    resume = ["--resume"] if (folder / "config.json").exists() else []
    data = wordtensor([*args, "--out", str(folder), *resume])
    data["wall_seconds"] = time.perf_counter() - t0
    (folder / "result.json").write_text(json.dumps(data, indent=2) + "\n")
    return data


def compare(name: str, out: Path) -> dict:
    net, sur = COMPARE[name]
    args = ["compare", str(out / net)]
    if sur is not None and (out / sur / "config.json").exists():
        args += ["--surrogate", str(out / sur)]
    data = wordtensor(args)
    (out / net / "compare.json").write_text(json.dumps(data, indent=2) + "\n")
    return data


def _fmt(v, spec=""):
    return "–" if v is None else format(v, spec)


def _list(vs, spec=""):
    return ", ".join(_fmt(v, spec) for v in vs)


def report(out: Path, path: Path) -> None:
    lines = ["# Two-layer networks on group words: measured results", "",
             "Generated by `python scripts/network_results.py` from the run folders it writes "
             "(default `runs/network-results/`; each row: one `wordtensor` command, on CPU with "
             "2 cores). The configuration, summary and comparison of every run quoted here are "
             "kept in `docs/runs/results/<run>/`. Steps are AdamW steps of full-batch training; "
             "test accuracy is measured every 10 steps.", "",
             "| run | command | seeds | width | fraction | test accuracy | step train 100% | "
             "step test 99% | seconds |", "|---|---|---|---|---|---|---|---|---|"]
    for name, (args, _what) in RUNS.items():
        f = out / name / "result.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text())
        if args[0] == "surrogate":
            lines.append(f"| {name} | `wordtensor {' '.join(args)}` | {len(d['test_accuracy'])} "
                         f"| {_list(sorted(set(d['widths'])))} | "
                         f"{_list(sorted(set(d['train_fractions'])), 'g')} | "
                         f"{_list(d['test_accuracy'], '.3f')} | – | "
                         f"{_list(d.get('grok_step', [None]), '')} | "
                         f"{d['wall_seconds']:.0f} |")
            continue
        lines.append(f"| {name} | `wordtensor {' '.join(args)}` | {len(d['seeds'])} | "
                     f"{_list(sorted(set(d['widths'])))} | "
                     f"{_list(d['train_fractions'], 'g')} | {_list(d['test_accuracy'], '.3f')} | "
                     f"{_list(d['step_train_100'])} | {_list(d['step_test_99'])} | "
                     f"{d['wall_seconds']:.0f} |")
    for name in COMPARE:
        f = out / COMPARE[name][0] / "compare.json"
        if not f.exists():
            continue
        d = json.loads(f.read_text())
        b = d["bounds"]
        lines += ["", f"## {d['spec']} {d['word']}: {RUNS[name][1]}", "",
                  f"Whole tensor: rank {b['lower']}..{b['upper']}. Per box of the minimal box "
                  "cover: its rank bounds, the surrogate's active components, the network's "
                  "pure neurons in the box and the neuron-CP rank of its bilinear part "
                  "(medians over instances, range in brackets), and the cosine between the "
                  "network's bilinear part and δ there.", "",
                  "| box | dims | lower | upper | surrogate | neurons | rank(net) | cos |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in d["blocks"]:
            def med(key, r=r):
                vals = [v for v in (r.get(key) or []) if v is not None]
                if not vals:
                    return "–"
                m = r.get(key + "_median")
                rng = f" [{min(vals)}–{max(vals)}]" if min(vals) != max(vals) else ""
                return f"{m:g}{rng}"
            cos = [c for c in r.get("network_cosine") or [] if c is not None]
            lines.append(f"| {r['box']} | {'×'.join(map(str, r['block_dim']))} | "
                         f"{r['rank_lower']} | {r['rank_upper']} | {med('surrogate_active')} | "
                         f"{med('network_neurons')} | {med('network_rank')} | "
                         + (f"{min(cos):.3f} |" if cos else "– |"))
        widths = d.get("widths") or []
        if len(set(widths)) > 1:
            res = json.loads((out / COMPARE[name][0] / "result.json").read_text())
            lines += ["", "By width (median [range] over the width's instances; train / test "
                      "accuracy 1 counts instances at 100%; cos: median cosine with δ):", "",
                      "| width | instances | train acc = 1 | test acc ≥ 0.99 | "
                      + " | ".join(f"{r['box']} neurons / cos" for r in d["blocks"]) + " |",
                      "|---|---|---|---|" + "---|" * len(d["blocks"])]
            for w in sorted(set(widths)):
                idx = [i for i, x in enumerate(widths) if x == w]
                tr = [res["train_accuracy"][i] for i in idx]
                te = [res["test_accuracy"][i] for i in idx]
                cells = []
                for r in d["blocks"]:
                    nn = [r["network_neurons"][i] for i in idx]
                    cs = [r["network_cosine"][i] for i in idx if r["network_cosine"][i] is not None]
                    rng = f" [{min(nn)}–{max(nn)}]" if min(nn) != max(nn) else ""
                    cells.append(f"{np.median(nn):g}{rng} / "
                                 + (f"{np.median(cs):.3f}" if cs else "–"))
                n_te = sum(1 for t in te if t is not None and t >= 0.99)
                lines.append(f"| {w} | {len(idx)} | {sum(1 for t in tr if t == 1.0)} | "
                             + (f"{n_te}" if any(t is not None for t in te) else "–")
                             + " | " + " | ".join(cells) + " |")
        o = d.get("other") or {}
        if o:
            mass = ", ".join(f"{m:.3f}" for m in o["support_mass"] if m is not None)
            lines += ["", "Per instance: neurons outside every box "
                      f"{o['off_box_neurons']}, mixed {o['mixed_neurons']}, active "
                      f"{o['active_neurons']}; share of the interaction part on the support: "
                      f"{mass}."]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "network-results")
    ap.add_argument("--only", nargs="+", choices=list(RUNS), help="run only these")
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "network_results.md")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        for name in args.only or RUNS:
            run(name, args.out)
        for name, (net, sur) in COMPARE.items():
            if (args.out / net / "summary.json").exists() and (
                    args.only is None or net in args.only or sur in args.only):
                compare(name, args.out)
    report(args.out, args.report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
