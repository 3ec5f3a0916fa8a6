"""The rank atlas: certified rank bounds of the word tensors of every SmallGroup of some orders
and some words, computed as a sweep on Dask distributed (``wordtensor atlas``).

Modules, lowest first:

* ``cells`` — one cell per (group, word): its key and the task (:func:`atlas_cell`);
* ``tables`` — the rows, the CSV, the summary and the markdown report grouped by order;
* ``figure`` — the interval widths per group and word (:func:`plot_atlas`);
* ``run`` — :func:`run_atlas`: the sweep into a folder, then its tables and figure;
* ``command`` — the ``atlas`` sub-command.

>>> import tempfile
>>> from wordtensor.sweep import SerialExecutor
>>> run = run_atlas("8", "xy", tempfile.mkdtemp(), executor=SerialExecutor(), progress=False)
>>> [(r["structure"], r["lower"], r["upper"]) for r in run.rows]
[('C8', 11, 11), ('C4 x C2', 10, 10), ('D8', 11, 11), ('Q8', 12, 12), ('C2 x C2 x C2', 8, 8)]
"""

from .cells import atlas_cell, atlas_cells, split_words
from .figure import plot_atlas
from .run import AtlasRun, run_atlas
from .tables import atlas_csv, atlas_markdown, atlas_rows, atlas_summary

__all__ = ["run_atlas", "AtlasRun", "atlas_cell", "atlas_cells", "split_words", "atlas_rows",
           "atlas_csv", "atlas_summary", "atlas_markdown", "plot_atlas"]
