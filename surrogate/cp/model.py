"""The CP surrogate model: f̂(a_1, …, a_k) = Σ_r u¹_r[a_1] ⋯ u^k_r[a_k] w_r ∈ R^n.

All instances of a batch live in one parameter tensor ``theta`` of shape (B, k+1, n, M):
``theta[b, i]`` is the i-th factor matrix (n × M) of instance b — the k input factors
(U, V, … for the variables of the word, in order) and last the output factor W. Width M is the
largest width in the batch; narrower instances are zero-padded and masked (a zero component
has a zero gradient, so it stays zero).

Inputs are enumerated in C order over (a_1, …, a_k), like :attr:`wordtensor.WordTensor.image`,
so ``predict(theta, k)[b].reshape((n,) * (k + 1))`` is the model's tensor of instance b.

Losses (per instance b, over its training tuples S_b):

* ``"mse"``: (1 / (|S_b| n)) Σ_{s ∈ S_b} ‖f̂(s) − e_{c(s)}‖² — the mean squared error against
  the one-hot rows δ[s, :] (mean over tuples and outputs, like ``torch.nn.MSELoss``);
* ``"ce"``: (1 / |S_b|) Σ_{s ∈ S_b} −log softmax(f̂(s))[c(s)] — f̂ as logits.

Gradients are computed in closed form (no autograd graph): with E = ∂L/∂f̂ (B, N, n) and
P[s, r] = Π_i u^i_r[s_i], ∂L/∂W = Eᵀ P and ∂L/∂u^i_r[a] = Σ_{s: s_i = a} (E W)[s, r] Π_{j≠i} u^j_r[s_j].
"""

from __future__ import annotations

import numpy as np
import torch
from tensorly.cp_tensor import CPTensor

from ..batching import Device, tuple_digits
from ..config import LOSSES, ConfigError

__all__ = ["init_factors", "dense_tensor", "to_cp_tensor", "loss_and_grad"]


def init_factors(n: int, arity: int, seeds, widths, init_scales, *, width: int | None = None,
                 dtype: torch.dtype = torch.float64, device: Device = "cpu") -> torch.Tensor:
    """Random factors for a batch: theta (B, arity+1, n, M), entries N(0, init_scale²).

    Instance b depends only on (seeds[b], widths[b], init_scales[b]) — not on its position in
    the batch, the batch size, the device or the dtype (drawn in float64 by numpy, then cast).
    Component r of factor i is drawn from the stream ``default_rng([seed, i])`` in order, so
    a narrower instance with the same seed is a prefix of a wider one. Columns past
    ``widths[b]`` are zero.

    >>> init_factors(6, 2, [0], [9], [0.3], width=12).shape
    torch.Size([1, 3, 6, 12])
    """
    widths = [int(m) for m in widths]
    M = max(widths) if width is None else int(width)
    if M < max(widths):
        raise ConfigError(f"width {M} is smaller than the widest instance ({max(widths)})")
    out = np.zeros((len(widths), arity + 1, n, M))
    for b, (seed, m, scale) in enumerate(zip(seeds, widths, init_scales)):
        for i in range(arity + 1):
            rng = np.random.default_rng([int(seed), i])
            out[b, i, :, :m] = float(scale) * rng.standard_normal((m, n)).T
    return torch.as_tensor(out).to(device=device, dtype=dtype)


def products(theta: torch.Tensor, arity: int) -> torch.Tensor:
    """P[b, s, r] = Π_i theta[b, i, s_i, r] over all n^arity input tuples s (C order).

    >>> th = init_factors(3, 2, [0], [4], [0.5])
    >>> P = products(th, 2)
    >>> P.shape                                      # 3² tuples, 4 components
    torch.Size([1, 9, 4])
    >>> bool(torch.allclose(P[0].reshape(3, 3, 4), torch.einsum("ar,br->abr", th[0, 0], th[0, 1])))
    True
    """
    B, _, n, M = theta.shape
    P = theta[:, 0]
    for i in range(1, arity):
        P = (P[:, :, None, :] * theta[:, i, None, :, :]).reshape(B, -1, M)
    return P


def predict(theta: torch.Tensor, arity: int, P: torch.Tensor | None = None) -> torch.Tensor:
    """f̂ for every input tuple: (B, n^arity, n).

    >>> th = init_factors(3, 2, [1], [4], [1.0])
    >>> T = predict(th, 2)[0].reshape(3, 3, 3)
    >>> bool(torch.allclose(T, torch.einsum("ar,br,cr->abc", th[0, 0], th[0, 1], th[0, 2])))
    True
    """
    if P is None:
        P = products(theta, arity)
    return torch.bmm(P, theta[:, arity].transpose(1, 2))


def dense_tensor(theta: torch.Tensor, arity: int) -> torch.Tensor:
    """The model's dense tensors (B, n, …, n) with arity+1 modes.

    >>> th = init_factors(3, 2, [0, 1], [4, 2], [0.5, 0.5])
    >>> T = dense_tensor(th, 2)
    >>> T.shape
    torch.Size([2, 3, 3, 3])
    >>> bool(torch.allclose(T, torch.einsum("zar,zbr,zcr->zabc", th[:, 0], th[:, 1], th[:, 2])))
    True
    """
    B, _, n, _ = theta.shape
    return predict(theta, arity).reshape((B,) + (n,) * (arity + 1))


def to_cp_tensor(theta: torch.Tensor | np.ndarray, instance: int = 0,
                 width: int | None = None) -> CPTensor:
    """Instance ``instance`` of a batch ``theta`` (B, k+1, n, M) as a tensorly ``CPTensor``:
    unit weights and the k+1 factor matrices (n × width; default the full width M).

    >>> import tensorly as tl
    >>> th = init_factors(3, 2, [0, 1], [4, 2], [0.5, 0.5])
    >>> cp = to_cp_tensor(th, 1, width=2)
    >>> [f.shape for f in cp.factors]
    [(3, 2), (3, 2), (3, 2)]
    >>> bool(np.allclose(tl.cp_to_tensor(cp), dense_tensor(th, 2)[1].numpy()))
    True
    """
    th = theta.detach().cpu().numpy() if torch.is_tensor(theta) else np.asarray(theta)
    m = th.shape[-1] if width is None else int(width)
    factors = [np.array(th[instance, i, :, :m]) for i in range(th.shape[1])]
    return CPTensor((np.ones(m, dtype=th.dtype), factors))


def _dloss(f: torch.Tensor, onehot: torch.Tensor, weight: torch.Tensor, loss: str):
    """(∂L/∂f̂, per-instance loss) with ``weight`` (B, N, 1) = mask / |S_b|."""
    n = f.shape[-1]
    if loss == "mse":
        diff = f - onehot
        E = diff * (weight * (2.0 / n))
        return E, 0.5 * (E * diff).sum((1, 2))
    if loss == "ce":
        logp = torch.log_softmax(f, dim=-1)
        E = (logp.exp() - onehot) * weight
        return E, -(logp * onehot * weight).sum((1, 2))
    raise ConfigError(f"unknown loss {loss!r}; choose one of {LOSSES}")


def data_loss(f: torch.Tensor, onehot: torch.Tensor, weight: torch.Tensor, loss: str
              ) -> torch.Tensor:
    """Per-instance loss (B,) of predictions f (B, N, n); ``weight`` (B, N) or (B, N, 1) is the
    tuple mask divided by the number of tuples in it.

    >>> target = torch.tensor([0, 1, 2, 1, 2, 0, 2, 0, 1])          # xy on Z3
    >>> onehot = torch.nn.functional.one_hot(target, 3).double()
    >>> weight = torch.full((1, 9), 1 / 9, dtype=torch.float64)       # all 9 tuples
    >>> float(data_loss(onehot[None], onehot, weight, "mse"))         # exact: zero loss
    0.0
    >>> zero = torch.zeros(1, 9, 3, dtype=torch.float64)
    >>> round(float(data_loss(zero, onehot, weight, "mse")), 12)      # mean of onehot² = 1/n
    0.333333333333
    >>> bool(torch.isclose(data_loss(zero, onehot, weight, "ce")[0],  # uniform logits: log n
    ...                    torch.log(torch.tensor(3.0, dtype=torch.float64))))
    True
    """
    if weight.dim() == 2:
        weight = weight[..., None]
    return _dloss(f, onehot, weight, loss)[1]


def loss_and_grad(theta: torch.Tensor, arity: int, onehot: torch.Tensor, weight: torch.Tensor,
                  loss: str = "mse", index: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-instance loss (B,) and its gradient with respect to theta (B, k+1, n, M).

    Without ``index``: ``onehot`` (N, n) holds the rows δ[s, :] of all N = n^k tuples and
    ``weight`` (B, N, 1) is each instance's training mask divided by its number of training
    tuples. With ``index`` (B, S): only those tuples are evaluated (each instance's training
    tuples, padded with weight 0); ``onehot`` (B, S, n) and ``weight`` (B, S, 1) follow it.

    The closed-form gradient agrees with autograd of :func:`data_loss`:

    >>> th = init_factors(3, 2, [0], [4], [0.5])
    >>> target = torch.tensor([0, 1, 2, 1, 2, 0, 2, 0, 1])          # xy on Z3
    >>> onehot = torch.nn.functional.one_hot(target, 3).double()
    >>> weight = torch.full((1, 9, 1), 1 / 9, dtype=torch.float64)
    >>> L, g = loss_and_grad(th, 2, onehot, weight, "ce")
    >>> x = th.clone().requires_grad_()
    >>> data_loss(predict(x, 2), onehot, weight, "ce").sum().backward()
    >>> bool(torch.allclose(g, x.grad)), g.shape
    (True, torch.Size([1, 3, 3, 4]))
    >>> idx = torch.tensor([[1, 5, 7]])                             # three tuples only
    >>> w3 = torch.full((1, 3, 1), 1 / 3, dtype=torch.float64)
    >>> L3, g3 = loss_and_grad(th, 2, onehot[idx], w3, index=idx)
    >>> L3b, g3b = loss_and_grad(th, 2, onehot, torch.zeros(1, 9, 1, dtype=torch.float64)
    ...                          .index_fill_(1, idx[0], 1 / 3))
    >>> bool(torch.allclose(L3, L3b) and torch.allclose(g3, g3b))
    True
    """
    if index is not None:
        return _loss_and_grad_at(theta, arity, onehot, weight, loss, index)
    B, _, n, M = theta.shape
    k = arity
    L, grad, G = _output_part(products(theta, k), theta, k, onehot, weight, loss)  # G: (B, N, M)
    if k == 1:
        grad[:, 0] = G
    elif k == 2:
        Gv = G.view(B, n, n, M)
        grad[:, 0] = (Gv * theta[:, 1, None, :, :]).sum(2)
        grad[:, 1] = (Gv * theta[:, 0, :, None, :]).sum(1)
    else:
        Gv = G.view((B,) + (n,) * k + (M,))
        for i in range(k):
            Q = Gv
            for j in range(k):
                if j != i:
                    shape = [B] + [1] * k + [M]
                    shape[1 + j] = n
                    Q = Q * theta[:, j].reshape(shape)
            dims = tuple(1 + j for j in range(k) if j != i)
            grad[:, i] = Q.sum(dims)
    return L, grad


def _output_part(P, theta, k, onehot, weight, loss):
    """(loss, gradient with its output-factor part filled in, E W) from the input products
    P (B, S, M): f̂ = P Wᵀ, E = ∂L/∂f̂, ∂L/∂W = Eᵀ P."""
    W = theta[:, k]
    E, L = _dloss(torch.bmm(P, W.transpose(1, 2)), onehot, weight, loss)
    grad = torch.empty_like(theta)
    grad[:, k] = torch.bmm(E.transpose(1, 2), P)
    return L, grad, torch.bmm(E, W)


def _loss_and_grad_at(theta, arity, onehot, weight, loss, index):
    B, _, n, M = theta.shape
    k = arity
    S = index.shape[1]
    offset = (torch.arange(B, device=index.device) * n)[:, None]
    flat = [(d + offset).reshape(-1) for d in tuple_digits(index, n, k)]  # rows of (B·n, M)
    rows = [theta[:, i].reshape(B * n, M).index_select(0, flat[i]).view(B, S, M)
            for i in range(k)]
    P = rows[0]
    for i in range(1, k):
        P = P * rows[i]
    L, grad, G = _output_part(P, theta, k, onehot, weight, loss)  # G: (B, S, M)
    for i in range(k):
        Q = G
        for j in range(k):
            if j != i:
                Q = Q * rows[j]
        acc = torch.zeros((B * n, M), dtype=theta.dtype, device=theta.device)
        grad[:, i] = acc.index_add_(0, flat[i], Q.reshape(B * S, M)).view(B, n, M)
    return L, grad
