"""The ``atlas`` sub-command of the ``wordtensor`` CLI (registered by :mod:`fusion.cli`).

Registering it imports no heavy dependency: Dask distributed loads when the sweep starts its
cluster (:class:`wordtensor.sweep.DaskExecutor`), the rank engine in the workers
(:func:`fusion.atlas.cells.atlas_cell`), matplotlib when the figure is drawn."""

from __future__ import annotations

import argparse
import sys

from wordtensor.cli_common import add_json, emit

from .run import run_atlas

__all__ = ["register_atlas"]

_JSON = """--json prints {"out", "orders", "words", "settings": {"search_seconds", "seed"},
"cells", "computed", "skipped", "exact", "open", "failed": [{"spec", "word", "error"}],
"lost": {key: reason}, "by_word": {word: {"cells", "exact", "open", "failed", "missing",
"median_ratio"}}, "widest": [...], "seconds", "cell_seconds", "workers", "scheduler",
"files": {"atlas.csv", "atlas.md", "atlas.png"}}.

Each cell is DIR/cells/<n>_<i>_<word slug>.json: {"key", "status": "ok"|"failed", "params",
"result": {"group": {"id", "spec", "structure", "order", "num_classes"}, "word", "report": the
JSON of wordtensor rank}, "error": {"type", "message"}|null, "timing"}. Exit code 0 when every
cell is stored (failed cells included), 1 when some were lost (re-run to compute them), 2 for
bad input or a folder that cannot hold this atlas."""


def register_atlas(sub: argparse._SubParsersAction) -> None:
    """Add the ``atlas`` sub-command to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> sub = parser.add_subparsers()
    >>> register_atlas(sub)
    >>> args = parser.parse_args(["atlas", "--orders", "1-8", "--out", "runs/atlas"])
    >>> args.words, args.search_seconds, args.workers, args.scheduler
    ('xy,xyx,xyX,xxyy,[x,y]', 0.0, None, None)
    """
    p = sub.add_parser(
        "atlas", help="rank bounds of every SmallGroup of some orders x some words (on Dask)",
        description="Compute the rank atlas: lower and certified upper bounds on the rank of\n"
        "the word tensor of every SmallGroup of the given orders and each word, one cell per\n"
        "(group, word), run as tasks on Dask distributed and stored one file per cell in DIR.\n"
        "A re-run resumes: stored cells are not computed again. Writes DIR/atlas.csv,\n"
        "DIR/atlas.md and DIR/atlas.png.",
        epilog=_JSON, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--orders", default="1-32",
                   help="an order (24), a range (1-32) or a comma list (8,12,16-20); default 1-32")
    p.add_argument("--words", default="xy,xyx,xyX,xxyy,[x,y]",
                   help="two-variable words separated by commas (those inside [ ] or ( ) do not "
                   "separate); default xy,xyx,xyX,xxyy,[x,y]")
    p.add_argument("--out", required=True, metavar="DIR", help="the atlas folder (created)")
    p.add_argument("--search-seconds", type=float, default=0.0, metavar="S",
                   help="numerical CP search per cell, in seconds (default 0: none)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://host:8786 (default: start a "
                   "LocalCluster)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of the LocalCluster (default: the CPU cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_json(p)
    p.set_defaults(func=cmd_atlas)


def cmd_atlas(args: argparse.Namespace) -> int:
    run = run_atlas(args.orders, args.words, args.out, search_seconds=args.search_seconds,
                    seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                    progress=not args.no_progress)

    def text(d):
        words = ", ".join(f"{w} {b['exact']}/{b['cells']}" for w, b in d["by_word"].items())
        lines = [f"atlas of {len(d['words'])} word(s) on the SmallGroups of order "
                 f"{args.orders}: {d['cells']} cells in {d['out']}",
                 f"  computed {d['computed']}, already stored {d['skipped']}, failed "
                 f"{len(d['failed'])}, lost {len(d['lost'])}; {d['seconds']:.1f} s"
                 + (f" on {d['workers']} worker(s)" if d["computed"] else ""),
                 f"  exact {d['exact']} of {d['cells']}: {words}"]
        if d["widest"]:
            w = d["widest"][0]
            lines.append(f"  widest: {w['spec']} = {w['structure']} {w['word']}: "
                         f"{w['lower']} <= R <= {w['upper']}")
        lines += [f"  failed: {f['spec']} {f['word']}: {f['error']}" for f in d["failed"][:5]]
        lines.append("  wrote " + ", ".join(d["files"].values()))
        return "\n".join(lines)

    emit(args, run.to_json(), text)
    if not run.complete:
        print(f"wordtensor: {len(run.sweep.lost)} cell(s) lost (their workers died or the "
              "cluster went away); run the same command again to compute them", file=sys.stderr)
        return 1
    return 0
