"""Decompositions of the k-fold product (the chain x1·x2⋯xk) of M_d(R), M_d(C) and M_d(H).

The chain tensor of an algebra A is the (k+1)-way tensor of (x1, …, xk) ↦ x1⋯xk (inputs first,
output last); k = 2 is the multiplication tensor. Its decompositions here are
``chain_d ⊗ chain_K`` for M_d(K) = M_d(R) ⊗ K:

* the standard chain of M_d(R): one term E_{i0 i1} ⊗ E_{i1 i2} ⊗ … ⊗ E_{i(k-1) ik} ⊗ E_{i0 ik} per
  index path, d^(k+1) terms; for k = 3 this is optimal, since the flattening (x1, x3 | x2, out)
  of the chain has rank dim End(M_d) = d⁴ (x2 ↦ x1 x2 x3 spans every linear map);
* the chain of K: R has one term; C has Gauss's 3 for k = 2 and 4 for k = 3 (an integer
  decomposition of z1 z2 z3 found with this toolkit's CP search and exactified; 4 is optimal: the
  restriction z3 = 1 is complex multiplication, of rank 3, so 3 ≤ c_C(3) ≤ 4); H has 8 for
  k = 2 (Howell–Lafon 1975) and 16 for k = 3 (found and exactified the same way,
  ``fusion/data/quaternion_chain3.json``; optimal: the flattening (q1, q3 | q2, out) has rank
  dim End(H) = 16); longer chains of K come from the previous one by
  z1⋯zk = (z1⋯z(k-1))·zk, each term's output o giving dim K terms (the rows of the matrix of
  z ↦ o z), so c_C(k) ≤ 2^(k-1) and c_H(k) ≤ 16·4^(k-3) for k ≥ 3.

All factors are integers or small rationals and are verified exactly when built (the float
factors of the quaternion triple product have denominators up to 4, with 3 among them, and are
rounded).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from fractions import Fraction
from importlib import resources

import numpy as np
from tensorly.cp_tensor import CPTensor

from .combinators import kronecker
from .decompositions import KnownDecomposition, copy_cp, make_cp, verify_rational
from .named import named_decomposition
from .tensors import ALGEBRAS, algebra_name, multiplication_tensor, positive_int

__all__ = ["chain_tensor", "chain_decomposition"]

#: z1 z2 z3 over R in 4 terms: rows are the terms, columns (Re, Im); inputs z1, z2, z3, output.
_COMPLEX3 = ([[-1, 1], [0, 1], [1, 0], [1, 1]], [[0, 1], [1, 1], [1, -1], [1, 0]],
             [[0, 1], [1, 1], [-1, 1], [1, 0]], [[1, -1], [-1, 0], [0, 1], [1, 1]])

CHAIN_REFERENCES = {
    "R": "",
    "C": ("the complex triple product z1 z2 z3 over R in 4 multiplications (found by this "
          "toolkit's CP search, exactified; 3 for two factors by Gauss)"),
    "H": ("the quaternion triple product q1 q2 q3 over R in 16 multiplications (found by this "
          "toolkit's CP search, exactified; 8 for two factors by Howell and Lafon 1975)"),
}


def chain_tensor(algebra: str, d: int, k: int) -> np.ndarray:
    """The (k+1)-way chain tensor of M_d(algebra) in the basis of
    :func:`~fusion.algebras.multiplication_tensor`.

    >>> chain_tensor("C", 1, 3).shape
    (2, 2, 2, 2)
    >>> bool(np.array_equal(chain_tensor("R", 2, 2), multiplication_tensor("R", 2)))
    True
    """
    T = multiplication_tensor(algebra_name(algebra), positive_int("d", d))
    out = T
    for _ in range(positive_int("k", k) - 2):
        out = np.tensordot(out, T, axes=(out.ndim - 1, 0))
    return out


def standard_chain(d: int, k: int) -> CPTensor:
    """The standard chain of M_d(R): d^(k+1) terms, one per index path.

    >>> from fusion.algebras.decompositions import verify
    >>> cp = standard_chain(2, 3)
    >>> cp.factors[0].shape, verify(cp, chain_tensor("R", 2, 3))
    ((4, 16), 0.0)
    """
    paths = list(itertools.product(range(d), repeat=k + 1))
    R = len(paths)
    factors = [np.zeros((d * d, R)) for _ in range(k + 1)]
    for r, p in enumerate(paths):
        for j in range(k):
            factors[j][p[j] * d + p[j + 1], r] = 1.0
        factors[k][p[0] * d + p[k], r] = 1.0
    return make_cp(factors)


def _quaternion3() -> CPTensor:
    """The 16-term quaternion triple product of ``fusion/data/quaternion_chain3.json``,
    verified in exact rational arithmetic."""
    text = resources.files("fusion").joinpath("data", "quaternion_chain3.json").read_text("utf-8")
    fr = [[[Fraction(x) for x in row] for row in F] for F in json.loads(text)["factors"]]
    den = math.lcm(*(q.denominator for F in fr for row in F for q in row))
    nums = [np.array([[int(q * den) for q in row] for row in F], dtype=np.int64).T for F in fr]
    if not verify_rational(nums, den, chain_tensor("H", 1, 3)):
        raise RuntimeError("quaternion_chain3.json does not reconstruct the quaternion triple "
                           "product exactly; the data file is damaged (reinstall the package)")
    return make_cp([n / den for n in nums])


@functools.cache
def _division_chain(algebra: str, k: int) -> CPTensor:
    """A decomposition of the k-chain of the division algebra (R, C or H), verified exactly."""
    dim = ALGEBRAS[algebra]
    if algebra == "R":
        cp = make_cp([np.ones((1, 1))] * (k + 1))
    elif k == 2:
        cp = named_decomposition("gauss" if algebra == "C" else "quat8").cp
    elif k == 3 and algebra == "C":
        cp = make_cp([np.array(F, dtype=np.float64).T for F in _COMPLEX3])
    elif k == 3 and algebra == "H":
        cp = _quaternion3()
    else:
        w, prev = _division_chain(algebra, k - 1)
        T = multiplication_tensor(algebra)
        R = prev[0].shape[1]
        cols: list[list[np.ndarray]] = [[] for _ in range(k + 1)]
        for r in range(R):
            # z ↦ o z for the term's output o: L[γ, α] = Σ_β o_β T[β, α, γ]
            L = np.einsum("b,bag->ga", prev[-1][:, r] * w[r], T)
            for g in range(dim):
                for j in range(k - 1):
                    cols[j].append(prev[j][:, r])
                cols[k - 1].append(L[g])
                cols[k].append(np.eye(dim)[g])
        cp = make_cp([np.array(c).T for c in cols])
    err = float(np.max(np.abs(_reconstruct(cp) - chain_tensor(algebra, 1, k))))
    if err > 1e-12:  # pragma: no cover - the data are exact (integers; H3 checked in rationals)
        raise RuntimeError(f"the {k}-chain of {algebra} does not reconstruct exactly ({err})")
    for f in (*cp.factors, cp.weights):
        f.setflags(write=False)
    return cp


def _reconstruct(cp: CPTensor) -> np.ndarray:
    w, fs = cp
    letters = "abcdefghij"[: len(fs)]
    spec = ",".join(f"{c}r" for c in letters) + ",r->" + letters
    return np.einsum(spec, *fs, w)


def chain_rank(algebra: str, d: int, k: int) -> int:
    """The number of terms of :func:`chain_decomposition` (without building it).

    >>> [chain_rank(a, 1, 3) for a in "RCH"], chain_rank("R", 3, 3), chain_rank("C", 2, 4)
    ([1, 4, 16], 81, 256)
    """
    return d ** (k + 1) * _division_chain(algebra_name(algebra), k).factors[0].shape[1]


def chain_decomposition(algebra: str, d: int, k: int) -> KnownDecomposition:
    """A decomposition of the k-chain of M_d(algebra) (k ≥ 2): the standard chain of M_d(R)
    Kronecker the chain of the division algebra, d^(k+1)·c_K(k) terms, with c_R = 1,
    c_C = 3, 4, 8, … and c_H = 8, 16, 64, … for k = 2, 3, 4, …

    >>> from fusion.algebras.decompositions import verify
    >>> kd = chain_decomposition("C", 2, 3)
    >>> kd.rank, kd.method, verify(kd.cp, chain_tensor("C", 2, 3))
    (64, 'kron(standard-chain3<2>, C-chain3)', 0.0)
    """
    algebra, d, k = algebra_name(algebra), positive_int("d", d), positive_int("k", k)
    base = standard_chain(d, k)
    cp = base if algebra == "R" else kronecker(base, _division_chain(algebra, k))
    method = f"standard-chain{k}<{d}>"
    if algebra != "R":
        method = f"kron({method}, {algebra}-chain{k})"
    rank = int(cp.factors[0].shape[1])
    return KnownDecomposition(copy_cp(cp), method, rank, CHAIN_REFERENCES[algebra])
