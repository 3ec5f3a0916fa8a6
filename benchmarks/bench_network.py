"""Batched vs one-at-a-time training of the two-layer network: steps per second.

K seeds of the S4 ``xy`` network (the recipe: width 256, training fraction 0.6, quadratic,
AdamW, MSE against the one-hot rows) trained as one batched tensor program (``BatchedNetwork`` with K
instances) against a loop of K runs of the same code with one instance each, and against a
plain one-run-at-a-time script (``torch.nn`` modules, autograd, ``torch.optim.AdamW``).
Reported: instance-steps per second (K × batched steps per second) and the ratios, medians over
``--repeats``. CUDA is measured with ``--device cuda`` where a GPU is available.

Usage::

    python benchmarks/bench_network.py                    # CPU, 64 seeds, 1 thread
    python benchmarks/bench_network.py --threads 2 --json
    python benchmarks/bench_network.py --device cuda
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch

from surrogate.config import grid
from surrogate.network import ACTIVATIONS, RECIPE, BatchedNetwork, NetworkConfig, recipe


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _cfg(args, seeds):
    r = recipe(args.activation)
    return NetworkConfig(args.spec, args.word,
                         grid(seeds, args.width, args.fraction, lr=r["lr"],
                              weight_decay=r["weight_decay"], init_scale=r["init_scale"]),
                         steps=10**9, activation=args.activation, loss=r["loss"],
                         dtype=args.dtype, eval_every=10**9)


def time_batched(args, compile: bool = False) -> float:
    """Instance-steps per second of one batch of ``args.seeds`` instances (``compile``: through
    torch.compile; the compilation happens in the warm-up steps and is not timed)."""
    m = BatchedNetwork(_cfg(args, range(args.seeds)), device=args.device, compile=compile)
    for _ in range(args.warmup):
        m.step()
    _sync(args.device)
    t = time.perf_counter()
    for _ in range(args.steps):
        m.step()
    _sync(args.device)
    return args.seeds * args.steps / (time.perf_counter() - t)


def time_loop(args) -> float:
    """Instance-steps per second of ``args.seeds`` one-instance runs of the same code."""
    total = 0.0
    for s in range(args.seeds):
        m = BatchedNetwork(_cfg(args, [s]), device=args.device)
        for _ in range(args.warmup):
            m.step()
        _sync(args.device)
        t = time.perf_counter()
        for _ in range(args.loop_steps):
            m.step()
        _sync(args.device)
        total += time.perf_counter() - t
    return args.seeds * args.loop_steps / total


class _Net(torch.nn.Module):
    def __init__(self, n, width, activation):
        super().__init__()
        self.e1 = torch.nn.Embedding(n, width)
        self.e2 = torch.nn.Embedding(n, width)
        self.b1 = torch.nn.Parameter(torch.zeros(width))
        self.out = torch.nn.Linear(width, n)
        self.act = ACTIVATIONS[activation]

    def forward(self, a, b):
        return self.out(self.act(self.e1(a) + self.e2(b) + self.b1))


def _naive_step(net, opt, a, b, target, loss):
    opt.zero_grad()
    logits = net(a, b)
    if loss == "ce":
        torch.nn.functional.cross_entropy(logits, target).backward()
    else:  # MSE against the one-hot rows, mean over entries
        onehot = torch.nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype)
        torch.nn.functional.mse_loss(logits, onehot).backward()
    opt.step()


def time_naive(args) -> float:
    """A plain one-run script: nn.Embedding / nn.Linear, autograd and torch.optim.AdamW."""
    total = 0.0
    dtype = getattr(torch, args.dtype)
    for s in range(args.seeds):
        m = BatchedNetwork(_cfg(args, [s]), device=args.device)  # split and targets
        idx = m.train_index[0]
        a, b = idx // m.n, idx % m.n
        target = m.train_target[0]
        torch.manual_seed(s)
        net = _Net(m.n, args.width, args.activation).to(device=args.device, dtype=dtype)
        r = recipe(args.activation)
        opt = torch.optim.AdamW(net.parameters(), lr=r["lr"], weight_decay=r["weight_decay"],
                                betas=r["betas"])
        for _ in range(args.warmup):
            _naive_step(net, opt, a, b, target, r["loss"])
        _sync(args.device)
        t = time.perf_counter()
        for _ in range(args.loop_steps):
            _naive_step(net, opt, a, b, target, r["loss"])
        _sync(args.device)
        total += time.perf_counter() - t
    return args.seeds * args.loop_steps / total


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="S4")
    p.add_argument("--word", default="xy")
    p.add_argument("--width", type=int, default=RECIPE["width"])
    p.add_argument("--fraction", type=float, default=RECIPE["train_fraction"])
    p.add_argument("--activation", default=RECIPE["activation"], choices=list(ACTIVATIONS))
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="timed batched steps")
    p.add_argument("--loop-steps", type=int, default=20, help="timed steps of each looped run")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    naive = "naive loop (nn.Module + torch.optim.AdamW)"
    variants = [("batched", lambda: time_batched(args)),
                ("batched compiled", lambda: time_batched(args, compile=True)),
                ("loop", lambda: time_loop(args)), (naive, lambda: time_naive(args))]
    runs = {name: [fn() for _ in range(args.repeats)] for name, fn in variants}
    rates = {k: statistics.median(v) for k, v in runs.items()}
    out = {"spec": args.spec, "word": args.word, "width": args.width, "fraction": args.fraction,
           "activation": args.activation, "seeds": args.seeds, "device": args.device,
           "dtype": args.dtype, "threads": args.threads, "torch": torch.__version__,
           "machine": platform.machine(),
           "cuda": torch.cuda.get_device_name() if torch.device(args.device).type == "cuda"
           else None,
           "instance_steps_per_s": rates, "all_repeats": runs,
           "batched_steps_per_s": rates["batched"] / args.seeds,
           "ratio_vs_loop": {k: v / rates["loop"] for k, v in rates.items()},
           "ratio_vs_naive_loop": {k: v / rates[naive] for k, v in rates.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.spec} {args.word} network, width {args.width}, {args.activation}, fraction "
              f"{args.fraction}, {args.seeds} seeds, {args.device} {args.dtype}, "
              f"{args.threads} thread(s); medians of {args.repeats}")
        print(f"  {'variant':<44} {'instance-steps/s':>16} {'vs loop':>8} {'vs naive':>9}")
        for k, v in rates.items():
            print(f"  {k:<44} {v:>16.0f} {out['ratio_vs_loop'][k]:>7.2f}x "
                  f"{out['ratio_vs_naive_loop'][k]:>8.2f}x")
    return out


if __name__ == "__main__":
    main()
