"""What a trained two-layer network computes, read along bsc triplets.

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
  which the softmax ignores. It is compared with δ centred the same way, block by block in
  Fourier coordinates. Ranks of a block: *multilinear ranks* from the SVD of its three
  unfoldings (singular values above ``tol`` × the largest), and for quadratic networks on
  two-variable words the *neuron CP rank*: the network's bilinear part is exactly
  Σ_j 2 (C u_j) ⊗ (C v_j) ⊗ W_j, so the fewest of those rank-one terms (largest in the block
  first) that reproduce the block to relative error ``tol`` is an explicit CP rank at that
  tolerance.
* **Excluded / restricted losses** (Nanda et al.'s progress measures with Fourier frequencies
  replaced by bsc triplets): the training loss of L with the piece (P_φ ⊗ P_ψ ⊗ P_ζ) L of one
  support triplet removed (``excl:φ,ψ,ζ``), with all support pieces removed
  (``excluded_loss``), and of Σ_{support} (P_φ ⊗ P_ψ ⊗ P_ζ) L alone (``restricted_loss``,
  ``restricted_acc`` on the held-out tuples).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from fusion.decompose import decompose
from wordtensor import WordTensor

from .metrics import (
    FourierTensor,
    _mode_apply,
    active_per_triplet,
    box_masses,
    dominant_triplets,
    triplet_residuals,
)

__all__ = ["NetworkAnalyzer", "all_logits", "centre_inputs", "neuron_masses", "neuron_strength",
           "neuron_boxes", "interaction_part", "excluded_restricted", "evaluate_all",
           "bilinear_analysis", "multilinear_ranks", "neuron_cp_rank", "plot_progress",
           "plot_neuron_boxes", "plot_network_run", "MAX_ELEMENTS"]

#: Instances are analysed in chunks of at most this many entries of (tuples × width).
MAX_ELEMENTS = 1 << 23


class NetworkAnalyzer(FourierTensor):
    """What the analyses of one word tensor share: the Fourier basis F (torch, float64), the
    bsc-membership matrix S, bsc names, δ's support triplets and their names.

    >>> from wordtensor import word_tensor
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> A.support_names
    ['1a,1a,1a', '1b,1b,1b', '2a,2a,2a']
    """

    def __init__(self, tensor: WordTensor, *, device="cpu"):
        super().__init__(tensor, device=device)
        S = self.S.cpu().numpy()
        self.slices = [slice(int(np.flatnonzero(S[:, p])[0]), int(np.flatnonzero(S[:, p])[-1]) + 1)
                       for p in range(self.t)]
        self.decomposition = decompose(tensor.group, tensor.word)
        self.support = [tuple(int(x) for x in s) for s in self.decomposition.support]
        self.support_names = [self.triplet_name(s) for s in self.support]

    def triplet_name(self, triplet) -> str:
        return ",".join(self.bsc_names[i] for i in triplet)

    def rows(self, phi: int) -> torch.Tensor:
        return self.F[self.slices[phi]]

    def piece(self, Xt: torch.Tensor, triplet) -> torch.Tensor:
        """The group-basis piece (P_φ ⊗ … ⊗ P_ζ) X of a tensor given in Fourier coordinates
        ``Xt`` (B, n, …, n)."""
        block = Xt[(slice(None),) + tuple(self.slices[p] for p in triplet)]
        for ax, p in enumerate(triplet):
            block = _mode_apply(block, self.rows(p), [ax + 1])
        return block


# ------------------------------------------------------------------------------- helpers
def _torch_params(params, device, dtype=torch.float64) -> dict[str, torch.Tensor]:
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


def all_logits(params, activation: str, *, device="cpu") -> torch.Tensor:
    """Logits on every input tuple, (B, n^k, n), float64.

    >>> from surrogate.network import forward, init_params
    >>> p = init_params(6, 2, [0, 1], [4, 4], [1.0, 1.0], dtype=torch.float32)
    >>> L = all_logits(p, "relu")
    >>> L.shape, L.dtype
    (torch.Size([2, 36, 6]), torch.float64)
    >>> bool(torch.allclose(L, forward(p, "relu").double(), atol=1e-5))
    True
    """
    from .network import forward

    return forward(_torch_params(params, device), activation)


# ------------------------------------------------------------------------------- neurons
def neuron_masses(params, F: torch.Tensor, S: torch.Tensor, *, centre: bool = True
                  ) -> torch.Tensor:
    """(B, k+1, t, M): mass in each bsc of neuron j's input weights E_1[:, j], …, E_k[:, j]
    and output weights W[j, :] (centred first when ``centre``; see the module docstring).

    >>> from wordtensor import word_tensor
    >>> from surrogate.network import init_params
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
    p = _torch_params(params, F.device)
    theta = torch.cat([p["E"], p["W"].transpose(1, 2)[:, None]], dim=1)  # (B, k+1, n, M)
    mass = box_masses(theta, F, S)
    if centre:
        c = theta - theta.mean(dim=2, keepdim=True)
        mc = box_masses(c, F, S)
        flat = (c.norm(dim=2) <= 1e-12 * theta.norm(dim=2).clamp_min(1e-300))[:, :, None, :]
        mass = torch.where(flat, mass, mc)
    return mass


def neuron_strength(params, activation: str, arity: int, *, device="cpu") -> torch.Tensor:
    """(B, M): ‖C σ(h_j)‖ · ‖W_j − mean(W_j)‖ / √(n^k), neuron j's contribution to the
    interaction part of the logits.

    >>> from surrogate.network import init_params
    >>> p = init_params(6, 2, [0], [3], [1.0], width=5)  # 3 neurons, padded to 5
    >>> s = neuron_strength(p, "quadratic", 2)
    >>> s.shape, bool((s[0, :3] > 0).all()), s[0, 3:].tolist()
    (torch.Size([1, 5]), True, [0.0, 0.0])
    >>> p["W"][0, 1] = 0.5  # a constant output row only shifts every logit alike
    >>> float(neuron_strength(p, "quadratic", 2)[0, 1])
    0.0
    """
    from .network import ACTIVATIONS, hidden

    p = _torch_params(params, device)
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
    >>> from surrogate.network import init_params
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> nb = neuron_boxes(init_params(6, 2, [0], [5], [1.0]), "quadratic", A)
    >>> nb["mass"].shape, nb["dominant"].shape
    ((1, 3, 3, 5), (1, 5, 3))
    """
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

    >>> from surrogate.network import init_params
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
    from .network import per_instance_loss

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
    >>> from surrogate.train import make_split
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
    Lt = _mode_apply(L.reshape(shape), analyzer.F.T, range(1, k + 2))
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


def evaluate_all(params, tensor: WordTensor, train_mask: np.ndarray, config, analyzer=None, *,
                 width_mask=None, device="cpu") -> dict[str, np.ndarray]:
    """Per-instance metrics of a batch over all input tuples, float64: train/test loss and
    accuracy, parameter norm; with an analyzer also the active neurons (``active``, ``mixed``,
    ``act:<triplet>`` for support triplets, ``act:other``), ``support_mass`` (fraction of the
    interaction part's squared norm in support blocks) and the excluded / restricted losses.

    >>> from wordtensor import word_tensor
    >>> from surrogate.network import NetworkConfig, init_params, network_grid
    >>> from surrogate.train import make_split
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
    p = _torch_params(params, device)
    B, k, n, M = p["E"].shape
    target = torch.as_tensor(np.array(tensor.image), dtype=torch.long, device=device)
    mask_all = torch.as_tensor(np.asarray(train_mask), device=device).bool()
    cols: dict[str, list] = {}
    from .network import forward

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


# ------------------------------------------------------------------------------- ranks
def multilinear_ranks(X: np.ndarray, tol: float = 1e-2) -> tuple[int, ...]:
    """Ranks of the unfoldings of X: singular values above ``tol`` × the largest over all
    unfoldings (0 for a zero tensor).

    >>> X = np.einsum("i,j,k->ijk", [1., 2], [1., 0, 1], [3., 1])
    >>> multilinear_ranks(X)
    (1, 1, 1)
    """
    X = np.asarray(X, dtype=float)
    svs = [np.linalg.svd(np.moveaxis(X, m, 0).reshape(X.shape[m], -1), compute_uv=False)
           for m in range(X.ndim)]
    top = max((s[0] for s in svs if s.size), default=0.0)
    if top == 0:
        return (0,) * X.ndim
    return tuple(int(np.sum(s > tol * top)) for s in svs)


def neuron_cp_rank(terms: np.ndarray, X: np.ndarray, tol: float = 1e-2) -> int | None:
    """The fewest of the rank-one ``terms`` (R, d1, d2, d3), taken largest first, whose sum
    is within relative error ``tol`` of X; None when all of them are not.

    >>> def outer(a, b, c):
    ...     return np.einsum("i,j,k->ijk", a, b, c)
    >>> terms = np.stack([outer([1., 0], [1., 0], [3., 0]), outer([0., 1], [0., 1], [0., 2]),
    ...                   outer([1., 1], [1., 0], [1e-3, 0])])
    >>> X = terms.sum(0)
    >>> neuron_cp_rank(terms, X), neuron_cp_rank(terms, X, tol=1e-6)  # the small term matters
    (2, 3)
    >>> print(neuron_cp_rank(terms, outer([1., 1], [1., 1], [1., 1])))  # not in their span
    None
    """
    nx = np.linalg.norm(X)
    if nx == 0:
        return 0
    order = np.argsort([-np.linalg.norm(t) for t in terms])
    acc = np.zeros_like(X)
    for r, j in enumerate(order, 1):
        acc = acc + terms[j]
        if np.linalg.norm(acc - X) <= tol * nx:
            return r
    return None


def bilinear_analysis(params, activation: str, analyzer: NetworkAnalyzer, *, instances=None,
                      tol: float = 1e-2, boxes=None) -> list[dict]:
    """Per instance: the interaction part C L in Fourier coordinates block by block, against
    δ centred the same way. Returns one dict per instance with ``support_mass`` (fraction of
    ‖C L‖² in support blocks) and ``blocks``: for each box (default: each support triplet as
    its own box; else ``boxes`` = list of (sets of bscs per mode)) its ``norm``, ``cosine``
    with C δ, ``scale`` (⟨C L, C δ⟩/‖C δ‖²), ``multilinear`` ranks (SVD at ``tol``) and, for a
    quadratic network on a two-variable word, ``neuron_cp_rank`` (see the module docstring).

    A width-2 quadratic network on S3 xy: its bilinear part is a sum of two rank-one terms,
    so the 4 × 4 × 4 block of the 2-dimensional bsc has neuron CP rank 2; the trivial triplet
    is centred away (like the softmax does).

    >>> from wordtensor import word_tensor
    >>> from surrogate.network import init_params
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> r = bilinear_analysis(init_params(6, 2, [0], [2], [1.0]), "quadratic", A)[0]
    >>> [b["sets"] for b in r["blocks"]]  # one box per support triplet: (1a³, 1b³, 2a³)
    [[[0], [0], [0]], [[1], [1], [1]], [[2], [2], [2]]]
    >>> r["blocks"][0]["centred_away"], r["blocks"][2]["multilinear"]
    (True, [2, 2, 2])
    >>> r["blocks"][2]["neuron_cp_rank"], abs(round(r["blocks"][1]["cosine"], 9))  # 1b: 1×1×1
    (2, 1.0)
    >>> 0 < r["support_mass"] <= 1
    True
    """
    k, n = analyzer.arity, analyzer.n
    B = np.asarray(params["E"]).shape[0]
    instances = range(B) if instances is None else list(instances)
    if boxes is None:
        boxes = [tuple((p,) for p in t) for t in analyzer.support]
    delta = torch.nn.functional.one_hot(analyzer.target, n).to(torch.float64)[None]
    Dt = _mode_apply(interaction_part(delta, k), analyzer.F.T, range(1, k + 2))[0].cpu().numpy()
    F = analyzer.F
    dtot = float((Dt ** 2).sum())
    out = []
    for b in instances:
        q = {p: np.asarray(v)[b:b + 1] for p, v in params.items()}
        L = all_logits(q, activation, device=analyzer.device)
        Xt = _mode_apply(interaction_part(L, k), F.T, range(1, k + 2))[0].cpu().numpy()
        tot = float((Xt ** 2).sum())
        sup = float(sum((Xt[tuple(analyzer.slices[p] for p in t)] ** 2).sum()
                        for t in analyzer.support))
        terms = None
        if activation == "quadratic" and k == 2:
            P = _torch_params(q, analyzer.device)
            U = (P["E"][0, 0] - P["E"][0, 0].mean(0)).T @ F.T  # (M, n) Fourier coordinates
            V = (P["E"][0, 1] - P["E"][0, 1].mean(0)).T @ F.T
            Wt = (P["W"][0] - P["W"][0].mean(1, keepdim=True)) @ F.T
            terms = (U.cpu().numpy(), V.cpu().numpy(), Wt.cpu().numpy())
        recs = []
        for sets in boxes:
            idx = [np.concatenate([np.arange(n)[analyzer.slices[p]] for p in s]) for s in sets]
            Xb = Xt[np.ix_(*idx)]
            Db = Dt[np.ix_(*idx)]
            nd = float((Db ** 2).sum())
            if nd <= 1e-18 * dtot:  # e.g. the trivial triplet: centred away, like the softmax does
                nd = 0.0
            inner = float((Xb * Db).sum())
            nb = float(np.linalg.norm(Xb))
            rec = {"sets": [list(s) for s in sets], "norm": nb,
                   "delta_norm": math.sqrt(nd), "centred_away": nd == 0,
                   "cosine": inner / (nb * math.sqrt(nd)) if nb > 0 and nd > 0 else None,
                   "scale": inner / nd if nd > 0 else None,
                   "multilinear": list(multilinear_ranks(Xb, tol))}
            if terms is not None:
                U, V, W = (m[:, i] for m, i in zip(terms, idx))
                tr = 2 * np.einsum("ja,jb,jc->jabc", U, V, W)
                rec["neuron_cp_rank"] = neuron_cp_rank(tr, Xb, tol)
            recs.append(rec)
        out.append({"instance": int(b), "support_mass": sup / tot if tot > 0 else None,
                    "blocks": recs})
    return out


# ------------------------------------------------------------------------------- plots
def plot_progress(res, path, instance: int | None = None) -> Path:
    """Excluded losses per support triplet, the excluded / restricted / train / test losses and
    the interaction mass on the support, against the step (one instance, or the median).

    >>> import tempfile
    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5),
    ...                     progress=False)
    >>> png = plot_progress(res, Path(tempfile.mkdtemp()) / "progress.png")
    >>> png.suffix, png.is_file()
    ('.png', True)
    """
    from matplotlib.figure import Figure

    from .plots import _series

    fig = Figure(figsize=(11, 4.2))
    ax, ax2 = fig.subplots(1, 2)
    cols = [c for c in dict.fromkeys(c for r in res.rows for c in r) if c.startswith("excl:")]
    keys = [("train_loss", "k", "-"), ("test_loss", "k", "--"), ("restricted_loss", "C3", "-"),
            ("excluded_loss", "C3", "--")] + [(c, f"C{j % 10}", ":") for j, c in enumerate(cols)]

    def pick(vals):
        if instance is not None:
            return vals[:, instance]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(vals, axis=1)

    for key, colour, ls in keys:
        steps, vals = _series(res, key)
        ax.plot(np.maximum(steps, 0.8), np.maximum(pick(vals), 1e-8), ls, color=colour,
                label=key.replace("excl:", "excluded "))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"{res.config.loss} loss (train tuples unless 'test')")
    ax.legend(fontsize=6)
    for key, colour in (("support_mass", "C0"), ("restricted_acc", "C3"), ("test_acc", "k")):
        steps, vals = _series(res, key)
        ax2.plot(np.maximum(steps, 0.8), pick(vals), color=colour, label=key)
    ax2.set_xscale("log")
    ax2.set_ylim(-0.02, 1.02)
    ax2.set_xlabel("step")
    ax2.legend(fontsize=7)
    who = f"instance {instance}" if instance is not None else "median over instances"
    fig.suptitle(f"{res.config.spec} {res.config.word}: excluded / restricted losses ({who})")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_neuron_boxes(res, path, instance: int = 0) -> Path:
    """Heat map of the final parameters of one instance: one row per active neuron (sorted by
    triplet, strongest first), one column per (weight vector, bsc): its mass there.

    >>> import tempfile
    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5),
    ...                     progress=False)
    >>> png = plot_neuron_boxes(res, Path(tempfile.mkdtemp()) / "boxes.png", instance=1)
    >>> png.name, png.is_file()
    ('boxes.png', True)
    """
    from matplotlib.figure import Figure

    from wordtensor import Word, word_tensor

    cfg = res.config
    an = NetworkAnalyzer(word_tensor(cfg.spec, cfg.word))
    q = {p: np.asarray(v)[instance:instance + 1] for p, v in res.params.items()}
    nb = neuron_boxes(q, cfg.activation, an, active_tol=cfg.active_tol, purity_tol=cfg.purity_tol)
    mass, dom, pur, st = nb["mass"][0], nb["dominant"][0], nb["purity"][0], nb["strength"][0]
    order = sorted(np.flatnonzero(nb["active"][0]), key=lambda j: (tuple(dom[j]), -st[j]))
    K, t, _ = mass.shape
    names = an.bsc_names
    labels = list(Word.parse(cfg.word).variables) + ["out"]
    img = (np.concatenate([mass[i][:, order].T for i in range(K)], axis=1) if order
           else np.zeros((1, K * t)))
    fig = Figure(figsize=(1.5 + 0.45 * K * t, 1.8 + 0.1 * max(len(order), 1)))
    ax = fig.subplots()
    im = ax.imshow(img, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_xticks(range(K * t), [f"{labels[i]}:{names[p]}" for i in range(K) for p in range(t)],
                  rotation=60, fontsize=7)
    step = max(1, len(order) // 40)
    ax.set_yticks(range(0, len(order), step),
                  [",".join(names[x] for x in dom[order[j]]) + ("" if pur[order[j]] >=
                                                                cfg.purity_tol else " (mixed)")
                   for j in range(0, len(order), step)], fontsize=6)
    for i in range(1, K):
        ax.axvline(i * t - 0.5, color="w", lw=1.5)
    counts = ", ".join(f"{c}×({an.triplet_name(k)})" for k, c in nb["counts"][0].items())
    ax.set_title(f"{cfg.spec} {cfg.word}, seed {cfg.instances[instance].seed}: {counts}"
                 + (f", {nb['mixed'][0]} mixed" if nb["mixed"][0] else ""), fontsize=8)
    ax.set_ylabel("active neurons (triplet)")
    fig.colorbar(im, ax=ax, label="mass in bsc (centred weights)")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_network_run(res, out_dir=None) -> list:
    """curves.png (:func:`surrogate.plots.plot_curves`), progress.png and neuron_boxes.png
    (first instance that did not diverge) into ``out_dir`` (default: the run folder).

    >>> import tempfile
    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> d = tempfile.mkdtemp()
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 8, 0.5), steps=5),
    ...                     run_dir=d, progress=False)
    >>> paths = plot_network_run(res)  # into the run folder
    >>> [p.name for p in paths], all(p.parent == Path(d) and p.is_file() for p in paths)
    (['curves.png', 'progress.png', 'neuron_boxes.png'], True)
    """
    from .plots import plot_curves

    out = Path(out_dir or res.run_dir or ".")
    ok = [b for b, s in enumerate(res.status) if s == "ok"] or [0]
    paths = [plot_curves(res, out / "curves.png"), plot_progress(res, out / "progress.png")]
    if res.params:
        paths.append(plot_neuron_boxes(res, out / "neuron_boxes.png", ok[0]))
    return paths
