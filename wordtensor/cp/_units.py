"""Matrix units of a split simple block ``M_d(Q)``: a rational basis in which the block's
structure tensor is exactly the matrix multiplication tensor ``<d,d,d>``.

For a block ``A`` of dimension ``d^2`` (given by its exact structure tensor): an element ``a``
whose minimal polynomial has a simple rational root ``lam`` gives the idempotent
``e = g(a) / g(lam)`` (``m = (x - lam) g``), the projector onto the ``lam``-eigenspace.  If the
left ideal ``A e`` has dimension ``d`` (a rank-one idempotent), ``A`` acts on it faithfully:
``a -> (matrix of x -> a x on A e)`` is an isomorphism ``A -> M_d(Q)``, and the preimages of
the matrix units ``E_jk`` are the new basis.  Candidates for ``a``: the block components of
the tensor's own basis vectors (for a group algebra: the group elements, whose images often
have eigenvalues +-1) and sums of two of them.  Blocks that are not split over Q (a number
field or a division algebra as centre or block) yield None.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np


def _fmpq_mat(A: np.ndarray):
    import flint

    return flint.fmpq_mat(A.shape[0], A.shape[1],
                          [flint.fmpq(int(Fraction(x).numerator), int(Fraction(x).denominator))
                           for x in A.flat])


def _np(M) -> np.ndarray:
    return np.array([[Fraction(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())]
                     for i in range(M.nrows())], dtype=object)


def _column_basis(M: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Independent columns spanning the column space of ``M`` (rref of its transpose), and
    ``rank`` rows where that basis is invertible."""
    E, rank = _fmpq_mat(M.T).rref()
    W = _np(E)[:rank].T  # columns: a basis of the column space
    F, _ = _fmpq_mat(W.T).rref()
    Fn = _np(F)
    pivots = [int(next(j for j in range(Fn.shape[1]) if Fn[i, j] != 0)) for i in range(rank)]
    return W, pivots


def matrix_units(T: np.ndarray, elements: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(Psi, Phi)`` with ``Psi = Phi^-1`` (``d^2 x d^2`` Fractions): the columns of ``Psi``
    are the block coordinates of the matrix units ``E_jk`` (row-major ``j * d + k``), and
    ``Phi`` maps block coordinates to the entries of the image matrix.  ``T`` is the exact
    structure tensor of the block (Fractions, ``(d^2, d^2, d^2)``), ``elements`` candidate
    elements (rows, block coordinates).  None if no rank-one idempotent is found."""
    import flint

    m = T.shape[0]
    d = math.isqrt(m)
    if d * d != m or d < 2:
        return None

    def left(x):  # L[r, q] = sum_p x_p T[p, q, r]
        return np.tensordot(x, T, axes=(0, 0)).T

    def right(x):  # R[r, p] = sum_q x_q T[p, q, r]
        return np.tensordot(T, x, axes=(1, 0)).T

    # the unit u: left(u) = I, i.e. sum_p u_p T[p, q, r] = delta_qr
    M = T.transpose(1, 2, 0).reshape(m * m, m)
    rhs = np.eye(m, dtype=object).reshape(m * m, 1)
    Mq = _fmpq_mat(M)
    try:
        u = _np((Mq.transpose() * Mq).solve(Mq.transpose() * _fmpq_mat(rhs)))[:, 0]
    except ZeroDivisionError:
        return None
    if np.any(left(u) != np.eye(m, dtype=object)):
        return None
    cands = [np.asarray(x, dtype=object) for x in elements]
    cands += [a + b for a, b in itertools.islice(itertools.combinations(cands, 2), 200)]
    for a in cands:
        La = _fmpq_mat(left(a))
        mp = La.minpoly()
        for p, mult in flint.fmpq_poly(mp).factor()[1]:
            if p.degree() != 1 or mult != 1:
                continue
            lam = -p[0] / p[1]
            g = flint.fmpq_poly(mp) / flint.fmpq_poly([-lam, 1])
            G = flint.fmpq_mat(m, m)
            for c in reversed(list(g.coeffs())):  # Horner on the matrix of left(a)
                G = G * La + flint.fmpq_mat(m, m, [c if i == j else 0 for i in range(m)
                                                   for j in range(m)])
            e = _np(G * _fmpq_mat(u.reshape(m, 1)))[:, 0] / Fraction(int(g(lam).p),
                                                                     int(g(lam).q))
            W, rows = _column_basis(right(e))
            if W.shape[1] != d:
                continue  # not a rank-one idempotent
            Winv = _np(_fmpq_mat(W[rows]).inv())
            Phi = np.empty((m, m), dtype=object)
            ok = True
            for q in range(m):
                b = np.zeros(m, dtype=object)
                b[q] = 1
                LW = left(b).dot(W)
                Mb = Winv.dot(LW[rows])
                if np.any(W.dot(Mb) != LW):
                    ok = False
                    break
                Phi[:, q] = Mb.reshape(-1)
            if not ok:
                continue
            try:
                Psi = _np(_fmpq_mat(Phi).inv())
            except ZeroDivisionError:
                continue
            return Psi, Phi
    return None
