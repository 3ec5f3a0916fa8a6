"""Exactification: from a numerical CP decomposition to an exactly verified rational one.

1. Gauge by per-component rescaling: in every mode but the last, each column is divided by its
   largest entry (which becomes exactly 1); the last mode absorbs the scale.
2. Round every entry to the nearest fraction with a small denominator and verify exactly.
3. Otherwise *sparsify by gauge moves*: the exact decompositions near the given one form a
   manifold (per-component scalings, the tensor's own symmetry group -- e.g. ``GL_2^3`` for
   ``<2,2,2>`` -- and any further freedom).  Greedily pin the entry closest to a simple value
   (0 first, then +-1, +-2, +-1/2) to that value and move along the manifold with
   Levenberg-Marquardt on the free entries (back to relative error ~1e-14); a pin that breaks
   the fit is undone and banned.  After each pin try step 2 again.
4. The certificate is *exact* only if the rational factors reconstruct the tensor exactly in
   integer arithmetic; otherwise it is the numerical decomposition with its float64 error.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from ..errors import WordTensorError
from ._problem import as_problem
from ._solvers import LevenbergMarquardt
from ._verify import Target, cp_arrays, relative_error

#: Values tried when pinning an entry, in order of preference.
SIMPLE_VALUES = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
#: Pins are tried class by class: zeros first (they sparsify), then units, then the rest.
VALUE_CLASS = {0.0: 0, 1.0: 1, -1.0: 1, 2.0: 2, -2.0: 2, 0.5: 2, -0.5: 2}


@dataclass
class Certificate:
    """Outcome of :func:`~wordtensor.cp.exactify`.

    ``exact`` is True only when ``fractions`` (one object array of :class:`~fractions.Fraction`
    per mode, unit weights) reconstruct the tensor *exactly* (integer arithmetic).  ``cp`` is a
    tensorly ``CPTensor`` with the same values in float64 (the rounded factors if exact, the
    best numerical factors otherwise), ``error`` its float64 relative error, ``nnz`` the number of
    non-zero factor entries, ``max_denominator`` the largest denominator used, ``pins`` how many
    entries were pinned by gauge moves, and ``note`` a one-line account.
    """

    exact: bool
    cp: object
    fractions: list[np.ndarray] | None
    error: float
    nnz: int
    max_denominator: int
    pins: int
    seconds: float
    note: str

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "numerical"
        return (f"Certificate({kind}, rank={self.cp.factors[0].shape[1]}, error={self.error:.2g}, "
                f"nnz={self.nnz}, max_denominator={self.max_denominator})")


# ----------------------------------------------------------------------- exact verification


def _int_matrix(F: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer matrix Z and common denominator D with F = Z / D (F of Fractions)."""
    D = 1
    for q in F.flat:
        D = D * q.denominator // math.gcd(D, q.denominator)
    Z = np.empty(F.shape, dtype=object)
    for idx, q in np.ndenumerate(F):
        Z[idx] = q.numerator * (D // q.denominator)
    return Z, D


def verify_exact(fractions: list[np.ndarray], tensor: object) -> bool:
    """Whether the rational factors (object arrays of Fractions or ints, unit weights)
    reconstruct ``tensor`` exactly. Integer arithmetic throughout (Python ints, no overflow).

    >>> import numpy as np
    >>> from fractions import Fraction
    >>> a = np.array([[Fraction(1, 2)], [Fraction(1)]], dtype=object)
    >>> b = np.array([[Fraction(2)], [Fraction(0)]], dtype=object)
    >>> T = np.zeros((2, 2, 2)); T[0, 0, 0], T[1, 0, 0] = 1.0, 2.0   # (1/2, 1) x (2, 0) x (1, 0)
    >>> verify_exact([a, b, np.array([[1], [0]], dtype=object)], T)
    True
    """
    target = tensor if isinstance(tensor, Target) else Target(tensor)
    fr = [np.vectorize(Fraction, otypes=[object])(np.asarray(F, dtype=object)) for F in fractions]
    if tuple(F.shape[0] for F in fr) != tuple(target.shape):
        return False
    ints = [_int_matrix(F) for F in fr]
    Z = [z for z, _ in ints]
    D = math.prod(d for _, d in ints)
    R = Z[0].shape[1]
    # Khatri-Rao of the modes after the first, then one object matmul per slab of mode 0
    K = np.ones((1, R), dtype=object)
    for z in Z[1:]:
        K = (K[:, None, :] * z[None, :, :]).reshape(-1, R)
    rest = tuple(target.shape[1:])
    step = max(1, 200_000 // max(1, K.shape[0]))
    for s in range(0, target.shape[0], step):
        e = min(target.shape[0], s + step)
        X = Z[0][s:e].dot(K.T).reshape((e - s,) + rest)  # = D * reconstruction
        T = target.slab(s, e)
        # T entries are floats = exact binary rationals: compare D * T with X exactly
        for idx, t in np.ndenumerate(T):
            if Fraction(float(t)) * D != X[idx]:
                return False
    return True


# ----------------------------------------------------------------------------- rounding


def _round(F: list[np.ndarray], max_den: int, atol: float) -> list[np.ndarray] | None:
    out = []
    for f in F:
        q = np.empty(f.shape, dtype=object)
        for idx, x in np.ndenumerate(f):
            r = Fraction(float(x)).limit_denominator(max_den)
            if abs(float(r) - x) > atol * max(1.0, abs(x)):
                return None
            q[idx] = r
        out.append(q)
    return out


def _gauge_scale(F: list[np.ndarray]) -> list[np.ndarray]:
    """Per-component rescaling: the largest entry of each column becomes 1 in every mode but
    the last, which absorbs the scale (same tensor)."""
    F = [f.copy() for f in F]
    for k in range(len(F) - 1):
        piv = np.argmax(np.abs(F[k]), axis=0)
        s = F[k][piv, np.arange(F[k].shape[1])]
        s = np.where(s == 0, 1.0, s)
        F[k] = F[k] / s
        F[-1] = F[-1] * s
    return F


def _try_round(F, target, max_den, atol):
    q = _round(F, max_den, atol)
    if q is not None and verify_exact(q, target):
        return q
    return None


# ------------------------------------------------------------------------ masked LM moves


class _Mover:
    """Moves a single exact decomposition along its solution manifold with some entries pinned.

    Works in the solver's normalised scale (tensor of unit norm); ``theta`` is the flat vector
    of all factor entries (mode by mode, row-major).
    """

    def __init__(self, tensor: object, F: list[np.ndarray], device, dtype):
        self.problem = as_problem(tensor, device=device, dtype=dtype)
        self.scale = self.problem.norm ** (1.0 / len(F))
        self.shapes = [f.shape for f in F]
        self.device, self.dtype = device, dtype
        F0 = [torch.as_tensor(f / self.scale, dtype=dtype, device=device)[None] for f in F]
        self.lm = LevenbergMarquardt(self.problem, F0, lam0=0.0, accurate=True)

    def flat(self, F: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([f.reshape(-1) for f in F]) / self.scale

    def unflat(self, theta: np.ndarray) -> list[np.ndarray]:
        out, off = [], 0
        for s in self.shapes:
            n = s[0] * s[1]
            out.append(theta[off:off + n].reshape(s) * self.scale)
            off += n
        return out

    def _factors(self, th: torch.Tensor) -> list[torch.Tensor]:
        out, off = [], 0
        for s in self.shapes:
            n = s[0] * s[1]
            out.append(th[off:off + n].reshape(1, *s))
            off += n
        return out

    def _t(self, theta: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(theta, dtype=self.dtype, device=self.device)

    def error(self, theta: np.ndarray) -> float:
        sq = float(self.problem.sq_error(self._factors(self._t(theta)), accurate=True)[0])
        return math.sqrt(max(sq, 0.0))

    def tangent(self, theta: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Free indices and an orthonormal basis (rows: free entries) of the directions that
        keep the decomposition exact to first order (null space of ``J^T J`` on free entries)."""
        idx = np.flatnonzero(free)
        H, _ = self.lm.system(self._factors(self._t(theta)))
        ti = torch.as_tensor(idx, device=self.device)
        Hf = H[0][ti][:, ti]
        # Jacobi scaling makes the threshold independent of how the gauge spreads the scale
        d = torch.diagonal(Hf).clamp_min(1e-300).rsqrt()
        ev, V = torch.linalg.eigh(d[:, None] * Hf * d[None, :])
        null = d[:, None] * V[:, ev < 1e-10 * float(ev.abs().max().clamp_min(1e-300))]
        if null.shape[1]:
            null = torch.linalg.qr(null).Q
        return idx, null.cpu().numpy()

    def correct(self, theta: np.ndarray, free: np.ndarray, iterations: int = 30,
                goal: float = 1e-14) -> tuple[np.ndarray, float]:
        """Levenberg-Marquardt on the free entries back to an exact decomposition."""
        th = self._t(theta)
        idx = torch.as_tensor(np.flatnonzero(free), device=self.device)
        F = self._factors(th)
        sq = float(self.problem.sq_error(F, accurate=True)[0])
        mu, nu = None, 2.0
        for it in range(iterations):
            if sq < goal**2 or idx.numel() == 0:
                break
            # after a good predictor step a feasible pin converges quadratically
            if (it >= 8 and sq > 1e-12) or (it >= 16 and sq > 1e-20):
                break
            H, g = self.lm.system(F)
            H, g = H[0][idx][:, idx], g[0][idx]
            if mu is None:
                mu = 1e-8 * float(torch.diagonal(H).max().clamp_min(1e-12))
            A = H + mu * torch.eye(idx.numel(), dtype=H.dtype, device=H.device)
            L, info = torch.linalg.cholesky_ex(A)
            if int(info) != 0:
                mu, nu = mu * nu, nu * 2
                continue
            d = torch.cholesky_solve(-g[:, None], L)[:, 0]
            t_new = th.clone()
            t_new[idx] += d
            F_new = self._factors(t_new)
            sq_new = float(self.problem.sq_error(F_new, accurate=True)[0])
            pred = 0.5 * float((d * (mu * d - g)).sum())
            rho = (0.5 * sq - 0.5 * sq_new) / max(pred, 1e-300)
            if sq_new < sq:
                th, F, sq = t_new, F_new, sq_new
                mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3) if rho > 0 else 1.0
                nu = 2.0
            else:
                mu, nu = mu * nu, nu * 2
        return th.cpu().numpy(), math.sqrt(max(sq, 0.0))

    def pin(self, theta: np.ndarray, free: np.ndarray, basis: tuple[np.ndarray, np.ndarray],
            i: int, v: float, ok: float) -> np.ndarray | None:
        """Move to an exact decomposition with entry ``i`` equal to ``v`` (predictor along the
        tangent space, LM corrector; halving the step when the corrector fails)."""
        idx, N = basis
        row = N[np.searchsorted(idx, i)]
        nr = float(row @ row)
        if nr < 1e-12:
            return None
        direction = np.zeros_like(theta)
        direction[idx] = N @ row / nr  # changes entry i by 1, minimal norm, tangent
        th, x0 = theta.copy(), theta[i]
        pinned = free.copy()
        pinned[i] = False
        t, step = 0.0, 1.0
        while t < 1.0:
            step = min(step, 1.0 - t)
            trial = th + direction * (v - x0) * step
            trial[i] = x0 + (v - x0) * (t + step)
            new, e = self.correct(trial, pinned if t + step >= 1.0 else _all_but(free, i))
            if e < ok:
                th, t = new, t + step
                step *= 2
                if t < 1.0:  # refresh the tangent for the next leg
                    idx, N = self.tangent(th, free)
                    row = N[np.searchsorted(idx, i)]
                    nr = float(row @ row)
                    if nr < 1e-12:
                        return None
                    direction = np.zeros_like(theta)
                    direction[idx] = N @ row / nr
                    x0 = th[i]
            else:
                step /= 2
                if step < 1 / 16:
                    return None
        th[i] = v
        return th


def _min_norm(tensor: object, F: list[np.ndarray], device, dtype) -> list[np.ndarray]:
    """Move to a nearby exact decomposition of smaller norm (regularised LM with the weight
    decaying to 0): a balanced gauge, better conditioned for the moves and the rounding."""
    problem = as_problem(tensor, device=device, dtype=dtype)
    scale = problem.norm ** (1.0 / len(F))
    F0 = [torch.as_tensor(f / scale, dtype=dtype, device=device)[None] for f in F]
    lm = LevenbergMarquardt(problem, F0, lam0=1e-3, decay=0.8, tau=1e-8, accurate=True)
    e0 = float(lm.sq_err[0])
    for _ in range(160):
        lm.step()
    if not float(lm.sq_err[0]) <= max(e0, 1e-28):
        return F
    return [f[0].cpu().numpy() * scale for f in lm.F]


def _all_but(free: np.ndarray, i: int) -> np.ndarray:
    out = free.copy()
    out[i] = False
    return out


def exactify(cp: object, tensor: object, *, max_denominator: int = 12, atol: float = 1e-7,
             time_limit: float = 30.0, seed: int = 0, device="cpu",
             dtype=torch.float64) -> Certificate:
    from tensorly.cp_tensor import CPTensor

    t0 = time.perf_counter()
    target = Target(tensor)
    w, F = cp_arrays(cp)
    F = [F[0] * w] + [f.copy() for f in F[1:]]
    err0 = relative_error((None, F), target)
    if not err0 < 1e-6:
        raise WordTensorError(
            f"the decomposition has relative error {err0:.2g}; exactification needs a numerical "
            "decomposition that is already exact to about 1e-6 (polish it with cp_search first)")
    F = _gauge_scale(F)

    def done(q, pins, note):
        Ff = [np.array(x, dtype=np.float64) for x in q]
        cp_out = CPTensor((np.ones(Ff[0].shape[1]), Ff))
        dmax = max((x.denominator for f in q for x in f.flat), default=1)
        return Certificate(True, cp_out, q, relative_error(cp_out, target),
                           int(sum(np.count_nonzero(f) for f in Ff)), int(dmax), pins,
                           time.perf_counter() - t0, note)

    q = _try_round(F, target, max_denominator, atol)
    if q is not None:
        return done(q, 0, "rounded after per-component rescaling")
    F = _gauge_scale(_min_norm(tensor, F, device, dtype))

    mover = _Mover(tensor, F, device, dtype)
    theta0 = mover.flat(F)
    free0 = np.ones(theta0.size, dtype=bool)
    off = 0
    for f in F[:-1]:  # the pivots (= 1 after the scaling gauge) stay pinned
        piv = np.argmax(np.abs(f), axis=0)
        free0[off + piv * f.shape[1] + np.arange(f.shape[1])] = False
        off += f.size
    theta0, e_start = mover.correct(theta0, free0, iterations=50)
    ok = max(1e-12, 10 * e_start)
    rng = np.random.default_rng(seed)
    best = (theta0, -1)
    passes = 0
    while time.perf_counter() - t0 < time_limit:
        # one greedy pass; later passes randomise the order among candidates
        theta, free, pins = theta0.copy(), free0.copy(), 0
        jitter = 0.0 if passes == 0 else 1.0
        passes += 1
        banned: set[tuple[int, float]] = set()
        while time.perf_counter() - t0 < time_limit:
            q = _try_round(mover.unflat(theta), target, max_denominator, atol)
            if q is not None:
                return done(q, pins, f"rounded after {pins} gauge pins (moves along the solution "
                                     f"manifold, pass {passes})")
            basis = mover.tangent(theta, free)
            idx, N = basis
            if N.shape[1] == 0:
                break  # isolated and not rational with small denominators: dead end
            reach = np.linalg.norm(N, axis=1)
            cand = []
            for j, i in enumerate(idx):
                if reach[j] < 1e-6:
                    continue
                for v in SIMPLE_VALUES:
                    if (i, v) in banned:
                        continue
                    d = abs(theta[i] * mover.scale - v) / reach[j]
                    if jitter:
                        d *= float(np.exp(jitter * rng.standard_normal()))
                    cand.append((VALUE_CLASS[v], d, i, v))
            if not cand:
                break
            _, _, i, v = min(cand)
            new = mover.pin(theta, free, basis, int(i), v / mover.scale, ok)
            if new is None:
                banned.add((i, v))
                continue
            theta = new
            free[i] = False
            pins += 1
        if pins > best[1]:
            best = (theta, pins)
    theta, pins = best
    Fn = mover.unflat(theta)
    cp_out = CPTensor((np.ones(Fn[0].shape[1]), Fn))
    e = relative_error(cp_out, target)
    return Certificate(False, cp_out, None, e, int(sum(np.count_nonzero(np.abs(f) > 1e-12)
                                                       for f in Fn)), 0, max(pins, 0),
                       time.perf_counter() - t0,
                       f"no rational form with denominators <= {max_denominator} found in "
                       f"{passes} pinning passes; numerical certificate")
