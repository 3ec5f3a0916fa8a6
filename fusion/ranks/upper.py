"""Constructive upper bounds with their factors: the algebra blocks of xy (and relabellings), slices.

For ``xy``, the best known decomposition of each simple block of R[G] is mapped through its
Fourier block to the group basis (the same factors serve relabellings of xy); for any
two-variable word, its slices give exact 0/1 factors.

* ``constructive`` (``xy``): per bsc, the best known decomposition of M_d(R), M_d(C) or
  M_{d/2}(H) (:func:`fusion.algebras.best_decomposition`), pulled back along the algebra
  embedding :func:`algebra_embedding`.
* ``slices``: δ = Σ_slices (0/1 matrix), and a 0/1 matrix with r distinct non-zero rows has rank
  ≤ r: exact 0/1 factors.
"""

from __future__ import annotations

import itertools

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Group, WordTensor
from wordtensor.errors import WordTensorError

from ..algebras import best_decomposition, multiplication_tensor
from ..reps.fourier import fourier_basis, plancherel_weights
from ..reps.irreps import BSC, bscs

__all__ = ["constructive_xy"]


def algebra_embedding(b: BSC) -> tuple[str, int, np.ndarray]:
    """(algebra, d, ι) with ι[α] the real D×D matrix of the α-th basis element of M_d(algebra)
    (the basis of :func:`fusion.algebras.multiplication_tensor`) inside the algebra spanned by
    the bsc's matrices.

    >>> from wordtensor import Group
    >>> [algebra_embedding(b)[:2] for b in bscs(Group.from_spec("S3"))]
    [('R', 1), ('R', 1), ('R', 2)]
    >>> [algebra_embedding(b)[0] for b in bscs(Group.from_spec("Z4"))]   # 1c+1d is complex
    ['R', 'R', 'C']
    >>> alg, d, iota = algebra_embedding(bscs(Group.from_spec("Q8"))[-1])  # the quaternionic bsc
    >>> alg, d, iota.shape
    ('H', 1, (4, 4, 4))
    >>> T_alg = multiplication_tensor(alg, d)                 # ι is multiplicative
    >>> bool(np.allclose(np.einsum("aij,bjk->abik", iota, iota),
    ...                  np.einsum("abc,cik->abik", T_alg, iota)))
    True
    """
    d = b.irrep_dim
    if b.kind == "real":
        return "R", d, np.eye(d * d).reshape(d * d, d, d)
    if b.kind == "complex":
        out = []
        for i, j in itertools.product(range(d), range(d)):
            E = np.zeros((d, d))
            E[i, j] = 1
            Z = np.zeros((d, d))
            out.append(np.block([[E, Z], [Z, E]]))
            out.append(np.block([[Z, -E], [E, Z]]))
        return "C", d, np.array(out)
    m = d // 2
    out = []
    for i, j in itertools.product(range(m), range(m)):
        E = np.zeros((m, m))
        E[i, j] = 1
        for a, bb in ((E, 0 * E), (1j * E, 0 * E), (0 * E, E), (0 * E, -1j * E)):
            Cm = np.block([[a, -np.conj(bb)], [bb, np.conj(a)]])
            out.append(np.block([[Cm.real, -Cm.imag], [Cm.imag, Cm.real]]))
    return "H", m, np.array(out)


def constructive_xy(G: Group) -> tuple[CPTensor, list[dict]]:
    """Certified factors of the multiplication tensor of R[G]: per bsc the best known algebra
    decomposition, mapped through the Fourier block to the group basis. Returns the CP and one
    record per bsc (name, algebra, rank, method, block error).

    >>> from wordtensor import Group, word_tensor
    >>> cp, recs = constructive_xy(Group.from_spec("S3"))
    >>> [(r["bsc"], r["algebra"], r["rank"], r["method"]) for r in recs]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('1a', 'M_1(R)', 1, 'standard<1,1,1>'), ('1b', 'M_1(R)', 1, 'standard<1,1,1>'),
     ('2a', 'M_2(R)', 7, 'strassen')]
    >>> w, (A, B, C) = cp
    >>> A.shape                                          # 1 + 1 + 7 = 9 components
    (6, 9)
    >>> rec = np.einsum("r,ar,br,cr->abc", w, A, B, C)
    >>> bool(np.max(np.abs(rec - word_tensor("S3", "xy").dense())) < 1e-12)
    True
    >>> [r["rank"] for r in constructive_xy(Group.from_spec("Z4"))[1]]   # 5 = 2·4 − 3
    [1, 1, 3]
    """
    F = fourier_basis(G)
    parts, records = [], []
    for phi, (b, c) in enumerate(zip(bscs(G), plancherel_weights(G))):
        alg, d, iota = algebra_embedding(b)
        kd = best_decomposition(alg, d)
        T_alg = multiplication_tensor(alg, d)
        # ι must be an algebra homomorphism (independent check of the embedding)
        prod = np.einsum("aij,bjk->abik", iota, iota)
        hom = float(np.max(np.abs(prod - np.einsum("abc,cik->abik", T_alg, iota))))
        if hom > 1e-12:
            raise RuntimeError(f"embedding of {alg} into bsc {b.name} is not a homomorphism ({hom})")
        rows = F.rows(phi)
        Fh = np.tensordot(rows, b.matrices, axes=(1, 0))  # (s, D, D)
        Phi = c * np.einsum("pij,aij->pa", Fh, iota)  # algebra coords -> Fourier coords
        PhiInvT = np.linalg.inv(Phi).T
        w, (U, V, W) = kd.cp
        parts.append((w, rows.T @ (PhiInvT @ U), rows.T @ (PhiInvT @ V), rows.T @ (Phi @ W)))
        records.append({"bsc": b.name, "kind": b.kind, "algebra": f"M_{d}({alg})", "rank": kd.rank,
                        "method": kd.method})
    weights = np.concatenate([p[0] for p in parts])
    factors = [np.concatenate([p[i] for p in parts], axis=1) for i in (1, 2, 3)]
    return CPTensor((weights, factors)), records


def block_factors(G: Group, cp: CPTensor, records: list[dict]) -> dict:
    """The factors of :func:`constructive_xy` block by block, in Fourier coordinates: triplet
    (φ, φ, φ) -> (rank, method, CPTensor of that block), the form :func:`~fusion.ranks.
    box_cover.box_cover` takes as ``known`` bounds.

    >>> from wordtensor import Group
    >>> G = Group.from_spec("S3")
    >>> known = block_factors(G, *constructive_xy(G))
    >>> {t: (r, m) for t, (r, m, _) in known.items()}[(2, 2, 2)]
    (7, 'strassen')
    >>> known[(2, 2, 2)][2].factors[0].shape          # the 4-dim block of 2a, 7 terms
    (4, 7)
    """
    F = fourier_basis(G)
    w, fs = cp
    out, start = {}, 0
    for phi, rec in enumerate(records):
        sel = slice(start, start + rec["rank"])
        start += rec["rank"]
        rows = F.rows(phi)
        out[(phi,) * 3] = (rec["rank"], rec["method"],
                           CPTensor((w[sel], [rows @ f[:, sel] for f in fs])))
    return out


def relabelled_xy(G: Group, equivalence: tuple[bool, np.ndarray, np.ndarray]
                  ) -> tuple[CPTensor, list[dict]]:
    """The factors of :func:`constructive_xy` for a word equivalent to ``xy`` by the relabelling
    ``equivalence`` = (swap, α, β) of :func:`~fusion.ranks.relabel.multiplication_equivalence`:
    the rows of the input factors permuted (and the inputs swapped); the block records as for xy.

    >>> from wordtensor import Group, word_tensor
    >>> from fusion.ranks.relabel import multiplication_equivalence
    >>> from fusion.ranks.certificates import cp_error
    >>> G = Group.from_spec("S3")
    >>> T = word_tensor(G, "XY")
    >>> cp, recs = relabelled_xy(G, multiplication_equivalence(T))
    >>> cp.factors[0].shape[1], bool(cp_error(cp, T)[0] < 1e-12)
    (9, True)
    """
    swap, alpha, beta = equivalence
    cp, recs = constructive_xy(G)
    w, (U, V, W) = cp
    fa, fb = (V[alpha], U[beta]) if swap else (U[alpha], V[beta])
    return CPTensor((w, [fa, fb, W])), recs


def _distinct_rows(M: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Distinct non-zero rows of a 0/1 matrix: [(indicator of the rows, the row), ...]."""
    keep = np.flatnonzero(M.any(axis=1))
    if not len(keep):
        return []
    packed = np.ascontiguousarray(np.packbits(M[keep], axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    out = []
    for k, f in enumerate(first):
        ind = np.zeros(M.shape[0])
        ind[keep[inv.ravel() == k]] = 1
        out.append((ind, M[keep[f]].astype(float)))
    return out


def slice_decomposition(T: WordTensor) -> tuple[CPTensor, int]:
    """Exact 0/1 factors from slices: δ = Σ_s (slice s) along the mode m that needs the fewest
    terms; a 0/1 slice matrix with r distinct non-zero rows is the sum of r terms
    (indicator of those rows) ⊗ (the row), so rank(δ) ≤ Σ_s r_s.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.certificates import cp_error
    >>> T = word_tensor("S3", "xy")
    >>> cp, mode = slice_decomposition(T)
    >>> cp.factors[0].shape[1], mode                  # one term per (a, output): n² = 36
    (36, 0)
    >>> cp_error(cp, T), sorted({float(x) for f in cp.factors for x in f.ravel()})
    ((0.0, 'group basis'), [0.0, 1.0])
    >>> cp, mode = slice_decomposition(word_tensor("S3", "[x,y]"))
    >>> cp.factors[0].shape[1], mode                  # along the output: only 13 terms
    (13, 2)
    """
    if T.ndim != 3:
        raise WordTensorError("slice decompositions are implemented for two-variable words")
    n = T.n
    img = T.image.reshape(n, n)
    # modes 0 and 1: every row of a slice has a single 1, so distinct rows = distinct outputs
    counts = [sum(len(np.unique(img[a])) for a in range(n)),
              sum(len(np.unique(img[:, b])) for b in range(n)), None]
    slices2 = [_distinct_rows(img == c) for c in range(n)]
    counts[2] = sum(len(t) for t in slices2)
    mode = int(np.argmin(counts))
    R = counts[mode]
    E, X, Y = np.zeros((n, R)), np.zeros((n, R)), np.zeros((n, R))
    r = 0
    for s in range(n):
        if mode == 2:
            terms = slices2[s]
        else:
            vals = img[s] if mode == 0 else img[:, s]
            terms = []
            for c in np.unique(vals):
                row = np.zeros(n)
                row[c] = 1
                terms.append(((vals == c).astype(float), row))
        for ind, row in terms:
            E[s, r], X[:, r], Y[:, r] = 1, ind, row
            r += 1
    factors = [E, X, Y] if mode == 0 else [X, E, Y] if mode == 1 else [X, Y, E]
    return CPTensor((np.ones(R), factors)), mode
