"""What a trained two-layer network computes, read along bsc triplets: its neurons' boxes,
its interaction part and the excluded / restricted losses (the ranks of its bilinear part are
in :mod:`surrogate.networks.bilinear`, the figures in :mod:`surrogate.networks.plots`).

Notation: F is the real orthonormal group Fourier basis (:func:`fusion.fourier_basis`, rows
grouped by bsc φ, F_φ the rows of φ), L[a_1, …, a_k, c] the network's logits on every input
tuple, δ the word tensor, "support" the triplets of δ's non-zero blocks
(:func:`fusion.decompose`).

* **Neuron box.** Neuron j has input weights E_i[:, j] and output weights W[j, :], functions on
  G. Their constant parts do not matter (a constant input shifts the bias; a constant output is
  cancelled by the softmax), so by default they are removed first (``centre=True``; a weight
  vector that is constant up to 1e-12 counts as trivial-bsc). Its mass in φ is
  ‖F_φ e‖² / ‖e‖²; the neuron belongs to the triplet (argmax φ of E_1, …, argmax of E_k,
  argmax ζ of W) with purity the smallest of those maxima. Its *strength* is the norm of its
  contribution to the interaction part of the logits, ‖C σ(h_j)‖ · ‖W_j − mean‖ / √(n^k), with
  C the centring over every input variable; it is *active* when the strength is at least
  ``active_tol`` × the instance's largest.
* **Interaction (bilinear) part.** C L: the logits centred over every input variable (for xy
  the double centring L − mean_a − mean_b + mean_ab), and by default also over the output c,
  which the softmax ignores.
* **Excluded / restricted losses** (Nanda et al.'s progress measures with Fourier frequencies
  replaced by bsc triplets): the training loss of L with the piece (P_φ ⊗ P_ψ ⊗ P_ζ) L of one
  support triplet removed (``excl:φ,ψ,ζ``), with all support pieces removed
  (``excluded_loss``), and of Σ_{support} (P_φ ⊗ P_ψ ⊗ P_ζ) L alone (``restricted_loss``,
  ``restricted_acc`` on the held-out tuples).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from wordtensor import WordTensor
from wordtensor.validate import probability, tolerance

from ..batching import Device
from ..bsc import (
    FourierTensor,
    active_per_triplet,
    box_masses,
    dominant_triplets,
    mode_apply,
    triplet_residuals,
)
from .model import ACTIVATIONS, forward, hidden, per_instance_loss

__all__ = ["NetworkAnalyzer", "neuron_boxes", "interaction_part", "excluded_restricted",
           "evaluate_all"]

#: Instances are analysed in chunks of at most this many entries of (tuples × width).
MAX_ELEMENTS = 1 << 23


class NetworkAnalyzer(FourierTensor):
    """What the analyses of one word tensor share (:class:`~surrogate.bsc.FourierTensor`:
    the Fourier basis, bsc rows and names, δ's decomposition and support), with the pieces of
    a tensor along a triplet.

    >>> from wordtensor import word_tensor
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> A.support_names
    ['1a,1a,1a', '1b,1b,1b', '2a,2a,2a']
    """

    def rows(self, phi: int) -> torch.Tensor:
        return self.F[self.slices[phi]]

    def piece(self, Xt: torch.Tensor, triplet) -> torch.Tensor:
        """The group-basis piece (P_φ ⊗ … ⊗ P_ζ) X of a tensor given in Fourier coordinates
        ``Xt`` (B, n, …, n)."""
        block = Xt[(slice(None),) + tuple(self.slices[p] for p in triplet)]
        for ax, p in enumerate(triplet):
            block = mode_apply(block, self.rows(p), [ax + 1])
        return block


# ------------------------------------------------------------------------------- helpers
def torch_params(params, device: Device, dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    return {p: torch.as_tensor(np.asarray(v) if not torch.is_tensor(v) else v).to(
        device=device, dtype=dtype) for p, v in params.items()}


def _chunks(B: int, per_instance: int):
    step = max(1, MAX_ELEMENTS // max(1, per_instance))
    return [slice(lo, min(B, lo + step)) for lo in range(0, B, step)]


def centre_inputs(X: torch.Tensor, arity: int) -> torch.Tensor:
    """X (B, n, …, n, …) centred along axes 1..arity (each input variable): C X.

    >>> X = torch.arange(18.).reshape(1, 3, 3, 2) ** 2
    >>> C = centre_inputs(X, 2)
    >>> [bool(C.mean(dim=ax).abs().max() < 1e-12) for ax in (1, 2, 3)]  # not the last axis
    [True, True, False]
    >>> bool(torch.allclose(centre_inputs(C, 2), C))  # a projection
    True
    >>> Y = torch.arange(3.)[None, :, None] + torch.arange(3.)[None, None, :]  # a + b
    >>> float(centre_inputs(Y, 2).abs().max())  # additive: no interaction
    0.0
    """
    for ax in range(1, arity + 1):
        X = X - X.mean(dim=ax, keepdim=True)
    return X


def all_logits(params, activation: str, *, device: Device = "cpu") -> torch.Tensor:
    """Logits on every input tuple, (B, n^k, n), float64.

    >>> from surrogate.networks.model import forward, init_params
    >>> p = init_params(6, 2, [0, 1], [4, 4], [1.0, 1.0], dtype=torch.float32)
    >>> L = all_logits(p, "relu")
    >>> L.shape, L.dtype
    (torch.Size([2, 36, 6]), torch.float64)
    >>> bool(torch.allclose(L, forward(p, "relu").double(), atol=1e-5))
    True
    """
    return forward(torch_params(params, device), activation)


# ------------------------------------------------------------------------------- neurons
def neuron_masses(params, F: torch.Tensor, S: torch.Tensor, *, centre: bool = True
                  ) -> torch.Tensor:
    """(B, k+1, t, M): mass in each bsc of neuron j's input weights E_1[:, j], …, E_k[:, j]
    and output weights W[j, :] (centred first when ``centre``; see the module docstring).

    >>> from wordtensor import word_tensor
    >>> from surrogate.networks.model import init_params
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))  # bscs 1a, 1b, 2a
    >>> p = init_params(6, 2, [0], [5], [1.0])
    >>> mass = neuron_masses(p, A.F, A.S)
    >>> mass.shape  # (instances, k+1 weight vectors, bscs, width)
    torch.Size([1, 3, 3, 5])
    >>> bool(((mass.sum(2) - 1).abs() < 1e-12).all())  # masses sum to 1
    True
    >>> float(mass[:, :, 0].abs().max()) < 1e-12  # centred: nothing in the trivial bsc
    True
    """
    p = torch_params(params, F.device)
    theta = torch.cat([p["E"], p["W"].transpose(1, 2)[:, None]], dim=1)  # (B, k+1, n, M)
    mass = box_masses(theta, F, S)
    if centre:
        c = theta - theta.mean(dim=2, keepdim=True)
        mc = box_masses(c, F, S)
        flat = (c.norm(dim=2) <= 1e-12 * theta.norm(dim=2).clamp_min(1e-300))[:, :, None, :]
        mass = torch.where(flat, mass, mc)
    return mass


def neuron_strength(params, activation: str, arity: int, *, device: Device = "cpu"
                    ) -> torch.Tensor:
    """(B, M): ‖C σ(h_j)‖ · ‖W_j − mean(W_j)‖ / √(n^k), neuron j's contribution to the
    interaction part of the logits.

    >>> from surrogate.networks.model import init_params
    >>> p = init_params(6, 2, [0], [3], [1.0], width=5)  # 3 neurons, padded to 5
    >>> s = neuron_strength(p, "quadratic", 2)
    >>> s.shape, bool((s[0, :3] > 0).all()), s[0, 3:].tolist()
    (torch.Size([1, 5]), True, [0.0, 0.0])
    >>> p["W"][0, 1] = 0.5  # a constant output row only shifts every logit alike
    >>> float(neuron_strength(p, "quadratic", 2)[0, 1])
    0.0
    """
    p = torch_params(params, device)
    B, k, n, M = p["E"].shape
    out = []
    for sl in _chunks(B, n ** k * M):
        q = {name: v[sl] for name, v in p.items()}
        H = ACTIVATIONS[activation](hidden(q)).reshape((-1,) + (n,) * k + (M,))
        Hc = centre_inputs(H, k).reshape(H.shape[0], -1, M)
        W = q["W"] - q["W"].mean(dim=2, keepdim=True)
        out.append(Hc.norm(dim=1) * W.norm(dim=2) / math.sqrt(n ** k))
    return torch.cat(out)


def neuron_boxes(params, activation: str, analyzer: NetworkAnalyzer, *, active_tol: float = 0.05,
                 purity_tol: float = 0.9, centre: bool = True, width_mask=None
                 ) -> dict[str, np.ndarray]:
    """Per instance and neuron: ``mass`` (B, k+1, t, M), ``dominant`` (B, M, k+1) bsc indices,
    ``purity``, ``strength``, ``active`` (B, M); and ``counts`` (list per instance of
    {triplet: active pure neurons}) and ``mixed`` (B,).

    >>> from wordtensor import word_tensor
    >>> from surrogate.networks.model import init_params
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> nb = neuron_boxes(init_params(6, 2, [0], [5], [1.0]), "quadratic", A)
    >>> nb["mass"].shape, nb["dominant"].shape
    ((1, 3, 3, 5), (1, 5, 3))
    """
    active_tol = tolerance(active_tol, "active_tol", allow_zero=True)
    purity_tol = probability(purity_tol, "purity_tol", allow_zero=False)
    mass = neuron_masses(params, analyzer.F, analyzer.S, centre=centre)
    dominant, purity = dominant_triplets(mass)
    strength = neuron_strength(params, activation, analyzer.arity, device=analyzer.device)
    if width_mask is not None:
        strength = strength * torch.as_tensor(np.asarray(width_mask), device=strength.device)
    top = strength.amax(dim=1, keepdim=True)
    active = (strength >= active_tol * top) & (strength > 0)
    out = {k: v.cpu().numpy() for k, v in (("mass", mass), ("dominant", dominant),
                                           ("purity", purity), ("strength", strength),
                                           ("active", active))}
    counts, mixed = [], []
    for b in range(len(out["active"])):
        c, m = active_per_triplet(out["dominant"][b], out["purity"][b], out["active"][b],
                                  purity_tol)
        counts.append(c)
        mixed.append(m)
    out["counts"], out["mixed"] = counts, np.array(mixed)
    return out


# ------------------------------------------------------------------------------- logits
def interaction_part(L: torch.Tensor, arity: int, *, centre_output: bool = True) -> torch.Tensor:
    """C L for logits L (B, n^k, n): centred over every input variable (the double centring
    for k = 2) and, by default, over the output; shape (B, n, …, n) with k+1 group axes.

    >>> from surrogate.networks.model import init_params
    >>> L = all_logits(init_params(6, 2, [0], [8], [1.0]), "quadratic")
    >>> X = interaction_part(L, 2)
    >>> X.shape
    torch.Size([1, 6, 6, 6])
    >>> [bool(X.mean(dim=ax).abs().max() < 1e-12) for ax in (1, 2, 3)]  # rows, columns, output
    [True, True, True]
    >>> Y = interaction_part(L, 2, centre_output=False)
    >>> bool(torch.allclose(Y - Y.mean(dim=-1, keepdim=True), X))
    True
    """
    B, N, n = L.shape
    X = centre_inputs(L.reshape((B,) + (n,) * (arity + 1)), arity)
    if centre_output:
        X = X - X.mean(dim=-1, keepdim=True)
    return X


def _loss(L: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, loss: str) -> torch.Tensor:
    return per_instance_loss(L, target.expand(L.shape[0], -1), weight, loss)


def _acc(L: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    hits = ((L.argmax(-1) == target) & mask).sum(1).to(torch.float64)
    return hits / mask.sum(1).clamp_min(1).to(torch.float64)


def excluded_restricted(L: torch.Tensor, analyzer: NetworkAnalyzer, train_mask: torch.Tensor,
                        loss: str = "ce") -> dict[str, torch.Tensor]:
    """Excluded and restricted losses of logits L (B, n^k, n) (module docstring): keys
    ``excl:<triplet>`` per support triplet, ``excluded_loss``, ``restricted_loss`` (train
    tuples) and ``restricted_acc`` (held-out tuples), each (B,).

    The word tensor itself as logits: its support pieces add up to all of it, so the restricted
    loss is 0 and the excluded loss that of zero logits (MSE 1/6); removing the piece of a bsc
    of dimension d alone costs d²/36.

    >>> from wordtensor import word_tensor
    >>> from surrogate.batching import make_split
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> delta = torch.nn.functional.one_hot(A.target, 6).double()[None]  # (1, 36, 6)
    >>> mask = torch.as_tensor(make_split(36, 0.5, 0))[None]
    >>> out = excluded_restricted(delta, A, mask, "mse")
    >>> bool(out["restricted_loss"][0] < 1e-12), round(6 * float(out["excluded_loss"][0]), 9)
    (True, 1.0)
    >>> [round(36 * float(out[f"excl:{t}"][0]), 9) for t in A.support_names]
    [1.0, 1.0, 4.0]
    >>> float(out["restricted_acc"][0])
    1.0
    """
    B, N, n = L.shape
    k = analyzer.arity
    shape = (B,) + (n,) * (k + 1)
    Lt = mode_apply(L.reshape(shape), analyzer.F.T, range(1, k + 2))
    m = train_mask.to(torch.float64)
    wtr = m / m.sum(1, keepdim=True).clamp_min(1)
    tgt = analyzer.target[None]
    out = {}
    restricted = torch.zeros(shape, dtype=L.dtype, device=L.device)
    for trip, name in zip(analyzer.support, analyzer.support_names):
        piece = analyzer.piece(Lt, trip)
        restricted += piece
        out[f"excl:{name}"] = _loss((L.reshape(shape) - piece).reshape(B, N, n), tgt, wtr, loss)
    R = restricted.reshape(B, N, n)
    out["excluded_loss"] = _loss(L - R, tgt, wtr, loss)
    out["restricted_loss"] = _loss(R, tgt, wtr, loss)
    acc = _acc(R, analyzer.target, ~train_mask)
    out["restricted_acc"] = torch.where((~train_mask).any(1), acc, torch.full_like(acc, np.nan))
    return out


def evaluate_all(params, tensor: WordTensor, train_mask: np.ndarray, config,
                 analyzer: NetworkAnalyzer | None = None, *, width_mask=None,
                 device: Device = "cpu") -> dict[str, list]:
    """Per-instance metrics of a batch over all input tuples, float64: train/test loss and
    accuracy, parameter norm; with an analyzer also the active neurons (``active``, ``mixed``,
    ``act:<triplet>`` for support triplets, ``act:other``), ``support_mass`` (fraction of the
    interaction part's squared norm in support blocks) and the excluded / restricted losses.

    >>> from wordtensor import word_tensor
    >>> from surrogate.networks import NetworkConfig, network_grid
    >>> from surrogate.networks.model import init_params
    >>> from surrogate.batching import make_split
    >>> T = word_tensor("S3", "xy")
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 8))
    >>> p = init_params(6, 2, [0, 1], [8, 8], [0.3, 0.3])
    >>> mask = np.stack([make_split(36, 0.5, 0), make_split(36, 0.5, 1)])
    >>> m = evaluate_all(p, T, mask, cfg, NetworkAnalyzer(T))
    >>> len(m["train_acc"]), m["active"]  # per instance
    (2, [8, 8])
    >>> {"test_loss", "excluded_loss", "restricted_acc", "support_mass", "act:2a,2a,2a"} <= set(m)
    True
    >>> zero = {k: 0 * v for k, v in p.items()}  # zero logits: MSE 1/n on every tuple
    >>> [round(6 * v, 9) for v in evaluate_all(zero, T, mask, cfg)["train_loss"]]
    [1.0, 1.0]
    """
    device = torch.device(device)
    p = torch_params(params, device)
    B, k, n, M = p["E"].shape
    target = torch.as_tensor(np.array(tensor.image), dtype=torch.long, device=device)
    mask_all = torch.as_tensor(np.asarray(train_mask), device=device).bool()
    cols: dict[str, list] = {}
    for sl in _chunks(B, tensor.nnz * max(M, n) * 2):
        q = {name: v[sl] for name, v in p.items()}
        mask = mask_all[sl]
        L = forward(q, config.activation)
        m = mask.to(torch.float64)
        wtr = m / m.sum(1, keepdim=True).clamp_min(1)
        wte = (1 - m) / (1 - m).sum(1, keepdim=True).clamp_min(1)
        has_test = (~mask).any(1)
        nan = torch.full((L.shape[0],), float("nan"), dtype=torch.float64, device=device)
        r = {"train_loss": _loss(L, target[None], wtr, config.loss),
             "test_loss": torch.where(has_test, _loss(L, target[None], wte, config.loss), nan),
             "train_acc": _acc(L, target, mask),
             "test_acc": torch.where(has_test, _acc(L, target, ~mask), nan),
             "param_norm": torch.sqrt(sum((v.flatten(1) ** 2).sum(1) for v in q.values()))}
        if analyzer is not None:
            r |= excluded_restricted(L, analyzer, mask, config.loss)
            X = interaction_part(L, k)
            norms = triplet_residuals(X, analyzer.F, analyzer.S) ** 2
            tot = norms.flatten(1).sum(1)
            sup = sum(norms[(slice(None),) + t] for t in analyzer.support)
            r["support_mass"] = sup / tot.clamp_min(1e-300)
        for key, v in r.items():
            cols.setdefault(key, []).append(v.cpu().numpy())
    out = {key: np.concatenate(v) for key, v in cols.items()}
    if analyzer is not None:
        nb = neuron_boxes(params, config.activation, analyzer, active_tol=config.active_tol,
                          purity_tol=config.purity_tol, width_mask=width_mask)
        out["active"] = nb["active"].sum(1).astype(int)
        out["mixed"] = nb["mixed"].astype(int)
        for trip, name in zip(analyzer.support, analyzer.support_names):
            out[f"act:{name}"] = np.array([c.get(trip, 0) for c in nb["counts"]], dtype=int)
        out["act:other"] = np.array([sum(v for t, v in c.items() if t not in analyzer.support)
                                     for c in nb["counts"]], dtype=int)
    return {key: [v.item() if hasattr(v, "item") else v for v in arr] for key, arr in out.items()}


