"""Rank bounds of word tensors, each with the theorem or the verified factors behind it.

Modules, lowest first:

* ``certificates`` — the UpperBound record, exact (integer) and constructive (residual) checks;
* ``slices`` — exact 0/1 factors from the matrix slices, any number of variables;
* ``relabel`` — rank-preserving relabellings (xy with relabelled inputs, power maps, swaps);
* ``bound`` — :class:`LowerBound` (value, method, reference, detail) and the references;
* ``minimal_rank`` — Alder–Strassen 2n − t and the minimal-rank +1 from the blocks of R[G];
* ``restriction`` — R[H] inside separated words u(x)·v(y), substitutions of one variable;
* ``koszul`` — Koszul–Young flattenings (Landsberg–Ottaviani), exact;
* ``lower`` — :func:`lower_bounds`: every lower bound above and the flattenings of every grouping
  (exact over Q); the (numerical) bound of a box;
* ``upper`` — the algebra blocks of ``xy`` and the block chains of the k-fold product;
* ``compose`` — composition and pull-back of u1(x1)·…·uk(xk) from a subgroup, push-forward;
* ``module`` — the conjugation module bound of u(x)·v(y)·u(x)⁻¹;
* ``box_cover`` — box covers of the support and their bound Σ_boxes rank(δ|box);
* ``sandwich`` — box bounds of u(x)·y·u(x) from rank-one operators;
* ``catalogue`` — exact certificates found by CP search, verified on use;
* ``candidates`` — every upper-bound candidate of a word, the memory guard;
* ``search`` — numerical CP search (``--search``), every fit sent through exactification;
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
