"""Rank bounds of word tensors: lower bounds, constructive (certified) upper bounds, box covers.

Lower bounds
  * flattening ranks — rank of each mode unfolding, i.e. of its Gram matrix U Uᵀ (integer). The
    rank of U Uᵀ over GF(p) is a sound lower bound of the rank over Q (a non-zero minor mod p is
    non-zero), and the numerical rank an upper estimate; when they agree the value is exact.
  * Alder–Strassen for ``xy``: R(A) ≥ 2 dim A − t for an associative algebra A with t maximal
    two-sided ideals (Alder & Strassen, "On the algorithmic complexity of associative
    algebras", Theoret. Comput. Sci. 15 (1981) 201–211); for R[G], dim = n and t = number of
    bscs (simple components of R[G]).
Upper bounds (each with factors, verified against δ)
  * ``constructive`` (``xy``): per bsc, the best known decomposition of M_d(R), M_d(C) or
    M_{d/2}(H) (``fusion.algorithms``) mapped into the Fourier block and back to the group basis.
  * ``slices``: δ = Σ_slices (0/1 matrix) and a 0/1 matrix with r distinct non-zero rows has rank
    ≤ r: exact 0/1 factors.
  * ``box cover``: boxes A×B×C of bscs partitioning the support; rank ≤ Σ_boxes rank(δ|box),
    each box bounded by its multilinear rank (r1 r2 r3 → min of pairwise products, Tucker
    factors) or, for a diagonal block of ``xy``, by the known algebra decomposition.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor

from wordtensor import Group, Word, WordTensor, word_tensor
from wordtensor.errors import WordTensorError

from . import algorithms
from .decompose import TripletDecomposition, decompose, is_multiplication
from .fourier import plancherel_weights
from .irreps import BSC, bscs

__all__ = [
    "flattening_ranks", "alder_strassen_bound", "lower_bound", "constructive_xy",
    "slice_decomposition", "BoxCover", "box_cover", "RankReport", "rank_bounds", "cp_error",
    "algebra_embedding", "multiplication_equivalence",
]

_P = 1_000_000_007


# ---------------------------------------------------------------------------- lower bounds
def _rank_mod_p(M: np.ndarray, p: int = _P) -> int:
    A = np.mod(M.astype(np.int64), p)
    rows, cols = A.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        nz = np.flatnonzero(A[r:, c])
        if len(nz) == 0:
            continue
        piv = r + nz[0]
        if piv != r:
            A[[r, piv]] = A[[piv, r]]
        inv = pow(int(A[r, c]), p - 2, p)
        A[r] = (A[r] * inv) % p
        f = A[:, c].copy()
        f[r] = 0
        nzr = np.flatnonzero(f)
        if len(nzr):
            A[nzr] = (A[nzr] - np.outer(f[nzr], A[r]) % p) % p
        r += 1
    return r


def flattening_ranks(T: WordTensor) -> list[dict]:
    """Rank of every mode unfolding: ``certified`` (rank mod p of the Gram matrix, a sound
    lower bound), ``numerical`` (SVD of the Gram matrix) and ``exact`` (they agree).

    >>> fl = flattening_ranks(word_tensor("S3", "xy"))
    >>> tuple(f["certified"] for f in fl), all(f["exact"] for f in fl)
    ((6, 6, 6), True)
    >>> tuple(f["certified"] for f in flattening_ranks(word_tensor("S3", "[x,y]")))
    (6, 6, 3)

    (the commutators of S3 fill only A3, so the output unfolding has rank 3.)
    """
    out = []
    for m in range(T.ndim):
        U = T.unfolding(m)
        gram = (U @ U.T).toarray()
        ev = np.linalg.eigvalsh(gram.astype(float))
        num = int(np.sum(ev > max(1e-9, 1e-10 * ev.max(initial=0)) ))
        cert = _rank_mod_p(np.rint(gram).astype(np.int64))
        out.append({"mode": m, "certified": cert, "numerical": num, "exact": cert == num})
    return out


def alder_strassen_bound(G: Group) -> int:
    """2n − t for the multiplication tensor of R[G] (t = number of bscs).

    >>> [alder_strassen_bound(Group.from_spec(s)) for s in ("S3", "Z4", "Q8")]
    [9, 5, 11]

    (2·6 − 3, 2·4 − 3 and 2·8 − 5: S3 and Z4 have 3 bscs, Q8 has 5.)
    """
    return 2 * G.order - len(bscs(G))


def multiplication_equivalence(T: WordTensor):
    """Detect a two-variable word whose tensor is the multiplication tensor with relabelled
    inputs: w(a, b) = α(a)·β(b) (returns (False, α, β)) or w(a, b) = β(b)·α(a) (returns
    (True, α, β), inputs swapped) with bijections α, β — e.g. ``yx``, ``XY``, ``x^2 y`` on a
    group of odd exponent, ``xyx`` on an abelian group of odd order. Then
    δ_w[a, b, c] = δ_xy[α(a), β(b), c] (or with a and b swapped), so both tensors have the same
    rank. Returns None otherwise.

    >>> multiplication_equivalence(word_tensor("S3", "xy"))[0]    # xy itself, inputs in order
    False
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "yx"))
    >>> swap, bool((alpha == np.arange(6)).all())                  # yx: xy with inputs swapped
    (True, True)
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "XY"))
    >>> G = Group.from_spec("S3")           # XY = x⁻¹y⁻¹: α = β = inversion
    >>> swap, bool((alpha == G.inv).all() and (beta == G.inv).all())
    (False, True)
    >>> multiplication_equivalence(word_tensor("S3", "[x,y]")) is None
    True
    """
    if T.ndim != 3:
        return None
    G, n = T.group, T.n
    img = T.image.reshape(n, n)
    for swap in (False, True):
        if not swap:
            alpha = img[:, 0]
            beta = G.mul[G.inv[img[0, 0]], img[0, :]]
            ok = np.array_equal(img, G.mul[alpha[:, None], beta[None, :]])
        else:
            beta = img[0, :]
            alpha = G.mul[G.inv[img[0, 0]], img[:, 0]]
            ok = np.array_equal(img, G.mul[beta[None, :], alpha[:, None]])
        if ok and len(np.unique(alpha)) == n and len(np.unique(beta)) == n:
            return swap, alpha, beta
    return None


def lower_bound(T: WordTensor) -> tuple[int, str, dict]:
    """The best sound lower bound: (value, method, details).

    >>> lower_bound(word_tensor("S3", "xy"))[:2]      # Alder–Strassen 9 beats the flattenings 6
    (9, 'alder-strassen')
    >>> lower_bound(word_tensor("S3", "[x,y]"))[:2]
    (6, 'flattening')
    """
    fl = flattening_ranks(T)
    best = max(f["certified"] for f in fl)
    method = "flattening"
    if multiplication_equivalence(T) is not None:
        a = alder_strassen_bound(T.group)
        if a > best:
            best, method = a, "alder-strassen"
    return best, method, {"flattening": fl}


# ---------------------------------------------------------------------------- upper bounds
def cp_error(cp: CPTensor, T: WordTensor, *, max_work: float = 2e10) -> tuple[float, str]:
    """(max-abs error, where): against the dense δ in the group basis (chunked) when the n³·R
    work is at most ``max_work``, else on random probes of the bilinear map (see
    :func:`_probe_error`).

    >>> T = word_tensor("S3", "xy")
    >>> cp, _ = constructive_xy(T.group)
    >>> err, where = cp_error(cp, T)
    >>> bool(err < 1e-12), where
    (True, 'group basis')
    >>> err, where = cp_error(cp, T, max_work=0)      # probes of the bilinear map instead
    >>> bool(err < 1e-12), where
    (True, 'random probes')
    >>> w, (A, B, C) = cp
    >>> round(cp_error(CPTensor((w, [A, B, 0 * C])), T)[0], 9)   # the zero tensor is 1 off
    1.0
    """
    w, (A, B, C) = cp
    n, R = T.n, A.shape[1]
    if float(n) ** 3 * R > max_work:
        return _probe_error(cp, T), "random probes"
    worst = 0.0
    img = T.image.reshape(n, n)
    chunk = max(1, int(2e7 // max(1, n * n)))
    for a0 in range(0, n, chunk):
        a1 = min(n, a0 + chunk)
        kr = (A[a0:a1, None, :] * w) * B[None, :, :]  # (chunk, n, R)
        rec = (kr.reshape(-1, R) @ C.T).reshape(a1 - a0, n, n)
        dense = np.zeros_like(rec)
        aa, bb = np.meshgrid(np.arange(a1 - a0), np.arange(n), indexing="ij")
        dense[aa, bb, img[a0:a1]] = 1
        worst = max(worst, float(np.max(np.abs(rec - dense))))
    return worst, "group basis"


def _probe_error(cp: CPTensor, T: WordTensor, probes: int = 32, seed: int = 0) -> float:
    """Max-abs error of the CP's bilinear map against the word's convolution
    (u ⋆ v)(c) = Σ_{w(a,b)=c} u_a v_b on random Gaussian probes (O(n² + nR) each): a CP that
    differs from δ fails this with probability 1."""
    w, (A, B, C) = cp
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(probes):
        u, v = rng.standard_normal(T.n), rng.standard_normal(T.n)
        exact = np.bincount(T.image, weights=np.outer(u, v).ravel(), minlength=T.n)
        approx = C @ (w * (A.T @ u) * (B.T @ v))
        worst = max(worst, float(np.max(np.abs(exact - approx))))
    return worst


def algebra_embedding(b: BSC) -> tuple[str, int, np.ndarray]:
    """(algebra, d, ι) with ι[α] the real D×D matrix of the α-th basis element of M_d(algebra)
    (``fusion.algorithms`` basis) inside the algebra spanned by the bsc's matrices.

    >>> [algebra_embedding(b)[:2] for b in bscs(Group.from_spec("S3"))]
    [('R', 1), ('R', 1), ('R', 2)]
    >>> [algebra_embedding(b)[0] for b in bscs(Group.from_spec("Z4"))]   # 1c+1d is complex
    ['R', 'R', 'C']
    >>> alg, d, iota = algebra_embedding(bscs(Group.from_spec("Q8"))[-1])  # the quaternionic bsc
    >>> alg, d, iota.shape
    ('H', 1, (4, 4, 4))
    >>> T_alg = algorithms.multiplication_tensor(alg, d)                 # ι is multiplicative
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
    F = _basis(G)
    parts, records = [], []
    for phi, (b, c) in enumerate(zip(bscs(G), plancherel_weights(G))):
        alg, d, iota = algebra_embedding(b)
        kd = algorithms.best_decomposition(alg, d)
        T_alg = algorithms.multiplication_tensor(alg, d)
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


def _basis(G: Group):
    from .fourier import fourier_basis

    return fourier_basis(G)


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


# ---------------------------------------------------------------------------- box covers
@dataclass
class Box:
    sets: tuple[tuple[int, ...], ...]
    triplets: tuple[tuple[int, ...], ...]  # support triplets inside
    bound: int
    method: str
    factors: object = field(default=None, repr=False)  # CPTensor in Fourier coordinates of the box

    def to_json(self) -> dict:
        return {"sets": [list(s) for s in self.sets], "triplets": [list(t) for t in self.triplets],
                "bound": self.bound, "method": self.method}


@dataclass
class BoxCover:
    """Boxes partitioning the support and the bound Σ_boxes bound(box).

    >>> bc = rank_bounds("S3", "xy").box_cover
    >>> len(bc.boxes), bc.bound, bc.solver
    (3, 9, 'milp')
    >>> [(b.sets, b.bound, b.method) for b in bc.boxes][2]
    (((2,), (2,), (2,)), 7, 'strassen')
    >>> bc.to_json()["bound"]
    9
    """

    boxes: list[Box]
    bound: int
    solver: str

    def to_json(self) -> dict:
        return {"bound": self.bound, "solver": self.solver,
                "boxes": [b.to_json() for b in self.boxes]}


def _box_tensor(dec: TripletDecomposition, sets) -> np.ndarray:
    F = dec.basis
    sizes = [[F.slices[i].stop - F.slices[i].start for i in s] for s in sets]
    out = np.zeros(tuple(sum(z) for z in sizes))
    offs = [np.concatenate([[0], np.cumsum(z)]) for z in sizes]
    for combo in itertools.product(*[range(len(s)) for s in sets]):
        idx = tuple(sets[m][combo[m]] for m in range(3))
        if idx in dec.blocks:
            sl = tuple(slice(offs[m][combo[m]], offs[m][combo[m] + 1]) for m in range(3))
            out[sl] = dec.blocks[idx]
    return out


def _tucker_bound(X: np.ndarray, tol: float = 1e-12) -> tuple[int, CPTensor, str]:
    """rank(X) ≤ min(r1 r2, r1 r3, r2 r3) via a Tucker decomposition with explicit CP factors."""
    Us, rs = [], []
    for m in range(3):
        M = tl.unfold(X, m)
        ev, Uu = np.linalg.eigh(M @ M.T)  # squared singular values, ascending
        ev, Uu = ev[::-1], Uu[:, ::-1]
        r = int(np.sum(ev > tol * max(1.0, ev[0] if len(ev) else 1.0)))  # σ² ratio
        Us.append(Uu[:, :r])
        rs.append(r)
    if min(rs) == 0:
        return 0, CPTensor((np.zeros(0), [np.zeros((s, 0)) for s in X.shape])), "zero"
    core = tl.tenalg.multi_mode_dot(X, [U.T for U in Us])
    # expand the core along the mode with the largest rank: Σ_{j,k} core[:, j, k] ⊗ e_j ⊗ e_k
    big = int(np.argmax(rs))
    others = [m for m in range(3) if m != big]
    terms = list(itertools.product(range(rs[others[0]]), range(rs[others[1]])))
    facs = [np.zeros((X.shape[m], len(terms))) for m in range(3)]
    core_m = np.moveaxis(core, big, 0)
    for r, (j, k) in enumerate(terms):
        facs[big][:, r] = Us[big] @ core_m[:, j, k]
        facs[others[0]][:, r] = Us[others[0]][:, j]
        facs[others[1]][:, r] = Us[others[1]][:, k]
    return len(terms), CPTensor((np.ones(len(terms)), facs)), f"multilinear{tuple(rs)}"


def _candidate_boxes(support: list[tuple[int, ...]]) -> list[tuple[tuple[int, ...], ...]]:
    S = set(support)
    cands = set()
    proj = [sorted({t[m] for t in S}) for m in range(3)]
    cands.add(tuple(tuple(p) for p in proj))
    for t in S:
        cands.add(tuple((i,) for i in t))
    for m in range(3):
        for v in proj[m]:
            sub = [t for t in S if t[m] == v]
            sets = [tuple(sorted({t[j] for t in sub})) for j in range(3)]
            cands.add(tuple(sets))
    for m1, m2 in itertools.combinations(range(3), 2):
        for t in S:
            sub = [u for u in S if u[m1] == t[m1] and u[m2] == t[m2]]
            cands.add(tuple(tuple(sorted({u[j] for u in sub})) for j in range(3)))
    return sorted(cands)


def box_cover(dec: TripletDecomposition, *, known: dict | None = None, milp_limit: int = 3000
              ) -> BoxCover:
    """A minimal-bound box cover of the support (scipy MILP over candidate boxes: the whole
    projection box, single triplets, all-one-index slabs and two-index fibres; greedy when there
    are more than ``milp_limit`` candidates). ``known`` maps a triplet to (rank, method, CP in
    Fourier coordinates) used for singleton boxes (e.g. diagonal blocks of xy).

    >>> d = decompose("S3", "xy")
    >>> bc = box_cover(d)                    # multilinear (Tucker) bounds only: 1 + 1 + 4·4
    >>> [(b.sets, b.bound) for b in bc.boxes], bc.bound
    ... # doctest: +NORMALIZE_WHITESPACE
    ([(((0,), (0,), (0,)), 1), (((1,), (1,), (1,)), 1), (((2,), (2,), (2,)), 16)], 18)
    >>> known = {b.triplets[0]: (b.bound, b.method, b.factors)
    ...          for b in rank_bounds("S3", "xy").box_cover.boxes}
    >>> bc = box_cover(d, known=known)       # with Strassen's 7 for the M_2(R) block
    >>> len(bc.boxes), bc.bound
    (3, 9)
    """
    from scipy.optimize import LinearConstraint, milp

    if dec.tensor.ndim != 3:
        raise WordTensorError("box covers are implemented for two-variable words")
    support = dec.support
    if not support:
        return BoxCover([], 0, "empty")
    boxes = []
    for sets in _candidate_boxes(support):
        inside = tuple(t for t in support if all(t[m] in sets[m] for m in range(3)))
        if not inside:
            continue
        X = _box_tensor(dec, sets)
        bound, cp, method = _tucker_bound(X)
        if known and len(inside) == 1 and all(len(s) == 1 for s in sets) and inside[0] in known:
            kr, km, kcp = known[inside[0]]
            if kr < bound:
                bound, cp, method = kr, kcp, km
        boxes.append(Box(sets, inside, bound, method, cp))
    idx = {t: i for i, t in enumerate(support)}
    A = np.zeros((len(support), len(boxes)))
    for j, b in enumerate(boxes):
        for t in b.triplets:
            A[idx[t], j] = 1
    cost = np.array([b.bound for b in boxes], dtype=float)
    if len(boxes) <= milp_limit:
        res = milp(cost, constraints=LinearConstraint(A, 1, 1), integrality=np.ones(len(boxes)),
                   bounds=(0, 1))
        if res.status == 0:
            chosen = [boxes[j] for j in np.flatnonzero(res.x > 0.5)]
            return BoxCover(chosen, int(sum(b.bound for b in chosen)), "milp")
    covered, chosen = set(), []
    while len(covered) < len(support):
        ok = [b for b in boxes if not covered & set(b.triplets)]
        b = min(ok, key=lambda b: b.bound / len(b.triplets))
        chosen.append(b)
        covered |= set(b.triplets)
    return BoxCover(chosen, int(sum(b.bound for b in chosen)), "greedy")


def box_cover_cp(dec: TripletDecomposition, cover: BoxCover) -> CPTensor:
    """The group-basis CP assembled from the boxes' factors."""
    F = dec.basis
    n = dec.tensor.n
    ws, facs = [], [[], [], []]
    for b in cover.boxes:
        w, fs = b.factors
        ws.append(w)
        for m in range(3):
            rows = np.concatenate([F.rows(i) for i in b.sets[m]], axis=0)
            facs[m].append(rows.T @ fs[m])
    if not ws:
        return CPTensor((np.zeros(0), [np.zeros((n, 0))] * 3))
    return CPTensor((np.concatenate(ws), [np.concatenate(f, axis=1) for f in facs]))


# ---------------------------------------------------------------------------- report
@dataclass
class RankReport:
    """Lower and upper rank bounds of a word tensor with the certified factors of the upper
    bound (``cp``, a tensorly CPTensor in the group basis).

    >>> r = rank_bounds("S3", "xy")
    >>> r.lower, r.upper, r.exact, r.verified_in
    (9, 9, True, 'group basis')
    >>> bool(r.max_abs_error < 1e-12), r.to_json()["box_cover"]["bound"]
    (True, 9)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "s3_xy.npz")
    >>> r.save(path)
    >>> with np.load(path) as f:
    ...     int(f["upper"]), f["A"].shape
    (9, (6, 9))
    """

    group: str
    word: str
    lower: int
    lower_method: str
    upper: int
    upper_method: str
    max_abs_error: float
    verified_in: str
    cp: CPTensor = field(repr=False)
    box_cover: BoxCover | None = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)
    seconds: float = 0.0

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def to_json(self) -> dict:
        return {
            "group": self.group, "word": self.word,
            "lower": self.lower, "upper": self.upper, "exact": self.exact,
            "lower_method": self.lower_method, "upper_method": self.upper_method,
            "max_abs_error": self.max_abs_error, "verified_in": self.verified_in,
            "box_cover": self.box_cover.to_json() if self.box_cover else None,
            "seconds": self.seconds, **self.details,
        }

    def save(self, path) -> None:
        """Write the factors (weights, A, B, C) and the bounds to an .npz file at exactly
        ``path`` (no ``.npz`` is appended); an unwritable path raises :class:`WordTensorError`."""
        w, (A, B, C) = self.cp
        try:
            with open(path, "wb") as fh:
                np.savez_compressed(fh, weights=w, A=A, B=B, C=C, lower=self.lower,
                                    upper=self.upper, group=self.group, word=self.word,
                                    upper_method=self.upper_method)
        except OSError as exc:
            raise WordTensorError(f"cannot write the factors to {path}: {exc.strerror or exc}") from exc


def _bisect_search(target, lower: int, upper: int, budget: float, restarts: int, seed: int,
                   records: list, what: str):
    """Bisection over ranks in [lower, upper) with ``wordtensor.cp_search``: a rank where some
    restart reaches a verified exact fit becomes the new upper bound (a failure proves nothing,
    it only steers the bisection). Returns (rank, CPTensor) of the best success or None."""
    from wordtensor.cp import cp_search

    t0 = time.perf_counter()
    lo, hi, best = lower, upper, None
    while lo < hi:
        left = budget - (time.perf_counter() - t0)
        if left <= 0:
            break
        mid = (lo + hi) // 2
        res = cp_search(target, mid, restarts=restarts, random_state=seed, time_limit=left)
        records.append({"target": what, "rank": mid, "success": bool(res.success),
                        "error": float(res.error), "seconds": float(res.seconds)})
        if res.success:
            hi, best = mid, (mid, res.cp)
        else:
            lo = mid + 1
    return best


def _search_improve(T: WordTensor, dec, lower: int, upper: int, bc, known: dict | None,
                    budget: float, restarts: int, seed: int, records: list):
    """Numerical search on the whole tensor (group basis) and on each box of the cover
    (Fourier coordinates); returns (whole-tensor result, improved box cover or None)."""
    t0 = time.perf_counter()
    whole = _bisect_search(T, lower, upper, budget / 2, restarts, seed, records, "tensor")
    new_cover = None
    if bc is not None and bc.boxes:
        known = dict(known or {})
        improved = False
        per_box = (budget - (time.perf_counter() - t0)) / max(1, len(bc.boxes))
        for b in bc.boxes:
            if b.bound <= 1 or per_box <= 0:
                continue
            X = _box_tensor(dec, b.sets)
            found = _bisect_search(X, 1, b.bound, per_box, restarts, seed, records,
                                   "box " + "x".join(str(list(s)) for s in b.sets))
            if found is not None:
                b.bound, b.factors, b.method = found[0], found[1], "cp_search"
                improved = True
        if improved:
            new_cover = BoxCover(bc.boxes, int(sum(b.bound for b in bc.boxes)),
                                 bc.solver + "+search")
    return whole, new_cover


def rank_bounds(group: Group | str, word: Word | str, *, cover: bool = True,
                search: bool = False, search_seconds: float = 60.0, search_restarts: int = 16,
                random_state: int = 0) -> RankReport:
    """Lower and certified upper bounds of the rank of a two-variable word tensor.

    >>> r = rank_bounds("S3", "xy")
    >>> (r.lower, r.upper, r.lower_method, r.upper_method)
    (9, 9, 'alder-strassen', 'constructive')
    """
    t0 = time.perf_counter()
    G = Group.from_spec(group) if isinstance(group, str) else group
    T = word_tensor(G, word)
    if T.ndim != 3:
        raise WordTensorError(f"rank bounds are implemented for two-variable words; {T.word} has "
                              f"{T.arity} variables")
    lower, lower_method, details = lower_bound(T)
    candidates = []
    slice_cp, mode = slice_decomposition(T)
    candidates.append((slice_cp.factors[0].shape[1], f"slices(mode {mode})", slice_cp))
    known = None
    equiv = multiplication_equivalence(T)
    if equiv is not None and not is_multiplication(T.word):
        swap, alpha, beta = equiv
        cp, recs = constructive_xy(G)
        w, (U, V, W) = cp
        fa, fb = (V[alpha], U[beta]) if swap else (U[alpha], V[beta])
        candidates.append((U.shape[1], "constructive (relabelled xy)", CPTensor((w, [fa, fb, W]))))
        details["blocks"] = recs
        details["equivalent_to_xy"] = {"swap": bool(swap)}
    if is_multiplication(T.word):
        cp, recs = constructive_xy(G)
        candidates.append((cp.factors[0].shape[1], "constructive", cp))
        details["blocks"] = recs
        F = _basis(G)
        known = {}
        for phi, rec in enumerate(recs):
            rows = F.rows(phi)
            w, fs = cp
            sel = _block_columns(recs, phi)
            known[(phi,) * 3] = (rec["rank"], rec["method"],
                                 CPTensor((w[sel], [rows @ f[:, sel] for f in fs])))
    bc = None
    if cover:
        dec = decompose(G, T.word)
        bc = box_cover(dec, known=known)
        candidates.append((bc.bound, "box cover", box_cover_cp(dec, bc)))
    if search:
        best_now = min(c[0] for c in candidates)
        records: list = []
        dec = decompose(G, T.word) if cover else None
        whole, new_cover = _search_improve(T, dec, lower, best_now, bc, known, search_seconds,
                                           search_restarts, random_state, records)
        details["search"] = records
        if whole is not None:
            candidates.append((whole[0], "cp_search", whole[1]))
        if new_cover is not None:
            bc = new_cover
            candidates.append((bc.bound, "box cover + cp_search", box_cover_cp(dec, bc)))
    upper, upper_method, cp = min(candidates, key=lambda c: c[0])
    err, where = cp_error(cp, T)
    if err > 1e-8 * (1 if where == "group basis" else max(1.0, T.n)):
        raise RuntimeError(f"certificate for {T.word} on {G.name} fails verification: {err:.2e}")
    details["candidates"] = {m: r for r, m, _ in candidates}
    return RankReport(G.name, str(T.word), lower, lower_method, upper, upper_method, err, where,
                      cp, bc, details, time.perf_counter() - t0)


def _block_columns(recs: list[dict], phi: int) -> slice:
    start = sum(r["rank"] for r in recs[:phi])
    return slice(start, start + recs[phi]["rank"])
