"""Exactification: from a numerical CP decomposition to an exactly verified rational one.

1. Gauge by per-component rescaling: in every mode but the last, each column is divided by its
   largest entry (which becomes exactly 1); the last mode absorbs the scale.
2. Round every entry to the nearest fraction with a small denominator and verify exactly.
3. Otherwise move along the manifold of exact decompositions (``_rational``): sparsify by
   reweighted L1, then pin entries to 0, +-1, +-2, +-1/2 one at a time, rounding and verifying
   after every pin.  The first pass starts from the fit, the second from a nearby
   decomposition of least norm, later ones from random moves along the manifold with a varied
   pin order (``seed``).
4. The certificate is *exact* only if the rational factors reconstruct the tensor exactly in
   integer arithmetic (Python integers: a common denominator per factor, then exact integer
   products compared entry by entry with the target's binary fractions); otherwise it is the
   numerical decomposition with its float64 error.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from ..errors import WordTensorError
from ._rational import Manifold, gauge_scale, min_norm, perturb, pin_values, sparsify, to_fractions
from ._verify import Target, cp_arrays, relative_error


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


# ------------------------------------------------------------------------------ exactify


def exactify(cp: object, tensor: object, *, max_denominator: int = 12, atol: float = 1e-7,
             time_limit: float = 60.0, seed: int = 0, device="cpu",
             dtype=torch.float64) -> Certificate:
    from tensorly.cp_tensor import CPTensor

    t0 = time.perf_counter()
    deadline = t0 + float(time_limit)
    target = Target(tensor)
    w, F = cp_arrays(cp)
    F = [F[0] * w] + [f.copy() for f in F[1:]]
    err0 = relative_error((None, F), target)
    if not err0 < 1e-6:
        raise WordTensorError(
            f"the decomposition has relative error {err0:.2g}; exactification needs a numerical "
            "decomposition that is already exact to about 1e-6 (polish it with cp_search first)")

    def exact_of(F: list[np.ndarray]):
        q = to_fractions(F, max_denominator, atol)
        return q if q is not None and verify_exact(q, target) else None

    def done(q, pins, note):
        Ff = [np.array(x, dtype=np.float64) for x in q]
        cp_out = CPTensor((np.ones(Ff[0].shape[1]), Ff))
        dmax = max((x.denominator for f in q for x in f.flat), default=1)
        return Certificate(True, cp_out, q, relative_error(cp_out, target),
                           int(sum(np.count_nonzero(f) for f in Ff)), int(dmax), pins,
                           time.perf_counter() - t0, note)

    q = exact_of(gauge_scale(F)[0])
    if q is not None:
        return done(q, 0, "rounded after per-component rescaling")
    man = Manifold(tensor, F, device, dtype)
    ok0 = max(1e-12, 10 * err0)

    def gauged(F: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
        """Flat factors with the pivots of the scaling gauge pinned, re-solved exactly."""
        F, pivots = gauge_scale(F)
        theta = man.flat(F)
        free = np.ones(theta.size, dtype=bool)
        off = 0
        for f, piv in zip(F[:-1], pivots):  # the pivots (= 1) stay pinned
            free[off + piv * f.shape[1] + np.arange(f.shape[1])] = False
            off += f.size
        theta, e = man.solve(theta, free, iterations=50)
        return theta, free, max(1e-12, 10 * e)

    # two starts: the fit as given, and a nearby decomposition of least norm (the balanced
    # gauge: far better conditioned when the fit was moved by a random symmetry)
    starts = [gauged(F)]
    least = man.unflat(min_norm(man, man.flat(F), ok0))
    q = exact_of(gauge_scale(least)[0])
    if q is not None:
        return done(q, 0, "rounded after moving to a nearby decomposition of least norm")
    starts.append(gauged(least))
    rng = np.random.default_rng(seed)
    best = (starts[1][0], 0)
    passes, most_zeros = 0, 0
    # pass 0 from the fit, pass 1 from the least-norm point (30% of the time each), later
    # passes from a random move along the manifold away from either (half of what is left, at
    # least 10 s); each pass sparsifies, then pins.  A pass whose sparsification lands in a
    # basin with fewer zeros than the best seen (by 10%) skips its pins: the L1 landscape along
    # the manifold has many local minima
    while time.perf_counter() < deadline:
        theta0, free, ok = starts[passes % 2]
        start = theta0 if passes < 2 else perturb(man, theta0, free, ok, rng)
        left = deadline - time.perf_counter()
        stop = time.perf_counter() + (0.3 * time_limit if passes < 2 else max(10.0, left / 2))
        th, fr = sparsify(man, start, free, ok, stop)
        passes += 1
        zeros = int(np.count_nonzero(th == 0))
        if zeros < 0.9 * most_zeros:
            continue
        most_zeros = max(most_zeros, zeros)
        th, _, pins, q = pin_values(man, th, fr, ok, stop, lambda x: exact_of(man.unflat(x)),
                                    rng=rng, jitter=0.0 if passes <= 2 else 0.5)
        if q is not None:
            return done(q, pins, f"sparsified and rounded after {pins} pins along the solution "
                                 f"manifold (pass {passes})")
        if pins > best[1]:
            best = (th, pins)
    theta, pins = best
    Fn = man.unflat(theta)
    cp_out = CPTensor((np.ones(Fn[0].shape[1]), Fn))
    e = relative_error(cp_out, target)
    return Certificate(False, cp_out, None, e,
                       int(sum(np.count_nonzero(np.abs(f) > 1e-12) for f in Fn)), 0, pins,
                       time.perf_counter() - t0,
                       f"no rational form with denominators <= {max_denominator} found in "
                       f"{passes} pinning passes; numerical certificate")
