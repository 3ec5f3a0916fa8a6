"""Sub-commands ``network`` (train a batch of two-layer networks on a word) and ``compare`` (the
network / surrogate / rank-bound table of a run folder), registered through the
``wordtensor.commands`` entry point."""

from __future__ import annotations

import sys
from pathlib import Path

from wordtensor.cli import UsageError, emit
from wordtensor.commands import add_json

from .cli import instance_table, phase_text, setup_run
from .network import ACTIVATIONS, RECIPE, recipe

__all__ = ["register", "cmd_network", "cmd_compare", "cmd_phase_network"]


def register(sub) -> None:
    """Add the ``network`` and ``compare`` sub-commands to the sub-parsers ``sub``; the
    options of ``network`` default to the grokking recipe (:data:`surrogate.network.RECIPE`).

    >>> import argparse
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
    p.add_argument("--width", type=int, nargs="+", default=[RECIPE["width"]], metavar="M",
                   help=f"width(s) (default {RECIPE['width']}); several train together")
    p.add_argument("--activation", choices=list(ACTIVATIONS), default=RECIPE["activation"],
                   help=f"σ (default {RECIPE['activation']})")
    p.add_argument("--train-fraction", type=float, nargs="+", default=[RECIPE["train_fraction"]],
                   metavar="F", help=f"fraction(s) of the input tuples to train on (default "
                                     f"{RECIPE['train_fraction']})")
    p.add_argument("--steps", type=int, default=RECIPE["steps"],
                   help=f"full-batch AdamW steps (default {RECIPE['steps']})")
    p.add_argument("--seeds", type=int, default=4, help="seeds 0..K-1 (default 4)")
    p.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--lr", type=float, default=None,
                   help=f"default: the activation's recipe ({RECIPE['lr']:g} for quadratic)")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="decoupled (AdamW) weight decay (default: the activation's recipe, "
                        f"{RECIPE['weight_decay']:g} for quadratic)")
    p.add_argument("--init-scale", type=float, default=None,
                   help="E ~ N(0, s²), W ~ N(0, s²/width) (default: the activation's recipe, "
                        f"{RECIPE['init_scale']:g} for quadratic)")
    p.add_argument("--loss", choices=["ce", "mse"], default=RECIPE["loss"],
                   help=f"mse against the one-hot rows or cross-entropy (default {RECIPE['loss']})")
    p.add_argument("--grokfast", type=float, default=0.0, metavar="LAMBDA",
                   help="Grokfast EMA filter strength λ (default 0: off; α = 0.98)")
    p.add_argument("--eval-every", type=int, default=10,
                   help="test accuracy every N steps: the grokking step's resolution (default 10)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu), e.g. cuda")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--log-per-decade", type=int, default=None,
                   help="metric points per decade of steps (default 10)")
    p.add_argument("--out", default=None, help="run folder (default runs/network-…)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
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
    p.add_argument("--instance", type=int, nargs="+", default=None,
                   help="network instances to use (default: all that did not diverge)")
    p.add_argument("--tol", type=float, default=1e-2,
                   help="relative tolerance of the numerical ranks (default 1e-2)")
    p.add_argument("--no-plot", action="store_true", help="do not draw compare.png")
    add_json(p)
    p.set_defaults(func=cmd_compare)


def cmd_network(args) -> int:
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
    from .config import ConfigError, grid
    from .network import NetworkConfig, NetworkRunFolder, train_network

    out = setup_run(args, "network")
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    rec = recipe(args.activation)
    for name in ("lr", "weight_decay", "init_scale"):
        if getattr(args, name) is None:
            setattr(args, name, rec[name])
    try:
        cfg = NetworkConfig(
            args.spec, args.word,
            grid(seeds, args.width, args.train_fraction, lr=args.lr,
                 weight_decay=args.weight_decay, init_scale=args.init_scale),
            steps=args.steps, activation=args.activation, loss=args.loss, dtype=args.dtype,
            grokfast_lambda=args.grokfast, eval_every=args.eval_every,
            **({} if args.log_per_decade is None else {"log_per_decade": args.log_per_decade}))
    except ConfigError as exc:
        raise UsageError(f"network: {exc}") from None
    folder = NetworkRunFolder(out)
    if args.resume and folder.exists():
        saved = folder.read_config()
        if saved.replace(steps=cfg.steps).to_dict() != cfg.to_dict():
            print(f"wordtensor: note: resuming {out} with its saved settings", file=sys.stderr)
        cfg = saved.replace(steps=args.steps)
    res = train_network(cfg, device=args.device, run_dir=out, resume=args.resume,
                        progress=not args.no_progress, compile=args.compile)
    data = res.summary()
    if not args.no_plots:
        from .network_analysis import plot_network_run

        data["plots"] = [str(p) for p in plot_network_run(res, out)]
        folder.write_summary(data)

    def text(d):
        return instance_table(
            d, f"{d['spec']} {d['word']}: {d['activation']} network, {d['loss']} loss, "
               f"{d['steps']} steps, {len(d['seeds'])} instance(s), {d['seconds']:.1f} s",
            [("train acc", "train_accuracy", ".4f", 9), ("test acc", "test_accuracy", ".4f", 8),
             ("train=1 at", "step_train_100", "d", 10), ("test≥99% at", "step_test_99", "d", 11),
             ("ratio", "grok_ratio", ".1f", 6)],
            "neurons", "neurons (active per triplet)")

    emit(args, data, text)
    return 0


def cmd_compare(args) -> int:
    """``wordtensor compare``: per bsc block of a network run folder, the rank bounds beside
    the network's neurons and the rank of its bilinear part (JSON with ``--json``); returns the
    exit code.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> from surrogate.network import NetworkConfig, network_grid, train_network
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
    from .compare import compare, compare_text, plot_compare
    from .network import is_network_run

    if not is_network_run(args.run_dir):
        raise UsageError(f"compare: {args.run_dir} is not a network run folder "
                         "(make one with 'wordtensor network … --out DIR')")
    if args.surrogate is not None and not (Path(args.surrogate) / "config.json").is_file():
        raise UsageError(f"compare: {args.surrogate} is not a surrogate run folder")
    if not args.tol > 0:
        raise UsageError(f"compare: --tol must be > 0, got {args.tol}")
    data = compare(args.run_dir, surrogate_dir=args.surrogate, instances=args.instance,
                   tol=args.tol)
    if not args.no_plot:
        data["plot"] = str(plot_compare(data, Path(args.run_dir) / "compare.png"))
    emit(args, data, lambda d: compare_text(d) + (f"\nplot: {d['plot']}" if "plot" in d else ""))
    return 0


def cmd_phase_network(args) -> int:
    """``wordtensor phase … --model network``: the width × training-fraction phase diagram of
    networks. Options of the phase command left at their (surrogate) defaults take the network
    recipe's values for the activation (:func:`surrogate.network.recipe`); ``--activation``
    picks σ.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "phase"
    >>> args = build_parser().parse_args(
    ...     ["phase", "S3", "xy", "--model", "network", "--widths", "8", "16", "--fractions",
    ...      "1", "--seeds", "1", "--steps", "10", "--out", str(out), "--no-progress", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_phase_network(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["model"], d["widths"], d["settings"]["steps"]
    (0, 'network', [8, 16], 10)
    >>> d["settings"]["weight_decay"], args.weight_decay  # the recipe's, not the surrogate's
    (1.0, 1e-05)
    >>> (out / "phase.png").is_file()
    True
    """
    from wordtensor.cli import build_parser

    from .config import ConfigError
    from .network import network_phase_diagram
    from .phase import plot_phase

    out = setup_run(args, "phase", stem="phase-network")
    base = build_parser().parse_args(["phase", args.spec, args.word, "--widths", "1",
                                      "--fractions", "1"])
    rec = recipe(getattr(args, "activation", None))
    kw = {"activation": rec["activation"]}
    for name in ("lr", "weight_decay", "init_scale", "loss"):
        given = getattr(args, name)
        kw[name] = rec[name] if given == getattr(base, name) else given
    kw["steps"] = rec["steps"] if args.steps == base.steps else args.steps
    try:
        res = network_phase_diagram(
            args.spec, args.word, args.widths, args.fractions,
            list(range(args.seed_start, args.seed_start + args.seeds)), dtype=args.dtype,
            device=args.device, run_dir=out, resume=args.resume, progress=not args.no_progress,
            compile=args.compile,
            rank_bounds_=tuple(args.rank_bounds) if args.rank_bounds else None,
            **({} if args.log_per_decade is None else {"log_per_decade": args.log_per_decade}),
            **kw)
    except ConfigError as exc:
        raise UsageError(f"phase: {exc}") from None
    data = res.to_dict() | {"model": "network", "settings": kw}
    data["plot"] = str(plot_phase(res, out / "phase.png"))

    def text(d):
        return phase_text(d, f"{d['spec']} {d['word']} networks ("
                             f"{', '.join(f'{k} {v}' for k, v in kw.items())}): mean test "
                             f"accuracy (seeds ≥ 99%) over {len(d['seeds'])} seed(s); rank bounds "
                             f"{d['bounds']['lower']}...{d['bounds']['upper']}")

    emit(args, data, text)
    return 0
