"""Numerical CP search for better upper bounds (``rank --search``), on the tensor and box by box.

Bisection over ranks with :func:`wordtensor.cp_search`. A found fit only becomes a bound after
the report verifies its factors; a failed search proves nothing."""

from __future__ import annotations

import time

from wordtensor import WordTensor

from ..decompose import TripletDecomposition
from .box_cover import BoxCover

__all__: list[str] = []


def bisect_search(target, lower: int, upper: int, budget: float, restarts: int, seed: int,
                   records: list, what: str):
    """Bisection over ranks in [lower, upper) with ``wordtensor.cp_search``: a rank where some
    restart reaches a verified exact fit becomes the new upper bound (a failure proves nothing,
    it only steers the bisection). Returns (rank, CPTensor) of the best success or None; one
    record per tried rank is appended to ``records``.

    >>> from wordtensor import word_tensor
    >>> records = []
    >>> rank, cp = bisect_search(word_tensor("Z2", "xy"), 1, 4, 20.0, 4, 0, records, "tensor")
    >>> rank, [(r["rank"], r["success"]) for r in records]       # Z2: R[Z2] = R × R has rank 2
    (2, [(2, True), (1, False)])
    """
    # the CP engine runs on torch (~2 s to import); only --search needs it
    from wordtensor.cp import cp_search

    t0 = time.perf_counter()
    lo, hi, best = lower, upper, None
    while lo < hi:
        left = budget - (time.perf_counter() - t0)
        if left <= 0:
            break
        mid = (lo + hi) // 2
        res = cp_search(target, mid, restarts=restarts, random_state=seed, time_limit=left)
        records.append({"target": what, "rank": mid, "success": bool(res.success),
                        "error": float(res.error), "seconds": float(res.seconds)})
        if res.success:
            hi, best = mid, (mid, res.cp)
        else:
            lo = mid + 1
    return best


def search_improve(T: WordTensor, dec: TripletDecomposition | None, lower: int, upper: int,
                   bc: BoxCover | None, budget: float, restarts: int, seed: int, records: list):
    """Numerical search on the whole tensor (group basis) and on each box of the cover
    (Fourier coordinates); returns (whole-tensor result, improved box cover or None). Used by
    :func:`fusion.ranks.rank_bounds` with ``search=True``; every result is verified there.

    >>> from wordtensor import word_tensor
    >>> records = []
    >>> whole, cover = search_improve(word_tensor("Z2", "xy"), None, 2, 3, None, 10.0, 4, 0, records)
    >>> whole[0], cover, len(records)
    (2, None, 1)
    """
    t0 = time.perf_counter()
    whole = bisect_search(T, lower, upper, budget / 2, restarts, seed, records, "tensor")
    new_cover = None
    if bc is not None and bc.boxes:
        improved = False
        per_box = (budget - (time.perf_counter() - t0)) / max(1, len(bc.boxes))
        for b in bc.boxes:
            if b.bound <= 1 or per_box <= 0:
                continue
            found = bisect_search(dec.box(b.sets), 1, b.bound, per_box, restarts, seed, records,
                                  "box " + "x".join(str(list(s)) for s in b.sets))
            if found is not None:
                b.bound, b.factors, b.method = found[0], found[1], "cp_search"
                improved = True
        if improved:
            new_cover = BoxCover(bc.boxes, int(sum(b.bound for b in bc.boxes)),
                                 bc.solver + "+search")
    return whole, new_cover
