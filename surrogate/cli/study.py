"""Sub-command ``study``: the main job (tensor, decomposition, ranks, surrogate, network,
comparison) written to a report folder, and its one-screen summary."""

from __future__ import annotations

import argparse

from wordtensor.cli import emit
from wordtensor.commands import add_json

from ..report import STAGES, fmt
from .common import COUNT, divergence_exit

SKIPPABLE = ("surrogate", "network", "compare")


def register(sub) -> None:
    """Add the ``study`` sub-command to the sub-parsers ``sub``.

    >>> parser = argparse.ArgumentParser(prog="wordtensor")
    >>> register(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["study", "--quick", "--skip", "network"])
    >>> args.spec, args.word, args.quick, args.skip, args.func.__name__
    ('S3', 'xy', True, ['network'], 'cmd_study')
    """
    p = sub.add_parser("study", help="the main job: tensor, decomposition, ranks, surrogate, "
                       "network and comparison, written to a report folder")
    p.add_argument("spec", nargs="?", default="S3", help="group spec (default S3)")
    p.add_argument("word", nargs="?", default="xy", help="word (default xy)")
    p.add_argument("--out", default=None, help="report folder (default runs/study-SPEC-WORD)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted study (same settings)")
    p.add_argument("--quick", action="store_true", help="short training runs (a smoke test)")
    p.add_argument("--seeds", type=COUNT, default=None, help="seeds per model (default 4)")
    p.add_argument("--device", default="cpu", help="torch device for training (default cpu)")
    p.add_argument("--skip", nargs="*", default=[], choices=list(SKIPPABLE),
                   help="stages to skip")
    add_json(p)
    p.set_defaults(func=cmd_study)


def cmd_study(args: argparse.Namespace) -> int:
    """``wordtensor study``: run :func:`surrogate.study.study` and print its summary (JSON
    with ``--json``); returns the exit code.

    >>> import contextlib, io, tempfile
    >>> from pathlib import Path
    >>> from wordtensor.cli import build_parser
    >>> out = Path(tempfile.mkdtemp()) / "s"
    >>> args = build_parser().parse_args(["study", "Z2", "xy", "--quick", "--seeds", "1",
    ...                                   "--skip", "surrogate", "network", "--out", str(out)])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     rc = cmd_study(args)
    >>> rc, buf.getvalue().splitlines()[0].startswith("study of xy on Z2 (order 2)")
    (0, True)
    """
    from ..study import study  # torch and matplotlib: only when the study runs

    stages = tuple(s for s in STAGES if s not in set(args.skip))
    if "network" not in stages and "compare" in stages:
        stages = tuple(s for s in stages if s != "compare")
    s = study(args.spec, args.word, out=args.out, resume=args.resume, quick=args.quick,
              device=args.device, seeds=args.seeds, stages=stages, progress=not args.json)

    def text(d):
        lines = [f"study of {d['word']} on {d['spec']} (order {d['order']}) in {d['seconds']:.1f} s",
                 f"  support {len(d['support'])} / cover {len(d['cover'])} triplets",
                 f"  rank {d['lower']} ({d['lower_method']}) <= R <= {d['upper']} "
                 f"({d['upper_method']}, max-abs error {fmt(d['max_abs_error'])})"]
        for st in ("surrogate", "network"):
            if st not in d:
                continue
            r = d[st]
            if any(x is not None for x in r["test_accuracy"]):
                lines.append(f"  {st:<9} test accuracy {[fmt(x) for x in r['test_accuracy']]}")
            else:  # trained on every pair: no held-out pairs
                line = (f"  {st:<9} all pairs trained; train accuracy "
                        f"{[fmt(x) for x in r['train_accuracy']]}")
                if "exact_fit" in r:
                    line += f", exact fits {sum(bool(x) for x in r['exact_fit'])}/" \
                            f"{len(r['exact_fit'])}"
                    approx = [f"{e:.1e}" for f, e in zip(r.get("fit") or [],
                                                         r.get("fit_relative_error") or [])
                              if f == "approximate"]
                    if approx:
                        line += f" (approximate: relative error {', '.join(approx)})"
                if "cosine" in r:
                    line += f"; cosine with δ {[fmt(c, 4) for c in r['cosine']]}"
                lines.append(line)
        lines.append(f"  report    {d['report']}")
        return "\n".join(lines)

    emit(args, s, text)
    codes = [divergence_exit(s[st]["status"], st, s[st].get("run_dir"))
             for st in ("surrogate", "network") if "status" in s.get(st, {})]
    return max(codes, default=0)
