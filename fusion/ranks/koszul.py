"""Koszul–Young flattenings: border-rank lower bounds stronger than flattenings, computed exactly.

For T ∈ A ⊗ B ⊗ C and a linear map π: A → A' with dim A' = 2p + 1, the Koszul–Young
flattening of T' = (π ⊗ 1 ⊗ 1) T is

    T'^∧p: Λ^p A' ⊗ B* → Λ^{p+1} A' ⊗ C,   X ⊗ β ↦ Σ_i β(b_i) (a_i ∧ X) ⊗ c_i

for T' = Σ_i a_i ⊗ b_i ⊗ c_i. A rank-one tensor gives a map of rank C(2p, p), so
(Landsberg & Ottaviani, "New lower bounds for the border rank of matrix multiplication",
Theory of Computing 11 (2015) 285–298)

    rank(T) ≥ border rank(T) ≥ border rank(T') ≥ ⌈rank(T'^∧p) / C(2p, p)⌉.

The projection π is a random *integer* matrix (seeded, so the bound can be reproduced), T'^∧p
is an integer matrix, and its rank is taken modulo a 62-bit prime
(:func:`wordtensor.linalg.rank_mod_p`), which is a lower bound on its rank over Q, hence over
R and C. So the number is a theorem whatever the projection; a generic projection makes it as
large as the method allows. For a (k+1)-way tensor the modes are grouped into three (A, B, C):
the rank of the grouped 3-way tensor is at most the rank of the (k+1)-way one.

The matrix has C(2p+1, p+1)·dim C rows and C(2p+1, p)·dim B columns (10n × 10n for p = 2 on
an n × n × n tensor); a configuration over ``max_dim`` is skipped and the skip is reported.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from wordtensor.errors import WordTensorError
from wordtensor.linalg import PRIME, rank_mod_p, unfold

from .bound import REFERENCES, LowerBound

__all__ = ["koszul_young_matrix", "koszul_young_bound", "koszul_young_bounds"]

#: Projection entries are drawn uniformly from [-_ENTRY, _ENTRY].
_ENTRY = 1 << 10
#: The largest side of a Koszul–Young matrix formed by default: p = 3 on a tensor of side 60
#: (A5) is C(7, 4)·60 = 2100, its rank mod p ≈ 2.5 s and 250 MiB.
MAX_DIM = 2100
#: p ≥ 3 is tried on a grouping only if p − 1 came within this much of its ceiling.
_SLACK = 2


def _shape(tensor: object) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _split(ndim: int, grouping) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(A, B, C) mode groups from a triple of groups, or from the projected modes A alone
    (then B is the smallest other mode and C the rest)."""
    if len(grouping) == 3 and all(isinstance(g, (tuple, list)) for g in grouping):
        a, b, c = (tuple(int(m) for m in g) for g in grouping)
    else:
        a = tuple(int(m) for m in grouping)
        rest = [m for m in range(ndim) if m not in a]
        b, c = tuple(rest[:1]), tuple(rest[1:])
    if sorted(a + b + c) != list(range(ndim)) or not (a and b and c):
        raise WordTensorError(f"a Koszul–Young flattening groups the modes 0..{ndim - 1} into "
                              f"three non-empty groups (A, B, C), got {grouping!r}")
    return a, b, c


def _projected(tensor: object, groups, P: np.ndarray) -> np.ndarray:
    """T' = (P ⊗ 1 ⊗ 1) T as an integer array of shape (2p+1, dim B, dim C)."""
    a, b, c = groups
    shape = _shape(tensor)
    U = unfold(tensor, a)  # rows: A (C order), columns: the other modes in increasing order
    vals = U.data
    if not np.array_equal(vals, np.rint(vals)):
        raise WordTensorError("an exact Koszul–Young bound needs an integer tensor")
    U = U.astype(np.int64)
    Tp = np.asarray((U.T @ P.T).T)  # (k, prod rest), exact int64
    rest = sorted(b + c)
    Tp = Tp.reshape((P.shape[0],) + tuple(shape[m] for m in rest))
    perm = [0] + [1 + rest.index(m) for m in b + c]
    Tp = Tp.transpose(perm)
    return Tp.reshape(P.shape[0], math.prod(shape[m] for m in b), math.prod(shape[m] for m in c))


def koszul_young_matrix(Tp: np.ndarray, p: int) -> np.ndarray:
    """The matrix of T'^∧p: Λ^p A' ⊗ B* → Λ^{p+1} A' ⊗ C for T' of shape (dim A', dim B, dim C)
    (integer entries): rows (R, c) for the (p+1)-subsets R of A' in lexicographic order,
    columns (S, b) for the p-subsets S; the block (S ∪ {i}, S) is ±T'[i]ᵀ, the sign that of
    e_i ∧ e_S = ±e_{S∪{i}}.

    >>> Tp = np.zeros((3, 2, 2), dtype=np.int64); Tp[0] = np.eye(2, dtype=np.int64)
    >>> koszul_young_matrix(Tp, 1).shape     # a rank-one slice: rank C(2, 1) · 2 = 4
    (6, 6)
    >>> from wordtensor.linalg import rank_exact
    >>> rank_exact(koszul_young_matrix(Tp, 1))
    4
    """
    if not isinstance(p, int) or p < 0:
        raise WordTensorError(f"p must be a non-negative integer, got {p!r}")
    k, nb, nc = Tp.shape
    cols = {S: j for j, S in enumerate(itertools.combinations(range(k), p))}
    rows = {R: j for j, R in enumerate(itertools.combinations(range(k), p + 1))}
    M = np.zeros((len(rows) * nc, len(cols) * nb), dtype=np.int64)
    for S, j in cols.items():
        for i in range(k):
            if i in S:
                continue
            R = tuple(sorted(S + (i,)))
            sign = -1 if sum(s < i for s in S) % 2 else 1
            r = rows[R]
            M[r * nc:(r + 1) * nc, j * nb:(j + 1) * nb] += sign * Tp[i].T
    return M


def koszul_young_bound(tensor: object, grouping: Sequence = (0,), p: int = 2, *,
                       seed: int = 0) -> LowerBound:
    """The Koszul–Young bound ⌈rank(T'^∧p) / C(2p, p)⌉ with the modes ``grouping`` (A; or a
    triple (A, B, C) of mode groups) projected to dimension 2p + 1 by a seeded random integer
    matrix. ``tensor`` is a WordTensor, an integer-valued array or a COO triple.

    >>> from wordtensor import word_tensor
    >>> b = koszul_young_bound(word_tensor("S3", "xyx"), (0,), p=1)
    >>> b.value, b.method, b.detail["rank"], b.detail["matrix"]
    (8, 'koszul-young', 16, [18, 18])
    >>> from fusion.algebras import matmul_tensor
    >>> koszul_young_bound(matmul_tensor(2, 2, 2), p=1).value    # Strassen's equations: 6 ≤ 7
    6
    """
    shape = _shape(tensor)
    groups = _split(len(shape), grouping)
    a, b, c = groups
    k = 2 * p + 1
    dim_a = math.prod(shape[m] for m in a)
    rng = np.random.default_rng(seed)
    P = rng.integers(-_ENTRY, _ENTRY + 1, size=(k, dim_a), dtype=np.int64)
    Tp = _projected(tensor, groups, P)
    M = koszul_young_matrix(Tp, p)
    r = rank_mod_p(M)
    denom = math.comb(2 * p, p)
    detail = {"modes": {"A": a, "B": b, "C": c}, "p": p, "projected_dim": k,
              "matrix": list(M.shape), "rank": r, "rank_field": f"GF({PRIME}) (≤ rank over Q)",
              "divisor": denom, "projection": {"rng": "numpy.random.default_rng", "seed": seed,
                                               "entries": [-_ENTRY, _ENTRY], "shape": [k, dim_a]}}
    return LowerBound(-(-r // denom), "koszul-young", REFERENCES["koszul-young"], detail)


def koszul_young_bounds(tensor: object, *, ps: Sequence[int] = (1, 2, 3), max_dim: int = MAX_DIM,
                        beat: int = 0, seed: int = 0) -> tuple[list[LowerBound], list[str]]:
    """The Koszul–Young bounds for every choice of the projected modes A (for a (k+1)-way
    tensor: every group A that leaves two single modes B, C), for each p in ``ps``:
    (bounds, skipped). Skipped, to save time (the bounds stay theorems): a configuration whose
    best possible value ⌊min side / C(2p, p)⌋ cannot exceed ``beat`` (a bound already known)
    or the bounds found so far; one whose matrix side exceeds ``max_dim``, with a line in
    ``skipped``; and p ≥ 3 on a grouping where p − 1 stayed more than ``_SLACK`` below its own
    ceiling (the large matrices pay off only near saturation).

    >>> from wordtensor import word_tensor
    >>> bounds, skipped = koszul_young_bounds(word_tensor("S3", "xyx"), ps=(1, 2))
    >>> max(b.value for b in bounds), skipped          # the flattenings give 6
    (8, [])
    >>> koszul_young_bounds(word_tensor("S3", "xyx"), ps=(2,), max_dim=30)[1][0]
    'koszul-young p=2, A=(0,): the matrix would be 60 × 60 (max_dim 30)'
    """
    shape = _shape(tensor)
    d = len(shape)
    if d < 3:
        return [], []
    configs = []
    for size in range(1, d - 1):
        for a in itertools.combinations(range(d), size):
            rest = [m for m in range(d) if m not in a]
            if len(rest) == 2:
                configs.append((a, (rest[0],), (rest[1],)))
    out: list[LowerBound] = []
    skipped: list[str] = []
    short: dict[tuple, int] = {}  # grouping -> how far its last p stayed below its ceiling
    for p in sorted(ps):
        denom = math.comb(2 * p, p)
        for a, b, c in configs:
            nr = math.comb(2 * p + 1, p + 1) * shape[c[0]]
            nc = math.comb(2 * p + 1, p) * shape[b[0]]
            ceiling = min(nr, nc) // denom
            if ceiling <= max([beat] + [x.value for x in out]):
                continue
            if p >= 3 and short.get(a, 0) > _SLACK:
                continue
            if max(nr, nc) > max_dim:
                skipped.append(f"koszul-young p={p}, A={a}: the matrix would be {nr} × {nc} "
                               f"(max_dim {max_dim})")
                continue
            out.append(koszul_young_bound(tensor, (a, b, c), p, seed=seed))
            short[a] = ceiling - out[-1].value
    return out, skipped
