"""Direct-sum blocks of algebra structure tensors, found exactly over Q (python-flint).

The multiplication tensor ``T[a, b, c]`` (``e_a e_b = sum_c T[a, b, c] e_c``; for the word
``xy`` it is the group algebra ``Q[G]``) of a semisimple algebra ``A`` splits along its central
idempotents: ``A = (+)_i A e_i``, two-sided ideals with ``A e_i . A e_j = 0`` for ``i != j``.
In a basis adapted to the ideals, ``T`` is block diagonal, and decompositions of the blocks
add up to a decomposition of ``T`` (so ``rank T <= sum_i rank T_i``).

Computation, exact throughout: the centre ``Z(A)`` is an integer nullspace; for a random
central element ``z`` the irreducible factors ``p_i`` over Q of the minimal polynomial of its
multiplication map give the ideals ``ker p_i(L_z)``.  Each ideal's basis is LLL-reduced (small
integer vectors), and each block tensor is scaled by the common denominator ``D_i`` of its rows
of the inverse basis, so that it is an integer tensor (exact in float64 for the solvers and for
:func:`~wordtensor.cp.exactify`).  The blocks are over Q: a block whose centre is a number field
(e.g. ``Q(sqrt 5)``) may split further over R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import WordTensorError
from ._units import matrix_units


@dataclass(frozen=True)
class AlgebraBlocks:
    """The blocks of an algebra structure tensor (see :func:`~wordtensor.cp.algebra_blocks`).

    ``basis`` (``n x n`` Fractions) holds the block bases as columns, block after block;
    ``inverse`` its exact inverse; ``sizes`` the block dimensions; ``tensors`` the integer
    block tensors ``D_i T_i`` (float64 arrays), ``denominators`` the ``D_i``, and ``split``
    which blocks are in the basis of their matrix units (block tensor exactly ``<d,d,d>``,
    ``D_i = 1``); the others have small integer (LLL-reduced) bases.

    >>> from wordtensor import word_tensor
    >>> B = algebra_blocks(word_tensor("Z3", "xy"))   # Q[Z3] = Q + Q(w)
    >>> B.sizes, B.denominators, B.tensors[1].shape
    ((1, 2), (3, 3), (2, 2, 2))
    """

    basis: np.ndarray
    inverse: np.ndarray
    sizes: tuple[int, ...]
    tensors: tuple[np.ndarray, ...]
    denominators: tuple[int, ...]
    split: tuple[bool, ...] = ()

    def __len__(self) -> int:
        return len(self.sizes)

    def _spans(self) -> list[slice]:
        offs = np.cumsum((0,) + self.sizes)
        return [slice(int(a), int(b)) for a, b in zip(offs[:-1], offs[1:])]

    def to_tensor_basis(self, cps: list) -> object:
        """One CPTensor of the whole tensor from decompositions of the blocks ``D_i T_i``."""
        from tensorly.cp_tensor import CPTensor

        from ._verify import cp_arrays

        n = self.basis.shape[0]
        Qit = np.array(self.inverse, dtype=np.float64).T
        Q = np.array(self.basis, dtype=np.float64)
        cols: list[list[np.ndarray]] = [[], [], []]
        for cp, span, D in zip(cps, self._spans(), self.denominators):
            w, F = cp_arrays(cp)
            F = [F[0] * w] + F[1:]
            for k, (M, f) in enumerate(zip((Qit, Qit, Q), F)):
                g = M[:, span] @ f
                cols[k].append(g / D if k == 2 else g)
        F = [np.concatenate(c, axis=1) if c else np.zeros((n, 0)) for c in cols]
        return CPTensor((np.ones(F[0].shape[1]), F))

    def to_tensor_basis_exact(self, fractions: list[list[np.ndarray]]) -> list[np.ndarray]:
        """Exact rational factors of the whole tensor from exact factors of the blocks."""
        Qit = self.inverse.T
        Q = np.vectorize(Fraction, otypes=[object])(np.asarray(self.basis, dtype=object))
        cols: list[list[np.ndarray]] = [[], [], []]
        for F, span, D in zip(fractions, self._spans(), self.denominators):
            for k, (M, f) in enumerate(zip((Qit, Qit, Q), F)):
                g = M[:, span].dot(np.asarray(f, dtype=object))
                cols[k].append(g * Fraction(1, D) if k == 2 else g)
        return [np.concatenate(c, axis=1) for c in cols]


def _dense_integer(tensor: object) -> np.ndarray:
    from ._verify import Target

    t = Target(tensor)
    T = t.dense if t.dense is not None else t.slab(0, t.shape[0])
    if T.ndim != 3 or len(set(T.shape)) != 1:
        raise WordTensorError(f"an algebra structure tensor is n x n x n; got shape {T.shape}")
    if not (np.all(np.isfinite(T)) and np.array_equal(np.rint(T), T)):
        raise WordTensorError("algebra_blocks needs an integer structure tensor (e.g. a word "
                              "tensor of the word xy, or a multiplication tensor)")
    return np.rint(T).astype(np.int64)


def _kernel_rows(M) -> list[list[int]]:
    """A small integer basis (as rows) of the right nullspace of an fmpz_mat: the reduced row
    echelon form of a basis, each row made primitive, then LLL-reduced."""
    import flint

    X, nullity = M.nullspace()
    if nullity == 0:
        return []
    K = flint.fmpq_mat(nullity, X.nrows(), [X[i, j] for j in range(nullity)
                                            for i in range(X.nrows())])
    E, _ = K.rref()
    rows = []
    for i in range(E.nrows()):
        q = [E[i, j] for j in range(E.ncols())]
        den = math.lcm(*[int(x.q) for x in q])
        ints = [int(x.p) * (den // int(x.q)) for x in q]
        g = math.gcd(*ints) or 1
        rows.append([v // g for v in ints])
    L = flint.fmpz_mat(rows).lll()
    return [[int(L[i, j]) for j in range(L.ncols())] for i in range(L.nrows())]


def algebra_blocks(tensor: object, *, seed: int = 0, tries: int = 8,
                   units: bool = True, min_blocks: int = 1) -> AlgebraBlocks:
    """The direct-sum blocks of the structure tensor of a semisimple algebra over Q.

    ``tensor[a, b, c]`` is the coefficient of ``e_c`` in ``e_a e_b`` (a word tensor of ``xy``,
    a matrix multiplication tensor, ...).  Raises :class:`~wordtensor.errors.WordTensorError` if
    the ideals do not split the tensor (not a semisimple algebra).  ``seed`` and ``tries``: the
    random central elements tried (the one with the most blocks is kept).  With ``units``, a
    block ``M_d(Q)`` gets the basis of its matrix units (``_units``), in which its tensor is
    exactly ``<d,d,d>``.  With fewer than ``min_blocks`` blocks the matrix units are not looked
    for (a caller that needs a split only saves their cost).

    >>> from wordtensor import word_tensor
    >>> algebra_blocks(word_tensor("S3", "xy")).sizes   # Q[S3] = Q + Q + M_2(Q)
    (1, 1, 4)
    """
    import flint

    T = _dense_integer(tensor)
    n = T.shape[0]
    # centre: sum_a z_a (T[a, b, c] - T[b, a, c]) = 0 for all b, c
    C = (T - T.transpose(1, 0, 2)).transpose(1, 2, 0).reshape(n * n, n)
    centre = _kernel_rows(flint.fmpz_mat(C.tolist()))
    if not centre:
        raise WordTensorError("the algebra has a zero centre; it is not semisimple with a unit")
    left = T.transpose(0, 2, 1)  # left[a] = matrix of x -> e_a x  (rows c, columns b)
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(max(1, tries)):
        coef = rng.integers(-9, 10, size=len(centre))
        z = np.array(centre, dtype=object).T.dot(coef.astype(object))
        Lz = np.tensordot(z, left.astype(object), axes=(0, 0))
        L = flint.fmpz_mat(Lz.tolist())
        ideals = []
        for p, _ in L.minpoly().factor()[1]:
            cs = [int(c) for c in p.coeffs()]  # constant term first
            P = flint.fmpz_mat(n, n)
            for c in reversed(cs):  # Horner: P = P L + c I
                P = P * L + flint.fmpz_mat([[c if i == j else 0 for j in range(n)]
                                            for i in range(n)])
            ideals.append(_kernel_rows(P))
        if sum(len(b) for b in ideals) == n and (best is None or len(ideals) > len(best)):
            best = ideals
    if best is None:
        raise WordTensorError("the central idempotents do not split the algebra (is it "
                              "semisimple?); no block decomposition")
    best.sort(key=lambda rows: (len(rows), rows))
    Q = np.array([v for rows in best for v in rows], dtype=np.int64).T  # columns: the bases
    Qinv = flint.fmpq_mat(flint.fmpz_mat(Q.tolist())).inv()
    inverse = np.array([[Fraction(int(Qinv[i, j].p), int(Qinv[i, j].q)) for j in range(n)]
                        for i in range(n)], dtype=object)
    sizes = tuple(len(rows) for rows in best)
    # T' = T x1 Q^T x2 Q^T x3 Q^-1, in integers block by block (D_i Q^-1 is integral)
    To = T.astype(object)
    X = np.tensordot(np.tensordot(To, Q.astype(object), axes=(0, 0)), Q.astype(object),
                     axes=(0, 0))  # (c, p, q)
    tensors, dens = [], []
    offs = np.cumsum((0,) + sizes)
    for a, b in zip(offs[:-1], offs[1:]):
        rows = inverse[a:b]
        D = math.lcm(*[q.denominator for q in rows.flat])
        N = (rows * D).astype(object)
        blk = np.tensordot(X[:, a:b, a:b], N, axes=(0, 1))  # (p, q, r)
        other = [j for j in range(n) if not a <= j < b]
        # products within a block stay in it, products across blocks vanish
        if other and (np.any(X[:, a:b, a:b].T.dot(np.array([inverse[j] for j in other]).T)
                             != 0)):
            raise WordTensorError("the ideals found are not closed under multiplication")
        tensors.append(np.array(blk.tolist(), dtype=np.float64))
        dens.append(int(D))
    for i, (a, b) in enumerate(zip(offs[:-1], offs[1:])):
        for j, (c, d) in enumerate(zip(offs[:-1], offs[1:])):
            if i != j and np.any(X[:, a:b, c:d] != 0):
                raise WordTensorError("the ideals found do not annihilate each other; the "
                                      "tensor is not the structure tensor of a semisimple "
                                      "algebra")
    basis = np.vectorize(Fraction, otypes=[object])(Q.astype(object))
    split = [False] * len(sizes)
    for i, (a, b) in enumerate(zip(offs[:-1], offs[1:])):
        d = math.isqrt(sizes[i])
        if not units or len(sizes) < min_blocks or d * d != sizes[i] or d < 2:
            continue
        D = dens[i]
        exact = np.array([Fraction(int(x), D) for x in tensors[i].flat],
                         dtype=object).reshape(tensors[i].shape)
        found = matrix_units(exact, inverse[a:b].T)
        if found is None:
            continue
        Psi, Phi = found
        new = np.tensordot(np.tensordot(np.tensordot(exact, Psi, axes=(0, 0)), Psi,
                                        axes=(0, 0)), Phi, axes=(0, 1))  # (p, q, r)
        mm = matmul_structure(d)
        if np.any(new != mm.astype(object)):
            continue
        basis[:, a:b] = basis[:, a:b].dot(Psi)
        inverse[a:b] = Phi.dot(inverse[a:b])
        tensors[i], dens[i], split[i] = mm, 1, True
    return AlgebraBlocks(basis, inverse, sizes, tuple(tensors), tuple(dens), tuple(split))


def matmul_structure(d: int) -> np.ndarray:
    """The structure tensor of ``M_d`` in its matrix units: ``T[(i,j), (j,k), (i,k)] = 1``."""
    T = np.zeros((d, d, d, d, d, d))
    for i, j, k in np.ndindex(d, d, d):
        T[i, j, j, k, i, k] = 1.0
    return T.reshape(d * d, d * d, d * d)


def _orthonormal(basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(L, Linv)`` with ``basis^T basis = L L^T`` (Cholesky): ``eta = L^T xi`` are
    coordinates of the block that are orthonormal for the tensor's own inner product."""
    G = basis.astype(np.float64).T @ basis.astype(np.float64)
    L = np.linalg.cholesky(G)
    return L, np.linalg.inv(L)


def search_tensor(blocks: AlgebraBlocks, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block ``i`` in orthonormal coordinates (for a group algebra: an orthogonal image of
    ``<d,d,d>``, on which the solvers behave as on the matrix multiplication tensor) and the
    maps ``(L, L^-T)`` that take its factors back to the block's integer basis."""
    if blocks.split and blocks.split[i]:  # already <d,d,d>: search it as it is
        eye = np.eye(blocks.sizes[i])
        return blocks.tensors[i], eye, eye
    span = blocks._spans()[i]
    L, Li = _orthonormal(np.array(blocks.basis[:, span], dtype=np.float64))
    X = np.einsum("abc,pa,qb,cr->pqr", blocks.tensors[i], Li, Li, L)
    return X, L, Li.T


def _certificate(B: AlgebraBlocks, certs: list, cp, error: float, target, spent: float,
                 failed: str):
    """The certificate of the whole tensor from the blocks' certificates (None: no fit)."""
    from tensorly.cp_tensor import CPTensor

    from ._exact import Certificate, verify_exact
    from ._verify import relative_error

    if all(c is not None and c.exact for c in certs):
        fr = B.to_tensor_basis_exact([c.fractions for c in certs])
        ok = verify_exact(fr, target)
        Ff = [np.array(f, dtype=np.float64) for f in fr]
        cp_ex = CPTensor((np.ones(Ff[0].shape[1]), Ff))
        return Certificate(ok, cp_ex, fr if ok else None, relative_error(cp_ex, target),
                           int(sum(np.count_nonzero(f) for f in Ff)),
                           int(max(x.denominator for f in fr for x in f.flat)),
                           sum(c.pins for c in certs), spent,
                           "exact blocks mapped to the tensor's basis and verified there"
                           if ok else "exact blocks did not map to an exact decomposition")
    bad = [i for i, c in enumerate(certs) if c is None or not c.exact]
    return Certificate(False, cp, None, error, int(sum(np.count_nonzero(
        np.abs(f) > 1e-12) for f in cp.factors)), 0,
        sum(c.pins for c in certs if c is not None), spent,
        f"blocks {bad} (sizes {[B.sizes[i] for i in bad]}) not exactified in {failed}")


def exactify_blocks(result, tensor: object, *, exactify, time_limit: float = 60.0):
    """Exactify a block-path :class:`~wordtensor.cp.CPSearchResult` block by block: its
    factors are taken back to each block's integer basis, each block type is exactified once
    (``time_limit`` seconds), and the rational factors are mapped to the tensor's basis and
    verified there (zero components are dropped).  A block whose fit has no rational point
    nearby gives a numerical certificate; ``block_search(tensor, result.block_ranks,
    blocks=result.blocks, exact=True)`` then tries fresh fits."""
    from tensorly.cp_tensor import CPTensor

    from ._verify import Target, cp_arrays, relative_error

    B, ranks = result.blocks, [int(r) for r in result.block_ranks]
    w, F = cp_arrays(result.cp)
    F = [F[0] * w] + F[1:]
    Q = np.array(B.basis, dtype=np.float64)
    Qinv = np.array(B.inverse, dtype=np.float64)
    certs, cps, cache, spent, start = [], [], {}, 0.0, 0
    for span, D, r, T in zip(B._spans(), B.denominators, ranks, B.tensors):
        cols = slice(start, start + r)
        start += r
        f = [Q[:, span].T @ F[0][:, cols], Q[:, span].T @ F[1][:, cols],
             D * (Qinv[span] @ F[2][:, cols])]
        cps.append(CPTensor((np.ones(r), f)))
        key = np.asarray(T).tobytes() + b"".join(np.round(x, 9).tobytes() for x in f)
        if key not in cache:
            cache[key] = exactify(cps[-1], T, time_limit=time_limit)
            spent += cache[key].seconds
        certs.append(cache[key])
    cp = B.to_tensor_basis(cps)
    target = Target(tensor)
    return _certificate(B, certs, cp, relative_error(cp, target), target, spent,
                        "one fit; block_search(..., exact=True) tries fresh fits")


def block_search(tensor: object, ranks, *, cp_search, exactify,
                 blocks: AlgebraBlocks | None = None,
                 exact: bool = False, exact_time_limit: float = 60.0, exact_tries: int = 3,
                 tol: float = 1e-10, random_state: int = 0, **search_options):
    """The driver behind :func:`wordtensor.cp.block_search`; ``cp_search`` and ``exactify`` are
    passed in by the package (this module sits below it)."""
    import time

    from tensorly.cp_tensor import CPTensor

    from ._results import BlockSearchResult
    from ._verify import Target, cp_arrays, relative_error

    t0 = time.perf_counter()
    B = algebra_blocks(tensor) if blocks is None else blocks
    ranks = [int(r) for r in ranks]
    if len(ranks) != len(B):
        raise WordTensorError(f"give one rank per block: the blocks have sizes {B.sizes}, "
                              f"got {len(ranks)} ranks")
    target = Target(tensor)
    results, cps, certs = [], [], []
    spent = 0.0  # seconds in exactify, over every block and every try
    for i, r in enumerate(ranks):
        X, L, LiT = search_tensor(B, i)
        tries = exact_tries if exact else 1
        for k in range(tries):
            res = cp_search(X, r, tol=tol, random_state=int(random_state) + 1000 * k,
                            **search_options)
            w, F = cp_arrays(res.cp)
            cp_i = CPTensor((np.ones(r), [L @ (F[0] * w), L @ F[1], LiT @ F[2]]))
            if not exact or not res.success:
                break
            c = exactify(cp_i, B.tensors[i], time_limit=exact_time_limit)
            spent += c.seconds
            if c.exact:
                break
        results.append(res)
        cps.append(cp_i)
        if exact:
            certs.append(c if res.success else None)
    cp = B.to_tensor_basis(cps)
    error = relative_error(cp, target)
    success = all(r.success for r in results) and error < tol
    cert = None
    if exact and success:
        cert = _certificate(B, certs, cp, error, target, spent,
                            f"{exact_tries} fits each; numerical certificate")
    return BlockSearchResult(cp=cp, error=error, success=success, rank=sum(ranks), blocks=B,
                             results=results, seconds=time.perf_counter() - t0,
                             certificate=cert)
