"""Pull-back along algebra embeddings, and the embeddings M_d(C) → M_2d(R) and M_d(H) → M_2d(C).

The bases are those of :func:`~fusion.algebras.tensors.multiplication_tensor`; M_d(C) → M_2d(R)
is the realification."""

from __future__ import annotations

from itertools import product as _iproduct

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import WordTensorError

from .combinators import drop_zero_terms
from .decompositions import cp_parts
from .tensors import positive_int

__all__: list[str] = []


def pull_back(cp: CPTensor, embedding: np.ndarray, projection: np.ndarray) -> CPTensor:
    """Decomposition of a subalgebra ``A`` from one of an algebra ``B`` containing it.

    ``embedding`` (shape ``dim B x dim A``) is an injective algebra homomorphism ``phi`` in
    coordinates and ``projection`` (``dim A x dim B``) a linear left inverse ``psi`` of it.  Then
    ``T_A[a, b, c] = sum phi[x, a] phi[y, b] T_B[x, y, z] psi[c, z]`` and the factors are
    ``(phi^T U, phi^T V, psi W)``; terms that vanish are dropped, so the rank can only go down.

    >>> from fusion.algebras import multiplication_tensor, strassen
    >>> from fusion.algebras.decompositions import n_terms, verify
    >>> phi, psi = complex_embedding(1)  # C inside M_2(R)
    >>> cp = pull_back(strassen(), phi, psi)
    >>> n_terms(cp), verify(cp, multiplication_tensor("C"))
    (5, 0.0)
    """
    weights, (U, V, W) = cp_parts(cp)
    phi = np.asarray(embedding, dtype=np.float64)
    psi = np.asarray(projection, dtype=np.float64)
    if phi.ndim != 2 or psi.shape != phi.T.shape or phi.shape[0] != U.shape[0]:
        raise WordTensorError(
            f"embedding {phi.shape} / projection {psi.shape} do not fit a decomposition with "
            f"mode sizes {U.shape[0]}, {V.shape[0]}, {W.shape[0]}"
        )
    if not (U.shape[0] == V.shape[0] == W.shape[0]):
        raise WordTensorError("pull_back needs the decomposition of an algebra (equal modes)")
    return drop_zero_terms([phi.T @ U, phi.T @ V, psi @ W], weights.copy())


def complex_embedding(d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(phi, psi)`` for ``M_d(C) -> M_2d(R)``, ``x + iy -> [[x, -y], [y, x]]`` blockwise.

    ``phi`` has shape ``(4 d^2, 2 d^2)`` (columns: our ``M_d(C)`` basis, rows: ``M_2d(R)``) and
    ``psi`` reads the real and imaginary parts off the first column of every 2 x 2 block.

    >>> phi, psi = complex_embedding(1)
    >>> phi.T.tolist()
    [[1.0, 0.0, 0.0, 1.0], [0.0, -1.0, 1.0, 0.0]]
    """
    d = positive_int("d", d)
    D = 2 * d
    phi = np.zeros((D * D, 2 * d * d))
    psi = np.zeros((2 * d * d, D * D))
    for i, j in _iproduct(range(d), range(d)):
        re, im = (i * d + j) * 2, (i * d + j) * 2 + 1
        # entries (2i + r, 2j + c) of the real matrix, row-major
        e00, e01, e10, e11 = ((2 * i + r) * D + 2 * j + c for r, c in _iproduct((0, 1), (0, 1)))
        phi[e00, re] = phi[e11, re] = 1.0
        phi[e10, im], phi[e01, im] = 1.0, -1.0
        psi[re, e00] = psi[im, e10] = 1.0
    return phi, psi


def quaternion_embedding(d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(phi, psi)`` for ``M_d(H) -> M_2d(C)``: ``a+bi+cj+dk -> [[a+bi, c+di], [-c+di, a-bi]]``.

    Shapes ``(8 d^2, 4 d^2)`` and ``(4 d^2, 8 d^2)``; ``M_2d(C)`` uses this module's basis.

    >>> phi, psi = quaternion_embedding(1)
    >>> phi.shape, bool((psi @ phi == np.eye(4)).all())
    ((8, 4), True)
    """
    d = positive_int("d", d)
    D = 2 * d
    phi = np.zeros((2 * D * D, 4 * d * d))
    psi = np.zeros((4 * d * d, 2 * D * D))
    # (block row r, block col c, real/imag s) entries of the image of 1, i, j, k
    images = {
        0: [((0, 0, 0), 1), ((1, 1, 0), 1)],
        1: [((0, 0, 1), 1), ((1, 1, 1), -1)],
        2: [((0, 1, 0), 1), ((1, 0, 0), -1)],
        3: [((0, 1, 1), 1), ((1, 0, 1), 1)],
    }
    for i, j in _iproduct(range(d), range(d)):
        for s, entries in images.items():
            col = (i * d + j) * 4 + s
            for (r, c, t), v in entries:
                phi[((2 * i + r) * D + 2 * j + c) * 2 + t, col] = v
            (r, c, t), _ = entries[0]
            psi[col, ((2 * i + r) * D + 2 * j + c) * 2 + t] = 1.0
    return phi, psi

