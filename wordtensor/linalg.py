"""Ranks of matrices and of tensor flattenings — the one place the toolkit computes them.

Exact ranks are over Q, by python-flint (multimodular integer elimination); a rank mod p
(flint's ``nmod_mat``) is a sound *lower* bound for the rank over Q, because every minor that
survives modulo p is non-zero over Z. Numerical ranks count singular values above a relative
tolerance; they are measurements, never proofs.

A *flattening* (unfolding) of a tensor groups its modes into rows ``modes`` and columns (the
rest). Its rank over a field contained in R is a lower bound on the CP rank over R, and for the
0/1 word tensors it is computed exactly, through the integer Gram matrix U Uᵀ (same rank over Q
as U, since U is real).

>>> from wordtensor import word_tensor
>>> flattening_rank(word_tensor("S3", "[x,y]"), (2,))   # the commutators of S3 fill A3
3
>>> [flattening_rank(word_tensor("S3", "xy"), (m,)) for m in range(3)]
[6, 6, 6]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from .errors import ParameterError, TensorTooLargeError, WordTensorError
from .tensors import WordTensor
from .validate import finite_float, integer

__all__ = ["rank_exact", "rank_mod_p", "rank_numerical", "flattening_rank", "flattening_ranks",
           "unfold"]

#: A prime below 2^62 for ranks mod p (flint's nmod_mat takes word-sized moduli).
PRIME = 4611686018427387847

_MAX_GRAM_ENTRIES = 1 << 26  # 64 Mi entries: the largest Gram matrix formed (≈ 512 MiB int64)


def _integer_matrix(M: object) -> np.ndarray:
    A = M.toarray() if hasattr(M, "toarray") else np.asarray(M)
    if A.ndim != 2:
        raise WordTensorError(f"a matrix must be 2-dimensional, got shape {A.shape}")
    if A.dtype.kind in "biu":
        return A.astype(object) if A.dtype.kind == "u" and A.dtype.itemsize == 8 else A
    if A.dtype.kind == "f":
        if not np.all(np.isfinite(A)):
            raise WordTensorError("an exact rank needs finite entries; this matrix has NaN or inf")
        R = np.rint(A)
        if not np.array_equal(R, A):
            raise WordTensorError("an exact rank needs integer entries; use rank_numerical for "
                                  "floating-point matrices")
        return R.astype(np.int64)
    if A.dtype == object:
        return A
    raise WordTensorError(f"cannot take the exact rank of a matrix of dtype {A.dtype}")


def rank_exact(M: object) -> int:
    """The rank over Q of an integer matrix (numpy array, scipy sparse matrix or nested lists;
    floats must be integer-valued), by python-flint.

    >>> rank_exact([[1, 2], [2, 4]]), rank_exact(np.eye(3, dtype=int))
    (1, 3)
    """
    import flint  # 40 ms to import: only for exact ranks

    A = _integer_matrix(M)
    if 0 in A.shape:
        return 0
    return int(flint.fmpz_mat([[int(v) for v in row] for row in A]).rank())


def rank_mod_p(M: object, p: int = PRIME) -> int:
    """The rank modulo the prime ``p`` of an integer matrix: a lower bound on its rank over Q.

    >>> rank_mod_p([[1, 2], [3, 4]]), rank_mod_p([[1, 2], [3, 4]], p=2)
    (2, 1)
    >>> rank_mod_p([[2, 0], [0, 2]], p=4)   # Z/4 is no field: refused
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: p must be a prime, got 4 (e.g. 4611686018427387847)
    """
    import flint  # 40 ms to import: only for exact ranks

    p = integer(p, "p", minimum=2)
    if not flint.fmpz(p).is_prime():
        raise ParameterError(f"p must be a prime, got {p} (e.g. {PRIME})")
    A = _integer_matrix(M)
    if 0 in A.shape:
        return 0
    A = np.mod(A, int(p)) if A.dtype != object else np.vectorize(lambda v: int(v) % int(p))(A)
    return int(flint.nmod_mat([[int(v) for v in row] for row in A], int(p)).rank())


def rank_numerical(M: object, tol: float = 1e-9) -> int:
    """The number of singular values above ``tol`` × the largest one (0 for a zero matrix).
    A measurement, not a proof.

    >>> rank_numerical(np.diag([1.0, 1e-3, 1e-12])), rank_numerical(np.diag([1.0, 1e-3]), tol=1e-2)
    (2, 1)
    """
    tol = finite_float(tol, "tol", minimum=0, maximum=1, open_min=True, open_max=True)
    A = M.toarray() if hasattr(M, "toarray") else np.asarray(M, dtype=float)
    if A.ndim != 2:
        raise WordTensorError(f"a matrix must be 2-dimensional, got shape {A.shape}")
    if 0 in A.shape:
        return 0
    s = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(s > tol * s[0])) if s[0] > 0 else 0


def _as_coo(tensor: object):
    """(coords, values, shape) of a WordTensor, a dense array or a (coords, values, shape)
    triple."""
    if isinstance(tensor, WordTensor):
        return tensor.coords, tensor.values, tuple(tensor.shape)
    if isinstance(tensor, tuple) and len(tensor) == 3:
        coords, values, shape = tensor
        return (np.asarray(coords, dtype=np.int64), np.asarray(values), tuple(int(s) for s in shape))
    A = np.asarray(tensor)
    if A.dtype == object or A.dtype.kind not in "biuf":
        raise WordTensorError(f"expected a WordTensor, an array or a COO triple, got {type(tensor).__name__}")
    nz = np.nonzero(A)
    return np.stack(nz, axis=1).astype(np.int64), A[nz], A.shape


def _modes(modes: Sequence[int] | int, ndim: int) -> tuple[int, ...]:
    ms = (modes,) if isinstance(modes, (int, np.integer)) else tuple(modes)
    if not ms or len(set(ms)) != len(ms) or not all(isinstance(m, (int, np.integer)) and 0 <= m < ndim
                                                     for m in ms):
        raise WordTensorError(f"modes must be distinct integers in 0..{ndim - 1}, got {modes!r}")
    if len(ms) == ndim:
        raise WordTensorError("a flattening needs at least one mode on each side")
    return tuple(int(m) for m in ms)


def unfold(tensor: object, modes: Sequence[int] | int):
    """The flattening with the modes ``modes`` as rows (C order) and the others as columns,
    as a scipy CSR matrix.

    >>> from wordtensor import word_tensor
    >>> unfold(word_tensor("Z3", "xy"), (0, 1)).shape
    (9, 3)
    """
    import scipy.sparse as sp  # 0.2 s to import: only for the flattenings

    coords, values, shape = _as_coo(tensor)
    ms = _modes(modes, len(shape))
    rest = tuple(m for m in range(len(shape)) if m not in ms)
    rshape = tuple(shape[m] for m in ms)
    cshape = tuple(shape[m] for m in rest)
    rows = np.ravel_multi_index(tuple(coords[:, list(ms)].T), rshape)
    cols = np.ravel_multi_index(tuple(coords[:, list(rest)].T), cshape)
    return sp.csr_matrix((values, (rows, cols)), shape=(math.prod(rshape), math.prod(cshape)))


def flattening_rank(tensor: object, modes: Sequence[int] | int, *, exact: bool = True,
                    tol: float = 1e-9, max_entries: int = _MAX_GRAM_ENTRIES) -> int:
    """The rank of the flattening ``modes`` | rest of ``tensor``: a lower bound on its CP rank.

    ``exact=True`` (integer tensors, e.g. word tensors): the rank over Q, exactly; that is a
    theorem-grade lower bound on the real CP rank. ``exact=False``: the numerical rank with
    relative tolerance ``tol`` (any real tensor; a measurement). The smaller side of the
    flattening is formed as a Gram matrix; past ``max_entries`` entries a
    :class:`~wordtensor.errors.TensorTooLargeError` says how large it would be.

    >>> from wordtensor import word_tensor
    >>> T = word_tensor("Z2", "xyz")           # 4-way: (x, y, z, output)
    >>> flattening_rank(T, (0, 1)), flattening_rank(T, (3,))
    (2, 2)
    >>> flattening_rank(np.einsum("i,j,k->ijk", [1., 2], [1., 0], [3., 1]), 0, exact=False)
    1
    """
    U = unfold(tensor, modes)
    small = min(U.shape)
    if small == 0 or U.nnz == 0:
        return 0
    if not exact and U.shape[0] * U.shape[1] <= max_entries:
        return rank_numerical(U, tol=tol)  # the SVD of U itself: full precision
    if small * small > max_entries:
        raise TensorTooLargeError(
            f"the flattening {tuple(np.atleast_1d(modes).tolist())} is {U.shape[0]} × {U.shape[1]}; its Gram "
            f"matrix would have {small * small:,} entries (limit {max_entries:,})")
    G = ((U @ U.T) if U.shape[0] <= U.shape[1] else (U.T @ U)).toarray()
    if exact:
        return rank_exact(G)
    # singular values of U are the square roots of G's eigenvalues (≈ 1e-8 relative precision)
    sv = np.sqrt(np.clip(np.linalg.eigvalsh(G), 0, None))
    return int(np.sum(sv > max(tol, 1e-7) * sv.max())) if sv.max() > 0 else 0


def flattening_ranks(tensor: object, *, exact: bool = True, groupings: str = "single",
                     tol: float = 1e-9) -> list[dict]:
    """The rank of every flattening: each single mode against the rest (``groupings="single"``)
    or every split of the modes into two non-empty sides, up to swapping
    (``groupings="all"``). Rows: ``{"modes": (..), "rank": r}``.

    >>> from wordtensor import word_tensor
    >>> [f["rank"] for f in flattening_ranks(word_tensor("S3", "[x,y]"))]
    [6, 6, 3]
    >>> len(flattening_ranks(word_tensor("Z2", "xyz"), groupings="all"))   # 4 + 3 splits
    7
    """
    _, _, shape = _as_coo(tensor)
    d = len(shape)
    if groupings == "single":
        splits = [(m,) for m in range(d)]
    elif groupings == "all":
        splits = []
        for size in range(1, d // 2 + 1):
            for c in itertools.combinations(range(d), size):
                if size * 2 == d and 0 not in c:
                    continue  # the same split as its complement
                splits.append(c)
    else:
        raise WordTensorError(f"groupings must be 'single' or 'all', got {groupings!r}")
    return [{"modes": s, "rank": flattening_rank(tensor, s, exact=exact, tol=tol)} for s in splits]
