"""Benchmark: the default ``cp_search(tensor, rank)`` (``method="auto"``) over many random states.

One default search per random state (``restarts=20``, ``stop_on_success=True``), all in one
process; success = the returned factors reconstruct the tensor to relative error below 1e-10,
recomputed here with numpy ``einsum`` from the factors (not by the engine).  Reported per
target: successes / runs, the path ``auto`` took (``auto`` = whole tensor, ``auto:blocks`` =
block by block, with the block ranks it found), and the median and maximum wall time of the
successful runs.

Run:  python benchmarks/bench_cp_auto.py [--targets S4_xy,A4_xy] [--runs 16] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _error(cp, dense) -> float:
    import numpy as np

    w, (A, B, C) = cp
    X = np.einsum("r,ir,jr,kr->ijk", np.asarray(w), A, B, C)
    return float(np.linalg.norm(X - dense) / np.linalg.norm(dense))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default="S4_xy,A4_xy")
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--restarts", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import torch
    from _cp_targets import TARGETS, save_json, table_row

    from wordtensor.cp import cp_search

    torch.set_num_threads(args.threads)
    print(f"# default cp_search: {args.runs} random states, {args.restarts} restarts each, "
          f"threads {args.threads}, torch {torch.__version__}", flush=True)
    rows, raw = [], {}
    for key in args.targets.split(","):
        tgt = TARGETS[key]
        T = tgt.tensor()
        dense = T.dense() if hasattr(T, "dense") else np.asarray(T)
        runs = []
        for s in range(args.runs):
            t0 = time.perf_counter()
            res = cp_search(T, tgt.rank, restarts=args.restarts, random_state=s)
            wall = time.perf_counter() - t0
            err = _error(res.cp, dense)
            ok = bool(err < 1e-10)
            if ok != res.success:
                raise SystemExit(f"{key} seed {s}: engine says {res.success}, numpy {err:.3g}")
            runs.append({"seed": s, "success": ok, "error": err, "seconds": wall,
                         "method": res.method, "block_ranks": res.block_ranks,
                         "restarts": res.attempts, "note": res.note})
            print(f"  {tgt.name} @ {tgt.rank} seed {s}: {res.method} {ok} {wall:.1f}s "
                  f"err {err:.1e} blocks {res.block_ranks}", flush=True)
        raw[key] = runs
        good = [r["seconds"] for r in runs if r["success"]]
        paths = sorted({f"{r['method']} {list(r['block_ranks'] or [])}" for r in runs})
        rows.append((tgt.name, tgt.rank, f"{len(good)}/{len(runs)}", "; ".join(paths),
                     f"{statistics.median(good):.3g} s" if good else "—",
                     f"{max(good):.3g} s" if good else "—"))
    print()
    print("| target | rank | successes / runs | path | median time (successes) | max time |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(table_row(*r))
    save_json(args.json, {"args": vars(args), "runs": raw})
    return 0


if __name__ == "__main__":
    sys.exit(main())
