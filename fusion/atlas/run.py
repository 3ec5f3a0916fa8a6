"""Running the atlas: the cells of some orders × words as a sweep (``wordtensor.sweep``) into a
folder, then the folder's tables and figure (:func:`run_atlas`, behind ``wordtensor atlas``).

The folder::

    sweep.json      kind "atlas" and the settings (search seconds, seed); a re-run must match
    cells/          <n>_<i>_<word slug>.json: one record per (group, word), see fusion.atlas.cells
    history.json    one entry per run that computed cells (cells, seconds, workers)
    atlas.csv       one row per cell of the request (fusion.atlas.tables)
    atlas.md        the summary and the tables by order
    atlas.png       upper − lower per group and word, exact cells marked

>>> import tempfile
>>> from wordtensor.sweep import SerialExecutor
>>> run = run_atlas("1-6", "xy,[x,y]", tempfile.mkdtemp(), executor=SerialExecutor(),
...                 progress=False)
>>> run.summary["cells"], run.summary["exact"], sorted(p.name for p in run.out.iterdir())
(16, 15, ['atlas.csv', 'atlas.md', 'atlas.png', 'cells', 'history.json', 'sweep.json'])
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wordtensor import Word, __version__
from wordtensor.smallgroups import parse_orders
from wordtensor.storage import atomic_write
from wordtensor.sweep import CellStore, SweepResult, dask_executor, default_workers, run_sweep

from .cells import KIND, atlas_cell, atlas_cells, atlas_settings, split_words
from .figure import plot_atlas
from .tables import atlas_csv, atlas_markdown, atlas_rows, atlas_summary

__all__ = ["AtlasRun", "run_atlas", "default_workers", "orders_text"]


def orders_text(orders: Sequence[int]) -> str:
    """The shortest ``--orders`` text for a list of orders.

    >>> orders_text([1, 2, 3, 8, 12, 13, 14])
    '1-3,8,12-14'
    """
    parts, run = [], []
    for n in sorted(set(orders)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(parts)


@dataclass
class AtlasRun:
    """What :func:`run_atlas` did: the folder, the request (orders, words, settings), the
    sweep's result, the rows and summary of the tables, and the files written.

    >>> import tempfile
    >>> from wordtensor.sweep import SerialExecutor
    >>> run = run_atlas("2", "xy,1", tempfile.mkdtemp(), executor=SerialExecutor(),
    ...                 progress=False)
    >>> d = run.to_json()
    >>> d["cells"], d["exact"], d["failed"][0]["error"].split(":")[0]
    (2, 1, 'the word 1 has no variables')
    """

    out: Path
    orders: list[int]
    words: list[str]
    settings: dict
    sweep: SweepResult
    rows: list[dict]
    summary: dict
    files: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.sweep.complete

    def to_json(self) -> dict:
        s = self.summary
        return {"out": str(self.out), "orders": self.orders, "words": self.words,
                "settings": self.settings, "cells": s["cells"], "computed": len(self.sweep.computed),
                "skipped": len(self.sweep.skipped), "exact": s["exact"], "open": s["open"],
                "failed": s["failures"], "lost": self.sweep.lost,
                "by_word": s["by_word"], "widest": s["widest"], "seconds": self.sweep.seconds,
                "cell_seconds": s["cell_seconds"], "workers": self.sweep.workers,
                "scheduler": self.sweep.address, "files": self.files}


def run_atlas(orders: str | Sequence[int], words: str | Sequence[Word | str], out,
              *, search_seconds: float = 0.0, seed: int = 0, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True, executor=None) -> AtlasRun:
    """Compute (or resume, or extend) the rank atlas of the SmallGroups of ``orders`` × the
    ``words`` into the folder ``out`` and write its tables and figure.

    Cells run as tasks on Dask distributed: a ``LocalCluster`` of ``workers`` processes
    (default: :func:`default_workers`) started here, or the cluster at ``scheduler``; or on the
    given ``executor``. Cells stored in ``out`` by an earlier run with the same settings are
    not computed again. The folder is refused (:class:`~wordtensor.sweep.SweepStoreError`,
    before anything is written) if it is a file, lies under a file, holds something other than
    an atlas, or holds an atlas with other settings.

    >>> import tempfile
    >>> from wordtensor.sweep import SerialExecutor
    >>> out = tempfile.mkdtemp()
    >>> run = run_atlas([8], ["xy", "[x,y]"], out, executor=SerialExecutor(), progress=False)
    >>> len(run.sweep.computed), run.summary["exact"], run.rows[6]["structure"], run.rows[6]["upper"]
    (10, 10, 'Q8', 12)
    >>> again = run_atlas([8], ["xy", "[x,y]"], out, executor=SerialExecutor(), progress=False)
    >>> len(again.sweep.computed), len(again.sweep.skipped)        # resumed: nothing to do
    (0, 10)
    >>> run_atlas([8], ["xy"], out, search_seconds=5, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.sweep.store.SweepStoreError: ... other settings (search_seconds: 0.0, not 5.0); ...
    """
    orders = parse_orders(orders) if isinstance(orders, str) else sorted(set(orders))
    words = split_words(words) if isinstance(words, str) else split_words(
        ",".join(str(w) for w in words))
    settings = atlas_settings(search_seconds, seed)
    if executor is None:
        executor = dask_executor(workers, scheduler)
    cells = atlas_cells(orders, words, settings)
    with CellStore.open(out, KIND, settings) as store:
        result = run_sweep(store, cells, atlas_cell, executor, progress=progress, desc="atlas")
        rows = atlas_rows([result.records.get(c.key) for c in cells],
                          params=[c.params for c in cells])
        run = AtlasRun(store.path, orders, [str(w) for w in words], settings, result, rows,
                       atlas_summary(rows))
        run.files = _write_outputs(store, run)
    return run


def _header(store: CellStore, run: AtlasRun) -> list[str]:
    groups = len({(r["order"], r["index"]) for r in run.rows})
    words = ",".join(run.words)
    command = (f"wordtensor atlas --orders {orders_text(run.orders)} --words {shlex.quote(words)}"
               f" --out DIR" + (f" --search-seconds {run.settings['search_seconds']:g}"
                                if run.settings["search_seconds"] else "")
               + (f" --seed {run.settings['seed']}" if run.settings["seed"] else ""))
    history = [h for h in store.history() if h.get("computed")]
    wall = sum(h.get("seconds", 0.0) for h in history)
    search = run.settings["search_seconds"]
    runs = "; ".join(f"{h['computed']} cells in {h['seconds']:.1f} s on {h['workers']} worker"
                     f"{'s' if h['workers'] != 1 else ''}" + _load(h) for h in history) or "none"
    return [
        "# The rank atlas of the small groups", "",
        f"Certified bounds lower ≤ R(δ_w) ≤ upper on the real tensor rank of the word tensor δ_w "
        f"of every SmallGroup of order {orders_text(run.orders)} ({groups} groups) and "
        f"{len(run.words)} word{'s' if len(run.words) != 1 else ''} "
        f"({', '.join(f'`{w}`' for w in run.words)}): {len(run.rows)} cells, each the rank "
        "report of `fusion.ranks.rank_bounds` (the same as `wordtensor rank SPEC WORD"
        + (f" --search --search-seconds {search:g}" if search else "") + " --json`).", "",
        f"- Made by `{command}` (wordtensor {__version__}, {time.strftime('%Y-%m-%d')}); "
        "`atlas.csv` has every column, `cells/` every report in full.",
        "- Search time: " + (f"{search:g} s of numerical CP search per cell (seed "
                             f"{run.settings['seed']})." if search else
                             "0 s (no numerical CP search: the bounds are the theorems and "
                             "constructions of the rank engine alone)."),
        f"- Wall time: {wall:.1f} s over {len(history)} run{'s' if len(history) != 1 else ''} "
        f"({runs}), cluster start-up included.",
    ]


def _load(entry: dict) -> str:
    """`, load average L on C CPUs`: how busy the machine was when a run started."""
    if entry.get("load_average") is None or not entry.get("cpus"):
        return ""
    return f", load average {entry['load_average']:.1f} on {entry['cpus']} CPUs"


def _write_outputs(store: CellStore, run: AtlasRun) -> dict[str, str]:
    files = {name: str(store.path / name) for name in ("atlas.csv", "atlas.md", "atlas.png")}
    atomic_write(files["atlas.csv"], atlas_csv(run.rows).encode())
    plot_atlas(run.rows, files["atlas.png"],
               title=f"rank intervals of {', '.join(run.words)} on the SmallGroups of order "
                     f"{orders_text(run.orders)}")
    atomic_write(files["atlas.md"], atlas_markdown(run.rows, header=_header(store, run),
                                                   figure="atlas.png").encode())
    return files
