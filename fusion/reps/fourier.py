"""The real orthonormal group Fourier basis and the matrix-valued Fourier transform.

Rows of the basis are grouped by bsc φ and are scaled matrix coefficients of its real matrices
R_φ (D × D), taking all D rows of the first ``c`` columns:

* real type (D = d):            c = d,   scale √(d/n)   — the d² coefficients ρ_ij;
* complex type (D = 2d):        c = d,   scale √(2d/n)  — Re ρ_ij and Im ρ_ij;
* quaternionic type (D = 2d):   c = d/2, scale √(2d/n)  — Re/Im of α_ij and β_ij in the
  symplectic form ρ = [[α, −conj β], [β, conj α]].

The matrix transform is f̂(φ) = Σ_x f(x) R_φ(x); its inverse is
f(x) = Σ_φ c_φ tr(R_φ(x)ᵀ f̂(φ)) with c_φ = D/n (real), D/(2n) (complex), D/(4n)
(quaternionic), and Plancherel reads Σ_x f(x)² = Σ_φ c_φ ‖f̂(φ)‖²_F.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wordtensor import Group
from wordtensor.errors import WordTensorError
from wordtensor.groups import as_group

from .checks import RepresentationError
from .irreps import BSC, bscs

__all__ = ["FourierBasis", "fourier_basis", "fourier_transform", "inverse_fourier_transform"]


def _layout(b: BSC, n: int) -> tuple[int, float]:
    d = b.irrep_dim
    if b.kind == "real":
        return d, np.sqrt(d / n)
    if b.kind == "complex":
        return d, np.sqrt(2 * d / n)
    return d // 2, np.sqrt(2 * d / n)


@dataclass(frozen=True, eq=False)
class FourierBasis:
    """An n×n orthogonal matrix ``matrix`` whose rows are grouped by bsc (``slices[φ]``).

    ``forward(f)`` gives the coefficients of a function f ∈ R^G (group axis ``axis``);
    ``inverse`` maps them back. ``labels[r]`` names row r, e.g. ``"2a[1,0]"``.

    >>> from wordtensor import Group
    >>> F = fourier_basis(Group.from_spec("S3"))
    >>> F.labels
    ('1a[0,0]', '1b[0,0]', '2a[0,0]', '2a[0,1]', '2a[1,0]', '2a[1,1]')
    >>> F.rows(2).shape                       # R_φ of the 2-dim bsc has dimension 4
    (4, 6)
    >>> c = F.forward(np.ones(6))             # a constant lives on the trivial row only
    >>> bool(np.isclose(c[0], np.sqrt(6)) and np.allclose(c[1:], 0))
    True
    >>> f = np.arange(6.0)
    >>> bool(np.allclose(F.inverse(F.forward(f)), f))
    True
    """

    group: Group = field(repr=False)
    matrix: np.ndarray = field(repr=False)
    slices: tuple[slice, ...]
    labels: tuple[str, ...] = field(repr=False)

    def forward(self, f: np.ndarray, axis: int = -1) -> np.ndarray:
        f = np.moveaxis(np.asarray(f), axis, -1)
        return np.moveaxis(f @ self.matrix.T, -1, axis)

    def inverse(self, coeffs: np.ndarray, axis: int = -1) -> np.ndarray:
        c = np.moveaxis(np.asarray(coeffs), axis, -1)
        return np.moveaxis(c @ self.matrix, -1, axis)

    def rows(self, phi: int) -> np.ndarray:
        """The basis rows of bsc φ (an orthonormal basis of R_φ)."""
        return self.matrix[self.slices[phi]]


def fourier_basis(G: Group) -> FourierBasis:
    """The real orthonormal group Fourier basis (cached per group).

    >>> from wordtensor import Group
    >>> F = fourier_basis(Group.from_spec("S3"))
    >>> bool(np.allclose(F.matrix @ F.matrix.T, np.eye(6)))
    True
    """
    G = as_group(G)
    key = "fusion.fourier_basis"
    if key not in G.cache:
        n = G.order
        rows, slices, labels, start = [], [], [], 0
        for b in bscs(G):
            c, scale = _layout(b, n)
            block = scale * b.matrices[:, :, :c]  # (n, D, c)
            rows.append(block.reshape(n, -1).T)
            slices.append(slice(start, start + b.dim * c))
            labels += [f"{b.name}[{a},{j}]" for a in range(b.dim) for j in range(c)]
            start += b.dim * c
        M = np.concatenate(rows, axis=0)
        resid = float(np.max(np.abs(M @ M.T - np.eye(n))))
        if resid > 1e-8:
            raise RepresentationError(f"Fourier basis of {G.name} is not orthonormal ({resid:.2e})")
        M.setflags(write=False)
        G.cache[key] = FourierBasis(G, M, tuple(slices), tuple(labels))
    return G.cache[key]


def _real_array(x, what: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise WordTensorError(f"{what} must be an array of real numbers, got "
                              f"{type(x).__name__}") from None


def plancherel_weights(G: Group) -> np.ndarray:
    """c_φ with f(x) = Σ_φ c_φ tr(R_φ(x)ᵀ f̂(φ)) and Σ f² = Σ c_φ ‖f̂(φ)‖².

    >>> from wordtensor import Group
    >>> G = Group.from_spec("Q8")   # four real 1-dim bscs and one quaternionic of D = 4
    >>> (8 * plancherel_weights(G)).round(12).tolist()   # D/n, D/n, ..., D/(4n)
    [1.0, 1.0, 1.0, 1.0, 1.0]
    >>> f = np.arange(8.0)
    >>> fhat = fourier_transform(G, f)
    >>> energy = sum(c * np.sum(F**2) for c, F in zip(plancherel_weights(G), fhat))
    >>> float(f @ f), bool(np.isclose(energy, 140.0))          # Plancherel
    (140.0, True)
    """
    G = as_group(G)
    n = G.order
    div = {"real": 1, "complex": 2, "quaternionic": 4}
    return np.array([b.dim / (div[b.kind] * n) for b in bscs(G)])


def fourier_transform(G: Group, f: np.ndarray) -> list[np.ndarray]:
    """f̂(φ) = Σ_x f(x) R_φ(x) for every bsc (group axis last; leading axes batch).

    >>> from wordtensor import Group
    >>> G = Group.from_spec("S3"); f = np.arange(6.0)
    >>> bool(np.allclose(inverse_fourier_transform(G, fourier_transform(G, f)), f))
    True
    """
    G = as_group(G)
    f = _real_array(f, "f")
    if f.ndim == 0 or f.shape[-1] != G.order:
        raise WordTensorError(f"a function on G is indexed by the elements: the last axis must "
                              f"have length |G| = {G.order}, got shape {f.shape}")
    return [np.tensordot(f, b.matrices, axes=(-1, 0)) for b in bscs(G)]


def inverse_fourier_transform(G: Group, fhat: list[np.ndarray]) -> np.ndarray:
    """Inverse of :func:`fourier_transform`.

    f̂(φ) = R_φ(e) = I for every bsc is the transform of the delta function at the identity:

    >>> from wordtensor import Group
    >>> G = Group.from_spec("Q8")
    >>> delta = inverse_fourier_transform(G, [np.eye(b.dim) for b in bscs(G)])
    >>> bool(np.allclose(delta, np.eye(8)[0]))
    True
    >>> f = np.arange(8.0)
    >>> bool(np.allclose(inverse_fourier_transform(G, fourier_transform(G, f)), f))
    True
    """
    if not isinstance(fhat, (list, tuple)):
        raise WordTensorError(f"fhat must be the list of Fourier coefficients that fourier_transform "
                              f"returns (one matrix per bsc), got {type(fhat).__name__}")
    G = as_group(G)
    bl = bscs(G)
    if isinstance(fhat, np.ndarray) or not hasattr(fhat, "__len__") or len(fhat) != len(bl):
        raise WordTensorError(f"expected {len(bl)} blocks (one per bsc, as fourier_transform "
                              f"returns them), got {len(fhat)}")
    w = plancherel_weights(G)
    out = 0.0
    for c, b, F in zip(w, bl, fhat):
        F = _real_array(F, f"the block of {b.name}")
        if F.shape[-2:] != (b.dim, b.dim):
            raise WordTensorError(f"the block of bsc {b.name} must be {b.dim} x {b.dim} (its last "
                                  f"two axes), got shape {F.shape}")
        out = out + c * np.einsum("xij,...ij->...x", b.matrices, F)
    return out
