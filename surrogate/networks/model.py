"""The two-layer network of a k-variable word on a group of order n, width m:

    logits(a_1, …, a_k) = σ(E_1[a_1] + … + E_k[a_k] + b_1) W + b_2   ∈ R^n

with embeddings E_i (n × m), hidden bias b_1 (m), output weights W (m × n) — row W[j, :] is
neuron j's output, a function on G — and output bias b_2 (n); σ one of :data:`ACTIVATIONS`.
All instances of a batch live in one set of tensors with a leading instance axis:
``E`` (B, k, n, M), ``b1`` (B, M), ``W`` (B, M, n), ``b2`` (B, n); narrower instances are
zero-padded to the widest width M. This module holds the initialisation, the forward pass and
the loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..batching import Device, tuple_digits
from ..config import LOSSES, ConfigError

__all__ = ["ACTIVATIONS", "init_params", "forward"]

def cube(x: torch.Tensor) -> torch.Tensor:
    """σ(x) = x³: the activation of degree k for k = 3 inputs (Li et al., arXiv 2402.09469, use
    x^k for k-input modular addition; a quadratic network's logits hold only pairwise
    interactions of its inputs, too few for a three-variable word).

    >>> cube(torch.tensor([-2.0, 0.5])).tolist()
    [-8.0, 0.125]
    """
    return x * x * x


#: Activations σ by name.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "gelu": torch.nn.functional.gelu,
    "quadratic": torch.square,
    "cubic": cube,
    "tanh": torch.tanh,
    "silu": torch.nn.functional.silu,
}


PARAMS = ("E", "b1", "W", "b2")


def init_params(n: int, arity: int, seeds, widths, init_scales, *, width: int | None = None,
                output_scale: float = 1.0, dtype: torch.dtype = torch.float64,
                device: Device = "cpu") -> dict[str, torch.Tensor]:
    """Initial weights of a batch: E (B, k, n, M) ~ N(0, s²), W (B, M, n) ~ N(0, (r s)²/m) with
    r = ``output_scale``, biases 0.

    Instance b depends only on its (seed, width, scale): neuron j of E_i is drawn from
    ``default_rng([seed, i])`` and of W from ``default_rng([seed, k])``, neuron by neuron.
    Neurons past an instance's width are zero.

    >>> p = init_params(6, 2, [0], [8], [1.0], width=10)
    >>> p["E"].shape, p["W"].shape, float(p["W"][0, 8:].abs().sum())
    (torch.Size([1, 2, 6, 10]), torch.Size([1, 10, 6]), 0.0)
    """
    widths = [int(m) for m in widths]
    M = max(widths) if width is None else int(width)
    if M < max(widths):
        raise ConfigError(f"width {M} is smaller than the widest instance ({max(widths)})")
    B = len(widths)
    E = np.zeros((B, arity, n, M))
    W = np.zeros((B, M, n))
    for b, (seed, m, s) in enumerate(zip(seeds, widths, init_scales)):
        for i in range(arity):
            E[b, i, :, :m] = float(s) * np.random.default_rng([int(seed), i]).standard_normal((m, n)).T
        W[b, :m] = float(s) * output_scale / math.sqrt(m) * np.random.default_rng(
            [int(seed), arity]).standard_normal((m, n))
    kw = dict(dtype=dtype, device=device)
    return {"E": torch.as_tensor(E).to(**kw), "b1": torch.zeros((B, M), **kw),
            "W": torch.as_tensor(W).to(**kw), "b2": torch.zeros((B, n), **kw)}


def hidden(params: dict[str, torch.Tensor], index: torch.Tensor | None = None) -> torch.Tensor:
    """Pre-activations h = Σ_i E_i[a_i] + b_1 at the tuples ``index`` (B, S) (all n^k tuples,
    C order, when None): (B, S, M).

    >>> p = init_params(3, 2, [0], [4], [1.0])
    >>> h = hidden(p)                                      # tuple 5 is (a, b) = (1, 2)
    >>> h.shape, bool(torch.allclose(h[0, 5], p["E"][0, 0, 1] + p["E"][0, 1, 2]))
    (torch.Size([1, 9, 4]), True)
    >>> bool(torch.allclose(hidden(p, torch.tensor([[5, 0]]))[0], h[0, [5, 0]]))
    True
    """
    E, b1 = params["E"], params["b1"]
    B, k, n, M = E.shape
    if index is None:
        h = E[:, 0]
        for i in range(1, k):
            h = (h[:, :, None, :] + E[:, i, None, :, :]).reshape(B, -1, M)
        return h + b1[:, None, :]
    S = index.shape[1]
    offset = (torch.arange(B, device=index.device) * n)[:, None]
    h = b1[:, None, :]
    for i, d in enumerate(tuple_digits(index, n, k)):
        h = h + E[:, i].reshape(B * n, M).index_select(0, (d + offset).reshape(-1)).view(B, S, M)
    return h


def forward(params: dict[str, torch.Tensor], activation: str, index: torch.Tensor | None = None
            ) -> torch.Tensor:
    """Logits (B, S, n) at the tuples ``index`` (B, S), or at all n^k tuples (C order).

    >>> p = init_params(3, 2, [1], [4], [1.0])
    >>> L = forward(p, "relu")[0].reshape(3, 3, 3)
    >>> h = p["E"][0, 0][:, None, :] + p["E"][0, 1][None, :, :]
    >>> bool(torch.allclose(L, torch.relu(h) @ p["W"][0]))
    True
    """
    act = ACTIVATIONS[activation]
    return torch.baddbmm(params["b2"][:, None, :], act(hidden(params, index)), params["W"])


def per_instance_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                      loss: str) -> torch.Tensor:
    """(B,) weighted loss; ``weight`` (B, S) is 1/|S_b| on an instance's tuples, 0 on padding.
    MSE is the mean over outputs of (logit − one-hot)² (like ``torch.nn.MSELoss``).

    >>> target = torch.tensor([[0, 2]])
    >>> onehot = torch.nn.functional.one_hot(target, 3).double()
    >>> weight = torch.full((1, 2), 0.5, dtype=torch.float64)
    >>> per_instance_loss(onehot, target, weight, "mse").tolist()     # exact logits
    [0.0]
    >>> round(per_instance_loss(0 * onehot, target, weight, "ce").item(), 6)  # log 3
    1.098612
    """
    if loss == "ce":
        logp = torch.log_softmax(logits, dim=-1)
        nll = -logp.gather(-1, target[..., None])[..., 0]
    elif loss == "mse":
        onehot = torch.nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype)
        nll = ((logits - onehot) ** 2).mean(-1)
    else:
        raise ConfigError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    return (nll * weight).sum(1)
