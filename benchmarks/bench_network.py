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

import torch
from _batching import loop_rate, parser, report, timed

from surrogate import RECIPE, BatchedNetwork, NetworkConfig, grid, recipe
from surrogate.networks.model import ACTIVATIONS


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
    return args.seeds * args.steps / timed(m.step, args.steps, args.warmup, args.device)


def time_loop(args) -> float:
    """Instance-steps per second of ``args.seeds`` one-instance runs of the same code."""
    return loop_rate(lambda s: BatchedNetwork(_cfg(args, [s]), device=args.device).step, args)


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


def _naive_run(args, seed):
    """The step function of a plain one-run script: nn.Embedding / nn.Linear, autograd and
    torch.optim.AdamW, on the split and targets of instance ``seed``."""
    m = BatchedNetwork(_cfg(args, [seed]), device=args.device)  # split and targets
    idx = m.train_index[0]
    a, b = idx // m.n, idx % m.n
    target = m.train_target[0]
    torch.manual_seed(seed)
    net = _Net(m.n, args.width, args.activation).to(device=args.device,
                                                    dtype=getattr(torch, args.dtype))
    r = recipe(args.activation)
    opt = torch.optim.AdamW(net.parameters(), lr=r["lr"], weight_decay=r["weight_decay"],
                            betas=r["betas"])

    def step():
        opt.zero_grad()
        logits = net(a, b)
        if r["loss"] == "ce":
            torch.nn.functional.cross_entropy(logits, target).backward()
        else:  # MSE against the one-hot rows, mean over entries
            onehot = torch.nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype)
            torch.nn.functional.mse_loss(logits, onehot).backward()
        opt.step()

    return step


def time_naive(args) -> float:
    """A plain one-run script: nn.Embedding / nn.Linear, autograd and torch.optim.AdamW."""
    return loop_rate(lambda s: _naive_run(args, s), args)


def main(argv=None) -> dict:
    p = parser(__doc__, width=RECIPE["width"], fraction=RECIPE["train_fraction"], steps=20,
               warmup=3)
    p.add_argument("--activation", default=RECIPE["activation"], choices=list(ACTIVATIONS))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    naive = "naive loop (nn.Module + torch.optim.AdamW)"
    variants = [("batched", lambda: time_batched(args)),
                ("batched compiled", lambda: time_batched(args, compile=True)),
                ("loop", lambda: time_loop(args)), (naive, lambda: time_naive(args))]
    return report(args, f"{args.spec} {args.word} network, width {args.width}, "
                        f"{args.activation}, fraction {args.fraction}", variants, naive,
                  {"activation": args.activation})


if __name__ == "__main__":
    main()
