"""Numerical CP search for better upper bounds (``rank --search``), made exact or reported apart.

Bisection over ranks with :func:`wordtensor.cp.cp_search`, on the whole tensor (group basis) and
box by box (Fourier coordinates). A fit is only a measurement, however small its error: it can
be a border-rank approximation. Every fit of the whole tensor, and the group-basis factors of
an improved box cover, go through :func:`wordtensor.cp.exactify`; only rational factors that
reconstruct δ in integer arithmetic become an exact :class:`~fusion.ranks.certificates.
UpperBound`. The best fit that does not exactify is kept as ``upper_numerical`` (its error and
the CP engine's border-rank symptoms). A failed search proves nothing.
"""

from __future__ import annotations

import math
import time

import numpy as np

from wordtensor import WordTensor

from ..decompose import TripletDecomposition
from .box_cover import BoxCover, box_cover_cp
from .certificates import Rational, UpperBound, rational_cp, rationalize

__all__: list[str] = []

#: Fits with more parameters than this (rank × Σ dimensions) are not sent to exactify: its
#: Levenberg–Marquardt steps solve P × P systems, minutes each past a few thousand.
EXACTIFY_MAX_PARAMS = 3000

SEARCH = ("numerical CP search (wordtensor.cp.cp_search), rounded to rationals by "
          "wordtensor.cp.exactify and verified in integer arithmetic")


def _exact(fit, T: WordTensor, seconds: float) -> tuple[Rational | None, str]:
    """Rational factors of a fit of δ (``rationalize`` first, then ``exactify``), or None, with
    a one-line account. ``fit`` is a CPTensor or a search result; a result that
    ``cp_search`` found block by block (``method="auto:blocks"``) is exactified block by block,
    so its size is that of its largest block."""
    from wordtensor.cp import exactify  # torch: only --search needs it

    blocks = getattr(fit, "method", None) == "auto:blocks"
    cp = fit.cp if hasattr(fit, "cp") else fit
    rat = rationalize(cp, T)
    if rat is not None:
        return rat, "rounded to small rationals"
    if seconds <= 0:
        return None, "no time left to exactify"
    params = int(cp.factors[0].shape[1]) * sum(f.shape[0] for f in cp.factors)
    if params > EXACTIFY_MAX_PARAMS and not blocks:
        return None, f"too large to exactify ({params} parameters > {EXACTIFY_MAX_PARAMS})"
    cert = exactify(fit if blocks else cp, T, time_limit=seconds)
    if not cert.exact:
        return None, f"exactify: {cert.note}"
    nums, dens = [], []
    for F in cert.fractions:
        D = math.lcm(*(int(q.denominator) for q in np.asarray(F).ravel())) if F.size else 1
        nums.append(np.array([[int(q * D) for q in row] for row in np.asarray(F)], dtype=object))
        dens.append(int(D))
    return (nums, dens), f"exactify: {cert.note}"


def _numerical(res, rank: int, what: str) -> dict:
    sym = res.symptoms.as_dict() if res.symptoms is not None else None
    return {"rank": int(rank), "method": what, "relative_error": float(res.error),
            "symptoms": sym}


def bisect_search(target, lower: int, upper: int, budget: float, restarts: int, seed: int,
                  records: list, what: str):
    """Bisection over ranks in [lower, upper) with ``wordtensor.cp.cp_search``: a rank where a
    restart reaches a numerical fit (relative error below the engine's tolerance) steers the
    bisection down (a failure proves nothing and steers it up). Returns the list of successful
    (rank, CPSearchResult), lowest rank last; one record per tried rank is appended to
    ``records``.

    >>> from wordtensor import word_tensor
    >>> records = []
    >>> fits = bisect_search(word_tensor("Z2", "xy"), 1, 4, 20.0, 4, 0, records, "tensor")
    >>> fits[-1][0], [(r["rank"], r["success"]) for r in records]   # R[Z2] = R × R: rank 2
    (2, [(2, True), (1, False)])
    """
    from wordtensor.cp import cp_search  # the CP engine runs on torch (~2 s to import)

    t0 = time.perf_counter()
    lo, hi, fits = lower, upper, []
    while lo < hi:
        left = budget - (time.perf_counter() - t0)
        if left <= 0:
            break
        mid = (lo + hi) // 2
        res = cp_search(target, mid, restarts=restarts, random_state=seed, time_limit=left)
        records.append({"target": what, "rank": mid, "success": bool(res.success),
                        "error": float(res.error), "seconds": float(res.seconds)})
        if res.success:
            hi = mid
            fits.append((mid, res))
        else:
            lo = mid + 1
    return fits


def search_improve(T: WordTensor, dec: TripletDecomposition | None, lower: int, upper: int,
                   bc: BoxCover | None, budget: float, restarts: int, seed: int, records: list
                   ) -> tuple[list[UpperBound], dict | None]:
    """Numerical search on the whole tensor and on each box of the cover, with every fit sent
    through exactification. Returns (exact upper-bound candidates, the best numerical fit that
    did not exactify or None). A third of the budget goes to the whole tensor, a third to the
    boxes and the rest to exactification.

    >>> from wordtensor import word_tensor
    >>> records = []
    >>> cands, numerical = search_improve(word_tensor("Z2", "xy"), None, 2, 3, None, 10.0, 4, 0,
    ...                                   records)
    >>> [(c.rank, c.certificate) for c in cands], numerical, len(records)
    ([(2, 'exact')], None, 2)
    """
    t0 = time.perf_counter()
    out: list[UpperBound] = []
    numerical: dict | None = None

    def left() -> float:
        return budget - (time.perf_counter() - t0)

    fits = bisect_search(T, lower, upper, budget / 3, restarts, seed, records, "tensor")
    for rank, res in sorted(fits, key=lambda f: f[0]):
        rat, note = _exact(res, T, min(30.0, left()))
        records.append({"target": "tensor", "rank": rank, "success": rat is not None,
                        "exactified": rat is not None,
                        "note": note})
        if rat is not None:
            out.append(_found(rank, "cp_search (exactified)", rat, note))
            break
        if numerical is None or rank < numerical["rank"]:
            numerical = _numerical(res, rank, "cp_search") | {"exactify": note}
    if bc is not None and bc.boxes and dec is not None:
        improved, residual = False, None
        per_box = max(0.0, left() - budget / 3) / max(1, len(bc.boxes))
        boxes = []
        for b in bc.boxes:
            nb = type(b)(b.sets, b.triplets, b.bound, b.method, b.factors)
            if b.bound > 1 and per_box > 0:
                bf = bisect_search(dec.box(b.sets), 1, b.bound, per_box, restarts, seed, records,
                                   "box " + "x".join(str(list(s)) for s in b.sets))
                if bf:
                    nb.bound, nb.factors, nb.method = bf[-1][0], bf[-1][1].cp, "cp_search"
                    residual = max(residual or 0.0, float(bf[-1][1].error))
                    improved = True
            boxes.append(nb)
        if improved:
            cover = BoxCover(boxes, int(sum(b.bound for b in boxes)), bc.solver + "+search")
            if cover.bound < upper:
                cp = box_cover_cp(dec, cover)
                rat, note = _exact(cp, T, left())
                records.append({"target": "box cover", "rank": cover.bound, "success": rat is not None,
                                "exactified": rat is not None, "note": note})
                if rat is not None:
                    out.append(_found(cover.bound, "box cover + cp_search (exactified)", rat, note))
                elif numerical is None or cover.bound < numerical["rank"]:
                    numerical = {"rank": cover.bound, "method": "box cover + cp_search",
                                 "relative_error": residual, "symptoms": None, "exactify": note}
    return out, numerical


def _found(rank: int, method: str, rat: Rational, note: str) -> UpperBound:
    cp = rational_cp(rat)
    return UpperBound(rank, method, "exact", (SEARCH,), lambda: cp, {"exactify": note},
                      _cp=cp, rational=rat)
