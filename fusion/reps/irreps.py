"""The explicit complex irreps and bscs (real irreducible representations) of a group, checked, cached.

Built once per group, checked when built (:func:`~fusion.reps.checks.check_representations`),
and cached on the group.

Construction (no hand-typed irreps): for an irreducible character χ of degree d, the image of the
projector P[x, y] = (d/|G|) conj χ(x y⁻¹) in C^G is the χ-isotypic part of the left regular
representation (L(g)f)(x) = f(g⁻¹x), d copies of the irrep. Right multiplication by a random
element c of C[G] with c(h⁻¹) = conj c(h) is a Hermitian operator M[x, y] = c(x⁻¹y) commuting
with every L(g); restricted to the isotypic part its eigenspaces are d-dimensional irreducible
L-invariant subspaces. With an orthonormal basis V (n × d) of one of them,
ρ(g) = V* L(g) V is unitary. Real type (ν = 1) runs the same construction over R with the real
projector P_φ, giving real orthogonal matrices; complex and quaternionic bscs are the
realifications [[Re ρ, −Im ρ], [Im ρ, Re ρ]] of ρ, with ρ of quaternionic type first brought to
the symplectic form [[α, −conj β], [β, conj α]].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wordtensor import Group, sizes
from wordtensor.groups import as_group
from wordtensor.validate import integer, tolerance

from .characters import CharacterTable, character_table
from .checks import check_representations

__all__ = ["Irrep", "BSC", "irreps", "bscs", "bsc_projector", "verify_representations",
           "representation_estimate", "bsc_shapes"]

#: Frobenius–Schur indicator -> kind of the irrep (and of its bsc).

KINDS = {1: "real", 0: "complex", -1: "quaternionic"}


@dataclass(frozen=True, eq=False)
class Irrep:
    """A complex irreducible representation: ``matrices[g]`` is the unitary d×d matrix of
    element g (indexed like the group); ``character`` is its values on classes.

    >>> G = Group.from_spec("S3")
    >>> r = irreps(G)[2]
    >>> r
    Irrep(index=2, name='2a', dim=2, indicator=1)
    >>> r.kind, r(0).shape
    ('real', (2, 2))
    >>> [round(float(np.trace(r(g)).real)) for g in range(G.order)]   # the character χ_2a
    [2, 0, 0, -1, -1, 0]
    >>> bool(np.allclose(r(1) @ r(2), r(G.mul[1, 2])))                  # ρ(a)ρ(b) = ρ(ab)
    True
    """

    index: int
    name: str
    dim: int
    indicator: int
    character: np.ndarray = field(repr=False)
    matrices: np.ndarray = field(repr=False)
    group: Group = field(repr=False)

    @property
    def kind(self) -> str:
        return KINDS[self.indicator]

    @property
    def id(self) -> tuple[str, int]:
        """Hashable id (group name, index)."""
        return (self.group.name, self.index)

    def __call__(self, g: int) -> np.ndarray:
        return self.matrices[g]


@dataclass(frozen=True, eq=False)
class BSC:
    """A basic self-conjugate representation: a real irreducible representation of G, one per
    orbit {χ, χ̄} of complex irreps. ``matrices`` are real orthogonal D×D with D = d (real),
    2d (complex, quaternionic). ``character`` is the complexified character (the trace of
    ``matrices``: χ, χ + χ̄, 2χ); ``fusion_character`` is the bsc character χ_φ of docs/design.md
    (χ for ν = ±1,
    χ + χ̄ for ν = 0), used by the fusion rules. ``irreps`` are the indices of the complex
    irreps it comes from. R_φ (the span of its matrix coefficients in R^G) has dimension
    ``space_dim`` = d², 2d², d².

    >>> b = bscs(Group.from_spec("Z4"))[2]
    >>> b
    BSC(index=2, name='1c+1d', kind='complex', dim=2, irrep_dim=1, irreps=(2, 3))
    >>> np.rint(b(1)).astype(int).tolist()     # the generator acts as a quarter turn
    [[0, -1], [1, 0]]
    >>> np.rint(b.character.real).astype(int).tolist(), b.space_dim
    ([2, 0, -2, 0], 2)
    """

    index: int
    name: str
    kind: str
    dim: int
    irrep_dim: int
    irreps: tuple[int, ...]
    character: np.ndarray = field(repr=False)
    fusion_character: np.ndarray = field(repr=False)
    matrices: np.ndarray = field(repr=False)
    group: Group = field(repr=False)

    @property
    def space_dim(self) -> int:
        d = self.irrep_dim
        return 2 * d * d if self.kind == "complex" else d * d

    @property
    def id(self) -> tuple[str, int]:
        return (self.group.name, self.index)

    @property
    def projector(self) -> np.ndarray:
        """The orthogonal projector P_φ onto R_φ (n × n, real symmetric idempotent)."""
        return bsc_projector(self.group, self.index)

    def __call__(self, g: int) -> np.ndarray:
        return self.matrices[g]


# ---------------------------------------------------------------------------- construction
def _class_matrix(G: Group) -> np.ndarray:
    """K[x, y] = class of x·y⁻¹."""
    key = "fusion.class_xyinv"
    if key not in G.cache:
        G.cache[key] = G.class_of[G.mul[:, G.inv]]
    return G.cache[key]


def _left_quotients(G: Group) -> np.ndarray:
    """Q[x, y] = index of x⁻¹y (cached: every irrep uses it twice)."""
    key = "fusion.xinv_y"
    if key not in G.cache:
        G.cache[key] = G.mul[G.inv]
    return G.cache[key]


def _isotypic_basis(P: np.ndarray, dim: int, rng) -> np.ndarray:
    """Orthonormal basis (n × dim) of the image of a projector of rank ``dim``."""
    n = P.shape[0]
    R = rng.standard_normal((n, dim))
    if np.iscomplexobj(P):
        R = R + 1j * rng.standard_normal((n, dim))
    Q, _ = np.linalg.qr(P @ R)
    return Q


def _irreducible_subspace(G: Group, P: np.ndarray, block: int, space_dim: int, rng,
                          what: str) -> np.ndarray:
    """An orthonormal basis V (n × block) of an irreducible L-invariant subspace inside the
    image of P (dimension space_dim), found as an eigenspace of a random Hermitian right
    multiplication."""
    n = G.order
    Q = _isotypic_basis(P, space_dim, rng)
    complex_ = np.iscomplexobj(P)
    xinv_y = _left_quotients(G)  # [x, y] -> x^-1 y
    for _attempt in range(20):
        c = rng.standard_normal(n)
        if complex_:
            c = c + 1j * rng.standard_normal(n)
            c = c + np.conj(c[G.inv])
        else:
            c = c + c[G.inv]
        M = c[xinv_y]
        H = Q.conj().T @ (M @ Q)
        H = (H + H.conj().T) / 2
        w, U = np.linalg.eigh(H)
        groups = w.reshape(-1, block)
        spread = np.max(groups.max(axis=1) - groups.min(axis=1))
        gaps = np.diff(groups[:, 0]) if len(groups) > 1 else np.array([np.inf])
        scale = max(1.0, np.max(np.abs(w)))
        if spread < 1e-8 * scale and np.min(gaps) > 1e-5 * scale:
            return Q @ U[:, :block]
    raise RuntimeError(f"{what}: could not isolate an irreducible subspace (eigenvalue "
                       "clusters did not separate after 20 random elements)")


def _matrices_from_subspace(G: Group, V: np.ndarray) -> np.ndarray:
    """ρ(g) = V* L(g) V for every g, with (L(g)V)[x] = V[g⁻¹x]."""
    n, d = V.shape
    out = np.empty((n, d, d), dtype=V.dtype)
    Vh = V.conj().T
    chunk = max(1, (1 << 22) // max(1, n * d))  # 4M entries per batch
    rows = _left_quotients(G)  # rows[g, x] = g^-1 x
    for g0 in range(0, n, chunk):
        g1 = min(n, g0 + chunk)
        np.matmul(Vh, V[rows[g0:g1]], out=out[g0:g1])  # batched BLAS: V* (L(g) V)
    return out


def _symplectic_form(rho: np.ndarray, rng) -> np.ndarray:
    """Conjugate a quaternionic-type unitary irrep into [[α, −conj β], [β, conj α]] blocks."""
    n, d, _ = rho.shape
    m = d // 2
    X = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    S = np.einsum("gij,jk,glk->il", rho, X, rho)  # Σ ρ(g) X ρ(g)^T intertwines conj ρ -> ρ
    S = S / np.sqrt(np.trace(S @ S.conj().T).real / d)

    def J(v):
        return S @ v.conj()

    first, second = [], []
    for _ in range(m):
        v = rng.standard_normal(d) + 1j * rng.standard_normal(d)
        for b in first + second:
            v = v - b * (b.conj() @ v)
        v = v / np.linalg.norm(v)
        first.append(v)
        second.append(J(v))
    U = np.stack(first + second, axis=1)
    return np.einsum("ai,gab,bj->gij", U.conj(), rho, U)


def _realify(rho: np.ndarray) -> np.ndarray:
    A, B = rho.real, rho.imag
    top = np.concatenate([A, -B], axis=2)
    bot = np.concatenate([B, A], axis=2)
    return np.concatenate([top, bot], axis=1)


def _build(G: Group, seed: int = 0):
    ct: CharacterTable = character_table(G)
    rng = np.random.default_rng(seed)
    n = G.order
    est = sizes.check(representation_estimate(G))
    K = _class_matrix(G)
    complex_mats: dict[int, np.ndarray] = {}
    bsc_list = []
    done = set()
    for i in sizes.progress(range(len(ct.degrees)), desc=f"irreps of {G.name}",
                            seconds=est.seconds, unit="irrep"):
        if i in done:
            continue
        d, nu = int(ct.degrees[i]), int(ct.indicators[i])
        j = int(ct.conjugate[i])
        done |= {i, j}
        chi = ct.values[i]
        name = ct.names[i]
        if d == 1:  # a linear character is its own irrep: ρ(g) = χ(g)
            rho = chi[G.class_of][:, None, None].astype(complex)
            R = rho.real.copy() if nu == 1 else _realify(rho)
            complex_mats[i] = rho
            if nu == 1:
                kind, members, bname = "real", (i,), name
                trace_char, fchar = chi.real.astype(complex), chi
            else:
                kind, members = "complex", (i, j)
                bname = f"{name}+{ct.names[j]}"
                trace_char, fchar = chi + chi.conj(), chi + chi.conj()
                complex_mats[j] = rho.conj()
        elif nu == 1:
            P = (d / n) * chi.real[K]
            V = _irreducible_subspace(G, P, d, d * d, rng, f"{G.name} irrep {name}")
            R = _matrices_from_subspace(G, V)
            complex_mats[i] = R.astype(complex)
            kind, members, bname = "real", (i,), name
            trace_char, fchar = chi.real.astype(complex), chi
        else:
            P = (d / n) * np.conj(chi)[K]
            V = _irreducible_subspace(G, P, d, d * d, rng, f"{G.name} irrep {name}")
            rho = _matrices_from_subspace(G, V)
            if nu == -1:
                rho = _symplectic_form(rho, rng)
                kind, members, bname = "quaternionic", (i,), f"{name}(H)"
                trace_char, fchar = 2 * chi, chi
            else:
                kind, members = "complex", (i, j)
                bname = f"{name}+{ct.names[j]}"
                trace_char, fchar = chi + chi.conj(), chi + chi.conj()
                complex_mats[j] = rho.conj()
            complex_mats[i] = rho
            R = _realify(rho)
        bsc_list.append(dict(name=bname, kind=kind, dim=R.shape[1], irrep_dim=d, irreps=members,
                             character=trace_char, fusion_character=fchar, matrices=R))
    irr = []
    for i in range(len(ct.degrees)):
        M = complex_mats[i]
        M.setflags(write=False)
        irr.append(Irrep(i, ct.names[i], int(ct.degrees[i]), int(ct.indicators[i]),
                         ct.values[i], M, G))
    bl = []
    for b, kw in enumerate(bsc_list):
        kw["matrices"].setflags(write=False)
        bl.append(BSC(index=b, group=G, **kw))
    return tuple(irr), tuple(bl)


def _cached(G: Group):
    key = "fusion.irreps"
    if key not in G.cache:
        irr, bl = _build(G)
        G.cache[key] = (irr, bl)
        try:
            check_representations(G, irr, bl, raise_on_failure=True)
        except BaseException:
            del G.cache[key]  # never hand out representations that failed their checks
            raise
    return G.cache[key]


def bsc_shapes(G: Group) -> list[tuple[int, int]]:
    """(dim R_φ, D) of every bsc, in the order of :func:`bscs`, read from the character table
    alone (no irreps are built): (d², d) for real type, (2d², 2d) for complex, (d², 2d) for
    quaternionic.

    >>> bsc_shapes(Group.from_spec("Q8")), [(b.space_dim, b.dim) for b in bscs(Group.from_spec("Q8"))]
    ([(1, 1), (1, 1), (1, 1), (1, 1), (4, 4)], [(1, 1), (1, 1), (1, 1), (1, 1), (4, 4)])
    """
    ct = character_table(as_group(G))
    out, done = [], set()
    for i, (d, nu) in enumerate(zip(ct.degrees.tolist(), ct.indicators.tolist())):
        if i in done:
            continue
        done |= {i, int(ct.conjugate[i])}
        out.append((d * d, d) if nu == 1 else (2 * d * d, 2 * d) if nu == 0 else (d * d, 2 * d))
    return out


def representation_estimate(G: Group) -> sizes.Estimate:
    """The size model's estimate of the irreps, bscs and their checks (computing the
    character table first, which its own estimate guards).

    >>> est = representation_estimate(Group.from_spec("S4"))
    >>> [s.name for s in est.stages], est.bytes < 200 << 20
    (['character table', 'class matrix', 'irreps', 'checks'], True)
    """
    G = as_group(G)
    ct = character_table(G)
    degrees, indicators = ct.degrees.tolist(), ct.indicators.tolist()
    bl = len(bsc_shapes(G))
    return sizes.Estimate(f"the irreps of {G.name}", (
        sizes.character_table_stage(G.order, G.num_classes),
        *sizes.irreps_stages(G.order, degrees, indicators),
        sizes.representation_checks_stage(G.order, degrees, bl, len(G.generators))))


def irreps(G: Group) -> tuple[Irrep, ...]:
    """All complex irreps of G as unitary matrices, in the order of ``character_table(G)``
    (cached per group; verified when built).

    >>> from wordtensor import Group
    >>> [(r.name, r.dim, r.kind) for r in irreps(Group.from_spec("Q8"))][-1]
    ('2a', 2, 'quaternionic')
    """
    return _cached(as_group(G))[0]


def bscs(G: Group) -> tuple[BSC, ...]:
    """The basic self-conjugate (real irreducible) representations of G, one per orbit
    {χ, χ̄}, as real orthogonal matrices (cached per group; verified when built).

    >>> from wordtensor import Group
    >>> [(b.name, b.kind, b.dim) for b in bscs(Group.from_spec("Z3"))]
    [('1a', 'real', 1), ('1b+1c', 'complex', 2)]
    """
    return _cached(as_group(G))[1]


def bsc_projector(G: Group, index: int) -> np.ndarray:
    """P_φ[x, y] = (d/|G|) Σ_{χ∈φ} χ(x y⁻¹), the orthogonal projector of R^G onto R_φ.

    >>> G = Group.from_spec("S3")
    >>> P = bsc_projector(G, 2)                    # the 2-dim bsc: R_φ has dimension 4
    >>> bool(np.allclose(P @ P, P) and np.allclose(P, P.T)), round(float(np.trace(P)))
    (True, 4)
    >>> bool(np.allclose(sum(bsc_projector(G, i) for i in range(3)), np.eye(6)))
    True
    """
    G = as_group(G)
    bl = bscs(G)
    b = bl[integer(index, "the bsc index", minimum=0, maximum=len(bl) - 1)]
    ct = character_table(G)
    K = _class_matrix(G)
    vals = sum(ct.values[i] for i in b.irreps)
    return (b.irrep_dim / G.order) * vals.real[K]


def verify_representations(G: Group, *, tol: float = 1e-9, raise_on_failure: bool = False
                           ) -> dict:
    """Residuals of every irrep and bsc this package builds for G (see
    :func:`~fusion.reps.checks.check_representations` for the list of checks).

    >>> res = verify_representations(Group.from_spec("Q8"))
    >>> len(res), max(res.values()) < 1e-9
    (12, True)
    >>> res["sum_of_squared_degrees"]   # 1 + 1 + 1 + 1 + 2² = 8
    0.0
    """
    G = as_group(G)
    return check_representations(G, irreps(G), bscs(G), tol=tolerance(tol, "tol"),
                                 raise_on_failure=raise_on_failure)
