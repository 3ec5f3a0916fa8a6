"""Moves towards a rational point on the manifold of exact decompositions (for ``exactify``).

The exact decompositions near a numerical one form a manifold: per-component rescalings, the
tensor's own symmetry group (e.g. ``GL_3^3`` for ``<3,3,3>``) and any further freedom.  A
rational point on it is reached in two stages, each made of Levenberg-Marquardt solves on the
*free* entries of the flat factor vector ``theta`` with a weighted pull
``0.5 ||T - [[theta]]||^2 + 0.5 sum_i w_i (theta_i - t_i)^2``:

1. **sparsify** -- reweighted L1 (``w_i = gamma / (|theta_i| + eps)``, ``t = 0``): the fit slides
   along the manifold to a point with many zeros, which are then pinned;
2. **pin** -- value class by value class (0, then +-1, then +-2, +-1/2), the free entry
   nearest to the value is pulled to it along the manifold and pinned; if the fit does not stay
   exact the next nearest is tried.  After each pin the whole decomposition is rounded to
   fractions and verified exactly.

Nothing here decides exactness: the caller verifies the rounded factors in integer arithmetic.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import torch

from ._problem import as_problem
from ._solvers import LevenbergMarquardt


def gauge_scale(F: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-component rescaling: in every mode but the last the largest entry of each column
    becomes exactly 1 (the last mode absorbs the scale).  Returns the factors and, per mode
    but the last, the row index of each column's pivot."""
    F = [f.copy() for f in F]
    pivots = []
    for k in range(len(F) - 1):
        piv = np.argmax(np.abs(F[k]), axis=0)
        s = F[k][piv, np.arange(F[k].shape[1])]
        s = np.where(s == 0, 1.0, s)
        F[k] = F[k] / s
        F[-1] = F[-1] * s
        F[k][piv, np.arange(F[k].shape[1])] = 1.0
        pivots.append(piv)
    return F, pivots


def nearest_simple(x: np.ndarray, max_den: int) -> tuple[np.ndarray, np.ndarray]:
    """The nearest fraction with denominator up to ``max_den`` (preferring small ones: a
    denominator ``d`` costs ``d`` times the distance) and the distance to it, entrywise."""
    best = np.rint(x)
    dist = np.abs(x - best)
    cost = dist.copy()
    for d in range(2, max_den + 1):
        q = np.rint(x * d) / d
        e = np.abs(x - q)
        better = e * d < cost
        best, dist, cost = np.where(better, q, best), np.where(better, e, dist), np.where(
            better, e * d, cost)
    return best, dist


class Manifold:
    """LM solves on the free entries of one decomposition, in the original scale."""

    def __init__(self, tensor: object, F: list[np.ndarray], device, dtype):
        self.problem = as_problem(tensor, device=device, dtype=dtype)
        self.scale = self.problem.norm ** (1.0 / len(F))
        self.shapes = [f.shape for f in F]
        self.device, self.dtype = device, dtype
        F0 = [torch.as_tensor(f / self.scale, dtype=dtype, device=device)[None] for f in F]
        self.lm = LevenbergMarquardt(self.problem, F0, lam0=0.0, accurate=True)

    def flat(self, F: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([f.reshape(-1) for f in F])

    def unflat(self, theta: np.ndarray) -> list[np.ndarray]:
        out, off = [], 0
        for s in self.shapes:
            out.append(theta[off:off + s[0] * s[1]].reshape(s).copy())
            off += s[0] * s[1]
        return out

    def _factors(self, th: torch.Tensor) -> list[torch.Tensor]:
        out, off = [], 0
        for s in self.shapes:
            out.append(th[off:off + s[0] * s[1]].reshape(1, *s))
            off += s[0] * s[1]
        return out

    def error(self, theta: np.ndarray) -> float:
        th = torch.as_tensor(theta / self.scale, dtype=self.dtype, device=self.device)
        return math.sqrt(max(float(self.problem.sq_error(self._factors(th), accurate=True)[0]),
                             0.0))

    def solve(self, theta: np.ndarray, free: np.ndarray, weight: np.ndarray | None = None,
              target: np.ndarray | None = None, iterations: int = 40,
              goal: float = 1e-15) -> tuple[np.ndarray, float]:
        """Minimise ``0.5 err^2 + 0.5 sum w (theta - t)^2`` over the free entries (original
        scale for ``theta`` and ``t``); returns the new ``theta`` and its relative error."""
        sc = self.scale
        idx = torch.as_tensor(np.flatnonzero(free), device=self.device)
        th = torch.as_tensor(theta / sc, dtype=self.dtype, device=self.device)
        if idx.numel() == 0:
            return theta.copy(), self.error(theta)
        pull = weight is not None
        if pull:
            # in the solver's scale: w (theta - t)^2 with theta = sc * th
            w = torch.as_tensor(weight, dtype=self.dtype, device=self.device)[idx] * sc * sc
            t = torch.as_tensor(target / sc, dtype=self.dtype, device=self.device)[idx]

        def objective(x: torch.Tensor) -> tuple[float, float]:
            sq = float(self.problem.sq_error(self._factors(x), accurate=True)[0])
            pen = float((w * (x[idx] - t) ** 2).sum()) if pull else 0.0
            return 0.5 * sq + 0.5 * pen, sq

        f, sq = objective(th)
        mu, nu = None, 2.0
        eye = torch.eye(idx.numel(), dtype=self.dtype, device=self.device)
        for _ in range(iterations):
            if not pull and sq < goal**2:
                break
            H, g = self.lm.system(self._factors(th))
            H, g = H[0][idx][:, idx], g[0][idx]
            if pull:
                H = H + torch.diag(w)
                g = g + w * (th[idx] - t)
            if mu is None:
                mu = 1e-9 * float(torch.diagonal(H).max().clamp_min(1e-12))
            L, info = torch.linalg.cholesky_ex(H + mu * eye)
            if int(info) != 0:
                mu, nu = mu * nu, nu * 2
                continue
            d = torch.cholesky_solve(-g[:, None], L)[:, 0]
            new = th.clone()
            new[idx] += d
            f_new, sq_new = objective(new)
            pred = 0.5 * float((d * (mu * d - g)).sum())
            if f_new < f:
                rho = (f - f_new) / max(pred, 1e-300)
                th, f, sq = new, f_new, sq_new
                mu *= max(1 / 3, 1 - (2 * rho - 1) ** 3)
                nu = 2.0
            else:
                mu, nu = mu * nu, nu * 2
                if mu > 1e20:
                    break
        return th.cpu().numpy() * sc, math.sqrt(max(sq, 0.0))


def min_norm(man: Manifold, theta: np.ndarray, ok: float, rounds: int = 8,
             gamma: float = 1e-6) -> np.ndarray:
    """Slide along the manifold to a decomposition of smaller Frobenius norm (a weak L2 pull,
    re-solved to an exact fit after each round): the balanced gauge, far better conditioned
    for the moves and the rounding than, e.g., a decomposition moved by a random element of
    the tensor's symmetry group."""
    free = np.ones(theta.size, dtype=bool)
    w = np.full(theta.size, gamma)
    for _ in range(rounds):
        trial, _ = man.solve(theta, free, weight=w, target=np.zeros_like(theta), iterations=25)
        trial, e = man.solve(trial, free, iterations=40)
        if not (e < ok and np.sum(trial**2) < 0.999 * np.sum(theta**2)):
            break
        theta = trial
    return theta


def perturb(man: Manifold, theta: np.ndarray, free: np.ndarray, ok: float,
            rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    """A random move along the manifold (a weak pull towards a random nearby point, then an
    exact re-solve): the start of another pass, in another basin of the sparsifying moves."""
    tgt = theta + sigma * rng.standard_normal(theta.size) * (np.abs(theta) + 0.1)
    trial, _ = man.solve(theta, free, weight=np.full(theta.size, 1e-6), target=tgt,
                         iterations=25)
    trial, e = man.solve(trial, free, iterations=40)
    return trial if e < ok else theta


def sparsify(man: Manifold, theta: np.ndarray, free: np.ndarray, ok: float, deadline: float,
             rounds: int = 30, gamma: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Reweighted-L1 moves along the manifold (a weak pull, so the fit stays near it); the
    entries that come near zero are pinned to it when the fit, re-solved, stays exact."""
    stale = 0
    for _ in range(rounds):
        if time.perf_counter() > deadline or stale >= 3:
            break
        w = gamma / (np.abs(theta) + 1e-3)
        trial, _ = man.solve(theta, free, weight=w, target=np.zeros_like(theta), iterations=25)
        progress = False
        for tau in (1e-2, 1e-3, 1e-4):
            zeros = free & (np.abs(trial) < tau)
            if not zeros.any():
                continue
            pinned = free & ~zeros
            cand = trial.copy()
            cand[zeros] = 0.0
            cand, e = man.solve(cand, pinned, iterations=40)
            if e < ok:
                theta, free, progress = cand, pinned, True
                break
        if not progress:
            back, e = man.solve(trial, free, iterations=40)  # back onto the manifold
            if e < ok:
                theta = back
        stale = 0 if progress else stale + 1
    return theta, free


#: Values pinned, class by class: zeros first (they sparsify), then units, then the rest.
PIN_VALUES = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)


def pin(man: Manifold, theta: np.ndarray, free: np.ndarray, i: int, v: float, ok: float
        ) -> tuple[np.ndarray, np.ndarray] | None:
    """Move along the manifold until entry ``i`` equals ``v`` (alternating a pull on that entry
    with re-solves on all free entries), then pin it; None if the fit does not stay exact."""
    trial = theta
    if abs(theta[i] - v) > 1e-9:
        w = np.zeros_like(theta)
        w[i] = 1e-3
        tgt = theta.copy()
        tgt[i] = v
        for r in range(4):
            trial, _ = man.solve(trial, free, weight=w, target=tgt, iterations=15)
            trial, _ = man.solve(trial, free, iterations=20)
            gap = abs(trial[i] - v)
            if gap < 1e-9:
                break
            if r == 0 and gap > 0.9 * abs(theta[i] - v):
                return None  # the manifold does not let the entry move towards v
    trial = trial.copy()
    trial[i] = v
    pinned = free.copy()
    pinned[i] = False
    trial, e = man.solve(trial, pinned, iterations=40)
    return (trial, pinned) if e < ok else None


def pin_values(man: Manifold, theta: np.ndarray, free: np.ndarray, ok: float, deadline: float,
               accept, *, tries: int = 8, values: tuple[float, ...] = PIN_VALUES,
               rng: np.random.Generator | None = None, jitter: float = 0.0):
    """Greedy pins, value class by value class: the free entries nearest to the value are
    tried in turn (``tries`` of them; distances scaled by ``exp(jitter * N(0, 1))`` to vary
    the order between passes) and the first that keeps the fit exact is pinned.  A pin that
    fails is not tried again (more pins only shrink the feasible set).  Passes over the classes
    repeat while some pin succeeds.  ``accept(theta)`` is tried after every pin; returns
    ``(theta, free, pins, certificate or None)``."""
    pins = 0
    failed: set[tuple[int, float]] = set()
    progress = True
    while progress:
        progress = False
        for v in values:
            while time.perf_counter() < deadline:
                cand = np.array([i for i in np.flatnonzero(free) if (i, v) not in failed],
                                dtype=np.int64)
                if cand.size == 0:
                    break
                dist = np.abs(theta[cand] - v)
                if jitter and rng is not None:
                    dist = dist * np.exp(jitter * rng.standard_normal(dist.size))
                moved = None
                for i in cand[np.argsort(dist, kind="stable")][:tries]:
                    if time.perf_counter() > deadline:
                        break
                    moved = pin(man, theta, free, int(i), v, ok)
                    if moved is not None:
                        break
                    failed.add((int(i), v))
                if moved is None:
                    break
                theta, free = moved
                pins += 1
                progress = True
                got = accept(theta)
                if got is not None:
                    return theta, free, pins, got
    return theta, free, pins, None


def to_fractions(F: list[np.ndarray], max_den: int, atol: float) -> list[np.ndarray] | None:
    """Every entry as a Fraction with denominator up to ``max_den``, if each is within
    ``atol`` (relative, at least absolute) of one; else None."""
    for f in F:  # a cheap vectorised test first
        _, dist = nearest_simple(f, max_den)
        if np.any(dist > atol * np.maximum(1.0, np.abs(f))):
            return None
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
