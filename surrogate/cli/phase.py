"""Sub-command ``phase``: the width × training-fraction phase diagram of CP surrogates or, with
``--model network``, of two-layer networks; writes ``phase.json`` and ``phase.png`` into the
run folder and prints the grid (JSON with ``--json``)."""

from __future__ import annotations

import argparse

from wordtensor.cli import UsageError, emit

from ..config import ConfigError
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


def register(sub) -> None:
    """Add the ``phase`` sub-command to the sub-parsers ``sub``.

    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "1"])
    >>> args.func is cmd_phase, args.widths, args.model
    (True, [4, 9], 'surrogate')
    """
    p = sub.add_parser("phase", help="phase diagram: test accuracy over width × train fraction")
    add_training_options(p)
    p.add_argument("--widths", type=COUNT, nargs="+", required=True, metavar="M")
    p.add_argument("--fractions", type=FRACTION, nargs="+", required=True, metavar="F")
    p.add_argument("--rank-bounds", type=SEED, nargs=2, default=None, metavar=("LOWER", "UPPER"),
                   help="rank bounds to mark (default: computed, see surrogate.phase)")
    p.add_argument("--model", choices=["surrogate", "network"], default="surrogate",
                   help="network: two-layer networks; options left at their defaults take the "
                        "network recipe (surrogate.networks.RECIPE)")
    p.add_argument("--activation", default=None, choices=list(ACTIVATION_NAMES),
                   help="network activation (default: recipe's)")
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
    ...      "--seeds", "1", "--steps", "10", "--out", str(out), "--no-progress", "--json"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_phase(args)
    >>> d = json.loads(buf.getvalue())
    >>> rc, d["widths"], d["fractions"], len(d["mean_test_acc"]), len(d["mean_test_acc"][0])
    (0, [4, 9], [0.5, 1.0], 2, 2)
    >>> (out / "phase.png").is_file(), (out / "phase.json").is_file()
    (True, True)
    """
    # torch and matplotlib: imported only when the command runs
    from ..cp.runs import SurrogateRunFolder
    from ..networks.runs import NetworkRunFolder
    from ..networks.sweeps import network_phase_diagram, network_sweep_config
    from ..phase import phase_bounds, phase_config, phase_diagram
    from ..plots import plot_phase

    network = args.model == "network"
    out = run_folder(args, args.model, stem="phase-network" if network else "phase")
    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    grid_ = (args.spec, args.word, args.widths, args.fractions, seeds)
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
    try:
        cfg = (network_sweep_config if network else phase_config)(*grid_, **settings)
    except ConfigError as exc:
        raise UsageError(f"phase: {exc}") from None
    tensor = cfg.prepare()  # the size model's refusal comes before the folder is made
    # given bounds are checked now; computed ones once the folder is checked and locked
    bounds = phase_bounds(tensor, tuple(args.rank_bounds)) if args.rank_bounds else None
    folder = (NetworkRunFolder if network else SurrogateRunFolder)(out)
    with folder.session(cfg, resume=args.resume):  # held through the plot
        res = (network_phase_diagram if network else phase_diagram)(
            *grid_, tensor=tensor, bounds=bounds, device=args.device, run_dir=out,
            resume=args.resume, progress=not args.no_progress, compile=args.compile,
            **settings)
        data = res.to_dict() | ({"model": "network", "settings": settings} if network else {})
        data["plot"] = str(plot_phase(res, out / "phase.png"))

    def text(d):
        what = (f"{d['spec']} {d['word']} networks ("
                f"{', '.join(f'{k} {v}' for k, v in settings.items())})" if network
                else f"{d['spec']} {d['word']}")
        return phase_text(d, f"{what}: mean test accuracy (seeds ≥ 99%) over "
                             f"{len(d['seeds'])} seed(s); rank bounds {d['bounds']['lower']}..."
                             f"{d['bounds']['upper']} ({d['bounds']['source']})")

    emit(args, data, text)
    total = len(res.widths) * len(res.fractions) * len(res.seeds)
    return divergence_exit(["ok"] * (total - len(res.errors)) + list(res.errors), args.model, out)

