"""The decomposition type (KnownDecomposition), its CP plumbing, and the float and exact checks.

:class:`KnownDecomposition` is a tensorly ``CPTensor`` with its method and source; the checks
compare a decomposition with a tensor: float max-abs (:func:`verify`) and exact, in integer
arithmetic, for rational factors (:func:`verify_rational`).

A decomposition is a tensorly :class:`~tensorly.cp_tensor.CPTensor` ``(weights, [U, V, W])``
with ``T = sum_r weights[r] U[:, r] (x) V[:, r] (x) W[:, r]``, float64 numpy arrays. All the
decompositions of this package have unit weights and dyadic-rational factors, so
``tensorly.cp_to_tensor`` reconstructs them exactly in floating point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor

from wordtensor.cp import cp_arrays
from wordtensor.errors import WordTensorError

from .tensors import check_dense_size

__all__ = ["KnownDecomposition"]

#: Integers below this are exact in float64, and so are sums of them that stay below it.
_EXACT_FLOAT = 2**53


@dataclass(frozen=True)
class KnownDecomposition:
    """A decomposition together with how it was obtained.

    ``method`` is a short expression such as ``"strassen"``, ``"kron(strassen, gauss)"`` or
    ``"fawzi2022<5,5,5>"``; ``rank`` is the number of rank-one terms of ``cp``; ``reference``
    cites the source of a decomposition taken from the literature ("" for one built here).

    >>> from fusion.algebras import best_decomposition, matmul_record
    >>> kd = best_decomposition("C", 2)
    >>> kd.rank, kd.method
    (21, 'kron(strassen, gauss)')
    >>> kd = matmul_record(4)
    >>> kd.rank, kd.method, kd.reference.split(",")[0]
    (48, 'dps2025<4,4,4>', 'J.-G. Dumas')
    """

    cp: CPTensor
    method: str
    rank: int
    reference: str = ""


#: Weights and factors of a CPTensor (or a ``(weights, factors)`` pair) as float64, with a
#: WordTensorError naming ``what`` when they do not fit together: wordtensor's reader.
cp_parts = cp_arrays


def make_cp(factors: Sequence[np.ndarray], weights: np.ndarray | None = None) -> CPTensor:
    """A CPTensor of contiguous float64 factors (unit weights unless given).

    >>> make_cp([np.ones((2, 1)), np.ones((3, 1))]).weights
    array([1.])
    """
    factors = [np.ascontiguousarray(f, dtype=np.float64) for f in factors]
    if weights is None:
        weights = np.ones(factors[0].shape[1])
    return CPTensor((np.asarray(weights, dtype=np.float64), factors))


def n_terms(cp: CPTensor) -> int:
    """The number of rank-one terms of a decomposition.

    >>> n_terms(make_cp([np.ones((2, 5))] * 3))
    5
    """
    return int(cp.factors[0].shape[1])



def copy_cp(cp: CPTensor) -> CPTensor:
    """A writable copy of a decomposition (the cached ones are read-only).

    >>> cp = make_cp([np.ones((2, 1))] * 3)
    >>> copy_cp(cp).factors[0] is cp.factors[0]
    False
    """
    return make_cp([np.array(f) for f in cp.factors], np.array(cp.weights))


def verify(cp: CPTensor, tensor: np.ndarray) -> float:
    """Max-abs difference between the reconstruction of ``cp`` and ``tensor``.

    >>> from fusion.algebras import matmul_tensor, strassen
    >>> verify(strassen(), matmul_tensor(2, 2, 2))
    0.0
    >>> verify(strassen(), matmul_tensor(2, 2, 2) + 0.5)
    0.5
    """
    weights, factors = cp_parts(cp)
    tensor = np.asarray(tensor, dtype=np.float64)
    shape = tuple(f.shape[0] for f in factors)
    if tensor.shape != shape:
        raise WordTensorError(f"cp has shape {shape} but the tensor has shape {tensor.shape}")
    check_dense_size(shape)
    with tl.backend_context("numpy"):
        rec = tl.cp_to_tensor(CPTensor((weights, factors)))
    if rec.size == 0:
        return 0.0
    return float(np.max(np.abs(np.asarray(rec) - tensor)))


def verify_rational(numerators: Sequence[np.ndarray], denominator: int, tensor: np.ndarray) -> bool:
    """Whether the factors ``numerators[k] / denominator`` (unit weights) reconstruct the integer
    ``tensor`` exactly: Σ_r u_r ⊗ v_r ⊗ w_r = denominatorⁿ · T in integer arithmetic.

    The sums are formed slab by slab with float64 products of integers; a bound on every
    partial sum (max |u| · max |v| · ... · rank, and denominatorⁿ · max |T|) below 2⁵³ makes
    each of them exact, and past it the slabs are summed in Python integers.

    >>> from fusion.algebras import matmul_tensor, strassen
    >>> w, F = strassen()
    >>> verify_rational([f.astype(int) for f in F], 1, matmul_tensor(2, 2, 2))
    True
    >>> verify_rational([2 * f.astype(int) for f in F], 2, matmul_tensor(2, 2, 2))  # (2u/2)...
    True
    >>> verify_rational([f.astype(int) for f in F], 2, matmul_tensor(2, 2, 2))      # 1/8 of it
    False
    """
    ints = [np.asarray(F) for F in numerators]
    T = np.asarray(tensor)
    if any(F.dtype.kind not in "iu" or F.ndim != 2 for F in ints) or T.dtype.kind not in "iuf":
        raise WordTensorError("verify_rational takes 2-d integer numerators (one per mode) and "
                              "an integer tensor")
    if T.dtype.kind == "f":
        if not np.array_equal(T, np.round(T)):
            raise WordTensorError("verify_rational needs a tensor with integer entries")
        T = np.round(T).astype(np.int64)
    if len({F.shape[1] for F in ints}) != 1:
        raise WordTensorError(f"the factors disagree on the rank: {[F.shape for F in ints]}")
    if isinstance(denominator, bool) or not isinstance(denominator, (int, np.integer)) \
            or denominator < 1:
        raise WordTensorError(f"the denominator must be a positive integer, got {denominator!r}")
    if T.ndim < 2 or len(ints) != T.ndim or tuple(F.shape[0] for F in ints) != T.shape:
        return False
    rank = ints[0].shape[1]
    scale = int(denominator) ** T.ndim
    bound = rank
    for F in ints:
        bound *= int(np.max(np.abs(F), initial=0))
    exact_float = bound < _EXACT_FLOAT and scale * int(np.max(np.abs(T), initial=0)) < _EXACT_FLOAT
    kind = np.float64 if exact_float else object
    first, second, *others = (F.astype(kind) for F in ints)
    K = np.ones((1, rank), dtype=kind)  # Khatri–Rao product of modes 2, 3, ... (C order)
    for F in others:
        K = (K[:, None, :] * F[None, :, :]).reshape(-1, rank)
    want = T.reshape(T.shape[0], T.shape[1], -1).astype(kind) * scale
    for b in range(T.shape[1]):  # the slab T[:, b, ...] = U diag(v_b) Kᵀ
        if not np.array_equal((first * second[b]) @ K.T, want[:, b]):
            return False
    return True
