"""Sub-command ``phase``: the width × training-fraction phase diagram of CP surrogates or, with
``--model network``, of two-layer networks, one cell per (width, fraction) run as a task on Dask
distributed (:func:`surrogate.phase_sweep.run_phase`); writes ``phase.json``, ``phase.csv``,
``phase.png`` and ``summary.json`` into the run folder (with the sweep's ``sweep.json`` and
``cells/``) and prints the grid (JSON with ``--json``)."""

from __future__ import annotations

import argparse
import sys

from wordtensor.cli import UsageError, emit

from ..networks.recipes import ACTIVATION_NAMES, recipe
from .common import (
    COUNT,
    FRACTION,
    SEED,
    SURROGATE_DEFAULTS,
    add_training_options,
    divergence_exit,
    log_option,
    phase_text,
    run_folder,
)

_EPILOG = """The cells: one per (width, fraction), holding every seed as one batch, trained on
a worker and stored as DIR/cells/w<width>_f<fraction>.json when it ends. A re-run with the same
--out trains only the cells not stored yet (an interrupted diagram resumes; more --widths or
--fractions extend it); other settings in the same folder (steps, seeds, lr, device, ...) are
refused. Checkpoints are not kept (train one cell with `wordtensor surrogate --width W
--train-fraction F` for its dynamics: the same batch).

--json prints the diagram's keys (spec, word, widths, fractions, seeds, test_acc, train_acc,
bounds, run_dir, errors, mean_test_acc, mean_acc, accuracy_on, solved; with --model network
also model and settings), plot, and sweep: {cells, computed, skipped, failed, lost, seconds,
workers, scheduler}, files: {summary.json, phase.json, phase.csv, phase.png}. Exit code 0, 3
when every instance diverged, 1 when some cells were lost (their workers died: run the same
command again), 2 for bad input or a folder that cannot hold this diagram."""


def register(sub) -> None:
    """Add the ``phase`` sub-command to the sub-parsers ``sub``.

    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "1"])
    >>> args.func is cmd_phase, args.widths, args.model
    (True, [4, 9], 'surrogate')
    """
    p = sub.add_parser("phase", help="phase diagram: test accuracy over width × train fraction",
                       epilog=_EPILOG)
    add_training_options(p, resume_help="accepted for old scripts: a re-run with the same "
                         "--out always resumes (the stored cells are kept; other settings are "
                         "refused)")
    p.add_argument("--widths", type=COUNT, nargs="+", required=True, metavar="M")
    p.add_argument("--fractions", type=FRACTION, nargs="+", required=True, metavar="F")
    p.add_argument("--rank-bounds", type=SEED, nargs=2, default=None, metavar=("LOWER", "UPPER"),
                   help="rank bounds to mark (default: computed, see surrogate.phase)")
    p.add_argument("--model", choices=["surrogate", "network"], default="surrogate",
                   help="network: two-layer networks; options left at their defaults take the "
                        "network recipe (surrogate.networks.RECIPE)")
    p.add_argument("--activation", default=None, choices=list(ACTIVATION_NAMES),
                   help="network activation (default: recipe's)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://host:8786 (default: start a "
                   "LocalCluster)")
    p.add_argument("--workers", type=COUNT, metavar="N",
                   help="worker processes of the LocalCluster, one torch thread each unless "
                   "--threads (default: the CPU cores, at most 4 and at most the cells)")
    p.set_defaults(func=cmd_phase)


def cmd_phase(args: argparse.Namespace) -> int:
    """``wordtensor phase``: the phase diagram (``--model network``: of networks, whose options
    left at the surrogate's defaults take the network recipe's values for the activation,
    :func:`surrogate.networks.recipe`); returns the exit code.

    >>> import contextlib, io, json, tempfile
    >>> from pathlib import Path
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "phase"
    >>> args = build_parser().parse_args(
    ...     ["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "0.5", "1",
    ...      "--seeds", "1", "--steps", "10", "--out", str(out), "--no-progress", "--json",
    ...      "--workers", "1"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_phase(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["widths"], d["fractions"], len(d["mean_test_acc"]), len(d["mean_test_acc"][0])
    (0, [4, 9], [0.5, 1.0], 2, 2)
    >>> (out / "phase.png").is_file(), (out / "phase.json").is_file()
    (True, True)
    """
    # torch, matplotlib and Dask: imported only when the command runs
    from ..phase_sweep import run_phase, sweep_json

    network = args.model == "network"
    out = run_folder(args, "phase", stem="phase-network" if network else "phase",
                     resumable=True)
    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    if network:
        rec = recipe(args.activation)
        settings = {"activation": rec["activation"]}
        for name in ("lr", "weight_decay", "init_scale", "loss", "steps"):
            given = getattr(args, name)
            settings[name] = rec[name] if given == SURROGATE_DEFAULTS[name] else given
    else:
        if args.activation is not None:
            raise UsageError("phase: --activation is an option of --model network")
        settings = {name: getattr(args, name) for name in
                    ("steps", "loss", "optimizer", "lr", "weight_decay", "init_scale", "decay")}
    settings |= {"dtype": args.dtype} | log_option(args)
    run = run_phase(args.spec, args.word, args.widths, args.fractions, seeds, out=out,
                    model=args.model, settings=settings, device=args.device,
                    threads=args.threads or 1, compile=args.compile,
                    bounds=tuple(args.rank_bounds) if args.rank_bounds else None,
                    workers=args.workers, scheduler=args.scheduler,
                    progress=not args.no_progress)
    res = run.result
    data = res.to_dict() | ({"model": "network", "settings": settings} if network else {})
    data |= {"plot": run.files["phase.png"], "sweep": sweep_json(run.sweep), "files": run.files}

    def text(d):
        what = (f"{d['spec']} {d['word']} networks ("
                f"{', '.join(f'{k} {v}' for k, v in settings.items())})" if network
                else f"{d['spec']} {d['word']}")
        sw = d["sweep"]
        return phase_text(d, f"{what}: mean test accuracy (seeds ≥ 99%) over "
                             f"{len(d['seeds'])} seed(s); rank bounds {d['bounds']['lower']}..."
                             f"{d['bounds']['upper']} ({d['bounds']['source']})") + (
            f"\ncells: {sw['cells']}, computed {sw['computed']}, already stored {sw['skipped']}, "
            f"lost {len(sw['lost'])}; {sw['seconds']:.1f} s"
            + (f" on {sw['workers']} worker(s)" if sw["computed"] else ""))

    emit(args, data, text)
    if not run.complete:
        print(f"wordtensor: {len(run.sweep.lost)} cell(s) of the phase diagram lost (their "
              "workers died or the cluster went away); run the same command again to train "
              "them", file=sys.stderr)
        return 1
    total = len(res.widths) * len(res.fractions) * len(res.seeds)
    return divergence_exit(["ok"] * (total - len(res.errors)) + list(res.errors), args.model, out)
