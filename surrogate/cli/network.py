"""Sub-commands ``network`` (train a batch of two-layer networks on a word) and ``compare`` (the
network / surrogate / rank-bound table of a network run folder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from wordtensor.cli import UsageError, emit
from wordtensor.commands import add_json
from wordtensor.validate import cli_type, finite_float, tolerance

from ..folders import RunLock, run_kind
from ..networks.recipes import ACTIVATION_NAMES, RECIPE, recipe
from .common import (
    COUNT,
    DECAY,
    FRACTION,
    RATE,
    SEED,
    STEPS,
    add_run_options,
    batch_config,
    divergence_exit,
    emit_instances,
    run_folder,
    train_into,
)


def register(sub) -> None:
    """Add the ``network`` and ``compare`` sub-commands to the sub-parsers ``sub``; the
    options of ``network`` default to the grokking recipe (:data:`surrogate.networks.RECIPE`).

    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["network", "S4", "xy"])
    >>> args.func is cmd_network, args.width, args.activation, args.train_fraction
    (True, [256], 'quadratic', [0.6])
    >>> args.lr is None  # filled in from the activation's recipe by cmd_network
    True
    >>> args = parser.parse_args(["compare", "runs/net", "--tol", "1e-3"])
    >>> args.func is cmd_compare, args.run_dir, args.tol
    (True, 'runs/net', 0.001)
    """
    p = sub.add_parser("network", help="train two-layer networks logits = W σ(E1[a] + E2[b] + b1) "
                                       "+ b2 on a word (defaults: the grokking recipe)")
    p.add_argument("spec", help="group spec, e.g. S4, A4, SL(2,5)")
    p.add_argument("word", help="word, e.g. xy, 'xyX', '[x,y]'")
    p.add_argument("--width", type=COUNT, nargs="+", default=[RECIPE["width"]], metavar="M",
                   help=f"width(s) (default {RECIPE['width']}); several train together")
    p.add_argument("--activation", choices=list(ACTIVATION_NAMES), default=RECIPE["activation"],
                   help=f"σ (default {RECIPE['activation']})")
    p.add_argument("--train-fraction", type=FRACTION, nargs="+", default=[RECIPE["train_fraction"]],
                   metavar="F", help=f"fraction(s) of the input tuples to train on (default "
                                     f"{RECIPE['train_fraction']})")
    p.add_argument("--steps", type=STEPS, default=RECIPE["steps"],
                   help=f"full-batch AdamW steps (default {RECIPE['steps']})")
    p.add_argument("--seeds", type=COUNT, default=4, help="seeds 0..K-1 (default 4)")
    p.add_argument("--seed-start", type=SEED, default=0, help="first seed (default 0)")
    p.add_argument("--lr", type=RATE, default=None,
                   help=f"default: the activation's recipe ({RECIPE['lr']:g} for quadratic)")
    p.add_argument("--weight-decay", type=DECAY, default=None,
                   help="decoupled (AdamW) weight decay (default: the activation's recipe, "
                        f"{RECIPE['weight_decay']:g} for quadratic)")
    p.add_argument("--init-scale", type=RATE, default=None,
                   help="E ~ N(0, s²), W ~ N(0, s²/width) (default: the activation's recipe, "
                        f"{RECIPE['init_scale']:g} for quadratic)")
    p.add_argument("--loss", choices=["ce", "mse"], default=RECIPE["loss"],
                   help=f"mse against the one-hot rows or cross-entropy (default {RECIPE['loss']})")
    p.add_argument("--grokfast", type=cli_type(finite_float, minimum=0), default=0.0,
                   metavar="LAMBDA",
                   help="Grokfast EMA filter strength λ (default 0: off; α = 0.98)")
    p.add_argument("--eval-every", type=COUNT, default=10,
                   help="test accuracy every N steps: the grokking step's resolution (default 10)")
    add_run_options(p, log_help="metric points per decade of steps (default 10)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the loss, gradient and update (about 3x faster for large "
                        "batches; ~20 s to compile)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG figures")
    add_json(p)
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("compare", help="per bsc block: rank bounds, surrogate components, "
                                       "network neurons and the rank of its bilinear part")
    p.add_argument("run_dir", help="a network run folder (wordtensor network --out DIR)")
    p.add_argument("--surrogate", default=None, metavar="DIR",
                   help="a surrogate run folder of the same group and word")
    p.add_argument("--instance", type=SEED, nargs="+", default=None,
                   help="network instances to use (default: all that did not diverge)")
    p.add_argument("--tol", type=cli_type(tolerance), default=1e-2,
                   help="relative tolerance of the numerical ranks (default 1e-2)")
    p.add_argument("--no-plot", action="store_true", help="do not draw compare.png")
    add_json(p)
    p.set_defaults(func=cmd_compare)


def cmd_network(args: argparse.Namespace) -> int:
    """``wordtensor network``: train a batch of two-layer networks into a run folder and print
    the summary (JSON with ``--json``); returns the exit code.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "net"
    >>> args = build_parser().parse_args(
    ...     ["network", "S3", "xy", "--width", "8", "16", "--seeds", "1", "--steps", "10",
    ...      "--train-fraction", "1", "--out", str(out), "--no-progress", "--no-plots", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_network(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["model"], d["steps"], d["widths"], d["weight_decay"]  # recipe's weight decay
    (0, 'network', 10, [8, 16], [1.0, 1.0])
    >>> (out / "summary.json").is_file()
    True
    """
    # torch and matplotlib: imported only when the command runs
    from ..networks.config import NetworkConfig
    from ..networks.plots import plot_network_run
    from ..networks.runs import NetworkRunFolder
    from ..networks.trainer import train_network

    out = run_folder(args, "network")
    rec = recipe(args.activation)
    for name in ("lr", "weight_decay", "init_scale"):
        if getattr(args, name) is None:
            setattr(args, name, rec[name])
    cfg = batch_config(args, "network", NetworkConfig, activation=args.activation,
                       grokfast_lambda=args.grokfast, eval_every=args.eval_every)
    data = train_into(args, NetworkRunFolder(out), cfg, train_network, plot_network_run)

    emit_instances(
        args, data,
        lambda d: (f"{d['spec']} {d['word']}: {d['activation']} network, {d['loss']} loss, "
                   f"{d['steps']} steps, {len(d['seeds'])} instance(s), {d['seconds']:.1f} s"),
        [("train acc", "train_accuracy", ".4f", 9), ("test acc", "test_accuracy", ".4f", 8),
         ("train=1 at", "step_train_100", "d", 10), ("test≥99% at", "step_test_99", "d", 11),
         ("ratio", "grok_ratio", ".1f", 6)],
        "neurons", "neurons (active per triplet)")
    return divergence_exit(data["status"], "network", data["run_dir"])


def cmd_compare(args: argparse.Namespace) -> int:
    """``wordtensor compare``: per bsc block of a network run folder, the rank bounds beside
    the network's neurons and the rank of its bilinear part (JSON with ``--json``); returns the
    exit code.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> run = tempfile.mkdtemp()
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(2, 8, 1.0), steps=5),
    ...                   run_dir=run, progress=False)
    >>> args = build_parser().parse_args(["compare", run, "--no-plot", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_compare(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, [b["box"] for b in d["blocks"]], (d["bounds"]["lower"], d["bounds"]["upper"])
    (0, ['1a,1a,1a', '1b,1b,1b', '2a,2a,2a'], (9, 9))
    """
    # torch and matplotlib: imported only when the command runs
    from ..comparison import compare, compare_text
    from ..cp.runs import load_run
    from ..networks.runs import load_network_run
    from ..plots import plot_compare

    if run_kind(args.run_dir) != "network":
        raise UsageError(f"compare: {args.run_dir} is not a network run folder "
                         "(make one with 'wordtensor network … --out DIR')")
    if args.surrogate is not None and run_kind(args.surrogate) != "surrogate":
        raise UsageError(f"compare: {args.surrogate} is not a surrogate run folder "
                         "(make one with 'wordtensor surrogate … --out DIR')")
    if not args.tol > 0:
        raise UsageError(f"compare: --tol must be > 0, got {args.tol}")
    net = load_network_run(args.run_dir)
    sur = load_run(args.surrogate) if args.surrogate is not None else None
    with RunLock(args.run_dir):  # compare.json and compare.png go into the network's folder
        data = compare(net, surrogate=sur, instances=args.instance, tol=args.tol)
        if not args.no_plot:
            data["plot"] = str(plot_compare(data, Path(args.run_dir) / "compare.png"))
    emit(args, data, lambda d: compare_text(d) + (f"\nplot: {d['plot']}" if "plot" in d else ""))
    return 0
