"""Batched vs one-at-a-time training of the CP surrogate: steps per second.

K seeds of the S4 ``xy`` surrogate (width 64, training fraction 0.5, Adam, MSE) trained as one
batched tensor program (``BatchedCP`` with K instances) against a loop of K runs of the same
code with one instance each, and against a plain one-run-at-a-time script (autograd and
``torch.optim.Adam``). Reported: instance-steps per second (K × batched steps per second) and
the ratios, as medians over ``--repeats``. ``--compile`` adds ``torch.compile``d variants;
CUDA is measured when available (``--device cuda``).

Usage::

    python benchmarks/bench_surrogate.py                      # CPU, 64 seeds, eager
    python benchmarks/bench_surrogate.py --threads 2 --compile
    python benchmarks/bench_surrogate.py --device cuda --seeds 64 --json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from surrogate import BatchedCP, SurrogateConfig, grid


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _cfg(args, seeds):
    return SurrogateConfig(args.spec, args.word,
                           grid(seeds, args.width, args.fraction, lr=1e-2, weight_decay=1e-5),
                           steps=10**9, dtype=args.dtype)


def time_batched(args, compile_: bool) -> float:
    """Instance-steps per second of one batch of ``args.seeds`` instances."""
    m = BatchedCP(_cfg(args, range(args.seeds)), device=args.device, compile=compile_)
    for _ in range(args.warmup):
        m.step()
    _sync(args.device)
    t = time.perf_counter()
    for _ in range(args.steps):
        m.step()
    _sync(args.device)
    return args.seeds * args.steps / (time.perf_counter() - t)


def time_loop(args, compile_: bool) -> float:
    """Instance-steps per second of ``args.seeds`` one-instance runs, one after the other (each
    built, warmed up and trained like a separate run; compilation happens once, outside the
    timing, as it would be cached between runs)."""
    models = [BatchedCP(_cfg(args, [s]), device=args.device, compile=compile_)
              for s in range(args.seeds)]
    if compile_:
        models[0].step()  # compile once
    total = 0.0
    for m in models:
        for _ in range(args.warmup):
            m.step()
        _sync(args.device)
        t = time.perf_counter()
        for _ in range(args.loop_steps):
            m.step()
        _sync(args.device)
        total += time.perf_counter() - t
    return args.seeds * args.loop_steps / total


def _naive_step(theta, opt, a, b, onehot):
    opt.zero_grad()
    U, V, W = theta
    f = (U[a] * V[b]) @ W.T  # f̂ on the training pairs
    torch.nn.functional.mse_loss(f, onehot).backward()
    opt.step()


def time_naive(args) -> float:
    """A plain one-run script: autograd through f̂ on the training pairs + torch.optim.Adam."""
    total = 0.0
    for s in range(args.seeds):
        m = BatchedCP(_cfg(args, [s]), device=args.device)  # split, targets, initial factors
        idx = m.index[0] if m.index is not None else torch.arange(m.N, device=m.device)
        a, b = idx // m.n, idx % m.n
        target = torch.as_tensor(m.tensor.image.copy(), device=m.device).long()[idx]
        onehot = torch.nn.functional.one_hot(target, m.n).to(m.theta.dtype)
        theta = m.theta[0].clone().requires_grad_(True)
        opt = torch.optim.Adam([theta], lr=1e-2, weight_decay=1e-5)
        for _ in range(args.warmup):
            _naive_step(theta, opt, a, b, onehot)
        _sync(args.device)
        t = time.perf_counter()
        for _ in range(args.loop_steps):
            _naive_step(theta, opt, a, b, onehot)
        _sync(args.device)
        total += time.perf_counter() - t
    return args.seeds * args.loop_steps / total


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="S4")
    p.add_argument("--word", default="xy")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--fraction", type=float, default=0.5)
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--steps", type=int, default=50, help="timed batched steps")
    p.add_argument("--loop-steps", type=int, default=50, help="timed steps of each looped run")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--compile", action="store_true", help="also time torch.compile'd updates")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    variants = [("batched", lambda: time_batched(args, False)),
                ("loop", lambda: time_loop(args, False)),
                ("naive loop (autograd + torch.optim.Adam)", lambda: time_naive(args))]
    if args.compile:
        variants += [("batched, compiled", lambda: time_batched(args, True)),
                     ("loop, compiled", lambda: time_loop(args, True))]
    rates = {}
    for name, fn in variants:
        rates[name] = statistics.median(fn() for _ in range(args.repeats))
    base = rates["loop"]
    out = {"spec": args.spec, "word": args.word, "width": args.width, "fraction": args.fraction,
           "seeds": args.seeds, "device": args.device, "dtype": args.dtype,
           "threads": args.threads, "torch": torch.__version__, "machine": platform.machine(),
           "cuda": torch.cuda.get_device_name() if torch.device(args.device).type == "cuda"
           else None,
           "instance_steps_per_s": rates,
           "batched_steps_per_s": {k: v / args.seeds for k, v in rates.items()
                                   if k.startswith("batched")},
           "ratio_vs_loop": {k: v / base for k, v in rates.items()},
           "ratio_vs_naive_loop": {k: v / rates["naive loop (autograd + torch.optim.Adam)"]
                                   for k, v in rates.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.spec} {args.word}, width {args.width}, fraction {args.fraction}, "
              f"{args.seeds} seeds, {args.device} {args.dtype}, {args.threads} thread(s); "
              f"medians of {args.repeats}")
        print(f"  {'variant':<42} {'instance-steps/s':>16} {'vs loop':>8} {'vs naive':>9}")
        for k, v in rates.items():
            print(f"  {k:<42} {v:>16.0f} {out['ratio_vs_loop'][k]:>7.2f}x "
                  f"{out['ratio_vs_naive_loop'][k]:>8.2f}x")
    return out


if __name__ == "__main__":
    main()
