"""Time building Cayley tables from specs, the word tensor of a word on them (its value table,
the sparse form) and its dense form.

Usage::

    python benchmarks/bench_groups.py                      # S6, GL(2,5), PSL(2,11); [x,y]; 5 runs
    python benchmarks/bench_groups.py --runs 3 --word xy A6 "SL(2,7)"
    python benchmarks/bench_groups.py --dtype float32      # dense form in float32

Each run builds a fresh group (nothing cached between runs) and reports the median. The dense
form of a 2-variable word on a group of order n has n^3 entries (S6: 720^3 doubles = 2.8 GiB), so
this needs that much free memory; pass ``--no-dense`` to skip it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np

from wordtensor import Group, word_tensor

DEFAULT_SPECS = ["S6", "GL(2,5)", "PSL(2,11)"]


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if b < 1024:
            return f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} TiB"


def time_spec(spec: str, word: str, runs: int, dense: bool, dtype) -> dict:
    build, tensor, dense_t = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        G = Group.from_spec(spec)
        t1 = time.perf_counter()
        T = word_tensor(G, word)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        tensor.append(t2 - t1)
        if dense:
            D = T.dense(dtype)
            t3 = time.perf_counter()
            dense_t.append(t3 - t2)
            nbytes = D.nbytes
            del D
            gc.collect()
    out = dict(spec=spec, order=G.order, word=str(T.word), shape=T.shape, nnz=T.nnz,
               image=int(len(T.image_elements())), build=statistics.median(build),
               tensor=statistics.median(tensor))
    if dense:
        out.update(dense=statistics.median(dense_t), dense_bytes=nbytes)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("specs", nargs="*", help=f"group specs (default: {' '.join(DEFAULT_SPECS)})")
    p.add_argument("--word", default="[x,y]", help="word (default: [x,y])")
    p.add_argument("--runs", type=int, default=5, help="runs per group (median reported)")
    p.add_argument("--dtype", default="float64", help="dtype of the dense form (default float64)")
    p.add_argument("--no-dense", action="store_true", help="skip the dense form")
    args = p.parse_args(argv)
    specs = args.specs or DEFAULT_SPECS
    dtype = np.dtype(args.dtype)
    dense = not args.no_dense
    print(f"median of {args.runs} runs; word {args.word}; dense dtype {dtype.name}")
    head = (f"{'group':<10} {'order':>5} {'Cayley table s':>14} {'word tensor s':>13} "
            f"{'nnz':>9} {'image':>5}" + (f" {'dense s':>8} {'dense size':>10}" if dense else ""))
    print(head)
    print("-" * len(head))
    for spec in specs:
        r = time_spec(spec, args.word, args.runs, dense, dtype)
        line = (f"{r['spec']:<10} {r['order']:>5} {r['build']:>14.4f} {r['tensor']:>13.4f} "
                f"{r['nnz']:>9} {r['image']:>5}")
        if dense:
            line += f" {r['dense']:>8.3f} {_fmt_bytes(r['dense_bytes']):>10}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
