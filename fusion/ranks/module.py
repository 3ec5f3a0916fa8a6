"""Conjugation words: the bound of u(x)·v(y)·u(x)⁻¹ from the module structure of the conjugation action.

The tensor of ``xyX`` is the action tensor of R[G] on the conjugation module: G acts on R^G by
π(a)δ_b = δ_{a b a⁻¹}, and δ_xyX(f, g) = π(f) g. As a real representation π splits into
isotypic parts, one per bsc ψ: V_ψ ≅ W_ψ ⊗ R^{m_ψ} (W_ψ the bsc's real module, m_ψ its
multiplicity), and f acts on V_ψ as ψ(f) ⊗ I. The image of f ↦ ψ(f) is the simple block A_ψ,
so the tensor is the direct sum over ψ of "A_ψ acting on m_ψ columns":

* real ψ (A = M_d(R)): the matrix product ⟨d, d, m⟩;
* complex ψ (A = M_d(C), W = C^d): ⟨d, d, m⟩ over C, rank ≤ 3·R(⟨d, d, m⟩) by Gauss, or the
  realification ⟨2d, 2d, m⟩;
* quaternionic ψ (A = M_{d/2}(H) ⊂ M_{2d}(R)): the realification ⟨2d, 2d, m⟩.

Hence rank(δ_xyX) ≤ Σ_ψ R(⟨·,·,m_ψ⟩), each term from the best known decomposition of that
format (:func:`fusion.algebras.known_matmul`); the pull-back along a ↦ u(a), b ↦ v(b) gives the
same for u(x)·v(y)·u(x)⁻¹ (the conjugating variable may come second). The multiplicities are
m_ψ = Σ_classes χ_ψ(K) / κ (κ = 1, and 2 for quaternionic bscs: the real module counts twice).
The intertwiners W_ψ → V_ψ are averages Σ_g π(g) X ψ(g)ᵀ; the certificate is constructive.
"""

from __future__ import annotations

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Group, Word, WordTensor

from ..algebras import known_matmul
from ..algebras.combinators import kronecker
from ..algebras.named import named_decomposition
from ..reps.irreps import bscs
from .certificates import UpperBound
from .compose import subgroup

__all__ = ["conjugation_form", "conjugation_bound"]

MODULE = ("module structure: delta_xyX is the action tensor of R[G] on the conjugation module, "
          "the direct sum over real irreducible psi of M(psi) acting on m_psi columns, so "
          "rank <= sum_psi R(<d_psi, d_psi, m_psi>)")


def conjugation_form(word: Word) -> tuple[Word, Word, bool] | None:
    """(u, v, swapped) when the freely reduced word is u·v·u⁻¹ with u in one variable and v in
    the other (``swapped``: u is in the second variable), else None.

    >>> [(u.reduced(), v.reduced(), s) for u, v, s in [conjugation_form(Word.parse("xyX"))]]
    [('x', 'y', False)]
    >>> u, v, s = conjugation_form(Word.parse("Y x^2 y"))
    >>> u.reduced(), v.reduced(), s
    ('Y', 'xx', True)
    >>> conjugation_form(Word.parse("xyx")) is None
    True
    """
    if word.arity != 2:
        return None
    letters = word.letters()
    if not letters:
        return None
    head = letters[0][0]
    i = 0
    while i < len(letters) and letters[i][0] == head:
        i += 1
    L = letters[:i]
    j = i
    while j < len(letters) and letters[j][0] != head:
        j += 1
    M, rest = letters[i:j], letters[j:]
    if not M or [(v, -e) for v, e in reversed(L)] != rest:
        return None
    other = M[0][0]
    if any(v != other for v, _ in M):
        return None

    def text(ls):
        return "".join(v if e > 0 else v.upper() for v, e in ls)

    u = Word.parse(text(L), variables=(head,))
    v = Word.parse(text(M), variables=(other,))
    return u, v, head != word.variables[0]


def _conjugation_pieces(K: Group) -> list[dict]:
    """Per bsc ψ of K with m_ψ > 0: the isotypic intertwiner Q (n × D m, orthonormal columns,
    column k·D + i = coordinate i of copy k), the bsc, D and m."""
    n = K.order
    conj = K.mul[K.mul[np.arange(n)[:, None], np.arange(n)[None, :]], K.inv[:, None]]  # a b a⁻¹
    rng = np.random.default_rng(0)
    out = []
    for b in bscs(K):
        R = b.matrices  # (n, D, D)
        D = R.shape[1]
        kappa = 2 if b.kind == "quaternionic" else 1
        weight = b.irrep_dim / n / kappa * np.trace(R, axis1=1, axis2=2)  # (n,)
        P = np.zeros((n, n))
        g, x = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        np.add.at(P, (conj[g, x].ravel(), x.ravel()), np.repeat(weight, n))
        dim = int(round(np.trace(P)))
        if dim == 0:
            continue
        m = dim // D
        ev, V = np.linalg.eigh((P + P.T) / 2)
        V = V[:, ev > 0.5]
        blocks = []
        for _ in range(m):
            X = V @ rng.standard_normal((V.shape[1], D))
            # J = Σ_g π(g) X ψ(g)ᵀ, with (π(g) X)[c] = X[g⁻¹ c g]
            J = sum(X[conj[K.inv[h]]] @ R[h].T for h in range(n))
            blocks.append(J)
        Q = np.concatenate(blocks, axis=1)
        w, U = np.linalg.eigh(Q.T @ Q)
        Q = Q @ (U / np.sqrt(w)) @ U.T  # Q (QᵀQ)^(-1/2): still an intertwiner
        out.append({"bsc": b, "Q": Q, "D": D, "m": m})
    return out


def _piece_factors(piece: dict, use_gauss: bool):
    """Factors (A over the acting group, B over the module input, C over the output) of one
    isotypic piece, and the format used."""
    b, Q, D, m = piece["bsc"], piece["Q"], piece["D"], piece["m"]
    R = b.matrices
    n = R.shape[0]
    if use_gauss:
        d = D // 2
        kd = known_matmul(d, d, m)
        gauss = named_decomposition("gauss")
        U, V, W = kronecker(kd.cp, gauss.cp).factors
        # algebra coordinates ((i, j), s): s = 0 Re, 1 Im of the complex matrix
        Af = np.stack([R[:, :d, :d], R[:, d:, :d]], axis=-1).reshape(n, -1)
        idx_in = [(k * D + s * d + j) for j in range(d) for k in range(m) for s in range(2)]
        idx_out = [(k * D + s * d + i) for i in range(d) for k in range(m) for s in range(2)]
        fmt, refs = f"<{d},{d},{m}>_C", (kd.reference, gauss.reference)
    else:
        kd = known_matmul(D, D, m)
        U, V, W = kd.cp.factors
        Af = R.reshape(n, -1)
        idx_in = [k * D + j for j in range(D) for k in range(m)]
        idx_out = [k * D + i for i in range(D) for k in range(m)]
        fmt, refs = f"<{D},{D},{m}>", (kd.reference,)
    A = Af @ U
    B = Q[:, idx_in] @ V
    C = Q[:, idx_out] @ W
    return A, B, C, fmt, kd.method, refs


def conjugation_bound(T: WordTensor) -> UpperBound | None:
    """The module bound of a word in conjugation form (:func:`conjugation_form`), from the
    conjugation module of the subgroup H generated by the images of u and v, or None for other
    words. The block records list, per bsc ψ, the multiplicity and the format used.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.certificates import cp_error
    >>> T = word_tensor("A5", "xyX")
    >>> ub = conjugation_bound(T)                         # 5 + 2·23 + 38 + 93
    >>> ub.rank, [(p["bsc"], p["m"], p["rank"]) for p in ub.details["pieces"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    (182, [('1a', 5, 5), ('3a', 3, 23), ('3b', 3, 23), ('4a', 3, 38), ('5a', 5, 93)])
    >>> bool(cp_error(ub.cp, T)[0] < 1e-9)
    True
    """
    form = conjugation_form(T.word)
    if form is None:
        return None
    u, v, swapped = form
    G, n = T.group, T.n
    mu, mv = u.table(G), v.table(G)
    K, elems = subgroup(G, np.concatenate([mu, mv]))
    pos = np.full(n, -1, dtype=np.int64)
    pos[elems] = np.arange(len(elems))
    parts, records, refs = [], [], [MODULE]
    for piece in _conjugation_pieces(K):
        options = [False] + ([True] if piece["bsc"].kind == "complex" else [])
        best = min((_piece_factors(piece, g) for g in options), key=lambda f: f[0].shape[1])
        A, B, C, fmt, method, prefs = best
        parts.append((A, B, C))
        records.append({"bsc": piece["bsc"].name, "kind": piece["bsc"].kind, "m": piece["m"],
                        "dim": piece["D"],
                        "format": fmt, "rank": int(A.shape[1]), "method": method})
        refs += [r for pr in prefs for r in pr.splitlines() if r and r not in refs]
    A = np.concatenate([p[0] for p in parts], axis=1)
    B = np.concatenate([p[1] for p in parts], axis=1)
    C = np.concatenate([p[2] for p in parts], axis=1)
    Ag, Bg = A[pos[mu]], B[pos[mv]]
    Cg = np.zeros((n, C.shape[1]))
    Cg[elems] = C
    fa, fb = (Bg, Ag) if swapped else (Ag, Bg)
    cp = CPTensor((np.ones(C.shape[1]), [fa, fb, Cg]))
    via = "the whole group" if K is G else f"subgroup of order {K.order}"
    return UpperBound(int(C.shape[1]), "conjugation module", "constructive", tuple(refs),
                      lambda: cp, {"pieces": records, "via": via}, _cp=cp)
