"""Word tensors read along bscs, what the analyses of both models share: the Fourier basis
with each row's bsc (:class:`FourierTensor`), the triplet decomposition of δ (from
:func:`fusion.decompose.decompose`, its one owner), mode products, box masses, dominant
triplets, per-triplet norms, counts per triplet, and δ's box tensors.

Notation: F is the real orthonormal group Fourier basis (rows grouped by bsc φ, F_φ the rows
of φ). A box is a tuple of sets of bscs, one per mode; δ's box tensor is δ̃ = δ ×₁ F ×₂ F ×₃ F
restricted to the rows of those bscs.
"""

from __future__ import annotations

import numpy as np
import torch

from fusion import bscs, fourier_basis
from fusion.decompose import decompose
from wordtensor import WordTensor, validate

__all__ = ["FourierTensor", "box_masses", "dominant_triplets", "triplet_residuals"]


def fourier_segments(tensor: WordTensor) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(F, S, names): the n×n Fourier basis, the n×t 0/1 matrix S[row, φ] = 1 iff basis row
    belongs to bsc φ, and the bsc names.

    >>> from wordtensor import word_tensor
    >>> F, S, names = fourier_segments(word_tensor("S3", "xy"))
    >>> names, S.sum(0).tolist()           # basis rows per bsc: 1 + 1 + 2²
    (['1a', '1b', '2a'], [1.0, 1.0, 4.0])
    >>> bool(np.allclose(F @ F.T, np.eye(6)))   # orthonormal
    True
    """
    G = tensor.group
    FB = fourier_basis(G)
    S = np.zeros((G.order, len(FB.slices)))
    for phi, sl in enumerate(FB.slices):
        S[sl, phi] = 1.0
    return np.array(FB.matrix, dtype=np.float64), S, [b.name for b in bscs(G)]


def mode_apply(X: torch.Tensor, M: torch.Tensor, axes) -> torch.Tensor:
    """X with every axis in ``axes`` multiplied by M: X[..., a, ...] ↦ Σ_a X[..., a, ...] M[a, :]
    (with M = Fᵀ: to Fourier coordinates)."""
    for ax in axes:
        X = (X.movedim(ax, -1) @ M).movedim(-1, ax)
    return X


def box_masses(theta: torch.Tensor, F: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """(B, k+1, t, M): mass ‖F_φ x‖² / ‖x‖² of each factor vector x (theta[b, i, :, r]) in
    each bsc; zero for zero vectors (padded components).

    >>> from wordtensor import word_tensor
    >>> F, S, names = fourier_segments(word_tensor("S3", "xy"))
    >>> F, S = torch.as_tensor(F), torch.as_tensor(S)
    >>> theta = F.T.expand(1, 3, 6, 6)    # component r: the r-th Fourier row in every factor
    >>> m = box_masses(theta, F, S)
    >>> m.shape                                     # (B, k+1, t, M)
    torch.Size([1, 3, 3, 6])
    >>> m[0, 0].argmax(0).tolist()                  # each row lies in its own bsc
    [0, 1, 2, 2, 2, 2]
    >>> bool(torch.allclose(m.sum(2), torch.ones(1, 3, 6, dtype=torch.float64)))
    True
    >>> box_masses(torch.zeros(1, 3, 6, 2, dtype=torch.float64), F, S).abs().sum().item()
    0.0
    """
    Xt = F @ theta  # (B, k+1, n, M)
    sq = Xt * Xt
    tot = sq.sum(2, keepdim=True)
    per = torch.einsum("bina,nt->bita", sq, S)
    return torch.where(tot > 0, per / torch.where(tot > 0, tot, 1), torch.zeros_like(per))


def dominant_triplets(mass: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dominant (B, M, k+1) bsc indices, purity (B, M)) from box masses (B, k+1, t, M): the
    bsc of largest mass in each factor, and the smallest of those masses.

    >>> from wordtensor import word_tensor
    >>> F, S, names = fourier_segments(word_tensor("S3", "xy"))
    >>> F, S = torch.as_tensor(F), torch.as_tensor(S)
    >>> theta = F.T.expand(1, 3, 6, 6)    # component r: the r-th Fourier row in every factor
    >>> dom, pur = dominant_triplets(box_masses(theta, F, S))
    >>> dom[0].tolist()
    [[0, 0, 0], [1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]]
    >>> bool(torch.allclose(pur, torch.ones(1, 6, dtype=torch.float64)))   # all pure
    True
    >>> mixed = (F[0] + F[2]).reshape(1, 1, 6, 1).expand(1, 3, 6, 1)  # half 1a, half 2a
    >>> [round(x, 6) for x in dominant_triplets(box_masses(mixed, F, S))[1][0].tolist()]
    [0.5]
    """
    top, idx = mass.max(dim=2)  # (B, k+1, M)
    return idx.transpose(1, 2), top.min(dim=1).values


def triplet_residuals(T_err: torch.Tensor, F: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
    """Per-triplet norms ‖(T̃)_{φψζ}‖ of the Fourier-transformed tensors T (B, n, …, n):
    (B, t, …, t).

    δ itself lives on the diagonal triplets of S3, with ‖δ̃_φφφ‖² = n · dim R_φ:

    >>> from wordtensor import word_tensor
    >>> T = word_tensor("S3", "xy")
    >>> F, S, _ = fourier_segments(T)
    >>> D = triplet_residuals(torch.as_tensor(T.dense())[None], torch.as_tensor(F),
    ...                       torch.as_tensor(S))[0]
    >>> (D > 1e-9).nonzero().tolist(), [round(float(D[i, i, i]) ** 2, 9) for i in range(3)]
    ([[0, 0, 0], [1, 1, 1], [2, 2, 2]], [6.0, 6.0, 24.0])
    """
    axes = range(1, T_err.dim())
    sq = mode_apply(T_err, F.T, axes) ** 2
    return mode_apply(sq, S, axes).clamp_min(0).sqrt()


def active_per_triplet(dominant: np.ndarray, purity: np.ndarray, active: np.ndarray,
                       purity_tol: float) -> tuple[dict[tuple[int, ...], int], int]:
    """({triplet: number of active pure components}, number of active mixed components) for one
    instance (arrays of shape (M, k+1), (M,), (M,)).

    >>> dominant = np.array([[2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 2, 2], [1, 1, 1]])
    >>> purity = np.array([0.99, 0.95, 1.0, 0.5, 1.0])
    >>> active = np.array([True, True, True, True, False])   # the last one is inactive
    >>> active_per_triplet(dominant, purity, active, 0.9)       # component 3 is mixed
    ({(0, 0, 0): 1, (2, 2, 2): 2}, 1)
    """
    counts: dict[tuple[int, ...], int] = {}
    mixed = 0
    for r in np.flatnonzero(active):
        if purity[r] < purity_tol:
            mixed += 1
        else:
            key = tuple(int(x) for x in dominant[r])
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items())), mixed


class FourierTensor:
    """What the analysers of one word tensor share: the tensor and its sizes, the Fourier basis
    ``F`` and bsc-membership matrix ``S`` (torch, float64, on ``device``), the bsc names and
    their number ``t``, each bsc's rows (``slices``), the target of every input tuple, and δ's
    triplet ``decomposition`` with its ``support`` (from :func:`fusion.decompose.decompose`).

    >>> from wordtensor import word_tensor
    >>> ft = FourierTensor(word_tensor("S3", "xy"))
    >>> ft.bsc_names, tuple(ft.F.shape), ft.S.sum(0).tolist()
    (['1a', '1b', '2a'], (6, 6), [1.0, 1.0, 4.0])
    >>> ft.support_names, ft.trivial
    (['1a,1a,1a', '1b,1b,1b', '2a,2a,2a'], 0)
    >>> ft.box_tensor(((2,), (2,), (2,))).shape     # the 4 × 4 × 4 block of M₂(R)
    (4, 4, 4)
    """

    def __init__(self, tensor: WordTensor, *, device: str | torch.device = "cpu"):
        validate.instance(tensor, "tensor", WordTensor, "a WordTensor",
                          hint="make one with word_tensor(spec, word)")
        self.tensor = tensor
        self.n, self.arity, self.N = tensor.n, tensor.arity, tensor.nnz
        self.device = torch.device(device)
        FB = fourier_basis(tensor.group)
        self.slices = list(FB.slices)
        F, S, names = fourier_segments(tensor)
        kw = dict(dtype=torch.float64, device=self.device)
        self.F = torch.as_tensor(F.copy(), **kw)
        self.S = torch.as_tensor(S, **kw)
        self.bsc_names = names
        self.t = len(names)
        #: the bsc of the constant functions (its single Fourier row is constant)
        self.trivial = next(p for p, sl in enumerate(self.slices)
                            if sl.stop - sl.start == 1 and np.allclose(F[sl], F[sl.start, 0]))
        self.target = torch.as_tensor(np.array(tensor.image), dtype=torch.long, device=self.device)
        self.decomposition = decompose(tensor.group, tensor.word)
        self.support = [tuple(int(x) for x in s) for s in self.decomposition.support]
        self.support_names = [self.triplet_name(s) for s in self.support]

    def triplet_name(self, triplet) -> str:
        return ",".join(self.bsc_names[i] for i in triplet)

    def box_index(self, sets) -> list[np.ndarray]:
        """The Fourier rows of a box, one index array per mode."""
        return [np.concatenate([np.arange(self.n)[self.slices[p]] for p in s]) for s in sets]

    def box_tensor(self, sets, *, centred: bool = False) -> np.ndarray:
        """δ's box tensor for the box ``sets`` (one set of bscs per mode), from the blocks of
        its triplet decomposition; with ``centred`` the rows of the trivial bsc are zero (δ
        centred along every mode, which is what the softmax and the input biases see)."""
        out = self.decomposition.box(sets)
        if centred:  # zero the rows of the trivial bsc in every mode
            for m, s in enumerate(sets):
                if self.trivial in s:
                    pos = sum(self.slices[p].stop - self.slices[p].start
                              for p in s[:list(s).index(self.trivial)])
                    out[(slice(None),) * m + (pos,)] = 0
        return out
