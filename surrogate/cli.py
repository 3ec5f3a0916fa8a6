"""Sub-commands ``surrogate`` (train a batch of CP surrogates) and ``phase`` (width × training
fraction phase diagram), registered through the ``wordtensor.commands`` entry point."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from wordtensor.cli import UsageError, emit
from wordtensor.commands import add_json

__all__ = ["register", "cmd_surrogate", "cmd_phase"]


def _common(p) -> None:
    p.add_argument("spec", help="group spec, e.g. S3, S4, D5, Q8")
    p.add_argument("word", help="word, e.g. xy, 'xyX', '[x,y]'")
    p.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
    p.add_argument("--seeds", type=int, default=4, help="seeds 0..K-1 (default 4)")
    p.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--loss", choices=["mse", "ce"], default="mse",
                   help="mse against the one-hot rows (mean over entries) or ce with f̂ as logits")
    p.add_argument("--optimizer", choices=["adam", "gd"], default="adam")
    p.add_argument("--lr", type=float, default=1e-2, help="learning rate (default 1e-2)")
    p.add_argument("--weight-decay", type=float, default=1e-5, help="default 1e-5")
    p.add_argument("--decay", choices=["l2", "decoupled"], default="l2",
                   help="weight decay as an L2 term in the gradient (default) or decoupled (AdamW)")
    p.add_argument("--init-scale", type=float, default=0.3,
                   help="factor entries start N(0, s²) (default 0.3)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu), e.g. cuda")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--log-per-decade", type=int, default=None,
                   help="metric/checkpoint points per decade of steps")
    p.add_argument("--out", default=None, help="run folder (default runs/<command>-…)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the update (faster for large batches; ~20 s to compile)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json(p)


def register(sub) -> None:
    """Add the ``surrogate`` and ``phase`` sub-commands to the sub-parsers ``sub``.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["surrogate", "S3", "xy", "--width", "9", "12"])
    >>> args.func is cmd_surrogate, args.width, args.steps, args.loss
    (True, [9, 12], 2000, 'mse')
    >>> args = parser.parse_args(["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "1"])
    >>> args.func is cmd_phase, args.widths, args.model
    (True, [4, 9], 'surrogate')
    """
    p = sub.add_parser("surrogate", help="train CP surrogates f̂(a,b) = Σ u_k[a] v_k[b] w_k")
    _common(p)
    p.add_argument("--width", type=int, nargs="+", default=[16], metavar="M",
                   help="width(s); several train together, padded and masked")
    p.add_argument("--train-fraction", type=float, nargs="+", default=[1.0], metavar="F",
                   help="fraction(s) of the input tuples to train on (default 1)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG figures")
    p.set_defaults(func=cmd_surrogate)

    p = sub.add_parser("phase", help="phase diagram: test accuracy over width × train fraction")
    _common(p)
    p.add_argument("--widths", type=int, nargs="+", required=True, metavar="M")
    p.add_argument("--fractions", type=float, nargs="+", required=True, metavar="F")
    p.add_argument("--rank-bounds", type=int, nargs=2, default=None, metavar=("LOWER", "UPPER"),
                   help="rank bounds to mark (default: computed, see surrogate.phase)")
    p.add_argument("--model", choices=["surrogate", "network"], default="surrogate",
                   help="network: two-layer networks; options left at their defaults take the "
                        "network recipe (surrogate.network.RECIPE)")
    p.add_argument("--activation", default=None, help="network activation (default: recipe's)")
    p.set_defaults(func=cmd_phase)


def setup_run(args, kind: str, stem: str | None = None) -> Path:
    """Apply ``--threads``, check ``--steps``/``--seeds`` and return the run folder: ``--out``,
    or ``runs/<stem>-<spec>-<word>-<time>`` (stem defaults to ``kind``; ``--resume`` needs
    ``--out``)."""
    if args.threads is not None:
        import torch

        torch.set_num_threads(max(1, args.threads))
    if args.steps < 0 or args.seeds < 1:
        raise UsageError(f"{kind}: --steps must be ≥ 0 and --seeds ≥ 1")
    if args.out:
        return Path(args.out)
    if args.resume:
        raise UsageError(f"{kind}: --resume needs --out DIR (the run folder to continue)")
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{stem or kind}-{args.spec}-{args.word}")
    return Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def cmd_surrogate(args) -> int:
    """``wordtensor surrogate``: train a batch of CP surrogates into a run folder and print
    the summary (JSON with ``--json``); returns the exit code.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "run"
    >>> args = build_parser().parse_args(
    ...     ["surrogate", "S3", "xy", "--width", "9", "--seeds", "2", "--steps", "10",
    ...      "--out", str(out), "--no-progress", "--no-plots", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_surrogate(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["steps"], d["seeds"], d["widths"], d["status"]
    (0, 10, [0, 1], [9, 9], ['ok', 'ok'])
    >>> (out / "summary.json").is_file()
    True
    """
    from .config import ConfigError, SurrogateConfig, grid
    from .runs import RunFolder
    from .train import train

    out = setup_run(args, "surrogate")
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    try:
        cfg = SurrogateConfig(
            args.spec, args.word,
            grid(seeds, args.width, args.train_fraction, lr=args.lr,
                 weight_decay=args.weight_decay, init_scale=args.init_scale),
            steps=args.steps, loss=args.loss, optimizer=args.optimizer, dtype=args.dtype,
            decay=args.decay, **({} if args.log_per_decade is None
                                 else {"log_per_decade": args.log_per_decade}))
    except ConfigError as exc:
        raise UsageError(f"surrogate: {exc}") from None
    if args.resume and RunFolder(out).exists():
        saved = RunFolder(out).read_config()
        if saved.replace(steps=cfg.steps).to_dict() != cfg.to_dict():
            print(f"wordtensor: note: resuming {out} with its saved settings", file=sys.stderr)
        cfg = saved.replace(steps=args.steps)
    res = train(cfg, device=args.device, run_dir=out, resume=args.resume,
                progress=not args.no_progress, compile=args.compile)
    data = res.summary()
    if not args.no_plots:
        from .plots import plot_run

        data["plots"] = [str(p) for p in plot_run(res, out)]
        from .runs import RunFolder as _RF

        _RF(out).write_summary(data)

    def text(d):
        return instance_table(
            d, f"{d['spec']} {d['word']}: {d['loss']} loss, {d['optimizer']}, {d['steps']} steps, "
               f"{len(d['seeds'])} instance(s), {d['seconds']:.1f} s",
            [("train acc", "train_accuracy", ".4f", 9), ("test acc", "test_accuracy", ".4f", 8),
             ("loss", "final_loss", ".2e", 9), ("max|T-δ|", "max_abs_error", ".2e", 9),
             ("99% at", "grok_step", "", 7)],
            "components", "components (active per triplet)")

    emit(args, data, text)
    return 0


def instance_table(d: dict, title: str, columns, counts_key: str, counts_title: str) -> str:
    """The per-instance text table of ``wordtensor surrogate`` / ``network``: seed, width and
    fraction, then ``columns`` (header, key of ``d``, format spec, width; "-" for None), the
    per-triplet counts ``d[counts_key]``, a non-ok status, the notes and the run folder."""
    def cell(v, spec, width):
        return ("-" if v is None else format(v, spec)).rjust(width)

    lines = [title, f"  {'seed':>4} {'width':>5} {'frac':>5} "
             + " ".join(f"{h:>{w}}" for h, _, _, w in columns) + f"  {counts_title}"]
    for j in range(len(d["seeds"])):
        lines.append(
            f"  {d['seeds'][j]:>4} {d['widths'][j]:>5} {d['train_fractions'][j]:>5g} "
            + " ".join(cell(d[key][j], spec, w) for _, key, spec, w in columns)
            + f"  {per_triplet_text(d[counts_key][j])}"
            + ("" if d["status"][j] == "ok" else f"  [{d['status'][j]}]"))
    lines += [f"note: {x}" for x in d["notes"]]
    lines.append(f"run folder: {d['run_dir']}")
    return "\n".join(lines)


def per_triplet_text(counts: dict) -> str:
    """``{"per_triplet": {triplet: count}, "mixed": m}`` as ``"3×(1a,1a,1a), …, m mixed"``."""
    return ", ".join([f"{v}×({k})" for k, v in counts["per_triplet"].items()]
                     + ([f"{counts['mixed']} mixed"] if counts["mixed"] else []))


def phase_text(d: dict, title: str) -> str:
    """The phase-diagram grid of ``wordtensor phase`` (mean test accuracy, seeds ≥ 99%)."""
    S = len(d["seeds"])
    on = d.get("accuracy_on") or ["test"] * len(d["fractions"])
    lines = [title, "  width \\ frac " + "".join(
        (f"{f:g}" + ("(train)" if o == "train" else "")).rjust(12)
        for f, o in zip(d["fractions"], on))]
    for i, w in enumerate(d["widths"]):
        cells = []
        for j in range(len(d["fractions"])):
            m = d.get("mean_acc", d["mean_test_acc"])[i][j]
            cells.append("n/a".rjust(12) if m is None else
                         f"{m:.3f} ({round(d['solved'][i][j] * S)}/{S})".rjust(12))
        lines.append(f"  {w:>12} " + "".join(cells))
    lines.append(f"plot: {d['plot']}    run folder: {d['run_dir']}")
    return "\n".join(lines)


def cmd_phase(args) -> int:
    """``wordtensor phase``: the width × training-fraction phase diagram (``--model network``:
    of networks, :func:`surrogate.network_cli.cmd_phase_network`); writes ``phase.png`` into
    the run folder, prints the grid (JSON with ``--json``) and returns the exit code.

    >>> import contextlib, io, json, tempfile
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "phase"
    >>> args = build_parser().parse_args(
    ...     ["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "0.5", "1",
    ...      "--seeds", "1", "--steps", "10", "--out", str(out), "--no-progress", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_phase(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["widths"], d["fractions"], len(d["mean_test_acc"]), len(d["mean_test_acc"][0])
    (0, [4, 9], [0.5, 1.0], 2, 2)
    >>> (out / "phase.png").is_file()
    True
    """
    if args.model == "network":
        from .network_cli import cmd_phase_network

        return cmd_phase_network(args)
    from .config import ConfigError
    from .phase import phase_diagram, plot_phase

    out = setup_run(args, "phase")
    try:
        res = phase_diagram(
            args.spec, args.word, args.widths, args.fractions,
            list(range(args.seed_start, args.seed_start + args.seeds)), steps=args.steps,
            loss=args.loss, optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay,
            init_scale=args.init_scale, decay=args.decay, dtype=args.dtype, device=args.device,
            run_dir=out, resume=args.resume, progress=not args.no_progress, compile=args.compile,
            rank_bounds_=tuple(args.rank_bounds) if args.rank_bounds else None,
            **({} if args.log_per_decade is None else {"log_per_decade": args.log_per_decade}))
    except ConfigError as exc:
        raise UsageError(f"phase: {exc}") from None
    png = plot_phase(res, out / "phase.png")
    data = res.to_dict()
    data["plot"] = str(png)

    def text(d):
        return phase_text(d, f"{d['spec']} {d['word']}: mean test accuracy (seeds ≥ 99%) over "
                             f"{len(d['seeds'])} seed(s); rank bounds {d['bounds']['lower']}..."
                             f"{d['bounds']['upper']} ({d['bounds']['source']})")

    emit(args, data, text)
    return 0
