"""Test the papers' claims listed in docs/claims.md, one experiment per claim (or group of
claims), each written to a folder under ``docs/runs/claims/<experiment>/``: the run folders of
the networks and surrogates it trains (config.json, metrics.csv, summary.json, compare.json,
phase.json; the .npz arrays and checkpoints stay out of git) and ``result.json`` with the
figures the claims table quotes. ``scripts/claims_report.py`` writes docs/claims.md from the
``result.json`` files, and ``notebooks/05_claims.ipynb`` draws the figures from them.

Every experiment runs on the CPU, one torch thread, many seeds (and widths, weight decays)
batched as one tensor program. An experiment whose ``result.json`` exists is skipped (its
stored result is kept) unless ``--force`` is given.

Usage::

    python scripts/claims.py                   # every experiment, then docs/claims.md
    python scripts/claims.py --list
    python scripts/claims.py --only strassen modular
    python scripts/claims.py --force --only words
    python scripts/claims.py --small --out /tmp/claims   # a smoke test: tiny steps and grids
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import claims_experiments as ex  # noqa: E402  (the experiments, beside this script)


def _what(fn) -> str:
    """The first paragraph of an experiment's docstring, on one line."""
    return " ".join(fn.__doc__.strip().split("\n\n")[0].split())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", choices=list(ex.EXPERIMENTS), default=None)
    p.add_argument("--force", action="store_true", help="recompute experiments already stored "
                   "(their run folders are removed and trained again)")
    p.add_argument("--remeasure", action="store_true", help="recompute the measures of stored "
                   "experiments from their run folders (finished runs are not trained again)")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--out", default=str(ex.OUT), help="where the experiments' folders go "
                                                      "(default docs/runs/claims)")
    p.add_argument("--small", action="store_true", help="tiny steps and grids (a smoke test)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--atlas-csv", default=None, metavar="CSV",
                   help="the rank atlas to read for claim (b) (default docs/atlas.csv when "
                        "present, else the bounds are computed)")
    p.add_argument("--no-report", action="store_true", help="do not rewrite docs/claims.md")
    args = p.parse_args(argv)
    if args.list:
        for name, (fn, claims, _) in ex.EXPERIMENTS.items():
            print(f"{name:<14} {', '.join(claims):<28} {_what(fn)}")
        return 0
    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    ex.SETTINGS.update(small=args.small, out=out)
    if args.atlas_csv:
        ex.SETTINGS["atlas_csv"] = Path(args.atlas_csv)
    timings = {}
    for name in args.only or list(ex.EXPERIMENTS):
        folder = out / name
        if (folder / "result.json").exists() and not (args.force or args.remeasure):
            print(f"[{name}] stored: {folder / 'result.json'}", flush=True)
            continue
        old = None
        if args.remeasure and (folder / "result.json").exists():
            old = json.loads((folder / "result.json").read_text())
        if args.force and folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        fn = ex.EXPERIMENTS[name][0]
        print(f"[{name}] {_what(fn)}", flush=True)
        t0 = time.perf_counter()
        result = fn(folder)
        seconds = time.perf_counter() - t0
        result.update(experiment=name, claims=ex.EXPERIMENTS[name][1], seconds=seconds,
                      small=args.small, threads=args.threads,
                      command=f"python scripts/claims.py --only {name}")
        if old is not None:  # the training happened then: keep its time
            result.update(seconds=old["seconds"], remeasure_seconds=seconds)
        ex.write_json(folder / "result.json", result)
        timings[name] = seconds
        print(f"[{name}] done in {seconds:.0f} s", flush=True)
    if timings:
        print("compute seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
              + f"; total {sum(timings.values()):.0f}")
    if not args.no_report and not args.small and out == ex.OUT:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "claims_report.py")], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
