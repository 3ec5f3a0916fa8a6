"""Rank-preserving relabellings: detecting a word whose tensor is xy with relabelled inputs.

If δ_w[a, b, c] = δ_xy[α(a), β(b), c] for bijections α, β (or the same with a and b swapped),
then δ_w and δ_xy have the same rank: permuting the rows of the factors of one gives the factors
of the other. So every bound of xy — lower (Alder–Strassen) and upper (the algebra
decompositions) — holds for w.
"""

from __future__ import annotations

import numpy as np

from wordtensor import WordTensor

__all__: list[str] = []


def multiplication_equivalence(T: WordTensor) -> tuple[bool, np.ndarray, np.ndarray] | None:
    """Detect a two-variable word whose tensor is the multiplication tensor with relabelled
    inputs: w(a, b) = α(a)·β(b) (returns (False, α, β)) or w(a, b) = β(b)·α(a) (returns
    (True, α, β), inputs swapped) with bijections α, β — e.g. ``yx``, ``XY``, ``x^2 y`` on a
    group of odd exponent, ``xyx`` on an abelian group of odd order. Then
    δ_w[a, b, c] = δ_xy[α(a), β(b), c] (or with a and b swapped), so both tensors have the same
    rank. Returns None otherwise.

    >>> from wordtensor import Group, word_tensor
    >>> multiplication_equivalence(word_tensor("S3", "xy"))[0]    # xy itself, inputs in order
    False
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "yx"))
    >>> swap, bool((alpha == np.arange(6)).all())                  # yx: xy with inputs swapped
    (True, True)
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "XY"))
    >>> G = Group.from_spec("S3")           # XY = x⁻¹y⁻¹: α = β = inversion
    >>> swap, bool((alpha == G.inv).all() and (beta == G.inv).all())
    (False, True)
    >>> multiplication_equivalence(word_tensor("S3", "[x,y]")) is None
    True
    """
    if T.ndim != 3:
        return None
    G, n = T.group, T.n
    img = T.image.reshape(n, n)
    for swap in (False, True):
        if not swap:
            alpha = img[:, 0]
            beta = G.mul[G.inv[img[0, 0]], img[0, :]]
            ok = np.array_equal(img, G.mul[alpha[:, None], beta[None, :]])
        else:
            beta = img[0, :]
            alpha = G.mul[G.inv[img[0, 0]], img[:, 0]]
            ok = np.array_equal(img, G.mul[beta[None, :], alpha[:, None]])
        if ok and len(np.unique(alpha)) == n and len(np.unique(beta)) == n:
            return swap, alpha, beta
    return None
