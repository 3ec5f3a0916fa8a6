"""The networks' update: one AdamW step of flat parameter rows with decoupled weight decay,
the optional Grokfast EMA filter (Lee et al. 2024: g ← g + λ·EMA_α(g)) and the optional ⊥Grad
projection (Prieto et al. 2025); pure functions, so that ``torch.compile`` can fuse them."""

from __future__ import annotations

import torch

__all__ = ["adamw_update", "orthogonal_gradient"]


def adamw_update(theta, exp_avg, exp_avg_sq, grad_ema, g, lr, wd, bias_correction, t, alive,
                 failed_at, *, betas, eps, grokfast_alpha, grokfast_lambda):
    """One AdamW step of flat parameter rows (B, P) with decoupled weight decay and the optional
    Grokfast EMA filter (``grad_ema`` None when off); a pure function, so that it can be
    ``torch.compile``d. ``bias_correction`` holds 1 − β₁ᵗ and 1 − β₂ᵗ. Rows whose update is not
    finite keep their parameters and moments, turn not alive and record step ``t`` in
    ``failed_at``. Returns (theta, exp_avg, exp_avg_sq, grad_ema, alive, failed_at).

    >>> z = torch.zeros(2, 3); g = torch.tensor([[1.0, -1, 0], [float("nan"), 0, 0]])
    >>> out = adamw_update(z, z, z, None, g, torch.full((2, 1), 0.1), torch.zeros(2, 1),
    ...                    torch.tensor([0.1, 0.02]), torch.tensor(1), torch.ones(2, dtype=bool),
    ...                    torch.full((2,), -1), betas=(0.9, 0.98), eps=1e-8,
    ...                    grokfast_alpha=0.98, grokfast_lambda=0.0)
    >>> out[0][0].tolist(), out[4].tolist(), out[5].tolist()   # first Adam step moves by lr
    ([-0.10000000149011612, 0.10000000149011612, 0.0], [True, False], [-1, 1])
    """
    b1, b2 = betas
    ema = None
    if grad_ema is not None:
        ema = torch.lerp(grad_ema, g, 1 - grokfast_alpha)
        g = g + grokfast_lambda * ema
    m = torch.lerp(exp_avg, g, 1 - b1)
    v = torch.lerp(exp_avg_sq, g * g, 1 - b2)
    upd = (m / bias_correction[0]) / ((v / bias_correction[1]).sqrt() + eps)
    new = theta - lr * (upd + wd * theta)
    ok = alive & torch.isfinite(new).all(1)
    failed_at = torch.where(alive & ~ok, t, failed_at)
    keep = ok[:, None]
    if ema is not None:
        ema = torch.where(keep, ema, grad_ema)
    return (torch.where(keep, new, theta), torch.where(keep, m, exp_avg),
            torch.where(keep, v, exp_avg_sq), ema, ok, failed_at)


def orthogonal_gradient(g: torch.Tensor, theta: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """⊥Grad (Prieto et al. 2025): each parameter tensor's gradient without its component
    along the parameters, g_p − (⟨g_p, θ_p⟩ / ‖θ_p‖²) θ_p, per instance; ``sizes`` are the
    lengths of the parameter tensors in a flat row.

    >>> th = torch.tensor([[1.0, 0.0, 2.0]]); g = torch.tensor([[1.0, 1.0, 1.0]])
    >>> orthogonal_gradient(g, th, [2, 1]).tolist()   # (1, 1) ⊥ (1, 0); 1 ∥ 2: nothing left
    [[0.0, 1.0, 0.0]]
    """
    parts, at = [], 0
    for size in sizes:
        gp, th = g[:, at:at + size], theta[:, at:at + size]
        nrm = (th * th).sum(1, keepdim=True)
        coef = torch.where(nrm > 0, (gp * th).sum(1, keepdim=True) / nrm.clamp_min(1e-30), 0.0)
        parts.append(gp - coef * th)
        at += size
    return torch.cat(parts, dim=1)
