"""Sub-command ``surrogate``: train a batch of CP surrogates into a run folder and print the
per-instance table (JSON with ``--json``)."""

from __future__ import annotations

import argparse

from .common import (
    COUNT,
    FRACTION,
    add_training_options,
    batch_config,
    divergence_exit,
    emit_instances,
    run_folder,
    train_into,
)


def register(sub) -> None:
    """Add the ``surrogate`` sub-command to the sub-parsers ``sub``.

    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["surrogate", "S3", "xy", "--width", "9", "12"])
    >>> args.func is cmd_surrogate, args.width, args.steps, args.loss
    (True, [9, 12], 2000, 'mse')
    """
    p = sub.add_parser("surrogate", help="train CP surrogates f̂(a,b) = Σ u_k[a] v_k[b] w_k")
    add_training_options(p)
    p.add_argument("--width", type=COUNT, nargs="+", default=[16], metavar="M",
                   help="width(s); several train together, padded and masked")
    p.add_argument("--train-fraction", type=FRACTION, nargs="+", default=[1.0], metavar="F",
                   help="fraction(s) of the input tuples to train on (default 1)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the PNG figures")
    p.set_defaults(func=cmd_surrogate)


def cmd_surrogate(args: argparse.Namespace) -> int:
    """``wordtensor surrogate``: train a batch of CP surrogates into a run folder and print
    the summary (JSON with ``--json``); returns the exit code.

    >>> import contextlib, io, json, tempfile
    >>> from pathlib import Path
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
    # torch and matplotlib: imported only when the command runs
    from ..cp import SurrogateConfig, SurrogateRunFolder, train
    from ..plots import plot_run

    out = run_folder(args, "surrogate")
    cfg = batch_config(args, "surrogate", SurrogateConfig, optimizer=args.optimizer,
                       decay=args.decay)
    data = train_into(args, SurrogateRunFolder(out), cfg, train, plot_run)

    emit_instances(
        args, data,
        lambda d: (f"{d['spec']} {d['word']}: {d['loss']} loss, {d['optimizer']}, "
                   f"{d['steps']} steps, {len(d['seeds'])} instance(s), {d['seconds']:.1f} s"),
        [("train acc", "train_accuracy", ".4f", 9), ("test acc", "test_accuracy", ".4f", 8),
         ("loss", "final_loss", ".2e", 9), ("max|T-δ|", "max_abs_error", ".2e", 9),
         ("99% at", "grok_step", "", 7)],
        "components", "components (active per triplet)")
    return divergence_exit(data["status"], "surrogate", data["run_dir"])
