"""What the batched-vs-loop benchmarks (bench_surrogate.py, bench_network.py) share: the
command-line options, timing a step function, and the report (medians over repeats, ratios
against the loop of single runs and against a naive one-run script, run in one process)."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed(step, steps: int, warmup: int, device) -> float:
    """Seconds for ``steps`` calls of ``step()`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    sync(device)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return time.perf_counter() - t


def loop_rate(make_step, args) -> float:
    """Instance-steps per second of ``args.seeds`` one-instance runs, one after the other;
    ``make_step(seed)`` builds a run and returns its step function."""
    total = sum(timed(make_step(s), args.loop_steps, args.warmup, args.device)
                for s in range(args.seeds))
    return args.seeds * args.loop_steps / total


def parser(doc: str, *, width: int, fraction: float, steps: int, warmup: int
           ) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--spec", default="S4")
    p.add_argument("--word", default="xy")
    p.add_argument("--width", type=int, default=width)
    p.add_argument("--fraction", type=float, default=fraction)
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--steps", type=int, default=steps, help="timed batched steps")
    p.add_argument("--loop-steps", type=int, default=steps, help="timed steps of each looped run")
    p.add_argument("--warmup", type=int, default=warmup)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    return p


def report(args, title: str, variants, naive: str, extra: dict | None = None) -> dict:
    """Run every (name, fn → instance-steps/s) of ``variants`` ``args.repeats`` times, print
    the table (or JSON) of medians and ratios vs ``"loop"`` and vs ``naive``; return it."""
    runs = {name: [fn() for _ in range(args.repeats)] for name, fn in variants}
    rates = {k: statistics.median(v) for k, v in runs.items()}
    out = {"spec": args.spec, "word": args.word, "width": args.width, "fraction": args.fraction,
           **(extra or {}), "seeds": args.seeds, "device": args.device, "dtype": args.dtype,
           "threads": args.threads, "torch": torch.__version__, "machine": platform.machine(),
           "cuda": torch.cuda.get_device_name() if torch.device(args.device).type == "cuda"
           else None,
           "instance_steps_per_s": rates, "all_repeats": runs,
           "batched_steps_per_s": {k: v / args.seeds for k, v in rates.items()
                                   if k.startswith("batched")},
           "ratio_vs_loop": {k: v / rates["loop"] for k, v in rates.items()},
           "ratio_vs_naive_loop": {k: v / rates[naive] for k, v in rates.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{title}, {args.seeds} seeds, {args.device} {args.dtype}, {args.threads} "
              f"thread(s); medians of {args.repeats}")
        w = max(len(k) for k in rates)
        print(f"  {'variant':<{w}} {'instance-steps/s':>16} {'vs loop':>8} {'vs naive':>9}")
        for k, v in rates.items():
            print(f"  {k:<{w}} {v:>16.0f} {out['ratio_vs_loop'][k]:>7.2f}x "
                  f"{out['ratio_vs_naive_loop'][k]:>8.2f}x")
    return out
