"""Upper bounds with their certificates: the UpperBound record and the checks of its factors.

Every upper bound on the rank of δ is an :class:`UpperBound`: its value, the method, the
factors (built on demand), the kind of certificate and whom to cite. Two kinds count as proofs:

* ``exact``: rational factors that reconstruct δ in integer arithmetic
  (:func:`verify_exact_cp`): term by term on the support for sparse factors, slab by slab in
  int64 or Python integers otherwise, and past :data:`EXACT_WORK` on random integer probes,
  which is a Schwartz–Zippel test (a wrong decomposition passes one probe with probability at
  most 2/2²⁰, so 8 probes leave at most 2⁻¹⁵²);
* ``constructive``: a construction backed by a theorem (the algebra blocks of ``xy`` mapped
  through the Fourier basis, a multilinear-rank expansion, ...) evaluated in floating point; its
  max-abs residual is measured against δ in the group basis where the n^(k+1)·R work is
  affordable and on Gaussian probes of the multilinear map beyond (:func:`cp_error`).

A numerical fit of the CP engine is neither: it becomes ``exact`` only after
:func:`wordtensor.cp.exactify` succeeds, and is otherwise reported apart (``upper_numerical``).
:func:`rationalize` tries to turn floating-point factors that are rational in disguise (a
Fourier construction on a group with rational characters, say) into an exact certificate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor

__all__ = ["UpperBound", "verify_exact_cp", "rationalize"]

#: Integer operations up to which an exact certificate is checked entry by entry.
EXACT_WORK = 3e9
#: Groups up to this order get a try at :func:`rationalize` in :func:`certify`.
RATIONALIZE_MAX = 32
#: Largest denominator :func:`rationalize` tries.
RATIONAL_DENOMINATOR = 64

Rational = tuple[list[np.ndarray], list[int]]  # integer numerators per mode, denominators


@dataclass
class UpperBound:
    """An upper bound ``rank`` on the rank of δ, with the ``method`` that gives it, the kind of
    ``certificate`` (``"exact"`` or ``"constructive"``), the ``reference`` (citations, one
    string each) and the factors: ``build()`` returns the CPTensor in the group basis, and for
    an exact certificate ``rational`` holds integer numerators and one denominator per mode.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> ub = slice_bound(word_tensor("S3", "[x,y]"))
    >>> ub.rank, ub.method, ub.certificate
    (13, 'slices(mode 2)', 'exact')
    >>> ub.cp.factors[0].shape
    (6, 13)
    """

    rank: int
    method: str
    certificate: str
    reference: tuple[str, ...]
    build: Callable[[], CPTensor | tuple[CPTensor, Rational | None]] = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)
    _cp: CPTensor | None = field(default=None, repr=False)
    rational: Rational | None = field(default=None, repr=False)

    @property
    def cp(self) -> CPTensor:
        """The factors in the group basis (built on first use)."""
        if self._cp is None:
            out = self.build()
            if isinstance(out, tuple) and len(out) == 2 and not isinstance(out, CPTensor):
                self._cp, self.rational = out
            else:
                self._cp = out
        return self._cp

    def summary(self) -> dict:
        """rank, method, certificate and reference as plain data."""
        return {"rank": self.rank, "method": self.method, "certificate": self.certificate,
                "reference": list(self.reference)}


def _as_int(F: np.ndarray) -> np.ndarray:
    """int64 when every entry fits with room for sums, else Python integers."""
    F = np.asarray(F)
    if F.dtype == object and all(abs(int(x)) < 2**62 for x in F.flat):
        return F.astype(np.int64)
    return F


def verify_exact_cp(rational: Rational, T: WordTensor, *, max_work: float = EXACT_WORK,
                    probes: int = 8, seed: int = 0) -> tuple[bool, str]:
    """Whether the rational factors ``(numerators, denominators)`` (one integer matrix n × R
    and one positive integer per mode, unit weights) reconstruct δ exactly, and how it was
    checked: ``"support"`` (the terms expanded on the supports of sparse factors),
    ``"slabs"`` (every entry, slab by slab, in integers), or ``"integer probes"`` (past
    ``max_work``: the multilinear map on random integer vectors in exact integer arithmetic, a
    Schwartz–Zippel test).

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("S3", "xyx")
    >>> ub = slice_bound(T)
    >>> _ = ub.cp
    >>> verify_exact_cp(ub.rational, T)
    (True, 'support')
    >>> nums, dens = ub.rational
    >>> verify_exact_cp(([2 * nums[0], nums[1], nums[2]], [2, 1, 1]), T)   # (2A)/2 · B · C
    (True, 'support')
    >>> verify_exact_cp(([nums[0], nums[1], nums[2]], [2, 1, 1]), T)       # half of δ
    (False, 'support')
    >>> verify_exact_cp(ub.rational, T, max_work=0)
    (True, 'integer probes')
    """
    nums = [_as_int(F) for F in rational[0]]
    dens = [int(d) for d in rational[1]]
    k1, n = T.ndim, T.n
    if len(nums) != k1 or any(F.shape[0] != n for F in nums):
        return False, "shape"
    R = nums[0].shape[1]
    scale = math.prod(dens)
    img = T.image
    nz = [[np.flatnonzero(F[:, r]) for r in range(R)] for F in nums]
    sparse_work = sum(math.prod(len(nz[m][r]) for m in range(k1)) for r in range(R))
    if sparse_work <= max_work:
        idx, val = [], []
        for r in range(R):
            grids = np.meshgrid(*[nz[m][r] for m in range(k1)], indexing="ij")
            if grids[0].size == 0:
                continue
            lin = np.zeros(grids[0].size, dtype=np.int64)
            v = np.ones(grids[0].size, dtype=object)
            for m in range(k1):
                g = grids[m].ravel()
                lin = lin * n + g
                v = v * nums[m][g, r].astype(object)
            idx.append(lin)
            val.append(v)
        want = np.arange(n ** (k1 - 1), dtype=np.int64) * n + img.astype(np.int64)
        if not idx:
            return bool(want.size == 0), "support"
        lin, v = np.concatenate(idx), np.concatenate(val)
        order = np.argsort(lin, kind="stable")
        lin, v = lin[order], v[order]
        keys, start = np.unique(lin, return_index=True)
        sums = np.add.reduceat(v, start) if len(v) else v
        keep = np.array([s != 0 for s in sums], dtype=bool)
        keys, sums = keys[keep], sums[keep]
        ok = (len(keys) == len(want) and np.array_equal(keys, np.sort(want))
              and all(s == scale for s in sums))
        return bool(ok), "support"
    dense_work = float(n) ** k1 * R
    if dense_work <= max_work and k1 == 3:
        big = max(int(np.max(np.abs(F), initial=0)) for F in nums) ** 3 * R
        kind = np.int64 if big < 2**62 and scale < 2**62 else object
        A, B, C = (F.astype(kind) for F in nums)
        table = img.reshape(n, n)
        for a in range(n):
            rec = (A[a] * B) @ C.T  # (n, n): rec[b, c]
            want = np.zeros((n, n), dtype=kind)
            want[np.arange(n), table[a]] = scale
            if not np.array_equal(rec, want):
                return False, "slabs"
        return True, "slabs"
    rng = np.random.default_rng(seed)
    for _ in range(probes):
        us = [rng.integers(-2**19, 2**19, size=n).astype(object) for _ in range(k1 - 1)]
        outer = us[0]
        for u in us[1:]:
            outer = np.multiply.outer(outer, u).ravel()
        exact = np.zeros(n, dtype=object)
        np.add.at(exact, img, outer)
        prod = np.ones(R, dtype=object)
        for F, u in zip(nums[:-1], us):
            prod = prod * (F.astype(object).T @ u)
        approx = nums[-1].astype(object) @ prod
        if not all(x == scale * y for x, y in zip(approx, exact)):
            return False, "integer probes"
    return True, "integer probes"


def rationalize(cp: CPTensor, T: WordTensor, *, max_denominator: int = RATIONAL_DENOMINATOR,
                atol: float = 1e-9) -> Rational | None:
    """Exact rational factors for a floating-point CP that is rational in disguise, or None:
    each column of every factor but the last is scaled so that its largest entry is 1 (the last
    factor takes the scale, and the weights), every entry is rounded to the nearest fraction with
    denominator ≤ ``max_denominator`` (within ``atol``) and the result is verified exactly with
    :func:`verify_exact_cp`.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("Z4", "xyXY")
    >>> w, (A, B, C) = slice_bound(T).cp
    >>> nums, dens = rationalize(CPTensor((w, [A * 3.0, B / 3.0, C])), T)
    >>> dens
    [1, 1, 1]
    >>> rationalize(CPTensor((w, [A, B, C * np.sqrt(2)])), T) is None
    True
    """
    w, factors = cp
    factors = [np.array(f, dtype=np.float64) for f in factors]
    if not all(np.all(np.isfinite(f)) for f in factors) or not np.all(np.isfinite(w)):
        return None
    factors[-1] = factors[-1] * w
    for m in range(len(factors) - 1):
        F = factors[m]
        big = np.argmax(np.abs(F), axis=0)
        s = F[big, np.arange(F.shape[1])]
        s[s == 0] = 1.0
        factors[m] = F / s
        factors[-1] = factors[-1] * s
    nums, dens = [], []
    for F in factors:
        fr = [Fraction(float(x)).limit_denominator(max_denominator) for x in F.ravel()]
        if any(abs(float(q) - float(x)) > atol for q, x in zip(fr, F.ravel())):
            return None
        D = math.lcm(*(q.denominator for q in fr)) if fr else 1
        N = np.array([q.numerator * (D // q.denominator) for q in fr], dtype=object)
        nums.append(_as_int(N.reshape(F.shape)))
        dens.append(int(D))
    ok, _ = verify_exact_cp((nums, dens), T)
    return (nums, dens) if ok else None


def rational_cp(rational: Rational) -> CPTensor:
    """The float CPTensor of rational factors (unit weights).

    >>> rational_cp(([np.array([[1], [2]]), np.array([[3]])], [2, 1])).factors[0].ravel()
    array([0.5, 1. ])
    """
    nums, dens = rational
    factors = [np.asarray(F, dtype=np.float64) / d for F, d in zip(nums, dens)]
    return CPTensor((np.ones(factors[0].shape[1]), factors))


def cp_error(cp: CPTensor, T: WordTensor, *, max_work: float = 2e10) -> tuple[float, str]:
    """(max-abs error, where): against δ in the group basis (chunked over the first mode) when
    the n^(k+1)·R work is at most ``max_work``, else on random Gaussian probes of the
    multilinear map (see :func:`probe_error`).

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
    w, factors = cp
    n, R, k1 = T.n, factors[0].shape[1], T.ndim
    if float(n) ** k1 * R > max_work:
        return probe_error(cp, T), "random probes"
    rest = factors[1:-1]
    K = np.ones((1, R))
    for F in rest:  # Khatri–Rao of the middle modes, C order
        K = (K[:, None, :] * F[None, :, :]).reshape(-1, R)
    img = T.image.reshape(n, -1)
    worst = 0.0
    chunk = max(1, int(2e7 // max(1, K.shape[0] * n)))
    for a0 in range(0, n, chunk):
        a1 = min(n, a0 + chunk)
        kr = (factors[0][a0:a1, None, :] * w) * K[None, :, :]
        rec = (kr.reshape(-1, R) @ factors[-1].T).reshape(a1 - a0, K.shape[0], n)
        dense = np.zeros_like(rec)
        aa, bb = np.meshgrid(np.arange(a1 - a0), np.arange(K.shape[0]), indexing="ij")
        dense[aa, bb, img[a0:a1]] = 1
        worst = float(np.maximum(worst, np.max(np.abs(rec - dense))))  # NaN propagates
    return worst, "group basis"


def probe_error(cp: CPTensor, T: WordTensor, probes: int = 32, seed: int = 0) -> float:
    """Max-abs error of the CP's multilinear map against the word's convolution
    (u ⋆ v)(c) = Σ_{w(a,b)=c} u_a v_b (and likewise for k variables) on random Gaussian probes
    (O(n^k + nR) each): a CP that differs from δ fails this with probability 1.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("S3", "xyX")
    >>> probe_error(slice_bound(T).cp, T) < 1e-12
    True
    """
    w, factors = cp
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(probes):
        us = [rng.standard_normal(T.n) for _ in range(T.ndim - 1)]
        outer = us[0]
        for u in us[1:]:
            outer = np.multiply.outer(outer, u).ravel()
        exact = np.bincount(T.image, weights=outer, minlength=T.n)
        prod = w.copy()
        for F, u in zip(factors[:-1], us):
            prod = prod * (F.T @ u)
        approx = factors[-1] @ prod
        worst = float(np.maximum(worst, np.max(np.abs(exact - approx))))  # NaN propagates
    return worst


def check_certificate(cp: CPTensor, T: WordTensor) -> tuple[float, str]:
    """(max-abs error, where) of :func:`cp_error`, raising when the factors do not reconstruct δ
    (error above 1e-8 in the group basis, 1e-8·n on probes): an upper bound is only reported with
    factors that pass this.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("S3", "[x,y]")
    >>> cp = slice_bound(T).cp
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


def certify(ub: UpperBound, T: WordTensor) -> dict:
    """Check the factors of ``ub`` against δ and return the verification record: for an exact
    certificate the exact check (raising if it fails: that is a bug) and the float residual;
    for a constructive one the residual, and, where the factors are rational in disguise
    (:func:`rationalize`), an upgrade to ``exact``.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("S3", "xyx")
    >>> rec = certify(slice_bound(T), T)
    >>> rec["certificate"], rec["exact_check"], rec["max_abs_error"]
    ('exact', 'support', 0.0)
    """
    cp = ub.cp
    if ub.certificate == "constructive" and ub.rational is None and T.n <= RATIONALIZE_MAX:
        ub.rational = rationalize(cp, T)
        if ub.rational is not None:
            ub.certificate = "exact"
            ub.details["rationalized"] = True
    out: dict = {"certificate": ub.certificate}
    if ub.certificate == "exact":
        if ub.rational is None:
            raise RuntimeError(f"{ub.method}: an exact certificate without rational factors")
        ok, how = verify_exact_cp(ub.rational, T)
        if not ok:
            raise RuntimeError(f"the exact factors of {ub.method} for {T.word} on {T.group.name} "
                               "fail the integer check; this is a bug, please report it")
        out["exact_check"] = how
    err, where = check_certificate(cp, T)
    out.update(max_abs_error=err, verified_in=where)
    return out


def best_upper(candidates: Sequence[UpperBound]) -> UpperBound:
    """The smallest bound; among equal ranks an exact certificate wins, then the earlier one.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> a = slice_bound(word_tensor("S3", "xy"))
    >>> best_upper([a]).rank
    36
    """
    return min(candidates, key=lambda c: (c.rank, c.certificate != "exact"))
