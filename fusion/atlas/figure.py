"""The atlas figure: the width of each rank interval, upper − lower, per group and word, with
the exact cells marked (:func:`plot_atlas`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from wordtensor.storage import atomic_write

__all__ = ["plot_atlas"]


def plot_atlas(rows: Sequence[dict], path, *, title: str = "") -> Path:
    """Draw the rows of :func:`~fusion.atlas.tables.atlas_rows` to a PNG at ``path`` (written
    atomically): one
    column per group in GAP's order (the orders labelled below), one colour per word, the gap
    upper − lower on a symmetric-log axis; exact cells are filled dots on the zero line, open
    cells hollow circles, failed cells grey crosses.

    >>> import tempfile, os
    >>> from fusion.atlas.tables import atlas_rows, _example_records
    >>> png = plot_atlas(atlas_rows(_example_records()), os.path.join(tempfile.mkdtemp(), "a.png"))
    >>> png.suffix, png.stat().st_size > 1000
    ('.png', True)
    """
    from matplotlib.figure import Figure  # matplotlib (~0.3 s): only when a figure is drawn

    groups = list(dict.fromkeys((r["order"], r["index"]) for r in rows))
    column = {g: j for j, g in enumerate(groups)}
    words = list(dict.fromkeys(r["word"] for r in rows))
    fig = Figure(figsize=(min(40.0, max(7.0, 0.09 * len(groups) + 3)), 4.4))
    ax = fig.subplots()
    colours = [f"C{k % 10}" for k in range(len(words))]
    width = 0.8 / max(1, len(words))
    for k, w in enumerate(words):
        these = [r for r in rows if r["word"] == w]
        xs = {s: [column[(r["order"], r["index"])] - 0.4 + (k + 0.5) * width
                  for r in these if _state(r) == s] for s in ("exact", "open", "failed")}
        gaps = [r["gap"] for r in these if _state(r) == "open"]
        ax.scatter(xs["open"], gaps, s=16, facecolors="none", edgecolors=colours[k], lw=0.9,
                   label=f"{w}")
        ax.scatter(xs["exact"], [0] * len(xs["exact"]), s=9, color=colours[k])
        ax.scatter(xs["failed"], [0] * len(xs["failed"]), s=14, marker="x", color="0.5")
    orders = sorted({g[0] for g in groups})
    starts = [min(column[g] for g in groups if g[0] == n) for n in orders]
    ends = [max(column[g] for g in groups if g[0] == n) for n in orders]
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="0.85", lw=0.6, zorder=0)
    ax.set_xticks([(a + b) / 2 for a, b in zip(starts, ends)], [str(n) for n in orders],
                  fontsize=6 if len(orders) > 20 else 8)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_yscale("symlog", linthresh=1)
    top = max([r["gap"] for r in rows if _state(r) == "open"] + [1])
    ax.set_ylim(-0.3, top * 1.6)
    ax.set_xlabel("groups by GAP id, grouped by order n")
    ax.set_ylabel("upper − lower (0: exact, filled)")
    ax.set_title(title or "rank intervals of the word tensors of small groups", fontsize=10,
                 loc="right")
    if words:
        ax.legend(fontsize=7, ncol=len(words) + 1, loc="lower left", bbox_to_anchor=(0, 1.0),
                  frameon=False, title="word  (hollow: open, dot on 0: exact, x: failed)",
                  title_fontsize=7, alignment="left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def _state(row: dict) -> str:
    if row["status"] == "ok":
        return "exact" if row["exact"] else "open"
    return row["status"]
