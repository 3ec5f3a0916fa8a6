"""Whether a trained CP decomposition is an exact fit of its word tensor or an approximation:
:func:`judge_fit` polishes the trained factors and then judges them, and :class:`FitJudgement`
holds the verdict.

Gradient descent stops near a decomposition, not on it. A max-abs error of 1e-3 can belong to a
fit that is exact up to the optimiser's last steps. It can just as well belong to a border-rank
approximation, whose error only shrinks as its components diverge. So the trained factors are
polished first: Levenberg–Marquardt starts from them (:func:`wordtensor.cp_search` with
``init``, one restart and no kicks; ALS for problems too large for LM's normal equations).
The fit is then judged on the polished factors, against the word tensor, in float64:

* **exact** when the relative Frobenius error ‖T − δ‖ / ‖δ‖ is below :data:`EXACT_TOL`
  (1e-10);
* **approximate** otherwise, reported with that error.

Only near fits are polished: those whose trained relative error is below ``polish_below``
(default :data:`POLISH_BELOW`). A fit that is further off is an approximation with its trained
error, because a polish from there would be a new search, not a check of the trained factors.
"Exact" here is a numerical verdict on one decomposition. A certificate of the rank is another
matter (:func:`wordtensor.exactify`, :mod:`fusion.ranks`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor
from wordtensor.cp import cp_search, relative_error

__all__ = ["EXACT_TOL", "POLISH_BELOW", "FitJudgement", "judge_fit", "judge_fits"]

#: A fit is exact when its relative Frobenius error, after the polish, is below this.
EXACT_TOL = 1e-10

#: Only fits whose trained relative error is below this are polished.
POLISH_BELOW = 1e-2

#: LM solves (P × P) normal equations with P = rank · Σ dims (as ``method="auto"`` of
#: :func:`wordtensor.cp_search` does); above this size ALS polishes.
LM_MAX_PARAMS = 1200

#: The max-abs error is computed when the dense tensor has at most this many entries.
MAX_DENSE = 1 << 24


@dataclass(frozen=True)
class FitJudgement:
    """The verdict on one fit. ``fit`` is "exact" or "approximate". ``relative_error`` and
    ``max_abs_error`` belong to the judged factors (the polished ones when ``polished``);
    ``trained_relative_error`` to the factors as trained. ``method`` is the polish ("lm",
    "als") or None, and ``cp`` holds the judged factors.

    >>> j = FitJudgement("approximate", 2.1e-3, 1.4e-3, 2.5e-3, True, "lm")
    >>> j.exact, j.describe()
    (False, 'approximate (relative error 2.1e-03 after an lm polish)')
    >>> sorted(j.to_dict())  # doctest: +NORMALIZE_WHITESPACE
    ['fit', 'max_abs_error', 'method', 'polished', 'relative_error',
     'trained_relative_error']
    """

    fit: str
    relative_error: float
    max_abs_error: float | None
    trained_relative_error: float
    polished: bool
    method: str | None = None
    cp: CPTensor | None = None

    @property
    def exact(self) -> bool:
        return self.fit == "exact"

    def describe(self) -> str:
        how = f" after an {self.method} polish" if self.polished else " as trained"
        return f"{self.fit} (relative error {self.relative_error:.1e}{how})"

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cp"}


def _max_abs_error(cp, tensor) -> float | None:
    if math.prod(tensor.shape) > MAX_DENSE:
        return None
    dense = tensor.dense() if isinstance(tensor, WordTensor) else np.asarray(tensor, float)
    return float(np.abs(tl.cp_to_tensor(cp) - dense).max())


def _as_cp(cp) -> CPTensor:
    w, factors = cp
    factors = [np.asarray(f, dtype=np.float64) for f in factors]
    w = np.ones(factors[0].shape[1]) if w is None else np.asarray(w, dtype=np.float64)
    return CPTensor((w, factors))


def judge_fit(cp, tensor, *, tol: float = EXACT_TOL, polish_below: float = POLISH_BELOW,
              max_iter: int | None = None) -> FitJudgement:
    """Polish a trained decomposition ``cp`` (a ``CPTensor`` or (weights, factors)) of
    ``tensor`` (a :class:`~wordtensor.WordTensor` or a dense array) and judge it (module
    docstring): exact when the polished relative error is below ``tol``. ``max_iter`` bounds
    the polish (default: the solver's own budget).

    Strassen's seven products; the same factors slightly damaged (a near fit, which the polish
    repairs); six of them (too few terms: far off, not polished); and a border-rank
    approximation of the W state a⊗a⊗b + a⊗b⊗a + b⊗a⊗a (rank 3) by two diverging terms, whose
    error the polish shrinks but cannot bring to zero:

    >>> from fusion.algebras import matmul_tensor, strassen
    >>> T = matmul_tensor(2, 2, 2)
    >>> w, (A, B, C) = strassen()
    >>> judge_fit((w, [A, B, C]), T).fit
    'exact'
    >>> A2 = A + 1e-4 * np.random.default_rng(0).standard_normal(A.shape)
    >>> j = judge_fit((w, [A2, B, C]), T)
    >>> j.fit, j.polished, j.relative_error < 1e-10 < j.trained_relative_error
    ('exact', True, True)
    >>> j = judge_fit((w[:6], [A[:, :6], B[:, :6], C[:, :6]]), T)
    >>> j.fit, j.polished, round(j.relative_error, 3)
    ('approximate', False, 0.707)
    >>> a, b = np.eye(2)
    >>> W = sum(np.einsum("i,j,k->ijk", *t) for t in ((a, a, b), (a, b, a), (b, a, a)))
    >>> eps = 1e-3
    >>> u = np.stack([a + eps * b, a], axis=1)
    >>> j = judge_fit(([1 / eps, -1 / eps], [u, u, u]), W)
    >>> j.fit, j.polished, 1e-10 < j.relative_error < j.trained_relative_error
    ('approximate', True, True)
    """
    return judge_fits([cp], tensor, tol=tol, polish_below=polish_below, max_iter=max_iter)[0]


def judge_fits(cps: Sequence, tensor, *, tol: float = EXACT_TOL,
               polish_below: float = POLISH_BELOW, max_iter: int | None = None
               ) -> list[FitJudgement]:
    """:func:`judge_fit` for each decomposition of ``cps``, in order (the tensor is read once).

    >>> from wordtensor import word_tensor
    >>> T = word_tensor("Z2", "xy")
    >>> e = np.array([[1.0, 1.0], [1.0, -1.0]]) / 2 ** (1 / 3)  # the two characters of Z2
    >>> [j.fit for j in judge_fits([(None, [e, e, e]), (None, [e[:, :1]] * 3)], T)]
    ['exact', 'approximate']
    """
    out = []
    for cp in cps:
        cp = _as_cp(cp)
        err = relative_error(cp, tensor)
        if not math.isfinite(err) or err >= polish_below:
            out.append(FitJudgement("approximate", float(err), _max_abs_error(cp, tensor),
                                    float(err), False, None, cp))
            continue
        best, method = cp, None
        if err >= tol:
            R = cp.factors[0].shape[1]
            method = "lm" if R * sum(f.shape[0] for f in cp.factors) <= LM_MAX_PARAMS else "als"
            res = cp_search(tensor, R, restarts=1, init=[cp], method=method, tol=tol, kicks=0,
                            max_iter=max_iter, random_state=0)
            if res.error < err:
                best, err = _as_cp(res.cp), float(res.error)
        fit = "exact" if err < tol else "approximate"
        out.append(FitJudgement(fit, float(err), _max_abs_error(best, tensor),
                                float(relative_error(cp, tensor)), method is not None, method,
                                best))
    return out
