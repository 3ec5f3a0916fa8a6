"""Known low-rank bilinear algorithms for the simple algebras of a real group algebra.

By Wedderburn, ``R[G]`` is a product of simple algebras ``M_d(R)``, ``M_d(C)`` and ``M_m(H)``.
This module collects *constructive upper bounds* on the tensor (CP) rank over ``R`` of their
multiplication tensors: explicit, exactly verifiable decompositions.

Conventions
-----------
* The multiplication tensor of an algebra with basis ``(e_a)`` is ``T[a, b, c]`` = coefficient
  of ``e_c`` in ``e_a * e_b`` (inputs first, output last).
* A decomposition is a tensorly :class:`~tensorly.cp_tensor.CPTensor` ``(weights, [U, V, W])``
  with ``T = sum_r weights[r] U[:, r] (x) V[:, r] (x) W[:, r]``, float64 numpy arrays.  All the
  decompositions here have unit weights and dyadic-rational factors, so ``tensorly.cp_to_tensor``
  reconstructs them *exactly* in floating point.
* Bases: ``R``: (1); ``C``: (1, i); ``H``: (1, i, j, k) with ``i^2 = j^2 = k^2 = ijk = -1``;
  ``M_d(R)``: ``E_ij`` at index ``i*d + j``; ``M_d(C)``: ``E_ij (x) (1 | i)`` at
  ``(i*d + j)*2 + s``; ``M_d(H)``: ``(i*d + j)*4 + s`` with ``s`` over (1, i, j, k).  In other words
  ``M_d(K) = M_d(R) (x) K`` with the Kronecker index convention ``idx = i_A * dim_B + i_B``.
* The rectangular matrix-multiplication tensor ``<n, m, p>`` has
  ``T[(i, j), (j, k), (i, k)] = 1`` with row-major pairs (``A`` is n x m, ``B`` is m x p).

Sources of decompositions: the standard algorithm, Gauss's 3-multiplication complex product,
an 8-multiplication quaternion product (rank of ``H`` over ``R`` is exactly 8, Howell & Lafon
1975), Strassen (1969), Laderman (1976), and the table of Fawzi et al., *Nature* 610 (2022)
(CC-BY 4.0, see ``fusion/data/ATTRIBUTION.md``), combined through Kronecker products, the
cyclic/transpose symmetries of ``<n, m, p>``, block splitting, restriction, and embeddings such
as ``M_d(C) -> M_2d(R)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from itertools import product as _iproduct

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import TensorTooLargeError, WordTensorError

__all__ = [
    "ALGEBRAS",
    "KnownDecomposition",
    "algebra_dim",
    "multiplication_tensor",
    "matmul_tensor",
    "kron_tensor",
    "gauss_complex",
    "quaternion_rank8",
    "standard_matmul",
    "strassen",
    "laderman",
    "kronecker",
    "permute_modes",
    "matmul_kron_permutation",
    "kronecker_matmul",
    "cyclic_matmul",
    "transpose_matmul",
    "restrict_matmul",
    "pull_back",
    "complex_embedding",
    "quaternion_embedding",
    "published_formats",
    "published_decomposition",
    "known_matmul",
    "best_matmul",
    "best_rank",
    "best_decomposition",
    "verify",
]

#: The division algebras, by name, and their real dimensions.
ALGEBRAS: dict[str, int] = {"R": 1, "C": 2, "H": 4}

#: Refuse to build dense tensors with more entries than this (2 GiB of float64).
_MAX_DENSE_ENTRIES = 1 << 28

#: Embeddings into M_N(R) are only tried for N up to this (planning costs about N^3 steps,
#: and in that range they never beat the Kronecker constructions).
_EMBED_MAX = 24

_DATA_FILE = "matmul_factorizations.npz"
_FAWZI = "fawzi2022"


@dataclass(frozen=True)
class KnownDecomposition:
    """A decomposition together with how it was obtained.

    ``method`` is a short expression such as ``"strassen"``, ``"kron(strassen, gauss)"`` or
    ``"fawzi2022<5,5,5>"``; ``rank`` is the number of rank-one terms of ``cp``.

    >>> kd = best_decomposition("C", 2)
    >>> kd.rank, kd.method
    (21, 'kron(strassen, gauss)')
    """

    cp: CPTensor
    method: str
    rank: int


# --------------------------------------------------------------------------------------------
# input checking


def _pos_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise WordTensorError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _algebra(algebra: object) -> str:
    if not isinstance(algebra, str) or algebra not in ALGEBRAS:
        raise WordTensorError(
            f"unknown algebra {algebra!r}: expected one of 'R', 'C', 'H' "
            "(M_d over the reals, complexes or quaternions)"
        )
    return algebra


def _check_size(shape: tuple[int, ...]) -> None:
    size = 1
    for s in shape:
        size *= s
    if size > _MAX_DENSE_ENTRIES:
        raise TensorTooLargeError(
            f"a dense tensor of shape {shape} has {size} entries, more than the "
            f"{_MAX_DENSE_ENTRIES} allowed; use the CP factors instead"
        )


def _cp_parts(cp: object, what: str = "cp") -> tuple[np.ndarray, list[np.ndarray]]:
    """Weights and factors of a CPTensor (or a ``(weights, factors)`` pair), as float64."""
    try:
        weights, factors = cp  # type: ignore[misc]
        factors = [np.asarray(f, dtype=np.float64) for f in factors]
        weights = (
            np.ones(factors[0].shape[1]) if weights is None
            else np.asarray(weights, dtype=np.float64)
        )
    except (TypeError, ValueError, IndexError) as exc:
        raise WordTensorError(f"{what} must be a CPTensor (weights, factors)") from exc
    if not factors or any(f.ndim != 2 for f in factors):
        raise WordTensorError(f"{what}: every factor must be a 2-d array")
    rank = factors[0].shape[1]
    if weights.shape != (rank,) or any(f.shape[1] != rank for f in factors):
        raise WordTensorError(
            f"{what}: factors and weights disagree on the rank "
            f"({[f.shape for f in factors]}, weights {weights.shape})"
        )
    return weights, factors


def _make_cp(factors: Sequence[np.ndarray], weights: np.ndarray | None = None) -> CPTensor:
    factors = [np.ascontiguousarray(f, dtype=np.float64) for f in factors]
    if weights is None:
        weights = np.ones(factors[0].shape[1])
    return CPTensor((np.asarray(weights, dtype=np.float64), factors))


def _rank(cp: CPTensor) -> int:
    return int(cp.factors[0].shape[1])


# --------------------------------------------------------------------------------------------
# tensors


def algebra_dim(algebra: str, d: int = 1) -> int:
    """Real dimension of ``M_d(algebra)``.

    >>> algebra_dim("H", 2)
    16
    """
    return ALGEBRAS[_algebra(algebra)] * _pos_int("d", d) ** 2


def matmul_tensor(n: int, m: int, p: int) -> np.ndarray:
    """The ``<n, m, p>`` tensor: ``T[(i, j), (j, k), (i, k)] = 1`` (row-major pairs).

    Shape ``(n*m, m*p, n*p)``: contracting with ``vec(A)`` and ``vec(B)`` gives ``vec(A @ B)``.

    >>> T = matmul_tensor(2, 3, 4)
    >>> T.shape, int(T.sum())
    ((6, 12, 8), 24)
    """
    n, m, p = _pos_int("n", n), _pos_int("m", m), _pos_int("p", p)
    _check_size((n * m, m * p, n * p))
    T = np.zeros((n, m, m, p, n, p))
    i, j, k = np.meshgrid(np.arange(n), np.arange(m), np.arange(p), indexing="ij")
    T[i, j, j, k, i, k] = 1.0
    return T.reshape(n * m, m * p, n * p)


def kron_tensor(T1: np.ndarray, T2: np.ndarray) -> np.ndarray:
    """Kronecker product of two 3-way tensors, index ``idx = i_1 * dim_2 + i_2`` in each mode.

    This is the multiplication tensor of ``A (x) B`` when ``T1``, ``T2`` are those of ``A``, ``B``.

    >>> kron_tensor(matmul_tensor(2, 2, 2), multiplication_tensor("C")).shape
    (8, 8, 8)
    """
    T1, T2 = np.asarray(T1, dtype=np.float64), np.asarray(T2, dtype=np.float64)
    if T1.ndim != 3 or T2.ndim != 3:
        raise WordTensorError("kron_tensor expects two 3-way tensors")
    shape = tuple(a * b for a, b in zip(T1.shape, T2.shape, strict=True))
    _check_size(shape)
    return np.einsum("abc,xyz->axbycz", T1, T2).reshape(shape)


def _division_tensor(algebra: str) -> np.ndarray:
    if algebra == "R":
        return np.ones((1, 1, 1))
    if algebra == "C":
        T = np.zeros((2, 2, 2))
        T[0, 0, 0] = T[0, 1, 1] = T[1, 0, 1] = 1.0
        T[1, 1, 0] = -1.0
        return T
    # Hamilton: i j = k, j k = i, k i = j, and i^2 = j^2 = k^2 = -1.
    T = np.zeros((4, 4, 4))
    for a in range(4):
        T[0, a, a] = T[a, 0, a] = 1.0
    for a in (1, 2, 3):
        T[a, a, 0] = -1.0
    for a, b, c in ((1, 2, 3), (2, 3, 1), (3, 1, 2)):
        T[a, b, c] = 1.0
        T[b, a, c] = -1.0
    return T


def multiplication_tensor(algebra: str, d: int = 1) -> np.ndarray:
    """Multiplication tensor of ``M_d(R)``, ``M_d(C)`` or ``M_d(H)`` over ``R``.

    ``algebra`` is ``"R"``, ``"C"`` or ``"H"``; ``d = 1`` gives the division algebra itself.
    The basis is ``E_ij (x) e_s`` at index ``(i*d + j) * dim_R(algebra) + s``.

    >>> T = multiplication_tensor("H")
    >>> T[1, 2].tolist()  # i * j = k
    [0.0, 0.0, 0.0, 1.0]
    >>> multiplication_tensor("C", 3).shape
    (18, 18, 18)
    """
    algebra, d = _algebra(algebra), _pos_int("d", d)
    D = _division_tensor(algebra)
    if d == 1:
        return D
    return kron_tensor(matmul_tensor(d, d, d), D)


# --------------------------------------------------------------------------------------------
# hand-written algorithms


_TERM = re.compile(r"([+-])(?:(\d+(?:/\d+)?)\*)?([a-z]+\d*)")


def _linear_form(expr: str, names: Sequence[str]) -> list[Fraction]:
    """Coefficients of a linear form like ``"a11 - 1/2*a22"`` over ``names``."""
    text = expr.replace(" ", "")
    if not text.startswith(("+", "-")):
        text = "+" + text
    coeffs = [Fraction(0)] * len(names)
    pos = 0
    for match in _TERM.finditer(text):
        if match.start() != pos:
            break
        sign, coef, name = match.groups()
        c = Fraction(coef) if coef else Fraction(1)
        coeffs[names.index(name)] += -c if sign == "-" else c
        pos = match.end()
    if pos != len(text):  # pragma: no cover - only reachable by a typo in this file
        raise RuntimeError(f"bad linear form {expr!r}")
    return coeffs


def _from_products(
    a_names: Sequence[str],
    b_names: Sequence[str],
    c_names: Sequence[str],
    products: Sequence[tuple[str, str]],
    outputs: Sequence[str],
) -> CPTensor:
    """CP factors of a bilinear algorithm ``m_r = (form_r(a)) * (form_r(b))``, ``c = sum m``."""
    U = np.array([[float(x) for x in _linear_form(f, a_names)] for f, _ in products]).T
    V = np.array([[float(x) for x in _linear_form(g, b_names)] for _, g in products]).T
    m_names = [f"m{r + 1}" for r in range(len(products))]
    W = np.array([[float(x) for x in _linear_form(o, m_names)] for o in outputs])
    if W.shape[0] != len(c_names):  # pragma: no cover
        raise RuntimeError("one output formula per output coordinate")
    return _make_cp([U, V, W])


def _matrix_names(letter: str, rows: int, cols: int) -> list[str]:
    return [f"{letter}{i + 1}{j + 1}" for i in range(rows) for j in range(cols)]


def gauss_complex() -> CPTensor:
    """Rank-3 decomposition of complex multiplication over ``R`` (Gauss's trick).

    ``(a + bi)(c + di)``: ``m1 = c(a + b)``, ``m2 = a(d - c)``, ``m3 = b(c + d)``; the real part is
    ``m1 - m3`` and the imaginary part ``m1 + m2``.  Rank 3 is optimal.

    >>> verify(gauss_complex(), multiplication_tensor("C"))
    0.0
    """
    return _from_products(
        ["a", "b"], ["c", "d"], ["re", "im"],
        [("a + b", "c"), ("a", "d - c"), ("b", "c + d")],
        ["m1 - m3", "m1 + m2"],
    )


def quaternion_rank8() -> CPTensor:
    """Rank-8 decomposition of quaternion multiplication over ``R`` (optimal: ``rank(H) = 8``).

    An 8-multiplication algorithm of the kind found by Howell & Lafon (1975), who also showed
    that 8 is the minimum; here in the form
    ``(w1 + x1 i + y1 j + z1 k)(w2 + x2 i + y2 j + z2 k)``::

        m1 = (w1 + x1)(w2 + x2)   m2 = (z1 - y1)(y2 - z2)   m3 = (w1 - x1)(y2 + z2)
        m4 = (y1 + z1)(w2 - x2)   m5 = (x1 + z1)(x2 + y2)   m6 = (x1 - z1)(x2 - y2)
        m7 = (w1 + y1)(w2 - z2)   m8 = (w1 - y1)(w2 + z2)
        w = m2 + (-m5 - m6 + m7 + m8)/2      x = m1 - (m5 + m6 + m7 + m8)/2
        y = m3 + (m5 - m6 + m7 - m8)/2       z = m4 + (m5 - m6 - m7 + m8)/2

    >>> verify(quaternion_rank8(), multiplication_tensor("H"))
    0.0
    """
    h = "1/2*"
    return _from_products(
        ["w", "x", "y", "z"], ["p", "q", "r", "s"], ["w", "x", "y", "z"],
        [
            ("w + x", "p + q"), ("z - y", "r - s"), ("w - x", "r + s"), ("y + z", "p - q"),
            ("x + z", "q + r"), ("x - z", "q - r"), ("w + y", "p - s"), ("w - y", "p + s"),
        ],
        [
            f"m2 - {h}m5 - {h}m6 + {h}m7 + {h}m8",
            f"m1 - {h}m5 - {h}m6 - {h}m7 - {h}m8",
            f"m3 + {h}m5 - {h}m6 + {h}m7 - {h}m8",
            f"m4 + {h}m5 - {h}m6 - {h}m7 + {h}m8",
        ],
    )


def standard_matmul(n: int, m: int, p: int) -> CPTensor:
    """The standard algorithm for ``<n, m, p>``: one term ``E_ij (x) E_jk (x) E_ik`` per triple.

    >>> cp = standard_matmul(2, 3, 4)
    >>> _rank(cp), verify(cp, matmul_tensor(2, 3, 4))
    (24, 0.0)
    """
    n, m, p = _pos_int("n", n), _pos_int("m", m), _pos_int("p", p)
    _check_size((max(n * m, m * p, n * p), n * m * p))
    i, j, k = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(m), np.arange(p),
                                             indexing="ij"))
    r = np.arange(n * m * p)
    U, V, W = np.zeros((n * m, r.size)), np.zeros((m * p, r.size)), np.zeros((n * p, r.size))
    U[i * m + j, r] = V[j * p + k, r] = W[i * p + k, r] = 1.0
    return _make_cp([U, V, W])


def strassen() -> CPTensor:
    """Strassen's rank-7 decomposition of ``<2, 2, 2>`` (Strassen 1969; 7 is optimal).

    >>> cp = strassen()
    >>> _rank(cp), verify(cp, matmul_tensor(2, 2, 2))
    (7, 0.0)
    """
    return _from_products(
        _matrix_names("a", 2, 2), _matrix_names("b", 2, 2), _matrix_names("c", 2, 2),
        [
            ("a11 + a22", "b11 + b22"), ("a21 + a22", "b11"), ("a11", "b12 - b22"),
            ("a22", "b21 - b11"), ("a11 + a12", "b22"), ("a21 - a11", "b11 + b12"),
            ("a12 - a22", "b21 + b22"),
        ],
        ["m1 + m4 - m5 + m7", "m3 + m5", "m2 + m4", "m1 - m2 + m3 + m6"],
    )


def laderman() -> CPTensor:
    """Laderman's rank-23 decomposition of ``<3, 3, 3>`` (Bull. AMS 82, 1976, 126-128).

    >>> cp = laderman()
    >>> _rank(cp), verify(cp, matmul_tensor(3, 3, 3))
    (23, 0.0)
    """
    return _from_products(
        _matrix_names("a", 3, 3), _matrix_names("b", 3, 3), _matrix_names("c", 3, 3),
        [
            ("a11 + a12 + a13 - a21 - a22 - a32 - a33", "b22"),
            ("a11 - a21", "-b12 + b22"),
            ("a22", "-b11 + b12 + b21 - b22 - b23 - b31 + b33"),
            ("-a11 + a21 + a22", "b11 - b12 + b22"),
            ("a21 + a22", "-b11 + b12"),
            ("a11", "b11"),
            ("-a11 + a31 + a32", "b11 - b13 + b23"),
            ("-a11 + a31", "b13 - b23"),
            ("a31 + a32", "-b11 + b13"),
            ("a11 + a12 + a13 - a22 - a23 - a31 - a32", "b23"),
            ("a32", "-b11 + b13 + b21 - b22 - b23 - b31 + b32"),
            ("-a13 + a32 + a33", "b22 + b31 - b32"),
            ("a13 - a33", "b22 - b32"),
            ("a13", "b31"),
            ("a32 + a33", "-b31 + b32"),
            ("-a13 + a22 + a23", "b23 + b31 - b33"),
            ("a13 - a23", "b23 - b33"),
            ("a22 + a23", "-b31 + b33"),
            ("a12", "b21"),
            ("a23", "b32"),
            ("a21", "b13"),
            ("a31", "b12"),
            ("a33", "b33"),
        ],
        [
            "m6 + m14 + m19",
            "m1 + m4 + m5 + m6 + m12 + m14 + m15",
            "m6 + m7 + m9 + m10 + m14 + m16 + m18",
            "m2 + m3 + m4 + m6 + m14 + m16 + m17",
            "m2 + m4 + m5 + m6 + m20",
            "m14 + m16 + m17 + m18 + m21",
            "m6 + m7 + m8 + m11 + m12 + m13 + m14",
            "m12 + m13 + m14 + m15 + m22",
            "m6 + m7 + m8 + m9 + m23",
        ],
    )


# --------------------------------------------------------------------------------------------
# combinators


def kronecker(cp1: CPTensor, cp2: CPTensor) -> CPTensor:
    """Kronecker product of two decompositions (rank ``r1 * r2``).

    If ``cp1`` decomposes ``T1`` and ``cp2`` decomposes ``T2`` then the result decomposes
    :func:`kron_tensor` ``(T1, T2)``, index ``i_1 * dim_2 + i_2`` in every mode; for algebras this
    is the multiplication tensor of ``A (x) B``.  Term ``(r1, r2)`` sits at column
    ``r1 * rank_2 + r2``.

    >>> cp = kronecker(standard_matmul(2, 2, 2), gauss_complex())
    >>> _rank(cp), verify(cp, multiplication_tensor("C", 2))
    (24, 0.0)
    """
    w1, f1 = _cp_parts(cp1, "cp1")
    w2, f2 = _cp_parts(cp2, "cp2")
    if len(f1) != len(f2):
        raise WordTensorError(
            f"kronecker needs decompositions of the same order, got {len(f1)} and {len(f2)}"
        )
    factors = []
    for A, B in zip(f1, f2, strict=True):
        K = A[:, None, :, None] * B[None, :, None, :]
        factors.append(K.reshape(A.shape[0] * B.shape[0], A.shape[1] * B.shape[1]))
    return _make_cp(factors, np.kron(w1, w2))


def permute_modes(cp: CPTensor, perms: Sequence[Sequence[int] | None]) -> CPTensor:
    """Re-index the modes of a decomposition.

    ``perms[t]`` is a permutation of ``range(dim_t)`` (or ``None`` for the identity); the result
    decomposes ``T'[a, b, c] = T[perms[0][a], perms[1][b], perms[2][c]]``, i.e. row ``a`` of the
    new factor is row ``perms[t][a]`` of the old one.

    >>> cp = permute_modes(gauss_complex(), [None, None, [1, 0]])  # outputs (im, re)
    >>> verify(cp, multiplication_tensor("C")[:, :, [1, 0]])
    0.0
    """
    weights, factors = _cp_parts(cp)
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
    return _make_cp(out, weights.copy())


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
    n1, m1 = _pos_int("n1", n1), _pos_int("m1", m1)
    n2, m2 = _pos_int("n2", n2), _pos_int("m2", m2)
    i1, i2, j1, j2 = np.meshgrid(np.arange(n1), np.arange(n2), np.arange(m1), np.arange(m2),
                                 indexing="ij")
    # Iterating (i1, i2, j1, j2) in C order enumerates the row-major index of (i1 n2 + i2, ...).
    return ((i1 * m1 + j1) * (n2 * m2) + (i2 * m2 + j2)).ravel()


def _shape3(shape: object, name: str) -> tuple[int, int, int]:
    try:
        n, m, p = shape  # type: ignore[misc]
    except (TypeError, ValueError) as exc:
        raise WordTensorError(f"{name} must be a triple (n, m, p), got {shape!r}") from exc
    return _pos_int(f"{name}[0]", n), _pos_int(f"{name}[1]", m), _pos_int(f"{name}[2]", p)


def _check_matmul_cp(cp: CPTensor, shape: tuple[int, int, int], name: str) -> list[np.ndarray]:
    _, factors = _cp_parts(cp, name)
    n, m, p = shape
    if [f.shape[0] for f in factors] != [n * m, m * p, n * p]:
        raise WordTensorError(
            f"{name} has mode sizes {[f.shape[0] for f in factors]}, "
            f"not those of <{n},{m},{p}>: {[n * m, m * p, n * p]}"
        )
    return factors


def kronecker_matmul(
    cp1: CPTensor, shape1: tuple[int, int, int], cp2: CPTensor, shape2: tuple[int, int, int]
) -> CPTensor:
    """Decomposition of ``<n1 n2, m1 m2, p1 p2>`` from those of ``<n1, m1, p1>``, ``<n2, m2, p2>``.

    The :func:`kronecker` product followed by :func:`permute_modes` back to row-major matrix
    units (block matrices: block ``(i1, j1)``, entry ``(i2, j2)`` within the block).

    >>> cp = kronecker_matmul(strassen(), (2, 2, 2), strassen(), (2, 2, 2))
    >>> _rank(cp), verify(cp, matmul_tensor(4, 4, 4))
    (49, 0.0)
    """
    n1, m1, p1 = _shape3(shape1, "shape1")
    n2, m2, p2 = _shape3(shape2, "shape2")
    _check_matmul_cp(cp1, (n1, m1, p1), "cp1")
    _check_matmul_cp(cp2, (n2, m2, p2), "cp2")
    return permute_modes(
        kronecker(cp1, cp2),
        [
            matmul_kron_permutation(n1, m1, n2, m2),
            matmul_kron_permutation(m1, p1, m2, p2),
            matmul_kron_permutation(n1, p1, n2, p2),
        ],
    )


def _transpose_rows(F: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Rows indexed by ``(x, y)`` of a ``rows x cols`` matrix -> rows indexed by ``(y, x)``."""
    return F.reshape(rows, cols, -1).transpose(1, 0, 2).reshape(rows * cols, -1)


def cyclic_matmul(cp: CPTensor, shape: tuple[int, int, int]) -> CPTensor:
    """Turn a decomposition of ``<n, m, p>`` into one of ``<m, p, n>`` (same rank).

    From ``tr(A B C) = tr(B C A)``: the new factors are ``(V, W^T, U^T)`` with ``^T`` swapping the
    two matrix indices of each row.

    >>> cp = cyclic_matmul(standard_matmul(2, 3, 4), (2, 3, 4))
    >>> verify(cp, matmul_tensor(3, 4, 2))
    0.0
    """
    n, m, p = _shape3(shape, "shape")
    U, V, W = _check_matmul_cp(cp, (n, m, p), "cp")
    weights, _ = _cp_parts(cp)
    return _make_cp([V.copy(), _transpose_rows(W, n, p), _transpose_rows(U, n, m)], weights.copy())


def transpose_matmul(cp: CPTensor, shape: tuple[int, int, int]) -> CPTensor:
    """Turn a decomposition of ``<n, m, p>`` into one of ``<p, m, n>`` via ``(AB)^T = B^T A^T``.

    >>> cp = transpose_matmul(standard_matmul(2, 3, 4), (2, 3, 4))
    >>> verify(cp, matmul_tensor(4, 3, 2))
    0.0
    """
    n, m, p = _shape3(shape, "shape")
    U, V, W = _check_matmul_cp(cp, (n, m, p), "cp")
    weights, _ = _cp_parts(cp)
    return _make_cp(
        [_transpose_rows(V, m, p), _transpose_rows(U, n, m), _transpose_rows(W, n, p)],
        weights.copy(),
    )


def _drop_zero_terms(factors: Sequence[np.ndarray], weights: np.ndarray) -> CPTensor:
    keep = weights != 0
    for F in factors:
        keep &= np.any(F != 0, axis=0)
    return _make_cp([F[:, keep] for F in factors], weights[keep])


def _prefix_rows(rows: int, cols: int, new_rows: int, new_cols: int) -> np.ndarray:
    x, y = np.meshgrid(np.arange(new_rows), np.arange(new_cols), indexing="ij")
    return (x * cols + y).ravel()


def restrict_matmul(
    cp: CPTensor, shape: tuple[int, int, int], new_shape: tuple[int, int, int]
) -> CPTensor:
    """Restrict a decomposition of ``<N, M, P>`` to ``<n, m, p>`` with ``n <= N`` etc.

    Multiplying the leading ``n x m`` and ``m x p`` blocks (the rest zero) gives the leading
    ``n x p`` block of the product; rank-one terms that vanish are dropped.

    >>> cp = restrict_matmul(strassen(), (2, 2, 2), (1, 2, 2))
    >>> _rank(cp), verify(cp, matmul_tensor(1, 2, 2))
    (4, 0.0)
    """
    N, M, P = _shape3(shape, "shape")
    n, m, p = _shape3(new_shape, "new_shape")
    if n > N or m > M or p > P:
        raise WordTensorError(f"cannot restrict <{N},{M},{P}> to the larger <{n},{m},{p}>")
    U, V, W = _check_matmul_cp(cp, (N, M, P), "cp")
    weights, _ = _cp_parts(cp)
    return _drop_zero_terms(
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


def _block_sum(cp1: CPTensor, s1: tuple[int, int, int], cp2: CPTensor,
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
    return _make_cp(
        [np.hstack([x, y]) for x, y in zip(*parts, strict=True)],
        np.concatenate([np.asarray(cp1.weights), np.asarray(cp2.weights)]),
    )


def pull_back(cp: CPTensor, embedding: np.ndarray, projection: np.ndarray) -> CPTensor:
    """Decomposition of a subalgebra ``A`` from one of an algebra ``B`` containing it.

    ``embedding`` (shape ``dim B x dim A``) is an injective algebra homomorphism ``phi`` in
    coordinates and ``projection`` (``dim A x dim B``) a linear left inverse ``psi`` of it.  Then
    ``T_A[a, b, c] = sum phi[x, a] phi[y, b] T_B[x, y, z] psi[c, z]`` and the factors are
    ``(phi^T U, phi^T V, psi W)``; terms that vanish are dropped, so the rank can only go down.

    >>> phi, psi = complex_embedding(1)  # C inside M_2(R)
    >>> cp = pull_back(strassen(), phi, psi)
    >>> _rank(cp), verify(cp, multiplication_tensor("C"))
    (5, 0.0)
    """
    weights, (U, V, W) = _cp_parts(cp)
    phi = np.asarray(embedding, dtype=np.float64)
    psi = np.asarray(projection, dtype=np.float64)
    if phi.ndim != 2 or psi.shape != phi.T.shape or phi.shape[0] != U.shape[0]:
        raise WordTensorError(
            f"embedding {phi.shape} / projection {psi.shape} do not fit a decomposition with "
            f"mode sizes {U.shape[0]}, {V.shape[0]}, {W.shape[0]}"
        )
    if not (U.shape[0] == V.shape[0] == W.shape[0]):
        raise WordTensorError("pull_back needs the decomposition of an algebra (equal modes)")
    return _drop_zero_terms([phi.T @ U, phi.T @ V, psi @ W], weights.copy())


def complex_embedding(d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(phi, psi)`` for ``M_d(C) -> M_2d(R)``, ``x + iy -> [[x, -y], [y, x]]`` blockwise.

    ``phi`` has shape ``(4 d^2, 2 d^2)`` (columns: our ``M_d(C)`` basis, rows: ``M_2d(R)``) and
    ``psi`` reads the real and imaginary parts off the first column of every 2 x 2 block.

    >>> phi, psi = complex_embedding(1)
    >>> phi.T.tolist()
    [[1.0, 0.0, 0.0, 1.0], [0.0, -1.0, 1.0, 0.0]]
    """
    d = _pos_int("d", d)
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
    d = _pos_int("d", d)
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


# --------------------------------------------------------------------------------------------
# the published table


@functools.lru_cache(maxsize=1)
def _published_raw() -> dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Trace-form factors of the packaged table, as float64 (numerators / denominator)."""
    ref = resources.files("fusion").joinpath("data", _DATA_FILE)
    out = {}
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        keys = sorted({k.rsplit("/", 1)[0] for k in z.files})
        for key in keys:
            shape = tuple(int(x) for x in key.split(","))
            den = float(z[f"{key}/denominator"])
            factors = tuple(z[f"{key}/{x}"].astype(np.float64) / den for x in "uvw")
            for f in factors:
                f.setflags(write=False)
            out[shape] = factors
    return out


def published_formats() -> list[tuple[int, int, int]]:
    """Formats ``(n, m, p)`` of the packaged table of Fawzi et al. (2022), sorted.

    >>> (4, 4, 4) in published_formats(), len(published_formats())
    (True, 93)
    """
    return sorted(_published_raw())


def published_decomposition(n: int, m: int, p: int) -> CPTensor:
    """The decomposition of ``<n, m, p>`` from Fawzi et al., *Nature* 610 (2022), CC-BY 4.0.

    The table stores ``tr(A B C)`` (third factor indexed by ``(k, i)``); this returns our
    convention ``T[(i, j), (j, k), (i, k)]``.  Entries are integers or multiples of 1/8.

    >>> cp = published_decomposition(4, 4, 4)
    >>> _rank(cp), verify(cp, matmul_tensor(4, 4, 4))
    (49, 0.0)
    """
    shape = (_pos_int("n", n), _pos_int("m", m), _pos_int("p", p))
    table = _published_raw()
    if shape not in table:
        raise WordTensorError(
            f"no published decomposition of <{n},{m},{p}>; see published_formats()"
        )
    u, v, w = table[shape]
    return _make_cp([u.copy(), v.copy(), _transpose_rows(w, p, n)])


# --------------------------------------------------------------------------------------------
# search for the best known decomposition of <n, m, p>

_SYMMETRIES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    # ops applied left to right ('c' cyclic, 't' transpose) and the axes of the new shape
    ("", (0, 1, 2)), ("c", (1, 2, 0)), ("cc", (2, 0, 1)),
    ("t", (2, 1, 0)), ("ct", (0, 2, 1)), ("cct", (1, 0, 2)),
)


def _apply_symmetry(cp: CPTensor, shape: tuple[int, int, int], ops: str) -> CPTensor:
    for op in ops:
        n, m, p = shape
        if op == "c":
            cp, shape = cyclic_matmul(cp, shape), (m, p, n)
        else:
            cp, shape = transpose_matmul(cp, shape), (p, m, n)
    return cp


def _prefix_any(F: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``out[a, b, r]``: column ``r`` of ``F`` (rows ``(x, y)``) is nonzero at some ``x <= a, y <= b``."""
    G = (F != 0).reshape(rows, cols, -1)
    return np.logical_or.accumulate(np.logical_or.accumulate(G, 0), 1)


@functools.lru_cache(maxsize=1)
def _restriction_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """For every box ``(n, m, p)`` inside some published format: the fewest surviving terms.

    Returns ``(best_rank, entry_index, symmetry_index, entries)`` arrays indexed by
    ``[n-1, m-1, p-1]``; ``best_rank`` is a large sentinel where no published format fits.
    """
    table = _published_raw()
    entries = sorted(table)
    L = max(max(s) for s in entries)
    best = np.full((L, L, L), np.iinfo(np.int64).max, dtype=np.int64)
    which = np.full((L, L, L), -1, dtype=np.int64)
    sym = np.full((L, L, L), -1, dtype=np.int64)
    for e, (N, M, P) in enumerate(entries):
        u, v, w = table[(N, M, P)]
        aU = _prefix_any(u, N, M)  # (N, M, R)
        aV = _prefix_any(v, M, P)  # (M, P, R)
        aW = _prefix_any(w, P, N)  # (P, N, R)   trace form: (k, i)
        alive = (aU[:, :, None, :] & aV[None, :, :, :]
                 & np.transpose(aW, (1, 0, 2))[:, None, :, :])
        counts = alive.sum(axis=-1)  # (N, M, P)
        for s, (_, axes) in enumerate(_SYMMETRIES):
            c = np.transpose(counts, axes)
            a, b, d = c.shape
            view = best[:a, :b, :d]
            better = c < view
            view[better] = c[better]
            which[:a, :b, :d][better] = e
            sym[:a, :b, :d][better] = s
    return best, which, sym, entries


@dataclass(frozen=True)
class _Plan:
    """How to build the best known decomposition of one format (children by shape)."""

    rank: int
    leaves: int  # number of base algorithms combined: the tie-breaker (fewer wins)
    kind: str  # standard, strassen, laderman, kron, split, data
    args: tuple = ()


_NAMED = {(2, 2, 2): ("strassen", 7), (3, 3, 3): ("laderman", 23)}


@functools.cache
def _divisors(n: int) -> tuple[int, ...]:
    return tuple(a for a in range(1, n + 1) if n % a == 0)


def _data_plan(n: int, m: int, p: int) -> _Plan | None:
    table, which, sym, entries = _restriction_table()
    if max(n, m, p) > table.shape[0] or which[n - 1, m - 1, p - 1] < 0:
        return None
    src = entries[int(which[n - 1, m - 1, p - 1])]
    s = int(sym[n - 1, m - 1, p - 1])
    restricted = tuple(src[a] for a in _SYMMETRIES[s][1]) != (n, m, p)
    return _Plan(int(table[n - 1, m - 1, p - 1]), 1, "data", (src, s, restricted))


@functools.cache
def _plan(n: int, m: int, p: int) -> _Plan:
    """Best known plan for ``<n, m, p>``: minimal ``(rank, leaves)``, earlier kinds win ties.

    Kinds in order: standard, Strassen/Laderman, Kronecker products, the published table
    (exact format up to symmetry), block sums, the published table restricted.
    """
    best = (n * m * p, 1, "standard", ())
    if (n, m, p) in _NAMED:
        name, r = _NAMED[(n, m, p)]
        best = min(best, (r, 1, name, ()), key=lambda c: c[:2])
    # Kronecker products <n1, m1, p1> (x) <n2, m2, p2>, both factors nontrivial
    for n1 in _divisors(n):
        for m1 in _divisors(m):
            for p1 in _divisors(p):
                s1, s2 = (n1, m1, p1), (n // n1, m // m1, p // p1)
                if s1 == (1, 1, 1) or s2 == (1, 1, 1):
                    continue
                a, b = _plan(*s1), _plan(*s2)
                key = (a.rank * b.rank, a.leaves + b.leaves)
                if key < best[:2]:
                    best = (*key, "kron", (s1, s2))
    data = _data_plan(n, m, p)
    if data is not None and not data.args[2] and (data.rank, 1) < best[:2]:
        best = (data.rank, 1, "data", data.args)
    # block sums along one dimension: <a + b, m, p> = <a, m, p> + <b, m, p>, etc.
    for axis, size in enumerate((n, m, p)):
        for a in range(1, size // 2 + 1):
            if axis == 0:
                s1, s2 = (a, m, p), (n - a, m, p)
            elif axis == 1:
                s1, s2 = (n, a, p), (n, m - a, p)
            else:
                s1, s2 = (n, m, a), (n, m, p - a)
            x, y = _plan(*s1), _plan(*s2)
            if x.rank + y.rank <= best[0]:
                key = (x.rank + y.rank, x.leaves + y.leaves)
                if key < best[:2]:
                    best = (*key, "split", (s1, s2, axis))
    if data is not None and (data.rank, 1) < best[:2]:
        best = (data.rank, 1, "data", data.args)
    return _Plan(*best)


@functools.lru_cache(maxsize=4096)
def _method(n: int, m: int, p: int) -> str:
    """Readable expression for the plan of ``<n, m, p>``."""
    plan = _plan(n, m, p)
    if plan.kind == "standard":
        return f"standard<{n},{m},{p}>"
    if plan.kind == "kron":
        s1, s2 = plan.args
        return f"kron({_method(*s1)}, {_method(*s2)})"
    if plan.kind == "split":
        s1, s2, _ = plan.args
        return f"sum({_method(*s1)}, {_method(*s2)})"
    if plan.kind == "data":
        src, s, restricted = plan.args
        text = f"{_FAWZI}<{src[0]},{src[1]},{src[2]}>"
        text = f"sym({text})" if s else text
        return f"restrict({text})" if restricted else text
    return plan.kind


@functools.lru_cache(maxsize=64)
def _build_cached(n: int, m: int, p: int) -> CPTensor:
    plan = _plan(n, m, p)
    if plan.kind == "standard":
        cp = standard_matmul(n, m, p)
    elif plan.kind == "strassen":
        cp = strassen()
    elif plan.kind == "laderman":
        cp = laderman()
    elif plan.kind == "kron":
        s1, s2 = plan.args
        cp = kronecker_matmul(_build_cached(*s1), s1, _build_cached(*s2), s2)
    elif plan.kind == "split":
        s1, s2, axis = plan.args
        cp = _block_sum(_build_cached(*s1), s1, _build_cached(*s2), s2, axis)
    else:
        src, s, _ = plan.args
        ops, axes = _SYMMETRIES[s]
        cp = _apply_symmetry(published_decomposition(*src), src, ops)
        cp = restrict_matmul(cp, tuple(src[a] for a in axes), (n, m, p))
    if _rank(cp) != plan.rank:  # pragma: no cover - internal consistency
        raise RuntimeError(f"planned rank {plan.rank} but built {_rank(cp)} for <{n},{m},{p}>")
    for f in cp.factors:
        f.setflags(write=False)
    cp.weights.setflags(write=False)
    return cp


def _copy(cp: CPTensor) -> CPTensor:
    return _make_cp([np.array(f) for f in cp.factors], np.array(cp.weights))


def known_matmul(n: int, m: int, p: int) -> KnownDecomposition:
    """Lowest-rank known decomposition of ``<n, m, p>`` that this module can build.

    Candidates: the standard algorithm, Strassen, Laderman, the published table of Fawzi et al.
    (with the six symmetries of ``<n, m, p>`` and restriction to sub-formats), Kronecker
    products ``<n1 n2, m1 m2, p1 p2>`` and block sums ``<n1 + n2, m, p>`` (and likewise for
    ``m``, ``p``) of smaller best-known ones, searched recursively (memoized; about ``n m p``
    states).  On ties in rank, fewer combined base algorithms win, then the earlier kind.

    >>> kd = known_matmul(2, 2, 3)
    >>> kd.rank, kd.method
    (11, 'fawzi2022<2,2,3>')
    """
    n, m, p = _pos_int("n", n), _pos_int("m", m), _pos_int("p", p)
    return KnownDecomposition(_copy(_build_cached(n, m, p)), _method(n, m, p), _plan(n, m, p).rank)


def best_matmul(d: int) -> CPTensor:
    """Lowest-rank known decomposition of ``<d, d, d>``, i.e. of ``M_d(R)``.

    See :func:`known_matmul` (which also returns the method).  Ranks for ``d = 1..6``:
    1, 7, 23, 49, 98, 160 (``<6,6,6>``: 160 terms survive restricting the published ``<11,11,12>``).

    >>> cp = best_matmul(4)
    >>> _rank(cp), verify(cp, matmul_tensor(4, 4, 4))
    (49, 0.0)
    """
    d = _pos_int("d", d)
    return known_matmul(d, d, d).cp


# --------------------------------------------------------------------------------------------
# algebras


def _embedding_candidates(algebra: str, d: int) -> list[tuple[int, str, object]]:
    """Rank-only candidates ``(rank, method, builder)`` for ``M_d(algebra)``."""
    base = _plan(d, d, d)
    base_method = _method(d, d, d)
    if algebra == "R":
        return [(base.rank, base_method, lambda: _copy(_build_cached(d, d, d)))]
    div, div_name = (gauss_complex, "gauss") if algebra == "C" else (quaternion_rank8, "quat8")
    k = 3 if algebra == "C" else 8
    method = div_name if d == 1 else f"kron({base_method}, {div_name})"
    cands: list[tuple[int, str, object]] = [
        (k * base.rank, method, lambda: kronecker(_build_cached(d, d, d), div()))
    ]
    if d * ALGEBRAS[algebra] > _EMBED_MAX:  # the embeddings end in M_{2d}(R) or M_{4d}(R)
        return cands
    if algebra == "C":
        big = _plan(2 * d, 2 * d, 2 * d)
        cands.append((big.rank, f"realify({_method(2 * d, 2 * d, 2 * d)})",
                      lambda: pull_back(_build_cached(2 * d, 2 * d, 2 * d),
                                        *complex_embedding(d))))
    else:
        # M_d(H) inside M_2d(C), itself via the best decomposition of M_2d(C)
        rc, mc, build_c = min(_embedding_candidates("C", 2 * d), key=lambda c: c[0])
        cands.append((rc, f"complexify({mc})",
                      lambda: pull_back(build_c(), *quaternion_embedding(d))))
    return cands


def best_rank(algebra: str, d: int = 1) -> int:
    """Rank of :func:`best_decomposition` ``(algebra, d)``, without building it.

    >>> [best_rank("H", d) for d in (1, 2, 3)]
    [8, 56, 184]
    """
    algebra, d = _algebra(algebra), _pos_int("d", d)
    return min(c[0] for c in _embedding_candidates(algebra, d))


def best_decomposition(algebra: str, d: int = 1) -> KnownDecomposition:
    """Lowest-rank known decomposition of the multiplication tensor of ``M_d(algebra)``.

    ``M_d(R)``: :func:`best_matmul`.  ``M_d(C)``: the lower of ``kron(best(d), gauss)`` (rank
    ``3 r(d)``) and the realification ``M_d(C) -> M_2d(R)`` (rank ``r(2d)``).  ``M_d(H)``: the
    lower of ``kron(best(d), quat8)`` (rank ``8 r(d)``) and ``M_d(H) -> M_2d(C)``.  Factors are in
    the basis of :func:`multiplication_tensor`.

    >>> kd = best_decomposition("H", 2)
    >>> kd.rank, kd.method, verify(kd.cp, multiplication_tensor("H", 2))
    (56, 'kron(strassen, quat8)', 0.0)
    """
    algebra, d = _algebra(algebra), _pos_int("d", d)
    rank, method, build = min(_embedding_candidates(algebra, d), key=lambda c: c[0])
    cp = build()  # type: ignore[operator]
    if _rank(cp) != rank:  # pragma: no cover - internal consistency
        raise RuntimeError(f"planned rank {rank} but built {_rank(cp)}")
    return KnownDecomposition(cp, method, rank)


def verify(cp: CPTensor, tensor: np.ndarray) -> float:
    """Max-abs difference between the reconstruction of ``cp`` and ``tensor``.

    >>> verify(strassen(), matmul_tensor(2, 2, 2))
    0.0
    >>> verify(strassen(), matmul_tensor(2, 2, 2) + 0.5)
    0.5
    """
    weights, factors = _cp_parts(cp)
    tensor = np.asarray(tensor, dtype=np.float64)
    shape = tuple(f.shape[0] for f in factors)
    if tensor.shape != shape:
        raise WordTensorError(f"cp has shape {shape} but the tensor has shape {tensor.shape}")
    _check_size(shape)
    with tl.backend_context("numpy"):
        rec = tl.cp_to_tensor(CPTensor((weights, factors)))
    if rec.size == 0:
        return 0.0
    return float(np.max(np.abs(np.asarray(rec) - tensor)))
