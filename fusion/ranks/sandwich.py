"""Sandwich words u(x)·y·u(x): box bounds from rank-one operators X ↦ ⟨ρ(g), X⟩ ρ(g)ᵀ.

For w = u(x)·y·u(x) (or with y⁻¹ in the middle, or the variables swapped), the output block φ
of δ_w is the bilinear map (f, X) ↦ Σ_a f(a) ρ(u(a)) X ρ(u(a)) on the simple block A_φ ∋ X.
A bilinear map whose slices F_a span a space W of operators has rank ≤ the number of rank-one
operators whose span contains W (the a-factors solve a linear system). For an orthogonal
matrix R the sandwich X ↦ R X R regroups into (Rᵀ ⊗ Rᵀ)·SWAP, and the rank-one operator
O_g : X ↦ ⟨ρ(g), X⟩ ρ(g)ᵀ into ρ(g) ⊗ ρ(g). So when SWAP lies in σ(R[G]) for σ = ρ ⊗ ρ — for
instance when ρ ⊗ ρ is multiplicity free, since SWAP commutes with σ(G) and then sits in its
bicommutant — every F_a is a combination of the O_g, and r = dim span{O_g} of them suffice: the
block has rank exactly its a-mode flattening rank. In general the a-mode is split by the bsc ψ
of the a-variable: the ψ whose part of W the O_g cover form one box ({good ψ}, {φ}, {φ}) with this
bound; the others are left to the box cover's multilinear-rank boxes
(:func:`~fusion.ranks.box_cover.box_cover` takes these boxes as ``known``).

The certificate is constructive: the operators are exact in exact arithmetic, the linear solves
and the Fourier maps are floating point (residual checked with the whole tensor).
"""

from __future__ import annotations

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Word

from ..decompose import TripletDecomposition
from ..reps.fourier import plancherel_weights
from ..reps.irreps import bscs

__all__ = ["sandwich_form", "sandwich_boxes"]

SANDWICH = ("sandwich: the slices of the output block phi of u(x) y u(x) are X -> R X R; they lie "
            "in the span of the rank-one operators X -> <rho(g), X> rho(g)^T when SWAP is in "
            "rho(x)rho(G) (e.g. rho(x)rho multiplicity free), so the block has rank <= the number "
            "of such operators needed (its a-mode flattening rank)")

#: Blocks up to this real dimension D are treated (the operators live in D⁴ entries).
MAX_D = 8
#: Twisted covers are tried while n·D² (their number of candidates) is at most this.
TWIST_MAX = 1600
#: The greedy covers depend on the orthonormal basis of the bsc's module: while n·D² is at most
#: BASIS_MAX, BASIS_TRIES seeded random orthogonal changes of basis are tried besides the
#: given one (and the twisted operators on every a-bsc), and each box keeps its best cover.
BASIS_MAX = 400
BASIS_TRIES = 16


def sandwich_form(word: Word) -> tuple[Word, int, bool] | None:
    """(u, e, swapped) when the freely reduced word is u·m·u with u in one variable and m = y^e,
    e = ±1, the other variable (``swapped``: u is in the second variable), else None.

    >>> u, e, s = sandwich_form(Word.parse("xyx"))
    >>> u.reduced(), e, s
    ('x', 1, False)
    >>> u, e, s = sandwich_form(Word.parse("y^2 X y^2"))
    >>> u.reduced(), e, s
    ('yy', -1, True)
    >>> sandwich_form(Word.parse("xyX")) is None
    True
    """
    if word.arity != 2:
        return None
    letters = word.letters()
    if len(letters) < 3:
        return None
    head = letters[0][0]
    i = 0
    while i < len(letters) and letters[i][0] == head:
        i += 1
    L, rest = letters[:i], letters[i:]
    if len(rest) != len(L) + 1 or rest[1:] != L or rest[0][0] == head:
        return None
    u = Word.parse("".join(v if e > 0 else v.upper() for v, e in L), variables=(head,))
    return u, rest[0][1], head != word.variables[0]


def _greedy_cover(Wb: np.ndarray, C: np.ndarray, tol: float = 1e-9) -> list[int] | None:
    """Columns of C (unit vectors) whose span contains the column space of Wb (orthonormal),
    chosen greedily (each step the column whose new direction covers most of what is left);
    None if all of them do not."""
    E, sel = Wb.copy(), []
    Cp = C.copy()  # the candidates with the chosen directions projected out
    while np.linalg.norm(E) > tol * max(1.0, np.sqrt(Wb.shape[1])):
        nr = np.linalg.norm(Cp, axis=0)
        ok = nr > 1e-9
        if not ok.any():
            return None
        V = np.where(ok, Cp / np.where(ok, nr, 1.0), 0.0)
        score = np.linalg.norm(V.T @ E, axis=1)
        t = int(np.argmax(score))
        if score[t] < 1e-9:
            return None
        v = V[:, t:t + 1]
        sel.append(t)
        E = E - v @ (v.T @ E)
        Cp = Cp - v @ (v.T @ Cp)
    return sel


def _twists(D: int) -> list[np.ndarray]:
    """N_s with SWAP = Σ_i E_ii ⊗ E_ii + ½ Σ_{i<j} (S_ij ⊗ S_ij − A_ij ⊗ A_ij): the twists that
    make ρ(g) N_s cover what the plain ρ(g) do not."""
    out = []
    for i in range(D):
        E = np.zeros((D, D))
        E[i, i] = 1
        out.append(E)
    for i in range(D):
        for j in range(i + 1, D):
            S = np.zeros((D, D))
            S[i, j] = S[j, i] = 1
            A = np.zeros((D, D))
            A[i, j], A[j, i] = 1, -1
            out += [S, A]
    return out


def _cover_box(Fa, Y, mats, Bm, R, c, e, swapped, sets, F):
    """The box of the a-functions Y (orthonormal columns) covered by the rank-one operators of
    ``mats``: (rank, CPTensor in the box's Fourier coordinates) or None."""
    Wg = Y.T @ Fa
    Uw, sw, _ = np.linalg.svd(Wg.T, full_matrices=False)
    Wb = Uw[:, : int(np.sum(sw > 1e-9 * max(sw[0], 1e-300)))]
    cand = np.array([np.outer(Bm.T @ M.T.ravel(), Bm.T @ M.ravel()).ravel() for M in mats]).T
    norms = np.linalg.norm(cand, axis=0)
    cand = cand / np.where(norms > 0, norms, 1.0)
    sel = _greedy_cover(Wb, cand)
    if sel is None:
        return None
    O = cand[:, sel] * norms[sel]
    coef, *_ = np.linalg.lstsq(O, Wg.T, rcond=None)
    alpha = Y @ coef.T  # a-factors in the group basis
    Ms = np.array([mats[t] for t in sel])
    beta = np.einsum("tij,bji->bt" if e < 0 else "tij,bij->bt", Ms, R)  # ⟨M_t, ρ(b)^{±1}⟩
    gamma = c * np.einsum("cij,tji->ct", R, Ms)  # inverse transform of M_tᵀ
    fa, fb = (beta, alpha) if swapped else (alpha, beta)
    rows = [np.concatenate([F.rows(i) for i in sets[m]], axis=0) for m in range(3)]
    return len(sel), CPTensor((np.ones(len(sel)), [rows[0] @ fa, rows[1] @ fb, rows[2] @ gamma]))


def sandwich_boxes(dec: TripletDecomposition) -> dict:
    """Box bounds for a sandwich word: box sets → (rank, method, CPTensor in the Fourier
    coordinates of the box). Per output bsc φ (D ≤ 8): one box ({good ψ}, {φ}, {φ}) covered by
    the operators O_g, and for each other a-bsc ψ, on small groups, a box ({ψ}, {φ}, {φ})
    covered by the twisted operators of ρ(g) N_s (``sandwich+twist``); the box cover keeps
    whichever beats the multilinear rank. {} for other words.

    >>> from fusion.decompose import decompose
    >>> boxes = sandwich_boxes(decompose("S4", "xyx"))
    >>> sorted((sets[1][0], r) for sets, (r, _, _) in boxes.items())    # 1 + 1 + 6 + 23 + 23
    [(0, 1), (1, 1), (2, 6), (3, 23), (4, 23)]
    """
    form = sandwich_form(dec.word)
    if form is None or dec.tensor.ndim != 3:
        return {}
    u, e, swapped = form
    G, F = dec.group, dec.basis
    n = G.order
    img = u.table(G)
    out: dict = {}
    bl = bscs(G)
    projectors = [b.projector for b in bl]

    def box_sets(psis, phi):
        return ((phi,), tuple(psis), (phi,)) if swapped else (tuple(psis), (phi,), (phi,))

    for phi, (b, c) in enumerate(zip(bl, plancherel_weights(G))):
        D = b.matrices.shape[1]
        if D > MAX_D:
            continue
        psis = [p for p in range(len(bl))
                if ((phi, p, phi) if swapped else (p, phi, phi)) in dec.blocks]
        tries = BASIS_TRIES if D > 1 and n * D * D <= BASIS_MAX else 0
        for Q in _orthogonal_bases(D, tries):
            R = np.einsum("ji,gjk,kl->gil", Q, b.matrices, Q) if tries else b.matrices
            found = _phi_boxes(R, c, psis, img, projectors, e, swapped, box_sets, F, phi)
            for sets, hit in found.items():
                if sets not in out or hit[0] < out[sets][0]:
                    out[sets] = hit
    return out


def _orthogonal_bases(D: int, tries: int) -> list[np.ndarray]:
    """The identity and ``tries`` seeded random orthogonal D × D matrices (QR of a Gaussian
    matrix, the signs fixed by a positive diagonal of R, so each is well defined)."""
    rng = np.random.default_rng(0)
    out = [np.eye(D)]
    for _ in range(tries):
        Q, Rq = np.linalg.qr(rng.standard_normal((D, D)))
        out.append(Q * np.sign(np.where(np.diag(Rq) == 0, 1.0, np.diag(Rq))))
    return out


def _phi_boxes(R, c, psis, img, projectors, e, swapped, box_sets, F, phi):
    """The sandwich boxes of output bsc φ for the representation matrices R (n × D × D, in an
    orthonormal basis of φ's module): box sets -> (rank, method, CPTensor in the box's Fourier
    coordinates)."""
    n, D = R.shape[0], R.shape[1]
    out = {}

    def basis(P):  # orthonormal basis of the image of a projector
        w, V = np.linalg.eigh(P)
        return V[:, w > 0.5]

    V = R.reshape(n, D * D).T
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    Bm = U[:, : int(np.sum(s > 1e-9 * s[0]))]  # orthonormal basis of A_φ in vec(M_D)
    ops = np.array([(Bm.T @ np.kron(R[k], R[k].T) @ Bm).ravel() for k in range(n)])
    Fa = ops[img]  # (n, s²): the slice of δ_w at a
    plain = [R[g] for g in range(n)]
    good, bad = [], []
    for p in psis:
        hit = _cover_box(Fa, basis(projectors[p]), plain, Bm, R, c, e, swapped,
                         box_sets([p], phi), F)
        (good if hit is not None else bad).append(p)
    if good:
        P = sum(projectors[p] for p in good)
        hit = _cover_box(Fa, basis(P), plain, Bm, R, c, e, swapped, box_sets(good, phi), F)
        if hit is not None:
            out[box_sets(good, phi)] = (hit[0], "sandwich", hit[1])
    if n * D * D <= TWIST_MAX:
        twisted = plain + [R[g] @ N for g in range(n) for N in _twists(D)]
        for p in bad:
            hit = _cover_box(Fa, basis(projectors[p]), twisted, Bm, R, c, e, swapped,
                             box_sets([p], phi), F)
            if hit is not None:
                out[box_sets([p], phi)] = (hit[0], "sandwich+twist", hit[1])
    return out
