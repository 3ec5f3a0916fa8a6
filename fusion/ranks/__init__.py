"""Rank bounds of word tensors, each with the theorem or the verified factors behind it.

Modules, lowest first:

* ``relabel`` — rank-preserving relabellings (a word that is ``xy`` with relabelled inputs);
* ``bound`` — :class:`LowerBound` (value, method, reference, detail) and the references;
* ``minimal_rank`` — Alder–Strassen 2n − t and the minimal-rank +1 from the blocks of R[G];
* ``restriction`` — R[H] inside separated words u(x)·v(y), substitutions of one variable;
* ``koszul`` — Koszul–Young flattenings (Landsberg–Ottaviani), exact;
* ``lower`` — :func:`lower_bounds`: every lower bound above and the flattenings of every grouping
  (exact over Q); the (numerical) bound of a box;
* ``upper`` — constructive upper bounds with factors: the algebra blocks of ``xy``, slices;
* ``box_cover`` — box covers of the support and their bound Σ_boxes rank(δ|box);
* ``certificates`` — the verification of the factors behind an upper bound;
* ``search`` — numerical CP search for better upper bounds (``--search``);
* ``report`` — :func:`rank_bounds` and the :class:`RankReport` it returns.

>>> from fusion.ranks import rank_bounds
>>> r = rank_bounds("S3", "xy")
>>> r.lower, r.upper, r.lower_method, r.upper_method
(9, 9, 'alder-strassen', 'constructive')
>>> sorted(b["rank"] for b in r.details["blocks"])       # 1 + 1 + Strassen's 7
[1, 1, 7]
"""

from .bound import LowerBound
from .box_cover import BoxCover, box_cover
from .lower import box_lower_bound, lower_bound, lower_bounds
from .report import RankReport, rank_bounds
from .upper import constructive_xy

__all__ = ["rank_bounds", "RankReport", "lower_bound", "box_lower_bound", "constructive_xy",
           "BoxCover", "box_cover", "LowerBound", "lower_bounds"]
