"""Slice bounds: exact 0/1 factors of a word tensor from its matrix slices, for any number of variables.

Fix every mode of δ but two, (p, q): what remains is a 0/1 matrix, and a 0/1 matrix with r
distinct non-zero rows is the sum of r terms (indicator of those rows) ⊗ (the row), so it has
rank ≤ r (and likewise with columns). Summing over the slices, rank(δ) ≤ Σ_slices r. When q is
the output, every row of a slice holds a single 1 and r is the number of distinct values of the
word along the free input. The pair (p, q) with the fewest terms wins; the factors are 0/1 and
the certificate is exact.
"""

from __future__ import annotations

import itertools

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor

from .certificates import UpperBound

__all__ = ["slice_bound"]

#: Reference of the slice bound (an elementary fact about matrix rank).
SLICE_REFERENCE = ("slices: a 0/1 matrix with r distinct non-zero rows has rank <= r, and the "
                   "rank of a tensor is at most the sum of the ranks of its slices")


def _distinct_rows(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row indices kept, group of each kept row) for the distinct non-zero rows of a 0/1 matrix."""
    keep = np.flatnonzero(M.any(axis=1))
    if not len(keep):
        return keep, keep
    packed = np.ascontiguousarray(np.packbits(M[keep], axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, inv = np.unique(keys, return_inverse=True)
    return keep, inv.ravel()


def _output_counts(img: np.ndarray, p: int) -> int:
    """Σ over the slices (all inputs but p fixed) of the number of distinct values along p."""
    s = np.sort(img, axis=p)
    return int(np.sum(np.diff(s, axis=p) != 0) + s.size // s.shape[p])


def _input_pair_slices(img: np.ndarray, p: int, q: int):
    """Yield (fixed index tuple of the other inputs, c, rows kept, groups, transposed) for the
    slices over inputs (p, q), choosing rows or columns per slice (whichever has fewer)."""
    k, n = img.ndim, img.shape[0]
    others = [m for m in range(k) if m not in (p, q)]
    for fixed in itertools.product(range(n), repeat=len(others)):
        index = [slice(None)] * k
        for m, i in zip(others, fixed):
            index[m] = i
        M2 = img[tuple(index)]
        if p > q:
            M2 = M2.T
        for c in np.unique(M2):
            M = M2 == c
            rows, groups = _distinct_rows(M)
            cols, cgroups = _distinct_rows(M.T)
            r_rows = int(groups.max()) + 1 if len(groups) else 0
            r_cols = int(cgroups.max()) + 1 if len(cgroups) else 0
            if r_cols < r_rows:
                yield fixed, int(c), cols, cgroups, True, M
            else:
                yield fixed, int(c), rows, groups, False, M


def _count_input_pair(img: np.ndarray, p: int, q: int) -> int:
    return sum(int(g.max()) + 1 for *_, g, _, _ in _input_pair_slices(img, p, q) if len(g))


def slice_bound(T: WordTensor) -> UpperBound:
    """The slice bound of δ along the pair of modes that needs the fewest terms, with exact 0/1
    factors (built on demand). ``method`` names the modes kept: ``slices(mode m)`` for two
    variables (the mode summed over, as before), ``slices(p,q)`` in general.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.certificates import cp_error
    >>> T = word_tensor("S3", "xy")
    >>> ub = slice_bound(T)
    >>> ub.rank, ub.method, ub.certificate                # one term per (a, output): n² = 36
    (36, 'slices(mode 0)', 'exact')
    >>> cp_error(ub.cp, T), sorted({float(x) for f in ub.cp.factors for x in f.ravel()})
    ((0.0, 'group basis'), [0.0, 1.0])
    >>> slice_bound(word_tensor("S3", "[x,y]")).rank      # along the output: only 13 terms
    13
    >>> ub = slice_bound(word_tensor("Z3", "xyz"))        # three variables: 9 slices of rank 3
    >>> ub.rank, ub.method, cp_error(ub.cp, word_tensor("Z3", "xyz"))[0]
    (27, 'slices(2,3)', 0.0)
    """
    k, n = T.arity, T.n
    img = T.image.reshape((n,) * k)
    options = []
    for p in reversed(range(k)):  # (input p, output): distinct values along p
        options.append((_output_counts(img, p), (p, k)))
    for p, q in itertools.combinations(range(k), 2):
        if n ** (k - 2) * n <= 200_000:  # slices over the output cost a pass each
            options.append((_count_input_pair(img, p, q), (p, q)))
    rank, (p, q) = min(options, key=lambda o: o[0])

    def build():
        factors = [np.zeros((n, rank), dtype=np.int8) for _ in range(k + 1)]
        r = 0
        if q == k:
            others = [m for m in range(k) if m != p]
            for fixed in itertools.product(range(n), repeat=k - 1):
                index = [slice(None)] * k
                for m, i in zip(others, fixed):
                    index[m] = i
                vals = img[tuple(index)]
                for c in np.unique(vals):
                    for m, i in zip(others, fixed):
                        factors[m][i, r] = 1
                    factors[p][vals == c, r] = 1
                    factors[k][c, r] = 1
                    r += 1
        else:
            others = [m for m in range(k) if m not in (p, q)]
            for fixed, c, kept, groups, transposed, M in _input_pair_slices(img, p, q):
                a, b = (q, p) if transposed else (p, q)
                MM = M.T if transposed else M
                for g in range(int(groups.max()) + 1 if len(groups) else 0):
                    members = kept[groups == g]
                    for m, i in zip(others, fixed):
                        factors[m][i, r] = 1
                    factors[a][members, r] = 1
                    factors[b][:, r] = MM[members[0]]
                    factors[k][c, r] = 1
                    r += 1
        if r != rank:  # pragma: no cover - internal consistency
            raise RuntimeError(f"slice bound: counted {rank} terms, built {r}")
        cp = CPTensor((np.ones(rank), [f.astype(np.float64) for f in factors]))
        return cp, (factors, [1] * (k + 1))

    method = f"slices(mode {3 - p - q})" if k == 2 else f"slices({p},{q})"
    return UpperBound(rank, method, "exact", (SLICE_REFERENCE,), build,
                      {"modes_kept": [p, q]})
