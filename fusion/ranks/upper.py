"""The constructive upper bound of xy: the best known decomposition of each algebra block, in the group basis.

By Wedderburn, R[G] ≅ ⊕_φ M_d(R), M_d(C) or M_{d/2}(H), one simple block per bsc φ, and the
Fourier basis realises the isomorphism. Per bsc, the best known decomposition of the block
(:func:`fusion.algebras.best_decomposition`: Strassen, Laderman, the 2025 records, Kronecker
products, Gauss, the quaternion product, ...) is pulled back along the algebra embedding
:func:`algebra_embedding` and mapped through the Fourier block to the group basis; the block
table cites the discoverers of every decomposition used. The same factors, with the rows of
the input factors permuted, serve a word whose tensor is xy with relabelled inputs
(:func:`relabelled_xy`). The certificate is ``constructive``: the algebra decompositions are
exact rationals (verified when loaded), the Fourier maps are floating point.
"""

from __future__ import annotations

import itertools

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Group

from ..algebras import best_decomposition, multiplication_tensor
from ..algebras.chains import chain_decomposition
from ..reps.fourier import fourier_basis, plancherel_weights
from ..reps.irreps import BSC, bscs
from .certificates import UpperBound

__all__ = ["constructive_xy", "xy_bound", "product_bound"]

#: The theorem behind the block-by-block construction.
WEDDERBURN = ("Wedderburn: R[G] is the direct product of the simple algebras M_d(R), M_d(C), "
              "M_d(H) of its real irreducible representations (the group Fourier transform); "
              "rank(R[G]) <= the sum of the ranks of the blocks")
CHAIN = ("Wedderburn for the k-fold product: x1...xk on R[G] is the direct sum over the blocks of "
         "their k-chains (x1,...,xk) -> x1...xk; the k-chain of M_d(K) is the standard chain of "
         "M_d(R) (d^(k+1) terms, optimal for real blocks and k = 3 by the (x1, x3 | x2, out) "
         "flattening) Kronecker the chain of K")


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
    record per bsc (name, kind, algebra, rank, method and the reference of its decomposition).

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
    key = "fusion.ranks.constructive_xy"
    if key not in G.cache:
        G.cache[key] = _constructive_xy(G)
    cp, records = G.cache[key]
    return CPTensor((cp.weights.copy(), [f.copy() for f in cp.factors])), [dict(r) for r in records]


def _constructive_xy(G: Group) -> tuple[CPTensor, list[dict]]:
    parts, records = [], []
    for b, rows, Phi, PhiInvT, alg, d in _block_maps(G):
        kd = best_decomposition(alg, d)
        w, (U, V, W) = kd.cp
        parts.append((w, rows.T @ (PhiInvT @ U), rows.T @ (PhiInvT @ V), rows.T @ (Phi @ W)))
        records.append({"bsc": b.name, "kind": b.kind, "algebra": f"M_{d}({alg})", "rank": kd.rank,
                        "method": kd.method, "reference": kd.reference})
    weights = np.concatenate([p[0] for p in parts])
    factors = [np.concatenate([p[i] for p in parts], axis=1) for i in (1, 2, 3)]
    return CPTensor((weights, factors)), records


def _block_maps(G: Group):
    """Per bsc: (bsc, Fourier rows, Φ, Φ⁻ᵀ, algebra, d) with Φ the map from the coordinates of
    M_d(algebra) (the basis of :func:`fusion.algebras.multiplication_tensor`) to the bsc's
    Fourier coordinates; an algebra homomorphism, checked on random elements (for the complex
    and quaternionic embeddings; the real one is the identity on matrix units)."""
    key = "fusion.ranks.block_maps"
    if key in G.cache:
        return G.cache[key]
    F = fourier_basis(G)
    out = []
    rng = np.random.default_rng(0)
    for phi, (b, c) in enumerate(zip(bscs(G), plancherel_weights(G))):
        alg, d, iota = algebra_embedding(b)
        if alg != "R":
            T_alg = multiplication_tensor(alg, d)
            x, y = rng.standard_normal((2, iota.shape[0]))
            lhs = np.tensordot(x, iota, 1) @ np.tensordot(y, iota, 1)
            rhs = np.tensordot(np.einsum("a,b,abc->c", x, y, T_alg), iota, 1)
            hom = float(np.max(np.abs(lhs - rhs)))
            if hom > 1e-10:
                raise RuntimeError(f"embedding of {alg} into bsc {b.name} is not a homomorphism "
                                   f"({hom})")
        rows = F.rows(phi)
        Fh = np.tensordot(rows, b.matrices, axes=(1, 0))  # (s, D, D)
        Phi = c * np.einsum("pij,aij->pa", Fh, iota)  # algebra coords -> Fourier coords
        out.append((b, rows, Phi, np.linalg.inv(Phi).T, alg, d))
    G.cache[key] = out
    return out


def product_bound(G: Group, k: int) -> UpperBound:
    """The constructive bound of the k-fold product x1⋯xk (k ≥ 2): for k = 2 the block-by-block
    bound of ``xy`` (:func:`xy_bound`); for k ≥ 3 the k-chain of each block,
    ``chain_d ⊗ chain_K`` (:func:`fusion.algebras.chains.chain_decomposition`): d^(k+1) terms
    for a real block — optimal for k = 3 — and d^(k+1)·c_K(k) for M_d(C), M_d(H). For an
    abelian group this is the Fourier diagonalisation: one term per real character and c_C(k)
    per pair of complex ones.

    >>> from wordtensor import Group, word_tensor
    >>> from fusion.ranks.certificates import cp_error
    >>> ub = product_bound(Group.from_spec("S3"), 3)          # 1 + 1 + 2⁴
    >>> ub.rank, [b["rank"] for b in ub.details["blocks"]]
    (18, [1, 1, 16])
    >>> bool(cp_error(ub.cp, word_tensor("S3", "xyz"))[0] < 1e-9)
    True
    >>> product_bound(Group.from_spec("Z5"), 3).rank           # 1 + 4 + 4
    9
    """
    if k == 2:
        return xy_bound(G)
    parts, records = [], []
    for b, rows, Phi, PhiInvT, alg, d in _block_maps(G):
        kd = chain_decomposition(alg, d, k)
        w, fs = kd.cp
        ins = [rows.T @ (PhiInvT @ f) for f in fs[:-1]]
        parts.append((w, *ins, rows.T @ (Phi @ fs[-1])))
        records.append({"bsc": b.name, "kind": b.kind, "algebra": f"M_{d}({alg})", "rank": kd.rank,
                        "method": kd.method, "reference": kd.reference})
    weights = np.concatenate([p[0] for p in parts])
    factors = [np.concatenate([p[i] for p in parts], axis=1) for i in range(1, k + 2)]
    cp = CPTensor((weights, factors))
    refs = (CHAIN, *dict.fromkeys(r["reference"] for r in records if r["reference"]))
    return UpperBound(int(len(weights)), f"{k}-chains of the blocks", "constructive", refs,
                      lambda: cp, {"blocks": records}, _cp=cp)


def block_references(records: list[dict]) -> tuple[str, ...]:
    """The theorem and the distinct references of the block decompositions, in order of use.

    >>> from wordtensor import Group
    >>> refs = block_references(constructive_xy(Group.from_spec("S3"))[1])
    >>> len(refs), refs[1].split(",")[0]
    (2, 'V. Strassen')
    """
    out = [WEDDERBURN]
    for rec in records:
        for r in filter(None, rec["reference"].splitlines()):
            if r not in out:
                out.append(r)
    return tuple(out)


def xy_bound(G: Group) -> UpperBound:
    """The constructive bound of ``xy`` as an :class:`~fusion.ranks.certificates.UpperBound`:
    the sum of the best known ranks of the blocks, citing their discoverers.

    >>> from wordtensor import Group
    >>> ub = xy_bound(Group.from_spec("A5"))          # 1 + 23 + 23 + 48 + 93
    >>> ub.rank, ub.certificate, [b["rank"] for b in ub.details["blocks"]]
    (188, 'constructive', [1, 23, 23, 48, 93])
    >>> sorted({r.split(",")[0] for r in ub.reference[1:]})
    ['J. D. Laderman', 'J. Moosbauer', 'J.-G. Dumas']
    """
    cp, recs = constructive_xy(G)
    return UpperBound(int(cp.factors[0].shape[1]), "constructive", "constructive",
                      block_references(recs), lambda: cp, {"blocks": recs})


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
