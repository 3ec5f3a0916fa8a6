"""What the surrogate package's sub-commands share: the training options of ``surrogate`` and
``phase``, the run-folder argument (checked before anything is computed), and the text tables.
Nothing here imports torch: the ``wordtensor`` command line loads these modules for every
command."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from wordtensor.cli import EXIT_DIVERGED, UsageError, emit
from wordtensor.commands import add_json
from wordtensor.validate import (
    cli_type,
    finite_float,
    nonnegative_int,
    positive_float,
    positive_int,
    probability,
)
from wordtensor.validate import threads as check_threads

from ..config import DECAYS, DTYPES, LOSSES, OPTIMIZERS, ConfigError, grid
from ..folders import check_out

#: argparse types of the training options (each refuses with what the value must be).
STEPS = cli_type(nonnegative_int)
COUNT = cli_type(positive_int)
SEED = cli_type(nonnegative_int)
RATE = cli_type(positive_float)
DECAY = cli_type(finite_float, minimum=0)
FRACTION = cli_type(probability, allow_zero=False)

#: The defaults of the surrogate's training options (``wordtensor phase --model network``
#: replaces the ones left at these values by the network recipe's).
SURROGATE_DEFAULTS = {"steps": 2000, "loss": "mse", "lr": 1e-2, "weight_decay": 1e-5,
                      "init_scale": 0.3}


#: What ``--resume`` does for a run folder (a sweep says its own: it always resumes).
RESUME_HELP = "continue the run in --out (same settings; only --steps may change)"


def add_training_options(p: argparse.ArgumentParser, *, resume_help: str = RESUME_HELP) -> None:
    """The options of ``wordtensor surrogate`` and ``wordtensor phase``."""
    d = SURROGATE_DEFAULTS
    p.add_argument("spec", help="group spec, e.g. S3, S4, D5, Q8")
    p.add_argument("word", help="word, e.g. xy, 'xyX', '[x,y]'")
    p.add_argument("--steps", type=STEPS, default=d["steps"],
                   help=f"training steps (default {d['steps']})")
    p.add_argument("--seeds", type=COUNT, default=4, help="seeds 0..K-1 (default 4)")
    p.add_argument("--seed-start", type=SEED, default=0, help="first seed (default 0)")
    p.add_argument("--loss", choices=list(LOSSES), default=d["loss"],
                   help="mse against the one-hot rows (mean over entries) or ce with f̂ as logits")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam")
    p.add_argument("--lr", type=RATE, default=d["lr"], help=f"learning rate (default {d['lr']:g})")
    p.add_argument("--weight-decay", type=DECAY, default=d["weight_decay"],
                   help=f"default {d['weight_decay']:g}")
    p.add_argument("--decay", choices=list(DECAYS), default="l2",
                   help="weight decay as an L2 term in the gradient (default) or decoupled (AdamW)")
    p.add_argument("--init-scale", type=RATE, default=d["init_scale"],
                   help=f"factor entries start N(0, s²) (default {d['init_scale']:g})")
    add_run_options(p, resume_help=resume_help)
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the update (faster for large batches; ~20 s to compile)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json(p)


def add_run_options(p: argparse.ArgumentParser, *, log_help: str = "metric/checkpoint points "
                    "per decade of steps", resume_help: str = RESUME_HELP) -> None:
    """``--device``, ``--dtype``, ``--log-per-decade``, ``--out``, ``--resume``, ``--threads``."""
    p.add_argument("--device", default="cpu", help="torch device (default cpu), e.g. cuda")
    p.add_argument("--dtype", choices=list(DTYPES), default="float32")
    p.add_argument("--log-per-decade", type=COUNT, default=None, help=log_help)
    p.add_argument("--out", default=None, help="run folder (default runs/<command>-…)")
    p.add_argument("--resume", action="store_true", help=resume_help)
    p.add_argument("--threads", type=cli_type(check_threads), default=None,
                   help="torch CPU threads (1 to 1024)")


def run_folder(args: argparse.Namespace, kind: str, stem: str | None = None, *,
               resumable: bool = False) -> Path:
    """Check ``--steps``/``--seeds``, apply ``--threads``, check ``--device`` and return the
    run folder — ``--out``, or ``runs/<stem>-<spec>-<word>-<time>`` (stem defaults to
    ``kind``; ``--resume`` needs ``--out``) — checked to be a place a run of ``kind`` may write
    (:func:`surrogate.folders.check_out`), before anything is computed or written.
    ``resumable``: a folder of this kind is taken without ``--resume`` (a sweep, which always
    resumes).

    >>> ns = argparse.Namespace(threads=None, steps=10, seeds=1, out=None, resume=False,
    ...                         spec="S3", word="[x,y]", device="cpu")
    >>> str(run_folder(ns, "surrogate")).startswith("runs/surrogate-S3-_x_y_-")
    True
    """
    v = dict(error=UsageError)
    nonnegative_int(args.steps, f"{kind}: --steps", **v)
    positive_int(args.seeds, f"{kind}: --seeds", **v)
    if args.threads is not None:
        check_threads(args.threads, f"{kind}: --threads", **v)
    if args.threads is not None or args.device != "cpu":
        import torch  # heavy: only for a command that trains

        from wordtensor.validate import device

        if args.threads is not None:
            torch.set_num_threads(args.threads)
        device(args.device, f"{kind}: --device", **v)
    if args.out is not None:
        return check_out(args.out, kind, resume=args.resume or resumable)
    if args.resume:
        raise UsageError(f"{kind}: --resume needs --out DIR (the run folder to continue)")
    stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{stem or kind}-{args.spec}-{args.word}")
    return check_out(Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}", kind)


def batch_config(args: argparse.Namespace, kind: str, config_class, **settings):
    """The configuration the options ask for: ``--seeds`` from ``--seed-start``, ``--width``,
    ``--train-fraction``, ``--lr``, ``--weight-decay``, ``--init-scale`` (one instance per
    combination), ``--steps``, ``--loss``, ``--dtype``, ``--log-per-decade`` and the model's
    ``settings``; a value it refuses is a one-line usage error."""
    seeds = range(args.seed_start, args.seed_start + args.seeds)
    try:
        return config_class(
            args.spec, args.word,
            grid(seeds, args.width, args.train_fraction, lr=args.lr,
                 weight_decay=args.weight_decay, init_scale=args.init_scale),
            steps=args.steps, loss=args.loss, dtype=args.dtype, **settings, **log_option(args))
    except ConfigError as exc:
        raise UsageError(f"{kind}: {exc}") from None


def train_into(args: argparse.Namespace, folder, config, train, plot) -> dict:
    """Train ``config`` with ``train`` (:func:`surrogate.train` or
    :func:`surrogate.train_network`) into the run folder ``folder``, draw ``plot(result,
    folder)`` unless ``--no-plots``, and return the summary (with ``plots``). The folder is
    checked and locked before training and stays locked through the plots."""
    tensor = config.prepare()  # the size model's refusal comes before the folder is made
    with folder.session(config, resume=args.resume):
        res = train(config, tensor=tensor, device=args.device, run_dir=folder.path,
                    resume=args.resume, progress=not args.no_progress, compile=args.compile)
        data = res.summary()
        if not args.no_plots:
            data["plots"] = [str(p) for p in plot(res, folder.path)]
            folder.write_summary(data)
    return data


def divergence_exit(statuses: list[str], kind: str, run_dir) -> int:
    """The exit code of a training command: :data:`~wordtensor.cli.EXIT_DIVERGED` (3), with a
    line on stderr, when every instance diverged; 0 otherwise (with a note on stderr when some
    did). The results are written either way.

    >>> divergence_exit(["ok", "ok"], "surrogate", "runs/a")
    0
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     rc = divergence_exit(["diverged: non-finite parameters at step 3"] * 2, "surrogate", "r")
    >>> rc, err.getvalue().split(" (")[0]
    (3, 'wordtensor: every instance of the surrogate run diverged')
    """
    bad = [st for st in statuses if st != "ok"]
    if statuses and len(bad) == len(statuses):
        print(f"wordtensor: every instance of the {kind} run diverged ({bad[0]}); the results "
              f"are written to {run_dir}; try a smaller --lr or --init-scale", file=sys.stderr)
        return EXIT_DIVERGED
    if bad:
        print(f"wordtensor: note: {len(bad)} of {len(statuses)} instances of the {kind} run "
              "diverged (see the status column)", file=sys.stderr)
    return 0


def log_option(args: argparse.Namespace) -> dict:
    """``{"log_per_decade": N}`` when ``--log-per-decade`` was given, else ``{}``."""
    return {} if args.log_per_decade is None else {"log_per_decade": args.log_per_decade}


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


def emit_instances(args: argparse.Namespace, data: dict, title, columns, counts_key: str,
                   counts_title: str) -> None:
    """Print a run's summary: JSON with ``--json``, else its :func:`instance_table` with the
    title ``title(data)``."""
    emit(args, data, lambda d: instance_table(d, title(d), columns, counts_key, counts_title))


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
