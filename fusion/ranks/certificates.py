"""The verification of the factors behind an upper bound against δ.

The max-abs error is taken in the group basis where the dense work is affordable and on random
probes of the bilinear map beyond; a bound whose factors fail it is refused."""

from __future__ import annotations

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor

__all__: list[str] = []


def cp_error(cp: CPTensor, T: WordTensor, *, max_work: float = 2e10) -> tuple[float, str]:
    """(max-abs error, where): against the dense δ in the group basis (chunked) when the n³·R
    work is at most ``max_work``, else on random probes of the bilinear map (see
    :func:`probe_error`).

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.upper import constructive_xy
    >>> T = word_tensor("S3", "xy")
    >>> cp, _ = constructive_xy(T.group)
    >>> err, where = cp_error(cp, T)
    >>> bool(err < 1e-12), where
    (True, 'group basis')
    >>> err, where = cp_error(cp, T, max_work=0)      # probes of the bilinear map instead
    >>> bool(err < 1e-12), where
    (True, 'random probes')
    >>> w, (A, B, C) = cp
    >>> round(cp_error(CPTensor((w, [A, B, 0 * C])), T)[0], 9)   # the zero tensor is 1 off
    1.0
    >>> cp_error(CPTensor((w, [A, B, np.nan * C])), T)[0]       # NaN factors never pass
    nan
    """
    w, (A, B, C) = cp
    n, R = T.n, A.shape[1]
    if float(n) ** 3 * R > max_work:
        return probe_error(cp, T), "random probes"
    worst = 0.0
    img = T.image.reshape(n, n)
    chunk = max(1, int(2e7 // max(1, n * n)))
    for a0 in range(0, n, chunk):
        a1 = min(n, a0 + chunk)
        kr = (A[a0:a1, None, :] * w) * B[None, :, :]  # (chunk, n, R)
        rec = (kr.reshape(-1, R) @ C.T).reshape(a1 - a0, n, n)
        dense = np.zeros_like(rec)
        aa, bb = np.meshgrid(np.arange(a1 - a0), np.arange(n), indexing="ij")
        dense[aa, bb, img[a0:a1]] = 1
        worst = float(np.maximum(worst, np.max(np.abs(rec - dense))))  # NaN propagates
    return worst, "group basis"


def probe_error(cp: CPTensor, T: WordTensor, probes: int = 32, seed: int = 0) -> float:
    """Max-abs error of the CP's bilinear map against the word's convolution
    (u ⋆ v)(c) = Σ_{w(a,b)=c} u_a v_b on random Gaussian probes (O(n² + nR) each): a CP that
    differs from δ fails this with probability 1.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.upper import slice_decomposition
    >>> T = word_tensor("S3", "xyX")
    >>> cp, _ = slice_decomposition(T)
    >>> probe_error(cp, T) < 1e-12
    True
    """
    w, (A, B, C) = cp
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(probes):
        u, v = rng.standard_normal(T.n), rng.standard_normal(T.n)
        exact = np.bincount(T.image, weights=np.outer(u, v).ravel(), minlength=T.n)
        approx = C @ (w * (A.T @ u) * (B.T @ v))
        worst = float(np.maximum(worst, np.max(np.abs(exact - approx))))  # NaN propagates
    return worst


def check_certificate(cp: CPTensor, T: WordTensor) -> tuple[float, str]:
    """(max-abs error, where) of :func:`cp_error`, raising when the factors do not reconstruct δ
    (error above 1e-8 in the group basis, 1e-8·n on probes): an upper bound is only reported with
    factors that pass this.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.upper import slice_decomposition
    >>> T = word_tensor("S3", "[x,y]")
    >>> cp, _ = slice_decomposition(T)
    >>> check_certificate(cp, T)
    (0.0, 'group basis')
    >>> w, (A, B, C) = cp
    >>> check_certificate(CPTensor((w, [A, B, 2 * C])), T)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: the factors for [x,y] on S3 fail verification: max-abs error 1.00e+00 ...
    """
    err, where = cp_error(cp, T)
    if not err <= 1e-8 * (1 if where == "group basis" else max(1.0, T.n)):
        raise RuntimeError(f"the factors for {T.word} on {T.group.name} fail verification: max-abs "
                           f"error {err:.2e} ({where}); this is a bug, please report it")
    return err, where
