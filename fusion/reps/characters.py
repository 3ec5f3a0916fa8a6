"""Conjugacy classes and the complex character table (Burnside–Dixon–Schneider).

The normalised central characters ω_χ(C_r) = |C_r| χ(g_r) / χ(1) are the common eigenvectors of
the class matrices A_r[s, t] = a_{rst} = #{(x, y) ∈ C_r × C_s : x y = z_t} (Burnside). We
diagonalise a random linear combination of the A_r, check every eigenvector against every A_r,
and recover χ(1)² = |G| / Σ_r |ω_r|² / |C_r|. Work: O(k·n) for the structure constants and
O(k³) for the eigenproblem (k classes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wordtensor import Group, sizes
from wordtensor.errors import WordTensorError
from wordtensor.groups import as_group
from wordtensor.validate import nonnegative_int, tolerance

from .checks import check_character_table

__all__ = ["CharacterTable", "character_table"]

_TOL = 1e-7


def class_structure_constants(G: Group, dtype=np.int64) -> np.ndarray:
    """a[r, s, t] = #{(x, y) ∈ C_r × C_s : x·y = z_t} for a fixed z_t ∈ C_t.

    On S3 (classes: identity, 3 transpositions, 2 three-cycles), a product of two transpositions
    is the identity in 3 ways, a given 3-cycle in 3 ways, and never a transposition:

    >>> a = class_structure_constants(Group.from_spec("S3"))
    >>> a.shape, a[1, 1].tolist(), a[2, 2].tolist()
    ((3, 3, 3), [3, 0, 3], [2, 0, 1])
    >>> a.sum(axis=1)[:, 0].tolist()   # Σ_s a[r, s, t] = |C_r|
    [1, 3, 2]
    """
    G = as_group(G)
    classes = G.conjugacy_classes
    k = len(classes)
    cls = G.class_of
    a = np.zeros((k, k, k), dtype=dtype)
    x = np.arange(G.order)
    for t, C in enumerate(classes):
        z = C[0]
        y = G.mul[G.inv[x], z]  # x·y = z
        np.add.at(a[:, :, t], (cls[x], cls[y]), 1)
    return a


@dataclass(frozen=True)
class CharacterTable:
    """The complex character table of a group.

    ``values[i, r]`` = χ_i(g) for g in class r. Irreducible characters are sorted by degree, then
    real before complex before quaternionic, then by their values, with the trivial character
    first; classes follow ``G.conjugacy_classes`` (identity class first). ``names`` are like
    ``"1a"``, ``"2a"``, ``"3b"`` (degree and a letter within that degree).

    >>> ct = character_table(Group.from_spec("S3"))
    >>> ct.names, ct.class_sizes.tolist()
    (('1a', '1b', '2a'), [1, 3, 2])
    >>> np.rint(ct.values.real).astype(int).tolist()
    [[1, 1, 1], [1, -1, 1], [2, 0, -1]]
    >>> chi = ct.values                      # row orthogonality: ⟨χ_i, χ_j⟩ = δ_ij
    >>> [[round(ct.inner(chi[i], chi[j]).real) for j in range(3)] for i in range(3)]
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    >>> ct.decompose(ct.values[2] ** 2).tolist()   # 2 ⊗ 2 = 1a + 1b + 2a
    [1, 1, 1]
    """

    group: Group = field(repr=False)
    values: np.ndarray = field(repr=False)
    class_sizes: np.ndarray = field(repr=False)
    degrees: np.ndarray
    indicators: np.ndarray
    names: tuple[str, ...]
    conjugate: np.ndarray = field(repr=False)  # conjugate[i] = index of χ̄_i

    @property
    def num_classes(self) -> int:
        return len(self.class_sizes)

    def character(self, i: int) -> np.ndarray:
        """χ_i as a function on group elements (length n)."""
        return self.values[i][self.group.class_of]

    def inner(self, chi1: np.ndarray, chi2: np.ndarray) -> complex:
        """⟨χ1, χ2⟩ = (1/|G|) Σ_g χ1(g) conj(χ2(g)) for class functions given on classes."""
        return complex(np.sum(self.class_sizes * chi1 * np.conj(chi2)) / self.group.order)

    def decompose(self, chi: np.ndarray, *, tol: float = 1e-6) -> np.ndarray:
        """Multiplicities of each irreducible in a character given on classes; raises if they
        are not non-negative integers (the input is then not a character)."""
        tol = tolerance(tol, "tol")
        try:
            chi = np.asarray(chi, dtype=complex)
        except (TypeError, ValueError):
            raise WordTensorError("a class function is a list of numbers, one per conjugacy "
                                  f"class, got {type(chi).__name__}") from None
        if chi.shape != (self.num_classes,):
            raise WordTensorError(f"a class function has one value per conjugacy class: expected "
                                  f"{self.num_classes} values, got shape {chi.shape}")
        m = (self.values.conj() * self.class_sizes) @ chi / self.group.order
        r = np.round(m.real)
        if np.max(np.abs(m - r), initial=0) > tol or (r < 0).any():
            raise WordTensorError("not a character: multiplicities are not non-negative integers "
                                  f"(max deviation {np.max(np.abs(m - r)):.2e}); pass the "
                                  "values of a character on the classes, in class order")
        return r.astype(np.int64)


def character_table(G: Group, *, seed: int = 0) -> CharacterTable:
    """The character table of G (cached on the group).

    >>> from wordtensor import Group
    >>> ct = character_table(Group.from_spec("S3"))
    >>> ct.degrees.tolist(), ct.indicators.tolist()
    ([1, 1, 2], [1, 1, 1])
    """
    G = as_group(G)
    seed = nonnegative_int(seed, "seed")
    key = ("fusion.character_table", seed)
    if key not in G.cache:
        sizes.check(sizes.Estimate(f"the character table of {G.name}",
                                   (sizes.character_table_stage(G.order, G.num_classes),)))
        G.cache[key] = _compute(G, seed)
    return G.cache[key]


def _compute(G: Group, seed: int) -> CharacterTable:
    n = G.order
    sizes = np.array([len(c) for c in G.conjugacy_classes])
    k = len(sizes)
    a = class_structure_constants(G, dtype=np.float64)  # k³ floats: the largest array here
    rng = np.random.default_rng(seed)
    for _attempt in range(20):
        c = rng.standard_normal(k) + 1j * rng.standard_normal(k)
        B = np.tensordot(c, a, axes=(0, 0))  # Σ c_r A_r, indexed [s, t]
        _, vecs = np.linalg.eig(B)
        if np.any(np.abs(vecs[0]) < 1e-10):
            continue
        omega = (vecs / vecs[0]).T  # row i: ω_i on classes
        # each ω must be a common eigenvector: A_r ω = ω_r ω (one class matrix at a time)
        resid = max(float(np.max(np.abs((a[r] @ omega.T).T - omega[:, r, None] * omega)))
                    for r in range(k))
        if resid < _TOL * max(1.0, np.max(np.abs(omega)) ** 2):
            break
    else:
        raise RuntimeError(f"character table of {G.name}: the class matrices did not split "
                           "into common eigenvectors after 20 random combinations")
    deg2 = n / np.sum(np.abs(omega) ** 2 / sizes, axis=1)
    degrees = np.round(np.sqrt(deg2)).astype(np.int64)
    if np.max(np.abs(np.sqrt(deg2) - degrees)) > 1e-6:
        raise RuntimeError(f"character table of {G.name}: non-integral degrees {np.sqrt(deg2)}")
    values = omega * degrees[:, None] / sizes[None, :]
    values = _clean(values)
    # Frobenius–Schur indicators ν = (1/n) Σ χ(g²)
    sq_class = G.class_of[G.mul[np.arange(n), np.arange(n)]]
    nu = values[:, sq_class].sum(axis=1) / n
    indicators = np.round(nu.real).astype(np.int64)
    if np.max(np.abs(nu - indicators)) > 1e-6 or not set(indicators.tolist()) <= {-1, 0, 1}:
        raise RuntimeError(f"character table of {G.name}: bad Frobenius–Schur indicators {nu}")
    order = sorted(range(k), key=lambda i: _sort_key(values[i], degrees[i], indicators[i]))
    values, degrees, indicators = values[order], degrees[order], indicators[order]
    conj = np.array([int(np.argmin(np.abs(values - v.conj()).sum(axis=1))) for v in values])
    names = _names(degrees)
    table = CharacterTable(G, values, sizes, degrees, indicators, tuple(names), conj)
    for arr in (values, sizes, degrees, indicators, conj):
        arr.setflags(write=False)
    check_character_table(table, raise_on_failure=True)
    return table


def _clean(values: np.ndarray) -> np.ndarray:
    """Snap values within 1e-10 of a Gaussian integer (and tiny imaginary parts) exactly."""
    re, im = values.real.copy(), values.imag.copy()
    for part in (re, im):
        r = np.round(part)
        close = np.abs(part - r) < 1e-10
        part[close] = r[close]
    return re + 1j * im


def _sort_key(v: np.ndarray, d: int, nu: int):
    kind = {1: 0, 0: 1, -1: 2}[int(nu)]
    trivial = 0 if np.allclose(v, 1) else 1
    vals = tuple((-round(float(x.real), 6), -round(float(x.imag), 6)) for x in v)
    return (int(d), trivial, kind, vals)


def _names(degrees: np.ndarray) -> list[str]:
    counts: dict[int, int] = {}
    out = []
    for d in degrees.tolist():
        i = counts.get(d, 0)
        counts[d] = i + 1
        out.append(f"{d}{_letters(i)}")
    return out


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("a") + r) + s
    return s
