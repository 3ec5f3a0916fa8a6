"""The bilinear part of a trained network and its ranks: for each box, the interaction part
C L in Fourier coordinates against δ centred the same way (its norm, cosine and scale), the
*multilinear ranks* of the block (numerical ranks of its flattenings,
:func:`wordtensor.linalg.flattening_rank`) and, for quadratic networks on two-variable words,
the *neuron CP rank*: the bilinear part of a quadratic network is exactly
Σ_j 2 (C u_j) ⊗ (C v_j) ⊗ (C W_j) (:func:`interaction_cp`), so the fewest of those rank-one
terms (largest in the block first) that reproduce the block to relative error ``tol`` is an
explicit CP rank at that tolerance.

Why exactly: (u_a + v_b + c)² = u_a² + v_b² + c² + 2 u_a v_b + 2c (u_a + v_b), and centring
over a and over b removes every term that does not depend on both, leaving 2 (C u)_a (C v)_b.
"""

from __future__ import annotations

import math

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import WordTensorError
from wordtensor.linalg import flattening_rank
from wordtensor.validate import tolerance

from ..bsc import mode_apply
from .analysis import NetworkAnalyzer, all_logits, interaction_part

__all__ = ["interaction_cp", "multilinear_ranks", "neuron_cp_rank", "bilinear_analysis"]


def interaction_cp(params, activation: str, instance: int = 0, width: int | None = None
                   ) -> CPTensor:
    """The interaction part C L of a quadratic two-variable network's logits (centred over
    both inputs and the output), as a tensorly ``CPTensor`` with one rank-one term per neuron:
    weights 2, factors C E_1[:, j], C E_2[:, j] and C W[j, :] (``width`` neurons, default all).

    >>> import tensorly as tl
    >>> from surrogate.networks.model import init_params
    >>> p = init_params(6, 2, [0], [5], [1.0])
    >>> cp = interaction_cp(p, "quadratic")
    >>> X = interaction_part(all_logits(p, "quadratic"), 2)[0].numpy()
    >>> cp.rank, bool(np.allclose(tl.cp_to_tensor(cp), X))
    (5, True)
    """
    E, W = np.asarray(params["E"], dtype=np.float64), np.asarray(params["W"], dtype=np.float64)
    if activation != "quadratic" or E.shape[1] != 2:
        raise WordTensorError(
            "the neurons are rank-one terms of the interaction part only for the quadratic "
            f"activation on two-variable words (this network: {activation}, {E.shape[1]} "
            "variable(s))")
    m = E.shape[-1] if width is None else int(width)

    def centred(X):
        return X - X.mean(axis=0, keepdims=True)

    factors = [centred(E[instance, 0, :, :m]), centred(E[instance, 1, :, :m]),
               centred(W[instance, :m, :].T)]
    return CPTensor((np.full(m, 2.0), factors))


def multilinear_ranks(X: np.ndarray, tol: float = 1e-2) -> tuple[int, ...]:
    """The numerical ranks of the flattenings of X, each with singular values above ``tol`` ×
    its largest (0 for a zero tensor).

    >>> X = np.einsum("i,j,k->ijk", [1., 2], [1., 0, 1], [3., 1])
    >>> multilinear_ranks(X)
    (1, 1, 1)
    >>> multilinear_ranks(np.zeros((2, 2, 2)))
    (0, 0, 0)
    """
    X = np.asarray(X, dtype=float)
    return tuple(flattening_rank(X, (m,), exact=False, tol=tol) for m in range(X.ndim))


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
    tol = tolerance(tol, "tol")
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
    ‖C L‖² in support blocks), ``cosine`` (of the whole C L with C δ: 1 when the network's
    interaction part is δ's up to scale) and ``blocks``: for each box (default: each support triplet as
    its own box; else ``boxes`` = list of (sets of bscs per mode)) its ``norm``, ``cosine``
    with C δ, ``scale`` (⟨C L, C δ⟩/‖C δ‖²), ``multilinear`` ranks (SVD at ``tol``) and, for a
    quadratic network on a two-variable word, ``neuron_cp_rank`` (module docstring).

    A width-2 quadratic network on S3 xy: its bilinear part is a sum of two rank-one terms,
    so the 4 × 4 × 4 block of the 2-dimensional bsc has neuron CP rank 2; the trivial triplet
    is centred away (like the softmax does).

    >>> from wordtensor import word_tensor
    >>> from surrogate.networks.model import init_params
    >>> A = NetworkAnalyzer(word_tensor("S3", "xy"))
    >>> r = bilinear_analysis(init_params(6, 2, [0], [2], [1.0]), "quadratic", A)[0]
    >>> [b["sets"] for b in r["blocks"]]  # one box per support triplet: (1a³, 1b³, 2a³)
    [[[0], [0], [0]], [[1], [1], [1]], [[2], [2], [2]]]
    >>> r["blocks"][0]["centred_away"], r["blocks"][2]["multilinear"]
    (True, [2, 2, 2])
    >>> r["blocks"][2]["neuron_cp_rank"], abs(round(r["blocks"][1]["cosine"], 9))  # 1b: 1×1×1
    (2, 1.0)
    >>> 0 < r["support_mass"] <= 1, -1 <= r["cosine"] <= 1
    (True, True)
    """
    k = analyzer.arity
    B = np.asarray(params["E"]).shape[0]
    instances = range(B) if instances is None else list(instances)
    if boxes is None:
        boxes = [tuple((p,) for p in t) for t in analyzer.support]
    F = analyzer.F
    Fn = F.cpu().numpy()
    # C δ's support blocks (Fourier coordinates; δ vanishes off its support)
    centred = [analyzer.box_tensor(tuple((p,) for p in t), centred=True) for t in analyzer.support]
    delta_all = math.sqrt(sum(float((D ** 2).sum()) for D in centred))
    out = []
    for b in instances:
        q = {p: np.asarray(v)[b:b + 1] for p, v in params.items()}
        L = all_logits(q, activation, device=analyzer.device)
        Xt = mode_apply(interaction_part(L, k), F.T, range(1, k + 2))[0].cpu().numpy()
        tot = float((Xt ** 2).sum())
        sup = float(sum((Xt[tuple(analyzer.slices[p] for p in t)] ** 2).sum()
                        for t in analyzer.support))
        inner_all = float(sum((Xt[tuple(analyzer.slices[p] for p in t)] * D).sum()
                              for t, D in zip(analyzer.support, centred)))
        terms = None
        if activation == "quadratic" and k == 2:  # neuron terms in Fourier coordinates
            cp = interaction_cp(q, activation)
            terms = [Fn @ f for f in cp.factors]
        recs = []
        for sets in boxes:
            idx = analyzer.box_index(sets)
            Xb = Xt[np.ix_(*idx)]
            Db = analyzer.box_tensor(sets, centred=True)  # e.g. the trivial triplet: all zero
            nd = float((Db ** 2).sum())
            inner = float((Xb * Db).sum())
            nb = float(np.linalg.norm(Xb))
            rec = {"sets": [list(s) for s in sets], "norm": nb,
                   "delta_norm": math.sqrt(nd), "centred_away": nd == 0,
                   "cosine": inner / (nb * math.sqrt(nd)) if nb > 0 and nd > 0 else None,
                   "scale": inner / nd if nd > 0 else None,
                   "multilinear": list(multilinear_ranks(Xb, tol))}
            if terms is not None:
                U, V, W = (f[i] for f, i in zip(terms, idx))
                tr = 2 * np.einsum("aj,bj,cj->jabc", U, V, W)
                rec["neuron_cp_rank"] = neuron_cp_rank(tr, Xb, tol)
            recs.append(rec)
        out.append({"instance": int(b), "support_mass": sup / tot if tot > 0 else None,
                    "cosine": inner_all / (math.sqrt(tot) * delta_all)
                    if tot > 0 and delta_all > 0 else None,
                    "blocks": recs})
    return out
