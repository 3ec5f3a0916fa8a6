"""Dynamics metrics of a batch of CP surrogates: small functions (accuracy, component
strength, cross-bsc overlap) and the :class:`Analyzer` that evaluates all of them at a log step.

For a component r with factors (u¹_r, …, u^k_r, w_r), in the notation of :mod:`surrogate.bsc`:

* box mass of u_r in φ: ‖F_φ u_r‖² / ‖u_r‖² (sums to 1 over φ);
* strength: ‖u¹_r‖ ⋯ ‖w_r‖, the Frobenius norm of the rank-one term; active if ≥ ``active_tol``;
* dominant triplet: the bsc of largest mass in each factor; purity: the smallest of those
  masses; an active component with purity < ``purity_tol`` is *mixed*;
* cross-bsc overlap: the largest |cos| between factor vectors of two active components whose
  dominant bscs differ in that factor (0 when representation spaces are kept orthogonal);
* triplet residual: ‖(T̃ − δ̃)_{φψζ}‖ with T̃ = T ×₁ F ×₂ F ×₃ F (the block of the Fourier
  transformed error tensor), for every bsc triplet (every (k+1)-tuple for longer words).
"""

from __future__ import annotations

import numpy as np
import torch

from wordtensor import WordTensor
from wordtensor.validate import probability, tolerance

from ..bsc import FourierTensor, box_masses, dominant_triplets, triplet_residuals
from .model import data_loss, products

__all__ = ["Analyzer", "component_strength", "cross_bsc_overlap"]

#: Instances are analysed in chunks of at most this many dense tensor entries.
MAX_DENSE_ELEMENTS = 1 << 24

def accuracy(f: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Fraction of the tuples in ``mask`` (B, N) with argmax f̂(s) = c(s) (NaN for none).

    >>> target = torch.tensor([0, 1, 2, 1, 2, 0, 2, 0, 1])          # xy on Z3
    >>> f = torch.nn.functional.one_hot(target, 3).double()[None].repeat(2, 1, 1)
    >>> f[1, :3] = f[1, :3].roll(1, dims=-1)                       # instance 1: 3 tuples wrong
    >>> mask = torch.ones(2, 9, dtype=torch.bool)
    >>> [round(a, 4) for a in accuracy(f, target, mask).tolist()]
    [1.0, 0.6667]
    >>> accuracy(f, target, torch.zeros(2, 9, dtype=torch.bool)).isnan().tolist()
    [True, True]
    """
    hits = ((f.argmax(-1) == target) & mask).sum(1).to(torch.float64)
    return hits / mask.sum(1).to(torch.float64)


def component_strength(theta: torch.Tensor) -> torch.Tensor:
    """(B, M): ‖u¹_r‖ ⋯ ‖w_r‖.

    >>> theta = torch.zeros(1, 3, 4, 2)
    >>> theta[0, :, 0, 0] = torch.tensor([2.0, 3.0, 0.5])   # component 0: norms 2, 3, 1/2
    >>> theta[0, :, :, 1] = 1.0                              # component 1: norms 2, 2, 2
    >>> component_strength(theta).tolist()
    [[3.0, 8.0]]
    """
    return theta.norm(dim=2).prod(dim=1)


def cross_bsc_overlap(theta: torch.Tensor, dominant: torch.Tensor, active: torch.Tensor
                      ) -> torch.Tensor:
    """(B,): max |cos(x_r, x_s)| over factors x and active pairs r, s whose dominant bsc in
    that factor differ; NaN where no such pair exists.

    >>> from wordtensor import word_tensor
    >>> from surrogate.bsc import fourier_segments
    >>> F, S, names = fourier_segments(word_tensor("S3", "xy"))
    >>> F, S = torch.as_tensor(F), torch.as_tensor(S)
    >>> theta = F.T.expand(1, 3, 6, 6)    # component r: the r-th Fourier row in every factor
    >>> dom, _ = dominant_triplets(box_masses(theta, F, S))
    >>> active = torch.ones(1, 6, dtype=torch.bool)
    >>> bool(cross_bsc_overlap(theta, dom, active)[0] < 1e-12)   # orthogonal across bscs
    True
    >>> th2 = theta.clone()
    >>> th2[0, 0, :, 1] = F[0] + F[1]               # component 1's first vector leans on 1a
    >>> round(cross_bsc_overlap(th2, dom, active).item(), 6)     # cos 45°
    0.707107
    >>> cross_bsc_overlap(theta, dom, active & (dom[..., 0] == 2)).isnan().item()  # one bsc
    True
    """
    B, K, n, M = theta.shape
    X = theta / theta.norm(dim=2, keepdim=True).clamp_min(torch.finfo(theta.dtype).tiny)
    C = (X.transpose(2, 3) @ X).abs()  # (B, K, M, M)
    d = dominant.transpose(1, 2)  # (B, K, M)
    pair = (d[..., :, None] != d[..., None, :]) & active[:, None, :, None] & active[:, None, None, :]
    vals = torch.where(pair, C, torch.full_like(C, -1.0)).amax(dim=(1, 2, 3))
    return torch.where(vals < 0, torch.full_like(vals, float("nan")), vals)


class Analyzer(FourierTensor):
    """Metrics of a batch of surrogates of one word tensor, on ``device`` in float64.

    >>> from wordtensor import word_tensor
    >>> from surrogate.cp.model import init_factors
    >>> A = Analyzer(word_tensor("S3", "xy"))
    >>> A.support_names
    ['1a,1a,1a', '1b,1b,1b', '2a,2a,2a']
    >>> m = A.evaluate(init_factors(6, 2, [0], [9], [0.3]), np.ones((1, 36), bool))
    >>> m["box_mass"].shape, m["triplet_residual"].shape
    ((1, 3, 3, 9), (1, 3, 3, 3))
    """

    def __init__(self, tensor: WordTensor, *, device: str | torch.device = "cpu",
                 active_tol: float = 1e-2, purity_tol: float = 0.9):
        super().__init__(tensor, device=device)
        self.active_tol = tolerance(active_tol, "active_tol", allow_zero=True)
        self.purity_tol = probability(purity_tol, "purity_tol", allow_zero=False)
        self.onehot = torch.nn.functional.one_hot(self.target, self.n).to(torch.float64)
        #: whether the dense error tensor (for the per-triplet residuals) is small enough
        self.dense_ok = self.N * self.n <= MAX_DENSE_ELEMENTS * 8

    def _weights(self, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = mask.to(torch.float64)
        cnt = m.sum(1, keepdim=True)
        return m / cnt.clamp_min(1), cnt[:, 0]

    def evaluate(self, theta: torch.Tensor, train_mask, loss: str = "mse",
                 width_mask: torch.Tensor | None = None) -> dict[str, np.ndarray]:
        """All metrics of the batch ``theta`` (B, k+1, n, M) with training masks (B, N).

        Returns numpy arrays with a leading instance axis: ``train_loss``, ``test_loss``,
        ``train_acc``, ``test_acc`` (NaN without held-out tuples), ``residual`` (‖T − δ‖_F),
        ``max_err`` (max |T − δ|), ``triplet_residual`` (B, t, …, t), ``box_mass``
        (B, k+1, t, M), ``strength``, ``purity``, ``active`` (B, M), ``dominant`` (B, M, k+1),
        ``cross_overlap`` (B,).
        """
        theta = theta.detach().to(device=self.device, dtype=torch.float64)
        train_mask = torch.as_tensor(train_mask, device=self.device).bool()
        B, K, n, M = theta.shape
        per = max(1, MAX_DENSE_ELEMENTS // (self.N * n))
        out: dict[str, list] = {}
        for lo in range(0, B, per):
            part = self._evaluate(theta[lo:lo + per], train_mask[lo:lo + per], loss,
                                  None if width_mask is None else width_mask[lo:lo + per])
            for key, v in part.items():
                out.setdefault(key, []).append(v)
        return {key: np.concatenate(v) for key, v in out.items()}

    def _evaluate(self, theta, train_mask, loss, width_mask):
        k = self.arity
        B, _, n, M = theta.shape
        P = products(theta, k)
        f = torch.bmm(P, theta[:, k].transpose(1, 2))
        wtr, ntr = self._weights(train_mask)
        wte, nte = self._weights(~train_mask)
        r = {}
        r["train_loss"] = data_loss(f, self.onehot, wtr, loss)
        r["test_loss"] = data_loss(f, self.onehot, wte, loss)
        r["train_acc"] = accuracy(f, self.target, train_mask)
        r["test_acc"] = accuracy(f, self.target, ~train_mask)
        nan = torch.full_like(r["test_loss"], float("nan"))
        for key in ("test_loss", "test_acc"):
            r[key] = torch.where(nte > 0, r[key], nan)
        err = f - self.onehot
        r["residual"] = err.flatten(1).norm(dim=1)
        r["max_err"] = err.flatten(1).abs().amax(dim=1)
        if self.dense_ok:
            r["triplet_residual"] = triplet_residuals(
                err.reshape((B,) + (n,) * (k + 1)), self.F, self.S)
        mass = box_masses(theta, self.F, self.S)
        strength = component_strength(theta)
        if width_mask is not None:
            strength = strength * width_mask.to(strength.dtype)
        dominant, purity = dominant_triplets(mass)
        active = strength >= self.active_tol
        r["box_mass"], r["strength"], r["dominant"] = mass, strength, dominant
        r["purity"], r["active"] = purity, active
        r["cross_overlap"] = cross_bsc_overlap(theta, dominant, active)
        return {key: v.cpu().numpy() for key, v in r.items()}
