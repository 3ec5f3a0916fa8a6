"""The multiplication tensors ⟨n, m, p⟩, M_d(R), M_d(C), M_d(H), their bases and input checks.

Conventions
-----------
* The multiplication tensor of an algebra with basis ``(e_a)`` is ``T[a, b, c]`` = coefficient
  of ``e_c`` in ``e_a * e_b`` (inputs first, output last).
* Bases: ``R``: (1); ``C``: (1, i); ``H``: (1, i, j, k) with ``i^2 = j^2 = k^2 = ijk = -1``;
  ``M_d(R)``: ``E_ij`` at index ``i*d + j``; ``M_d(C)``: ``E_ij (x) (1 | i)`` at
  ``(i*d + j)*2 + s``; ``M_d(H)``: ``(i*d + j)*4 + s`` with ``s`` over (1, i, j, k).  In other words
  ``M_d(K) = M_d(R) (x) K`` with the Kronecker index convention ``idx = i_A * dim_B + i_B``.
* The rectangular matrix-multiplication tensor ``<n, m, p>`` has
  ``T[(i, j), (j, k), (i, k)] = 1`` with row-major pairs (``A`` is n x m, ``B`` is m x p).
"""

from __future__ import annotations

import numpy as np

from wordtensor.errors import TensorTooLargeError, WordTensorError

__all__ = ["multiplication_tensor", "matmul_tensor"]

#: The division algebras, by name, and their real dimensions.
ALGEBRAS: dict[str, int] = {"R": 1, "C": 2, "H": 4}

#: Refuse to build dense tensors with more entries than this (2 GiB of float64).
MAX_DENSE_ENTRIES = 1 << 28


def positive_int(name: str, value: object) -> int:
    """``value`` as an int, refusing anything that is not a positive integer (bools too).

    >>> positive_int("d", np.int64(3))
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise WordTensorError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def algebra_name(algebra: object) -> str:
    """``algebra`` if it names a division algebra (``"R"``, ``"C"``, ``"H"``), else an error
    that lists them.

    >>> algebra_name("H")
    'H'
    """
    if not isinstance(algebra, str) or algebra not in ALGEBRAS:
        raise WordTensorError(
            f"unknown algebra {algebra!r}: expected one of 'R', 'C', 'H' "
            "(M_d over the reals, complexes or quaternions)"
        )
    return algebra


def check_dense_size(shape: tuple[int, ...]) -> None:
    """Refuse (:class:`~wordtensor.errors.TensorTooLargeError`) a dense tensor of ``shape`` with
    more than ``MAX_DENSE_ENTRIES`` entries.

    >>> check_dense_size((1 << 10, 1 << 10, 1 << 10))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.TensorTooLargeError: a dense tensor of shape (1024, 1024, 1024) has ...
    """
    size = 1
    for s in shape:
        size *= s
    if size > MAX_DENSE_ENTRIES:
        raise TensorTooLargeError(
            f"a dense tensor of shape {shape} has {size} entries, more than the "
            f"{MAX_DENSE_ENTRIES} allowed; use the CP factors instead"
        )



def algebra_dim(algebra: str, d: int = 1) -> int:
    """Real dimension of ``M_d(algebra)``.

    >>> algebra_dim("H", 2)
    16
    """
    return ALGEBRAS[algebra_name(algebra)] * positive_int("d", d) ** 2


def matmul_tensor(n: int, m: int, p: int) -> np.ndarray:
    """The ``<n, m, p>`` tensor: ``T[(i, j), (j, k), (i, k)] = 1`` (row-major pairs).

    Shape ``(n*m, m*p, n*p)``: contracting with ``vec(A)`` and ``vec(B)`` gives ``vec(A @ B)``.

    >>> T = matmul_tensor(2, 3, 4)
    >>> T.shape, int(T.sum())
    ((6, 12, 8), 24)
    """
    n, m, p = positive_int("n", n), positive_int("m", m), positive_int("p", p)
    check_dense_size((n * m, m * p, n * p))
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
    check_dense_size(shape)
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
    algebra, d = algebra_name(algebra), positive_int("d", d)
    D = _division_tensor(algebra)
    if d == 1:
        return D
    return kron_tensor(matmul_tensor(d, d, d), D)

