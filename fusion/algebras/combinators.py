"""Exact transformations of decompositions: Kronecker products, re-indexing, symmetries, restriction.

The symmetries are the six of ⟨n, m, p⟩ (cyclic and transpose); restriction goes to a
sub-format; block sums go along one dimension."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import WordTensorError

from .decompositions import cp_parts, make_cp
from .tensors import positive_int

__all__: list[str] = []


def kronecker(cp1: CPTensor, cp2: CPTensor) -> CPTensor:
    """Kronecker product of two decompositions (rank ``r1 * r2``).

    If ``cp1`` decomposes ``T1`` and ``cp2`` decomposes ``T2`` then the result decomposes
    :func:`kron_tensor` ``(T1, T2)``, index ``i_1 * dim_2 + i_2`` in every mode; for algebras this
    is the multiplication tensor of ``A (x) B``.  Term ``(r1, r2)`` sits at column
    ``r1 * rank_2 + r2``.

    >>> from fusion.algebras import multiplication_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> from fusion.algebras.named import gauss_complex, standard_matmul
    >>> from fusion.algebras.decompositions import n_terms
    >>> cp = kronecker(standard_matmul(2, 2, 2), gauss_complex())
    >>> n_terms(cp), verify(cp, multiplication_tensor("C", 2))
    (24, 0.0)
    """
    w1, f1 = cp_parts(cp1, "cp1")
    w2, f2 = cp_parts(cp2, "cp2")
    if len(f1) != len(f2):
        raise WordTensorError(
            f"kronecker needs decompositions of the same order, got {len(f1)} and {len(f2)}"
        )
    factors = []
    for A, B in zip(f1, f2, strict=True):
        K = A[:, None, :, None] * B[None, :, None, :]
        factors.append(K.reshape(A.shape[0] * B.shape[0], A.shape[1] * B.shape[1]))
    return make_cp(factors, np.kron(w1, w2))


def permute_modes(cp: CPTensor, perms: Sequence[Sequence[int] | None]) -> CPTensor:
    """Re-index the modes of a decomposition.

    ``perms[t]`` is a permutation of ``range(dim_t)`` (or ``None`` for the identity); the result
    decomposes ``T'[a, b, c] = T[perms[0][a], perms[1][b], perms[2][c]]``, i.e. row ``a`` of the
    new factor is row ``perms[t][a]`` of the old one.

    >>> from fusion.algebras import multiplication_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> from fusion.algebras.named import gauss_complex
    >>> cp = permute_modes(gauss_complex(), [None, None, [1, 0]])  # outputs (im, re)
    >>> verify(cp, multiplication_tensor("C")[:, :, [1, 0]])
    0.0
    """
    weights, factors = cp_parts(cp)
    if len(perms) != len(factors):
        raise WordTensorError(f"need {len(factors)} permutations (or None), got {len(perms)}")
    out = []
    for t, (F, perm) in enumerate(zip(factors, perms, strict=True)):
        if perm is None:
            out.append(F.copy())
            continue
        perm = np.asarray(perm)
        if perm.shape != (F.shape[0],) or not np.array_equal(np.sort(perm), np.arange(F.shape[0])):
            raise WordTensorError(f"perms[{t}] is not a permutation of range({F.shape[0]})")
        out.append(F[perm])
    return make_cp(out, weights.copy())


def matmul_kron_permutation(n1: int, m1: int, n2: int, m2: int) -> np.ndarray:
    """Index map from the Kronecker basis of ``M_{n1 x m1} (x) M_{n2 x m2}`` to ``M_{n x m}``.

    ``E_{i1 j1} (x) E_{i2 j2}`` has Kronecker index ``(i1*m1 + j1) * (n2*m2) + (i2*m2 + j2)`` and
    is the row-major matrix unit ``E_{i1*n2 + i2, j1*m2 + j2}`` of an ``(n1 n2) x (m1 m2)``
    matrix.  The returned array ``perm`` satisfies ``perm[row_major] = kronecker_index``, the
    form :func:`permute_modes` expects.

    >>> matmul_kron_permutation(2, 1, 1, 2).tolist()
    [0, 1, 2, 3]
    >>> matmul_kron_permutation(2, 2, 2, 2)[:4].tolist()
    [0, 1, 4, 5]
    """
    n1, m1 = positive_int("n1", n1), positive_int("m1", m1)
    n2, m2 = positive_int("n2", n2), positive_int("m2", m2)
    i1, i2, j1, j2 = np.meshgrid(np.arange(n1), np.arange(n2), np.arange(m1), np.arange(m2),
                                 indexing="ij")
    # Iterating (i1, i2, j1, j2) in C order enumerates the row-major index of (i1 n2 + i2, ...).
    return ((i1 * m1 + j1) * (n2 * m2) + (i2 * m2 + j2)).ravel()


def _shape3(shape: object, name: str) -> tuple[int, int, int]:
    try:
        n, m, p = shape  # type: ignore[misc]
    except (TypeError, ValueError) as exc:
        raise WordTensorError(f"{name} must be a triple (n, m, p), got {shape!r}") from exc
    return positive_int(f"{name}[0]", n), positive_int(f"{name}[1]", m), positive_int(f"{name}[2]", p)


def _matmul_cp(cp: CPTensor, shape: object, name: str = "cp", shape_name: str = "shape"
               ) -> tuple[tuple[int, int, int], np.ndarray, list[np.ndarray]]:
    """(n, m, p), weights and factors of a decomposition that must be one of ``<n, m, p>``."""
    n, m, p = _shape3(shape, shape_name)
    weights, factors = cp_parts(cp, name)
    if [f.shape[0] for f in factors] != [n * m, m * p, n * p]:
        raise WordTensorError(
            f"{name} has mode sizes {[f.shape[0] for f in factors]}, "
            f"not those of <{n},{m},{p}>: {[n * m, m * p, n * p]}"
        )
    return (n, m, p), weights, factors


def kronecker_matmul(
    cp1: CPTensor, shape1: tuple[int, int, int], cp2: CPTensor, shape2: tuple[int, int, int]
) -> CPTensor:
    """Decomposition of ``<n1 n2, m1 m2, p1 p2>`` from those of ``<n1, m1, p1>``, ``<n2, m2, p2>``.

    The :func:`kronecker` product followed by :func:`permute_modes` back to row-major matrix
    units (block matrices: block ``(i1, j1)``, entry ``(i2, j2)`` within the block).

    >>> from fusion.algebras import matmul_tensor, strassen
    >>> from fusion.algebras.decompositions import n_terms, verify
    >>> cp = kronecker_matmul(strassen(), (2, 2, 2), strassen(), (2, 2, 2))
    >>> n_terms(cp), verify(cp, matmul_tensor(4, 4, 4))
    (49, 0.0)
    """
    (n1, m1, p1), _, _ = _matmul_cp(cp1, shape1, "cp1", "shape1")
    (n2, m2, p2), _, _ = _matmul_cp(cp2, shape2, "cp2", "shape2")
    return permute_modes(
        kronecker(cp1, cp2),
        [
            matmul_kron_permutation(n1, m1, n2, m2),
            matmul_kron_permutation(m1, p1, m2, p2),
            matmul_kron_permutation(n1, p1, n2, p2),
        ],
    )


def transpose_rows(F: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Rows indexed by ``(x, y)`` of a ``rows x cols`` matrix -> rows indexed by ``(y, x)``."""
    return F.reshape(rows, cols, -1).transpose(1, 0, 2).reshape(rows * cols, -1)


def cyclic_matmul(cp: CPTensor, shape: tuple[int, int, int]) -> CPTensor:
    """Turn a decomposition of ``<n, m, p>`` into one of ``<m, p, n>`` (same rank).

    From ``tr(A B C) = tr(B C A)``: the new factors are ``(V, W^T, U^T)`` with ``^T`` swapping the
    two matrix indices of each row.

    >>> from fusion.algebras import matmul_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> from fusion.algebras.named import standard_matmul
    >>> cp = cyclic_matmul(standard_matmul(2, 3, 4), (2, 3, 4))
    >>> verify(cp, matmul_tensor(3, 4, 2))
    0.0
    """
    (n, m, p), weights, (U, V, W) = _matmul_cp(cp, shape)
    return make_cp([V.copy(), transpose_rows(W, n, p), transpose_rows(U, n, m)], weights.copy())


def transpose_matmul(cp: CPTensor, shape: tuple[int, int, int]) -> CPTensor:
    """Turn a decomposition of ``<n, m, p>`` into one of ``<p, m, n>`` via ``(AB)^T = B^T A^T``.

    >>> from fusion.algebras import matmul_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> from fusion.algebras.named import standard_matmul
    >>> cp = transpose_matmul(standard_matmul(2, 3, 4), (2, 3, 4))
    >>> verify(cp, matmul_tensor(4, 3, 2))
    0.0
    """
    (n, m, p), weights, (U, V, W) = _matmul_cp(cp, shape)
    return make_cp([transpose_rows(V, m, p), transpose_rows(U, n, m), transpose_rows(W, n, p)],
                   weights.copy())


def drop_zero_terms(factors: Sequence[np.ndarray], weights: np.ndarray) -> CPTensor:
    keep = weights != 0
    for F in factors:
        keep &= np.any(F != 0, axis=0)
    return make_cp([F[:, keep] for F in factors], weights[keep])


def _prefix_rows(rows: int, cols: int, new_rows: int, new_cols: int) -> np.ndarray:
    x, y = np.meshgrid(np.arange(new_rows), np.arange(new_cols), indexing="ij")
    return (x * cols + y).ravel()


def restrict_matmul(
    cp: CPTensor, shape: tuple[int, int, int], new_shape: tuple[int, int, int]
) -> CPTensor:
    """Restrict a decomposition of ``<N, M, P>`` to ``<n, m, p>`` with ``n <= N`` etc.

    Multiplying the leading ``n x m`` and ``m x p`` blocks (the rest zero) gives the leading
    ``n x p`` block of the product; rank-one terms that vanish are dropped.

    >>> from fusion.algebras import matmul_tensor, strassen
    >>> from fusion.algebras.decompositions import n_terms, verify
    >>> cp = restrict_matmul(strassen(), (2, 2, 2), (1, 2, 2))
    >>> n_terms(cp), verify(cp, matmul_tensor(1, 2, 2))
    (4, 0.0)
    """
    (N, M, P), weights, (U, V, W) = _matmul_cp(cp, shape)
    n, m, p = _shape3(new_shape, "new_shape")
    if n > N or m > M or p > P:
        raise WordTensorError(f"cannot restrict <{N},{M},{P}> to the larger <{n},{m},{p}>")
    return drop_zero_terms(
        [U[_prefix_rows(N, M, n, m)], V[_prefix_rows(M, P, m, p)], W[_prefix_rows(N, P, n, p)]],
        weights.copy(),
    )


def _embed_block(F: np.ndarray, rows: int, cols: int, big_rows: int, big_cols: int,
                 offset: tuple[int, int]) -> np.ndarray:
    """Rows of an ``rows x cols`` block placed at ``offset`` inside ``big_rows x big_cols``."""
    out = np.zeros((big_rows * big_cols, F.shape[1]))
    x, y = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    out[((x + offset[0]) * big_cols + y + offset[1]).ravel()] = F
    return out


def block_sum(cp1: CPTensor, s1: tuple[int, int, int], cp2: CPTensor,
               s2: tuple[int, int, int], axis: int) -> CPTensor:
    """Block sum: ``<n1 + n2, m, p>`` (axis 0), ``<n, m1 + m2, p>`` (1), ``<n, m, p1 + p2>`` (2)."""
    n, m, p = (a + b if t == axis else a for t, (a, b) in enumerate(zip(s1, s2, strict=True)))
    off = [0, 0, 0]
    off[axis] = s1[axis]
    parts = []
    for cp, (a, b, c), o in ((cp1, s1, (0, 0, 0)), (cp2, s2, tuple(off))):
        U, V, W = cp.factors
        parts.append([
            _embed_block(U, a, b, n, m, (o[0], o[1])),
            _embed_block(V, b, c, m, p, (o[1], o[2])),
            _embed_block(W, a, c, n, p, (o[0], o[2])),
        ])
    return make_cp(
        [np.hstack([x, y]) for x, y in zip(*parts, strict=True)],
        np.concatenate([np.asarray(cp1.weights), np.asarray(cp2.weights)]),
    )
