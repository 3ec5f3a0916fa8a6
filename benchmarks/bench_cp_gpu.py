"""Benchmark: batched CP restarts per second on CUDA against the CPU.

Targets: <3,3,3> at rank 23 (9 x 9 x 9, dense) and the whole S4 ``xy`` word tensor at rank 55
(24 x 24 x 24, sparse, 3960 unknowns per restart).  For each device (``cpu``, ``cuda`` when
available), method (``als``, ``lm``: LM only where its (P x P) systems fit, and on the CPU only
for <3,3,3>) and batch size, ``cp_search`` runs ``--restarts`` restarts to a fixed budget of
``--iters`` iterations each (``stop_on_success=False``, no kicks), so the work per restart is
the same everywhere; reported: restarts/s, restart-iterations/s, the successes seen, and the
speed-up of CUDA over the CPU.  A second table runs the default search (``method="auto"``,
its own stopping rules) and reports successes per second; for S4 it adds ``block_search``.

Nothing is timed in the tests; this script is for a machine with a GPU:

    python benchmarks/bench_cp_gpu.py [--threads 16] [--json out.json]

On a machine without CUDA it measures the CPU only and says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _fixed(T, rank: int, device: str, method: str, batch: int, restarts: int, iters: int,
           dtype: str) -> dict:
    from wordtensor.cp import cp_search

    cp_search(T, rank, restarts=min(batch, 2), method=method, device=device, dtype=dtype,
              batch_size=min(batch, 2), max_iter=3, kicks=0, stop_on_success=False)  # warm-up
    _sync(device)
    t0 = time.perf_counter()
    res = cp_search(T, rank, restarts=restarts, method=method, device=device, dtype=dtype,
                    batch_size=batch, max_iter=iters, kicks=0, stop_on_success=False)
    _sync(device)
    dt = time.perf_counter() - t0
    its = sum(h.iterations for h in res.history)
    return {"restarts_per_s": res.attempts / dt, "iterations_per_s": its / dt,
            "successes": res.successes, "restarts": res.attempts, "seconds": dt}


def _default(T, rank: int, device: str, restarts: int) -> dict:
    from wordtensor.cp import cp_search

    t0 = time.perf_counter()
    res = cp_search(T, rank, restarts=restarts, device=device, stop_on_success=False)
    _sync(device)
    dt = time.perf_counter() - t0
    return {"successes": res.successes, "restarts": res.attempts, "seconds": dt,
            "successes_per_s": res.successes / dt, "first": res.seconds_to_first}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iters", type=int, default=200, help="iterations per restart (fixed)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--json", default=None)
    ap.add_argument("--quick", action="store_true", help="small batches only")
    ap.add_argument("--default-restarts", type=int, default=None,
                    help="restarts of the default search (16 on the CPU, 256 on CUDA)")
    args = ap.parse_args(argv)

    import torch
    from _cp_targets import TARGETS, save_json

    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if len(devices) == 1:
        print("# no CUDA device: measuring the CPU only", flush=True)
    else:
        print(f"# CUDA: {torch.cuda.get_device_name()}", flush=True)
    print(f"# torch {torch.__version__}, {args.threads} CPU threads, {args.dtype}, "
          f"{args.iters} iterations per restart", flush=True)
    out: dict = {"fixed": [], "default": []}
    cases = [("mm333", 23), ("S4_xy", 55)]
    for key, rank in cases:
        T = TARGETS[key].tensor()
        P = rank * sum(T.shape)
        for device in devices:
            for method in ("als", "lm"):
                if method == "lm" and (P > 4000 or (device == "cpu" and P > 1200)):
                    continue
                gpu = device != "cpu"
                batches = ([8, 64] if method == "lm" else [16, 256, 1024]) if gpu else (
                    [4] if method == "lm" else [16])
                if args.quick:
                    batches = batches[:1]
                for B in batches:
                    n = max(B, 4 if device == "cpu" and key == "S4_xy" else B)
                    r = _fixed(T, rank, device, method, B, n, args.iters, args.dtype)
                    r.update(target=key, rank=rank, device=device, method=method, batch=B)
                    out["fixed"].append(r)
                    print(f"  {key}@{rank} {device:4s} {method:3s} batch {B:5d}: "
                          f"{r['restarts_per_s']:8.3g} restarts/s, "
                          f"{r['iterations_per_s']:9.3g} restart-iterations/s, "
                          f"{r['successes']}/{r['restarts']} exact", flush=True)
        for device in devices:
            n = args.default_restarts or (16 if device == "cpu" else 256)
            r = _default(T, rank, device, n)
            r.update(target=key, rank=rank, device=device, solver="auto")
            out["default"].append(r)
            print(f"  {key}@{rank} {device:4s} default: {r['successes']}/{r['restarts']} "
                  f"exact in {r['seconds']:.3g} s", flush=True)
            if key == "S4_xy":
                from wordtensor.cp import block_search

                t0 = time.perf_counter()
                res = block_search(T, [1, 1, 7, 23, 23], device=device, restarts=64)
                _sync(device)
                dt = time.perf_counter() - t0
                out["default"].append({"target": key, "rank": 55, "device": device,
                                       "solver": "block_search", "success": res.success,
                                       "seconds": dt})
                print(f"  {key}@55 {device:4s} block_search: success {res.success} in "
                      f"{dt:.3g} s", flush=True)
    print()
    print("| target | method | batch | CPU restarts/s | CUDA restarts/s | CUDA / CPU |")
    print("|---|---|---|---|---|---|")
    for r in out["fixed"]:
        if r["device"] != "cpu":
            continue
        gpu = [g for g in out["fixed"] if g["device"] != "cpu" and g["target"] == r["target"]
               and g["method"] == r["method"]]
        for g in gpu or [None]:
            cuda = "—" if g is None else f"{g['restarts_per_s']:.3g} (batch {g['batch']})"
            ratio = "—" if g is None else f"{g['restarts_per_s'] / r['restarts_per_s']:.3g}x"
            print(f"| {r['target']}@{r['rank']} | {r['method']} | {r['batch']} | "
                  f"{r['restarts_per_s']:.3g} | {cuda} | {ratio} |")
    save_json(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
