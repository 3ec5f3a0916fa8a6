"""Batched matrix arithmetic over GF(q) by lookup tables built with ``galois``.

Field elements are the integers 0..q-1 of galois' integer representation (for prime q: residues
mod q; for q = p^k: the polynomial basis in the primitive element, as galois prints them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from ._cayley import ElementIndex, check_size, closure, table_from_tree
from .errors import GroupSpecError, GroupTooLargeError
from .validate import integer


class FieldTables:
    """Addition, multiplication, negation and inverse tables of GF(q)."""

    def __init__(self, q: int):
        if _is_prime(q):  # plain modular arithmetic: no need to build a galois field class
            self._init_prime(q)
            return
        import galois  # 2 s to import (numba): only for fields of prime-power order

        try:
            gf = galois.GF(q)
        except (ValueError, TypeError) as exc:
            raise GroupSpecError(f"GF({q}) does not exist: q must be a prime power ({exc})") from None
        self.q = q
        self.p = int(gf.characteristic)
        self.prime = self.p == q
        el = gf.elements
        self.add = np.asarray(el[:, None] + el[None, :], dtype=np.int64)
        self.mul = np.asarray(el[:, None] * el[None, :], dtype=np.int64)
        self.neg = np.asarray(-el, dtype=np.int64)
        inv = np.zeros(q, dtype=np.int64)
        inv[1:] = np.asarray(np.reciprocal(el[1:]), dtype=np.int64)
        self.inv = inv
        self.primitive = int(gf.primitive_element)
        # additive generators over GF(p): 1, w, w^2, ..., w^(k-1)
        k = int(gf.degree)
        w = gf.primitive_element
        self.additive_basis = [int(w**i) for i in range(k)]

    def _init_prime(self, p: int) -> None:
        a = np.arange(p)
        self.q = self.p = p
        self.prime = True
        self.add = (a[:, None] + a[None, :]) % p
        self.mul = (a[:, None] * a[None, :]) % p
        self.neg = (-a) % p
        self.inv = np.array([0] + [pow(int(x), -1, p) for x in a[1:]], dtype=np.int64)
        self.primitive = next(g for g in range(1, p) if p == 2 or all(
            pow(g, (p - 1) // f, p) != 1 for f in _prime_factors(p - 1)))
        self.additive_basis = [1]

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Batched product of (k, d, d) matrices a @ b over GF(q)."""
        if self.prime:
            return np.matmul(a, b) % self.q
        prod = self.mul[a[:, :, :, None], b[:, None, :, :]]  # (k, i, j, l)
        out = prod[:, :, 0, :]
        for j in range(1, prod.shape[2]):
            out = self.add[out, prod[:, :, j, :]]
        return out

    def normalise_projective(self, a: np.ndarray) -> np.ndarray:
        """Scale each (k, d, d) matrix so its first non-zero entry (row-major) is 1."""
        flat = a.reshape(a.shape[0], -1)
        first = np.argmax(flat != 0, axis=1)
        s = self.inv[flat[np.arange(len(flat)), first]]
        return self.mul[s[:, None], flat].reshape(a.shape)

    def det(self, a: np.ndarray) -> np.ndarray:
        """Determinants of (k, d, d) matrices by Gaussian elimination, batched over k."""
        a = a.copy()
        k, d, _ = a.shape
        det = np.ones(k, dtype=np.int64)
        rows = np.arange(k)
        for c in range(d):
            # pivot: first row >= c with non-zero entry in column c
            nz = a[:, c:, c] != 0
            has = nz.any(axis=1)
            piv = c + np.argmax(nz, axis=1)
            det = np.where(has, det, 0)
            sw = has & (piv != c)
            if sw.any():
                r = rows[sw]
                tmp = a[r, c, :].copy()
                a[r, c, :] = a[r, piv[sw], :]
                a[r, piv[sw], :] = tmp
                det[r] = self.neg[det[r]]
            pv = np.where(has, a[:, c, c], 1)
            det = self.mul[det, pv]
            pinv = self.inv[pv]
            for r2 in range(c + 1, d):
                f = self.mul[a[:, r2, c], pinv]  # factor
                sub = self.mul[f[:, None], a[:, c, :]]
                a[:, r2, :] = self.add[a[:, r2, :], self.neg[sub]]
        return det


#: Largest field whose q×q arithmetic tables are built (two int64 tables of 128 MiB each).
MAX_FIELD_ORDER = 4096


def matrix_generators(generators, q: int | None) -> tuple[np.ndarray, int]:
    """Matrix generators as one (k, d, d) integer array and the field order q (read from
    galois FieldArrays when not given); a fraction, a non-number or a ragged list is refused.

    >>> gens, q = matrix_generators([[[1, 1], [0, 1]]], 3)
    >>> gens.shape, q
    ((1, 2, 2), 3)
    >>> matrix_generators([[[1.5, 0], [0, 1]]], 3)
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: matrix entries must be whole numbers (field elements
    0..q-1), got a fraction or NaN
    """
    if isinstance(generators, (str, bytes)) or not (
            isinstance(generators, Iterable) or hasattr(generators, "ndim")):
        raise GroupSpecError("matrix generators must be square integer matrices (a list of "
                             f"lists of lists, or an array), got {type(generators).__name__}")
    gens_list = list(generators) if not hasattr(generators, "ndim") or generators.ndim == 3 \
        else [generators]
    if not gens_list:
        raise GroupSpecError("no matrix generators given")
    if q is None:
        order = getattr(type(gens_list[0]), "order", None)
        if order is None:
            raise GroupSpecError("give q, or pass galois FieldArray generators")
        q = int(order)
    q = integer(q, "the field order q", minimum=2, error=GroupSpecError)
    try:
        arrs = [np.asarray(g) for g in gens_list]
        gens = np.stack(arrs) if len({a.shape for a in arrs}) == 1 else None
    except (TypeError, ValueError):
        gens = None
    if gens is None or gens.dtype == object or gens.dtype.kind not in "iuf":
        raise GroupSpecError("matrix generators must be square integer matrices of one size "
                             "(field elements 0..q-1)")
    if gens.dtype.kind == "f" and not np.all(np.isfinite(gens) & (gens == np.round(gens))):
        raise GroupSpecError("matrix entries must be whole numbers (field elements 0..q-1), got "
                             "a fraction or NaN")
    gens = gens.astype(np.int64)
    if gens.ndim != 3 or gens.shape[1] != gens.shape[2] or gens.shape[1] == 0:
        raise GroupSpecError(f"matrix generators must be square and of one size, got {gens.shape}")
    if gens.min() < 0 or gens.max() >= q:
        raise GroupSpecError(f"matrix entries must be field elements 0..{q - 1}")
    return gens, q


@lru_cache(maxsize=32)
def field_tables(q: int) -> FieldTables:
    """Cached :class:`FieldTables` for GF(q)."""
    if isinstance(q, bool) or not isinstance(q, int) or q < 2:
        raise GroupSpecError(f"GF({q}) does not exist: q must be a prime power >= 2")
    if q > MAX_FIELD_ORDER:
        raise GroupTooLargeError(
            f"GF({q}) is too large: fields up to GF({MAX_FIELD_ORDER}) are supported")
    return FieldTables(q)


def generate(gens: np.ndarray, q: int, projective: bool, max_order: int, what: str
             ) -> tuple[np.ndarray, np.ndarray]:
    """The elements (identity first) and Cayley table of the group that the invertible
    (k, d, d) matrices ``gens`` over GF(q) generate, modulo scalars if ``projective``;
    :class:`GroupTooLargeError` past ``max_order``.

    >>> elems, mul = generate(np.array([[[1, 1], [0, 1]]]), 5, False, 10, "U")
    >>> len(elems), elems[2].tolist()
    (5, [[1, 2], [0, 1]])
    """
    F = field_tables(q)
    d = gens.shape[1]
    compose = F.matmul
    if projective:
        gens = F.normalise_projective(gens)

        def compose(a, b):
            return F.normalise_projective(F.matmul(a, b))

    index = ElementIndex(q, d * d)
    elems, parent, gen_of = closure(gens, np.eye(d, dtype=np.int64), compose, index, max_order, what)
    return elems, table_from_tree(elems, parent, gen_of, gens, compose, index)


def check_linear_order(n: int, q: int, family: str, max_order: int) -> None:
    """Refuse GL/SL/PSL/PGL(n, q) past ``max_order`` before the closure tries to enumerate it
    (a huge n or q would otherwise exhaust memory in the first rounds).

    >>> check_linear_order(2, 7, "PSL", 200)
    >>> check_linear_order(3, 5, "SL", 200)
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupTooLargeError: SL(3,5) has 372000 elements, more than the limit 200;
    pass a larger max_order if its Cayley table will fit in memory
    """
    field_tables(q)  # GroupSpecError unless q is a (small enough) prime power
    what = f"{family}({n},{q})"
    # |PSL(n,q)| >= q^(n(n-1)/2) (the unitriangular matrices), a lower bound for all four
    if n >= 2 and n * (n - 1) // 2 * math.log2(q) > math.log2(max(max_order, 1)) + 1:
        raise GroupTooLargeError(
            f"{what} has at least {q}^{n * (n - 1) // 2} elements, more than the limit "
            f"{max_order}; pass a larger max_order if its Cayley table will fit in memory")
    gl = math.prod(q**n - q**i for i in range(n))
    order = {"GL": gl, "SL": gl // (q - 1), "PGL": gl // (q - 1),
             "PSL": gl // (q - 1) // math.gcd(n, q - 1)}[family]
    check_size(order, max_order, what)


def linear_generators(n: int, q: int, special: bool) -> np.ndarray:
    """Generators of SL(n, q) (``special``) or GL(n, q): the elementary matrices
    1 + a·E_ij for a in an additive basis of GF(q), and a primitive diagonal one for GL.

    >>> linear_generators(2, 3, special=True).tolist()
    [[[1, 1], [0, 1]], [[1, 0], [1, 1]]]
    """
    F = field_tables(q)
    gens = []
    for i in range(n):
        for j in range(n):
            if i != j:
                for a in F.additive_basis:
                    m = np.eye(n, dtype=np.int64)
                    m[i, j] = a
                    gens.append(m)
    if not special and q > 2:
        m = np.eye(n, dtype=np.int64)
        m[0, 0] = F.primitive
        gens.append(m)
    if not gens:  # n == 1
        gens.append(np.eye(1, dtype=np.int64) * (1 if special else F.primitive))
    return np.stack(gens)


def _is_prime(q: int) -> bool:
    return q >= 2 and all(q % f for f in range(2, int(q**0.5) + 1))


def _prime_factors(n: int) -> list[int]:
    out, f = [], 2
    while f * f <= n:
        if n % f == 0:
            out.append(f)
            while n % f == 0:
                n //= f
        f += 1
    if n > 1:
        out.append(n)
    return out
