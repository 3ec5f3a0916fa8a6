"""Time ``irreps(G)`` + ``bscs(G)`` (character table, explicit irreps, bscs and the built-in
verification) on a fresh group object per run, since the results are cached on the group.

Usage::

    python benchmarks/bench_representations.py            # all groups, median of 5 runs
    python benchmarks/bench_representations.py --runs 3 A5 S6

Targets (representations issue): every group of order <= 200 in under 2 s, order 720 in under
60 s on a 2-core machine. Group construction is timed separately and not counted. BLAS threads
follow the environment (e.g. ``OPENBLAS_NUM_THREADS=1``); on a shared 2-core machine a busy
second core can slow multi-threaded BLAS calls by an order of magnitude.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from fusion import bscs, irreps
from wordtensor import Group

#: Every group of order <= 200 in the list, then the large ones of the issue.
SMALL = ["S3", "D4", "Q8", "D5", "Dic3", "A4", "Z3xS3", "D10", "S4", "SL(2,3)", "S3xS3",
         "GL(2,3)", "Z2xS4", "A5", "S5", "SL(2,5)", "PSL(2,7)", "GL(2,4)"]
LARGE = ["A6", "GL(2,5)", "S6"]


def time_group(spec: str, runs: int) -> dict:
    build, rep = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        G = Group.from_spec(spec)
        t1 = time.perf_counter()
        irr, bl = irreps(G), bscs(G)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        rep.append(t2 - t1)
    kinds = "".join(b.kind[0] for b in bl)
    return dict(spec=spec, order=G.order, classes=G.num_classes, irreps=len(irr), bscs=len(bl),
                kinds=kinds, build=statistics.median(build), seconds=statistics.median(rep),
                worst=max(rep))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("specs", nargs="*", help="group specs (default: the built-in list)")
    p.add_argument("--runs", type=int, default=5, help="runs per group (median reported)")
    args = p.parse_args(argv)
    specs = args.specs or SMALL + LARGE
    head = (f"{'group':<10} {'order':>5} {'classes':>7} {'irreps':>6} {'bscs':>4}  "
            f"{'median s':>9} {'max s':>8} {'build s':>8}  kinds (r/c/q)")
    print(head)
    print("-" * len(head))
    rows = []
    for spec in specs:
        r = time_group(spec, args.runs)
        rows.append(r)
        print(f"{r['spec']:<10} {r['order']:>5} {r['classes']:>7} {r['irreps']:>6} {r['bscs']:>4}  "
              f"{r['seconds']:>9.3f} {r['worst']:>8.3f} {r['build']:>8.3f}  {r['kinds']}", flush=True)
    small = [r for r in rows if r["order"] <= 200]
    big = [r for r in rows if r["order"] == 720]
    print()
    ok = True
    if small:
        worst = max(small, key=lambda r: r["seconds"])
        ok &= worst["seconds"] < 2
        print(f"max median over order <= 200: {worst['seconds']:.3f} s ({worst['spec']}); "
              "target < 2 s")
    for r in big:
        ok &= r["seconds"] < 60
        print(f"order 720 ({r['spec']}): {r['seconds']:.3f} s; target < 60 s")
    print(f"runs per group: {args.runs}; targets {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
