"""The real group Fourier basis and the matrix-valued Fourier transform (``fusion.reps.fourier``).

Checked against mathematics: orthogonality of the basis, rows of bsc φ inside R_φ, round trips,
Plancherel with weights derived by hand from Schur orthogonality, and the convolution theorem
against the Cayley table.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from fusion.reps import (
    bsc_projector,
    bscs,
    fourier_basis,
    fourier_transform,
    inverse_fourier_transform,
)
from fusion.reps.fourier import plancherel_weights
from wordtensor import Group

TOL = 1e-9

#: Every kind of bsc appears: Z5, A4 (complex), Q8, Dic3, SL(2,3) (quaternionic; SL(2,3) has all
#: three), S4 (real only), larger groups, a direct product and a permutation group.
SPECS = ["Z1", "Z5", "S3", "D4", "Q8", "Dic3", "A4", "S4", "SL(2,3)", "Z3xS3", "GL(2,3)",
         "perm:(1,2,3,4,5,6,7),(2,3,5)(4,7,6)", "SL(2,5)", "PSL(2,7)"]


@cache
def group(spec: str) -> Group:
    return Group.from_spec(spec)


def by_hand_weight(kind: str, d: int, n: int) -> float:
    """c_φ with f(x) = Σ_φ c_φ tr(R_φ(x)ᵀ f̂(φ)), from Schur orthogonality: the isotypic
    projection is (d/n) Σ_g f(g) Σ_{χ∈φ} χ(x⁻¹g) and tr(R(x)ᵀR(g)) = χ(x⁻¹g) (real type),
    χ + χ̄ (complex type), 2χ (quaternionic type; χ real)."""
    return {"real": d / n, "complex": d / n, "quaternionic": d / (2 * n)}[kind]


@pytest.mark.parametrize("spec", SPECS)
def test_basis_orthogonal_and_grouped_by_bsc(spec):
    G = group(spec)
    n = G.order
    F = fourier_basis(G)
    M = F.matrix
    assert M.shape == (n, n) and not np.iscomplexobj(M)
    assert np.max(np.abs(M @ M.T - np.eye(n))) < TOL
    assert np.max(np.abs(M.T @ M - np.eye(n))) < TOL
    bl = bscs(G)
    assert len(F.slices) == len(bl) and len(F.labels) == n
    start = 0
    for b, s in zip(bl, F.slices):
        assert s.start == start and s.stop - s.start == b.space_dim
        start = s.stop
        rows = F.rows(b.index)
        P = bsc_projector(G, b.index)
        assert np.max(np.abs(rows @ P - rows)) < TOL, "rows of φ lie in R_φ"
        assert np.allclose(rows, M[s])
    assert start == n


@pytest.mark.parametrize("spec", SPECS)
def test_round_trips(spec):
    G = group(spec)
    n = G.order
    rng = np.random.default_rng(0)
    F = fourier_basis(G)
    f = rng.standard_normal((3, n))
    assert np.max(np.abs(F.inverse(F.forward(f)) - f)) < TOL
    # a group axis other than the last
    assert np.allclose(F.forward(f.T, axis=0), F.forward(f).T, atol=TOL)
    assert np.max(np.abs(F.inverse(F.forward(f.T, axis=0), axis=0) - f.T)) < TOL
    fh = fourier_transform(G, f)
    assert [x.shape for x in fh] == [(3, b.dim, b.dim) for b in bscs(G)]
    assert np.max(np.abs(inverse_fourier_transform(G, fh) - f)) < TOL
    # forward transform = Σ_x f(x) R_φ(x), written out
    for b, x in zip(bscs(G), fh):
        assert np.max(np.abs(x[1] - sum(f[1, g] * b.matrices[g] for g in range(n)))) < TOL


@pytest.mark.parametrize("spec", SPECS)
def test_plancherel(spec):
    G = group(spec)
    n = G.order
    w = plancherel_weights(G)
    expected = [by_hand_weight(b.kind, b.irrep_dim, n) for b in bscs(G)]
    assert np.allclose(w, expected, rtol=0, atol=1e-15)
    rng = np.random.default_rng(1)
    f = rng.standard_normal(n)
    fh = fourier_transform(G, f)
    assert abs(np.sum(f**2) - sum(c * np.sum(x**2) for c, x in zip(w, fh))) < TOL * n
    # per bsc: the energy of f in R_φ
    for b, c, x in zip(bscs(G), w, fh):
        Pf = bsc_projector(G, b.index) @ f
        assert abs(Pf @ Pf - c * np.sum(x**2)) < TOL * n
    # and the orthonormal coefficients carry the same energy
    assert abs(np.sum(fourier_basis(G).forward(f) ** 2) - np.sum(f**2)) < TOL * n


def test_plancherel_covers_all_kinds():
    kinds = {b.kind for s in SPECS for b in bscs(group(s))}
    assert kinds == {"real", "complex", "quaternionic"}


def convolve(G: Group, f: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(f*g)(z) = Σ_{xy=z} f(x) g(y) from the Cayley table."""
    return np.bincount(np.asarray(G.mul).ravel(), weights=np.outer(f, g).ravel(),
                       minlength=G.order)


@pytest.mark.parametrize("spec", SPECS)
def test_convolution_theorem(spec):
    G = group(spec)
    rng = np.random.default_rng(2)
    f, g = rng.standard_normal((2, G.order))
    fh, gh, ch = (fourier_transform(G, v) for v in (f, g, convolve(G, f, g)))
    for a, b, c in zip(fh, gh, ch):
        assert np.max(np.abs(c - a @ b)) < TOL * G.order


@pytest.mark.parametrize("spec", ["Q8", "SL(2,3)", "Z5"])
def test_delta_at_identity(spec):
    """δ_e transforms to the identity matrix in every bsc, δ_g to R_φ(g)."""
    G = group(spec)
    e = np.zeros(G.order)
    e[0] = 1
    for b, x in zip(bscs(G), fourier_transform(G, e)):
        assert np.max(np.abs(x - np.eye(b.dim))) < TOL
    g = np.zeros(G.order)
    g[G.order - 1] = 1
    for b, x in zip(bscs(G), fourier_transform(G, g)):
        assert np.array_equal(x, b.matrices[-1])


def test_bad_input():
    G = group("S3")
    with pytest.raises(ValueError, match="length"):
        fourier_transform(G, np.zeros(5))
    with pytest.raises(ValueError, match="blocks"):
        inverse_fourier_transform(G, fourier_transform(G, np.zeros(6))[:2])
