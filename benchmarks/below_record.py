"""Search below a record: ``cp_rank`` on M2(C) over R from rank 21 down to 15 and on <3,3,3>
at 23, 22 and 21, every restart run at every rank (``stop_at_failure=False``).

M2(C) as an R-algebra is 8 x 8 x 8; its best known rank is 21 = 3 x 7 (Gauss x Strassen), its
lower bound 2 * 8 - 1 = 15 (Alder-Strassen: 2n - t with n = 8, t = 1 simple component).  An
exact success below 21 would be a new upper bound for every group with a 2-dimensional irrep of
complex type.  <3,3,3> at 22 is an open question (Laderman's 23 is the record since 1976).

Per rank: restarts exact / total, the best relative error, and the border-rank symptoms of the
best attempt (largest component norm over ||T||, cancellation ratio ||sum x_r|| / sum ||x_r||,
most negative congruence, norm growth over the run, and the verdict).  Default settings
(``method="auto"``) unless ``--method``.

Run:  python benchmarks/below_record.py [--restarts 32] [--json out.json] [--targets M2C,mm333]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

RANGES = {"M2C": (21, 15), "mm333": (23, 21)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default="M2C,mm333")
    ap.add_argument("--restarts", type=int, default=32)
    ap.add_argument("--method", default="auto")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import torch
    from _cp_targets import TARGETS, save_json, table_row

    from wordtensor.cp import cp_rank

    torch.set_num_threads(args.threads)
    out = {}
    print("| target | rank | restarts exact / total | best error | max ‖x_r‖/‖T‖ | "
          "cancellation | min congruence | norm growth | degenerate | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key in args.targets.split(","):
        hi, lo = RANGES[key]
        T = TARGETS[key].tensor()
        t0 = time.perf_counter()
        res = cp_rank(T, hi, lo, restarts=args.restarts, method=args.method,
                      random_state=args.seed, stop_at_failure=False)
        out[key] = {"records": [r.as_dict() for r in res.records], "rank": res.rank,
                    "lower_bound": res.lower_bound, "seconds": time.perf_counter() - t0}
        for r in res.records:
            s = r.symptoms
            print(table_row(TARGETS[key].name, r.rank, f"{r.successes}/{r.attempts}",
                            f"{r.best_error:.2e}", f"{s.max_component_norm:.3g}",
                            f"{s.norm_ratio:.3f}", f"{s.min_congruence:.3f}",
                            f"{s.norm_growth:.3g}", s.degenerate, f"{r.seconds:.0f}"),
                  flush=True)
    save_json(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
