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

import torch
from _batching import loop_rate, parser, report, timed

from surrogate import BatchedCP, SurrogateConfig, grid


def _cfg(args, seeds):
    return SurrogateConfig(args.spec, args.word,
                           grid(seeds, args.width, args.fraction, lr=1e-2, weight_decay=1e-5),
                           steps=10**9, dtype=args.dtype)


def time_batched(args, compile_: bool) -> float:
    """Instance-steps per second of one batch of ``args.seeds`` instances."""
    m = BatchedCP(_cfg(args, range(args.seeds)), device=args.device, compile=compile_)
    return args.seeds * args.steps / timed(m.step, args.steps, args.warmup, args.device)


def time_loop(args, compile_: bool) -> float:
    """Instance-steps per second of ``args.seeds`` one-instance runs, one after the other (each
    built, warmed up and trained like a separate run; compilation happens in the untimed
    warm-up, and once only, as it is cached between runs)."""
    return loop_rate(lambda s: BatchedCP(_cfg(args, [s]), device=args.device,
                                         compile=compile_).step, args)


def _naive_run(args, seed):
    """The step function of a plain one-run script: autograd through f̂ on the training pairs
    + torch.optim.Adam, from the split, targets and initial factors of instance ``seed``."""
    m = BatchedCP(_cfg(args, [seed]), device=args.device)
    idx = m.index[0] if m.index is not None else torch.arange(m.N, device=m.device)
    a, b = idx // m.n, idx % m.n
    target = torch.as_tensor(m.tensor.image.copy(), device=m.device).long()[idx]
    onehot = torch.nn.functional.one_hot(target, m.n).to(m.theta.dtype)
    theta = m.theta[0].clone().requires_grad_(True)
    opt = torch.optim.Adam([theta], lr=1e-2, weight_decay=1e-5)

    def step():
        opt.zero_grad()
        U, V, W = theta
        f = (U[a] * V[b]) @ W.T  # f̂ on the training pairs
        torch.nn.functional.mse_loss(f, onehot).backward()
        opt.step()

    return step


def time_naive(args) -> float:
    """A plain one-run script: autograd through f̂ on the training pairs + torch.optim.Adam."""
    return loop_rate(lambda s: _naive_run(args, s), args)


def main(argv=None) -> dict:
    p = parser(__doc__, width=64, fraction=0.5, steps=50, warmup=5)
    p.add_argument("--compile", action="store_true", help="also time torch.compile'd updates")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    naive = "naive loop (autograd + torch.optim.Adam)"
    variants = [("batched", lambda: time_batched(args, False)),
                ("loop", lambda: time_loop(args, False)), (naive, lambda: time_naive(args))]
    if args.compile:
        variants += [("batched, compiled", lambda: time_batched(args, True)),
                     ("loop, compiled", lambda: time_loop(args, True))]
    return report(args, f"{args.spec} {args.word}, width {args.width}, fraction "
                        f"{args.fraction}", variants, naive)


if __name__ == "__main__":
    main()
