"""Box covers of the support and their bound: rank(δ) ≤ Σ_boxes rank(δ restricted to the box).

A box is A × B × C of bsc sets; a cover partitions the support of the triplet decomposition into
boxes, each with a bound and factors.

Each box is bounded by its multilinear rank (r1 r2 r3 → min of the pairwise products, with
Tucker factors) or, for a singleton box with a ``known`` bound (a diagonal block of ``xy``), by
that bound. The cover minimises the sum: an exact integer program (scipy's MILP) over candidate
boxes, a greedy cover past ``milp_limit`` candidates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor

from wordtensor import validate
from wordtensor.errors import WordTensorError

from ..decompose import TripletDecomposition

__all__ = ["BoxCover", "box_cover"]


@dataclass
class Box:
    """One box A × B × C of bsc sets with the support triplets inside it, a bound on the rank
    of δ restricted to it, the method of that bound, and its factors (a CPTensor in the Fourier
    coordinates of the box, :meth:`~fusion.decompose.TripletDecomposition.box`).

    >>> from fusion.decompose import decompose
    >>> b = box_cover(decompose("S3", "xy")).boxes[2]
    >>> b.sets, b.triplets, b.bound, b.method
    (((2,), (2,), (2,)), ((2, 2, 2),), 16, 'multilinear(4, 4, 4)')
    >>> b.to_json()["bound"]
    16
    """

    sets: tuple[tuple[int, ...], ...]
    triplets: tuple[tuple[int, ...], ...]  # support triplets inside
    bound: int
    method: str
    factors: object = field(default=None, repr=False)  # CPTensor in Fourier coordinates of the box

    def to_json(self) -> dict:
        return {"sets": [list(s) for s in self.sets], "triplets": [list(t) for t in self.triplets],
                "bound": self.bound, "method": self.method}


@dataclass
class BoxCover:
    """Boxes partitioning the support and the bound Σ_boxes bound(box).

    >>> from fusion.ranks import rank_bounds
    >>> bc = rank_bounds("S3", "xy").box_cover
    >>> len(bc.boxes), bc.bound, bc.solver
    (3, 9, 'milp')
    >>> [(b.sets, b.bound, b.method) for b in bc.boxes][2]
    (((2,), (2,), (2,)), 7, 'strassen')
    >>> bc.to_json()["bound"]
    9
    """

    boxes: list[Box]
    bound: int
    solver: str

    def to_json(self) -> dict:
        return {"bound": self.bound, "solver": self.solver,
                "boxes": [b.to_json() for b in self.boxes]}


def tucker_bound(X: np.ndarray, tol: float = 1e-12) -> tuple[int, CPTensor, str]:
    """(bound, CP factors, method) from the multilinear rank (r1, r2, r3) of a 3-way array:
    rank(X) ≤ min(r1 r2, r1 r3, r2 r3), with explicit CP factors from the truncated HOSVD (the
    core expanded along its largest mode). The ranks r_m are numerical (relative tolerance
    ``tol`` on σ²); the factors are verified with the whole certificate.

    >>> X = np.einsum("i,j,k->ijk", [1., 2], [1., 0, 1], [3., 1]) + np.einsum(
    ...     "i,j,k->ijk", [0., 1], [1., 1, 0], [1., 0])
    >>> bound, cp, method = tucker_bound(X)
    >>> bound, method, bool(np.allclose(tl.cp_to_tensor(cp), X))
    (4, 'multilinear(2, 2, 2)', True)
    """
    Us, rs = [], []
    for m in range(3):
        M = tl.unfold(X, m)
        ev, Uu = np.linalg.eigh(M @ M.T)  # squared singular values, ascending
        ev, Uu = ev[::-1], Uu[:, ::-1]
        r = int(np.sum(ev > tol * max(1.0, ev[0] if len(ev) else 1.0)))  # σ² ratio
        Us.append(Uu[:, :r])
        rs.append(r)
    if min(rs) == 0:
        return 0, CPTensor((np.zeros(0), [np.zeros((s, 0)) for s in X.shape])), "zero"
    core = tl.tenalg.multi_mode_dot(X, [U.T for U in Us])
    # expand the core along the mode with the largest rank: Σ_{j,k} core[:, j, k] ⊗ e_j ⊗ e_k
    big = int(np.argmax(rs))
    others = [m for m in range(3) if m != big]
    terms = list(itertools.product(range(rs[others[0]]), range(rs[others[1]])))
    facs = [np.zeros((X.shape[m], len(terms))) for m in range(3)]
    core_m = np.moveaxis(core, big, 0)
    for r, (j, k) in enumerate(terms):
        facs[big][:, r] = Us[big] @ core_m[:, j, k]
        facs[others[0]][:, r] = Us[others[0]][:, j]
        facs[others[1]][:, r] = Us[others[1]][:, k]
    return len(terms), CPTensor((np.ones(len(terms)), facs)), f"multilinear{tuple(rs)}"


def _candidate_boxes(support: list[tuple[int, ...]]) -> list[tuple[tuple[int, ...], ...]]:
    S = set(support)
    cands = set()
    proj = [sorted({t[m] for t in S}) for m in range(3)]
    cands.add(tuple(tuple(p) for p in proj))
    for t in S:
        cands.add(tuple((i,) for i in t))
    for m in range(3):
        for v in proj[m]:
            sub = [t for t in S if t[m] == v]
            sets = [tuple(sorted({t[j] for t in sub})) for j in range(3)]
            cands.add(tuple(sets))
    for m1, m2 in itertools.combinations(range(3), 2):
        for t in S:
            sub = [u for u in S if u[m1] == t[m1] and u[m2] == t[m2]]
            cands.add(tuple(tuple(sorted({u[j] for u in sub})) for j in range(3)))
    return sorted(cands)


def box_cover(dec: TripletDecomposition, *, known: dict | None = None, milp_limit: int = 3000,
              max_box_entries: int = 4_000_000) -> BoxCover:
    """A minimal-bound box cover of the support (scipy MILP over candidate boxes: the whole
    projection box, single triplets, all-one-index slabs and two-index fibres; greedy when there
    are more than ``milp_limit`` candidates). ``known`` maps a triplet to (rank, method, CP in
    Fourier coordinates) used for singleton boxes (e.g. diagonal blocks of xy), or box sets
    ``(A, B, C)`` to the same for that box (e.g. the sandwich boxes of
    :func:`~fusion.ranks.sandwich.sandwich_boxes`), which join the candidates. Boxes with more
    than ``max_box_entries`` entries are left out unless they are a single triplet (which takes a
    known bound without its multilinear rank), so that a big group costs its blocks, never n³.

    >>> from fusion.decompose import decompose
    >>> from fusion.ranks import rank_bounds
    >>> d = decompose("S3", "xy")
    >>> bc = box_cover(d)                    # multilinear (Tucker) bounds only: 1 + 1 + 4·4
    >>> [(b.sets, b.bound) for b in bc.boxes], bc.bound
    ... # doctest: +NORMALIZE_WHITESPACE
    ([(((0,), (0,), (0,)), 1), (((1,), (1,), (1,)), 1), (((2,), (2,), (2,)), 16)], 18)
    >>> known = {b.triplets[0]: (b.bound, b.method, b.factors)
    ...          for b in rank_bounds("S3", "xy").box_cover.boxes}
    >>> bc = box_cover(d, known=known)       # with Strassen's 7 for the M_2(R) block
    >>> len(bc.boxes), bc.bound
    (3, 9)
    """
    validate.instance(dec, "dec", TripletDecomposition, "a TripletDecomposition",
                      hint="make one with fusion.decompose(spec, word)")
    # scipy.optimize costs ~0.3 s to import and only the MILP needs it
    from scipy.optimize import LinearConstraint, milp

    if dec.tensor.ndim != 3:
        raise WordTensorError("box covers are implemented for two-variable words")
    support = dec.support
    if not support:
        return BoxCover([], 0, "empty")
    F = dec.basis
    boxes = []
    known = known or {}
    given = {k: v for k, v in known.items() if k and isinstance(k[0], tuple)}
    for sets, (kr, km, kcp) in given.items():
        inside = tuple(t for t in support if all(t[m] in sets[m] for m in range(3)))
        if inside:
            boxes.append(Box(tuple(tuple(x) for x in sets), inside, int(kr), km, kcp))
    for sets in _candidate_boxes(support):
        inside = tuple(t for t in support if all(t[m] in sets[m] for m in range(3)))
        if not inside:
            continue
        size = int(np.prod([sum(F.slices[i].stop - F.slices[i].start for i in s) for s in sets]))
        single = (len(inside) == 1 and all(len(s) == 1 for s in sets) and inside[0] in known)
        if size > max_box_entries and not all(len(s) == 1 for s in sets):
            continue
        if size > max_box_entries and single:
            bound, method, cp = known[inside[0]]
        else:
            bound, cp, method = tucker_bound(dec.box(sets))
            if single:
                kr, km, kcp = known[inside[0]]
                if kr < bound:
                    bound, cp, method = kr, kcp, km
        boxes.append(Box(sets, inside, bound, method, cp))
    idx = {t: i for i, t in enumerate(support)}
    A = np.zeros((len(support), len(boxes)))
    for j, b in enumerate(boxes):
        for t in b.triplets:
            A[idx[t], j] = 1
    cost = np.array([b.bound for b in boxes], dtype=float)
    if len(boxes) <= milp_limit:
        res = milp(cost, constraints=LinearConstraint(A, 1, 1), integrality=np.ones(len(boxes)),
                   bounds=(0, 1))
        if res.status == 0:
            chosen = [boxes[j] for j in np.flatnonzero(res.x > 0.5)]
            return BoxCover(chosen, int(sum(b.bound for b in chosen)), "milp")
    covered, chosen = set(), []
    while len(covered) < len(support):
        ok = [b for b in boxes if not covered & set(b.triplets)]
        b = min(ok, key=lambda b: b.bound / len(b.triplets))
        chosen.append(b)
        covered |= set(b.triplets)
    return BoxCover(chosen, int(sum(b.bound for b in chosen)), "greedy")


def box_cover_cp(dec: TripletDecomposition, cover: BoxCover) -> CPTensor:
    """The group-basis CP assembled from the boxes' factors: each box's Fourier-coordinate factors
    mapped back through the rows of its bscs; it has ``cover.bound`` terms.

    >>> from wordtensor import word_tensor
    >>> from fusion.decompose import decompose
    >>> from fusion.ranks.certificates import cp_error
    >>> dec = decompose("S3", "xyX")
    >>> cover = box_cover(dec)
    >>> cp = box_cover_cp(dec, cover)
    >>> cp.factors[0].shape[1] == cover.bound, bool(cp_error(cp, word_tensor("S3", "xyX"))[0] < 1e-9)
    (True, True)
    """
    F = dec.basis
    n = dec.tensor.n
    ws, facs = [], [[], [], []]
    for b in cover.boxes:
        w, fs = b.factors
        ws.append(w)
        for m in range(3):
            rows = np.concatenate([F.rows(i) for i in b.sets[m]], axis=0)
            facs[m].append(rows.T @ fs[m])
    if not ws:
        return CPTensor((np.zeros(0), [np.zeros((n, 0))] * 3))
    return CPTensor((np.concatenate(ws), [np.concatenate(f, axis=1) for f in facs]))
