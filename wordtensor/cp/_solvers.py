"""Batched CP solvers: Levenberg-Marquardt, regularised ALS with extrapolation, and Adam.

Every solver works on factors ``F_k`` of shape ``(B, I_k, R)`` (``B`` restarts at once) against
a :class:`~wordtensor.cp._problem.Problem` (unit-norm target), keeps its per-restart state in a
small object with a ``step()`` method, and exposes ``sq_err`` (the latest squared relative
error per restart).  Slots can be re-seeded in place (``reset(mask, factors)``), which lets the
driver keep the batch full while restarts finish at different times.

Objective of every solver: ``0.5 * ||T - [[F]]||^2 + 0.5 * lam * sum_k ||F_k||^2`` with a
per-restart regularisation weight ``lam`` that decays geometrically to exactly 0 (the
regularisation keeps the search away from diverging, cancelling components -- border-rank
behaviour -- in its early phase and never biases the final fit).
"""

from __future__ import annotations

import math

import torch

from ._problem import Problem, batched_mttkrp, gram_hadamard


def balance(factors: list[torch.Tensor]) -> list[torch.Tensor]:
    """Rescale every component so that its factor columns have equal norms (same tensor)."""
    norms = torch.stack([torch.linalg.vector_norm(F, dim=1) for F in factors])  # (N, B, R)
    norms = norms.clamp_min(1e-300)
    geo = torch.exp(torch.log(norms).mean(0))
    return [F * (geo / n).unsqueeze(1) for F, n in zip(factors, norms)]


def _where(mask: torch.Tensor, a: list[torch.Tensor], b: list[torch.Tensor]) -> list[torch.Tensor]:
    m = mask.view(-1, 1, 1)
    return [torch.where(m, x, y) for x, y in zip(a, b)]


class _Schedule:
    """Per-restart regularisation ``lam``: ``lam0 * decay**t``, set to 0 below ``floor``."""

    def __init__(self, B: int, lam0: float, decay: float, floor: float, like: torch.Tensor,
                 coupled: float = 0.0):
        self.lam0, self.decay, self.floor, self.coupled = lam0, decay, floor, coupled
        self.lam = torch.full((B,), float(lam0), dtype=like.dtype, device=like.device)

    def advance(self, sq_err: torch.Tensor | None = None) -> None:
        self.lam = self.lam * self.decay
        if sq_err is not None and self.coupled:
            # near an exact fit the weight need not wait for the schedule: lam <= sq_err keeps
            # Gauss-Newton's fast local convergence
            cap = torch.where(torch.isfinite(sq_err), self.coupled * sq_err, self.lam)
            self.lam = torch.minimum(self.lam, cap)
        self.lam = torch.where(self.lam < self.floor, torch.zeros_like(self.lam), self.lam)

    def reset(self, mask: torch.Tensor) -> None:
        self.lam = torch.where(mask, torch.full_like(self.lam, self.lam0), self.lam)


def _sq_norm(factors: list[torch.Tensor]) -> torch.Tensor:
    return sum((F**2).sum(dim=(1, 2)) for F in factors)


# ------------------------------------------------------------------------------------- LM


class _Solver:
    """What the solvers share: the problem, balanced factors (B, I_k, R) of B restarts, whether
    errors are computed accurately, and the per-restart regularisation schedule."""

    def _setup(self, problem: Problem, factors: list[torch.Tensor], lam0: float, decay: float,
               coupled: float, accurate: bool | None) -> None:
        self.problem = problem
        self.F = balance(factors)
        B, _, R = factors[0].shape
        self.B, self.R = B, R
        self.accurate = problem.accurate(B, R) if accurate is None else accurate
        self.sched = _Schedule(B, lam0, decay, 1e-14, factors[0], coupled)


class LevenbergMarquardt(_Solver):
    """Damped Gauss-Newton on all factors at once (Nielsen's damping update).

    The normal equations are assembled from Gram matrices and MTTKRPs without the Jacobian:
    the block of ``J^T J`` between ``F_k[i, r]`` and ``F_l[j, s]`` is
    ``delta_kl delta_ij Gamma_k[r, s]`` on the diagonal and ``F_k[i, s] F_l[j, r] Gamma_kl[r, s]``
    off it (``Gamma`` = Hadamard product of the other modes' Grams), and ``J^T r`` is
    ``F_k Gamma_k - MTTKRP_k(T)``.  The ``(B, P, P)`` systems, ``P = R * sum(I_k)``, are solved by
    batched Cholesky.
    """

    name = "lm"

    def __init__(self, problem: Problem, factors: list[torch.Tensor], *, lam0: float = 1e-3,
                 decay: float = 0.9, tau: float = 1e-3, coupled: float = 0.0,
                 accurate: bool | None = None):
        self._setup(problem, factors, lam0, decay, coupled, accurate)
        B, R = self.B, self.R
        self.dims = [F.shape[1] for F in factors]
        self.P = R * sum(self.dims)
        self.tau = tau
        like = factors[0]
        self.mu = torch.full((B,), -1.0, dtype=like.dtype, device=like.device)  # -1: initialise
        self.nu = torch.full((B,), 2.0, dtype=like.dtype, device=like.device)
        self.sq_err = problem.sq_error(self.F, accurate=self.accurate)
        self.eye = torch.eye(self.P, dtype=like.dtype, device=like.device)

    def reset(self, mask: torch.Tensor, factors: list[torch.Tensor]) -> None:
        factors = balance(factors)
        self.F = _where(mask, factors, self.F)
        self.mu = torch.where(mask, torch.full_like(self.mu, -1.0), self.mu)
        self.nu = torch.where(mask, torch.full_like(self.nu, 2.0), self.nu)
        self.sched.reset(mask)
        self.sq_err = torch.where(mask, self.problem.sq_error(self.F, accurate=self.accurate),
                                  self.sq_err)

    def system(self, F: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(J^T J, J^T r)`` for the squared error, shapes ``(B, P, P)`` and ``(B, P)``."""
        B, R = F[0].shape[0], self.R
        grams = [X.transpose(1, 2) @ X for X in F]
        H = F[0].new_zeros(B, self.P, self.P)
        g = []
        offs = [0]
        for d in self.dims:
            offs.append(offs[-1] + d * R)
        # with a dense residual, J^T r has no component along the null space of J^T J (the
        # Gram form F Gamma - MTTKRP carries rounding noise there, which the solve amplifies)
        res = self.problem.residual(F) if self.accurate else None
        for k, Fk in enumerate(F):
            Ik = self.dims[k]
            Gk = gram_hadamard(grams, (k,))
            if res is not None:
                g.append(batched_mttkrp(res, F, k).reshape(B, -1))
            else:
                g.append((Fk @ Gk - self.problem.mttkrp(F, k)).reshape(B, -1))
            # diagonal block Gamma_k (x) I: write Gamma_k on the (i, i) sub-blocks in place
            diag = H[:, offs[k]:offs[k + 1], offs[k]:offs[k + 1]].unflatten(1, (Ik, R))
            diag = torch.diagonal(diag.unflatten(3, (Ik, R)), dim1=1, dim2=3)  # (B, R, R, Ik)
            diag.copy_(Gk.unsqueeze(-1).expand_as(diag))
            for l in range(k + 1, len(F)):
                Il = self.dims[l]
                Gkl = gram_hadamard(grams, (k, l))
                blk = torch.einsum("bis,bjr,brs->birjs", Fk, F[l], Gkl).reshape(B, Ik * R, Il * R)
                H[:, offs[k]:offs[k + 1], offs[l]:offs[l + 1]] = blk
                H[:, offs[l]:offs[l + 1], offs[k]:offs[k + 1]] = blk.transpose(1, 2)
        return H, torch.cat(g, dim=1)

    def step(self) -> None:
        F, lam = self.F, self.sched.lam
        H, g = self.system(F)
        theta = torch.cat([X.reshape(self.B, -1) for X in F], dim=1)
        f = 0.5 * self.sq_err + 0.5 * lam * (theta**2).sum(1)
        grad = g + lam[:, None] * theta
        init = self.mu < 0
        if bool(init.any()):
            diag_max = torch.diagonal(H, dim1=1, dim2=2).amax(1)
            self.mu = torch.where(init, self.tau * diag_max.clamp_min(1e-12), self.mu)
        torch.diagonal(H, dim1=1, dim2=2).add_((self.mu + lam)[:, None])  # H is ours: damp it
        L, info = torch.linalg.cholesky_ex(H)
        ok = info == 0
        if not bool(ok.all()):
            L = torch.where(ok[:, None, None], L, self.eye.expand_as(L))
        y = torch.linalg.solve_triangular(L, -grad.unsqueeze(-1), upper=False)
        delta = torch.linalg.solve_triangular(L.mT, y, upper=True).squeeze(-1)
        delta = torch.where(ok[:, None], delta, torch.zeros_like(delta))
        new = []
        off = 0
        for X in F:
            n = X[0].numel()
            new.append(X + delta[:, off:off + n].reshape(X.shape))
            off += n
        sq_new = self.problem.sq_error(new, accurate=self.accurate)
        theta_new = theta + delta
        f_new = 0.5 * sq_new + 0.5 * lam * (theta_new**2).sum(1)
        pred = 0.5 * (delta * (self.mu[:, None] * delta - grad)).sum(1)
        noise = 1e-15 if self.accurate else 1e-13
        rho = (f - f_new) / pred.clamp_min(1e-300)
        accept = ok & torch.isfinite(f_new) & (
            ((rho > 0) & (pred > noise)) | ((pred <= noise) & (f_new <= f + noise)))
        factor = torch.clamp(1 - (2 * rho - 1) ** 3, min=1 / 3)
        self.mu = torch.where(accept, self.mu * factor, self.mu * self.nu).clamp(1e-30, 1e30)
        self.nu = torch.where(accept, torch.full_like(self.nu, 2.0), self.nu * 2).clamp_max(1e6)
        self.F = balance(_where(accept, new, F))
        self.sq_err = torch.where(accept, sq_new, self.sq_err)
        self.sched.advance(self.sq_err)


# ------------------------------------------------------------------------------------- ALS


class ALS(_Solver):
    """Alternating least squares with Tikhonov regularisation and extrapolation.

    Each sweep solves ``F_k (Gamma_k + lam I) = MTTKRP_k`` mode by mode (batched ``R x R``
    Cholesky); after the sweep the step ``F_new - F_old`` is extrapolated by
    ``s = (iteration) ** (1 / extrapolate)`` (Bro's line search, as in tensorly's ``linesearch``)
    and the extrapolated point is kept where it lowers the objective.
    """

    name = "als"

    def __init__(self, problem: Problem, factors: list[torch.Tensor], *, lam0: float = 1e-2,
                 decay: float = 0.97, extrapolate: float = 3.0, coupled: float = 0.0,
                 accurate: bool | None = None):
        self._setup(problem, factors, lam0, decay, coupled, accurate)
        self.it = torch.zeros(self.B, dtype=factors[0].dtype, device=factors[0].device)
        self.extrapolate = extrapolate
        self.sq_err = problem.sq_error(self.F, accurate=self.accurate)

    def reset(self, mask: torch.Tensor, factors: list[torch.Tensor]) -> None:
        self.F = _where(mask, balance(factors), self.F)
        self.sched.reset(mask)
        self.it = torch.where(mask, torch.zeros_like(self.it), self.it)
        self.sq_err = torch.where(mask, self.problem.sq_error(self.F, accurate=self.accurate),
                                  self.sq_err)

    def _sweep(self, F: list[torch.Tensor], lam: torch.Tensor) -> list[torch.Tensor]:
        F = list(F)
        eye = torch.eye(self.R, dtype=F[0].dtype, device=F[0].device)
        # lam is relative to the average Gram diagonal, so it means the same at every scale
        for k in range(len(F)):
            grams = [X.transpose(1, 2) @ X for X in F]
            Gk = gram_hadamard(grams, (k,))
            scale = torch.diagonal(Gk, dim1=1, dim2=2).mean(1).clamp_min(1e-300)
            A = Gk + (lam * scale + 1e-15 * scale)[:, None, None] * eye
            M = self.problem.mttkrp(F, k)
            bad = ~(torch.isfinite(A).all(2).all(1) & torch.isfinite(M).all(2).all(1))
            if bool(bad.any()):  # a diverged restart (the driver ends it): keep it finite
                A = torch.where(bad[:, None, None], eye.expand_as(A), A)
                M = torch.where(bad[:, None, None], torch.zeros_like(M), M)
            L, info = torch.linalg.cholesky_ex(A)
            if bool((info != 0).any()):
                sol = torch.linalg.lstsq(A, M.transpose(1, 2)).solution.transpose(1, 2)
            else:
                sol = torch.cholesky_solve(M.transpose(1, 2), L).transpose(1, 2)
            F[k] = sol
        return balance(F)

    def step(self) -> None:
        lam = self.sched.lam
        old = self.F
        new = self._sweep(old, lam)
        sq_new = self.problem.sq_error(new, accurate=self.accurate)
        self.it = self.it + 1
        s = (self.it.clamp_min(1.0)) ** (1.0 / self.extrapolate)
        ext = [Y + s.view(-1, 1, 1) * (Y - X) for X, Y in zip(old, new)]
        sq_ext = self.problem.sq_error(ext, accurate=self.accurate)
        take = torch.isfinite(sq_ext) & (sq_ext < sq_new)
        self.F = balance(_where(take, ext, new))
        self.sq_err = torch.where(take, sq_ext, sq_new)
        self.sched.advance(self.sq_err)


# ------------------------------------------------------------------------------------ Adam


class Adam(_Solver):
    """Adam on ``0.5 * ||T - [[F]]||^2 + 0.5 * lam ||F||^2`` with the gradient from MTTKRPs
    (``F_k Gamma_k - MTTKRP_k``), learning rate decayed by ``lr_decay`` per step."""

    name = "adam"

    def __init__(self, problem: Problem, factors: list[torch.Tensor], *, lr: float = 0.02,
                 lr_decay: float = 0.9995, lam0: float = 1e-4, decay: float = 0.995,
                 betas: tuple[float, float] = (0.9, 0.999), coupled: float = 0.0,
                 accurate: bool | None = None):
        self._setup(problem, factors, lam0, decay, coupled, accurate)
        self.lr0, self.lr_decay, self.betas = lr, lr_decay, betas
        self._zero_state(torch.ones(self.B, dtype=torch.bool, device=factors[0].device))
        self.sq_err = problem.sq_error(self.F, accurate=self.accurate)

    def _zero_state(self, mask: torch.Tensor) -> None:
        if not hasattr(self, "m"):
            self.m = [torch.zeros_like(F) for F in self.F]
            self.v = [torch.zeros_like(F) for F in self.F]
            self.t = torch.zeros(self.B, dtype=self.F[0].dtype, device=self.F[0].device)
            return
        m3 = mask.view(-1, 1, 1)
        self.m = [torch.where(m3, torch.zeros_like(x), x) for x in self.m]
        self.v = [torch.where(m3, torch.zeros_like(x), x) for x in self.v]
        self.t = torch.where(mask, torch.zeros_like(self.t), self.t)

    def reset(self, mask: torch.Tensor, factors: list[torch.Tensor]) -> None:
        self.F = _where(mask, balance(factors), self.F)
        self.sched.reset(mask)
        self._zero_state(mask)
        self.sq_err = torch.where(mask, self.problem.sq_error(self.F, accurate=self.accurate),
                                  self.sq_err)

    def step(self) -> None:
        F, lam = self.F, self.sched.lam
        grams = [X.transpose(1, 2) @ X for X in F]
        b1, b2 = self.betas
        self.t = self.t + 1
        lr = self.lr0 * self.lr_decay ** self.t
        new = []
        for k, X in enumerate(F):
            g = X @ gram_hadamard(grams, (k,)) - self.problem.mttkrp(F, k) + lam.view(-1, 1, 1) * X
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            mhat = self.m[k] / (1 - b1 ** self.t).view(-1, 1, 1)
            vhat = self.v[k] / (1 - b2 ** self.t).view(-1, 1, 1)
            new.append(X - lr.view(-1, 1, 1) * mhat / (vhat.sqrt() + 1e-12))
        self.F = new
        self.sq_err = self.problem.sq_error(new, accurate=self.accurate)
        self.sched.advance(self.sq_err)


SOLVERS = {"lm": LevenbergMarquardt, "als": ALS, "adam": Adam}


def init_factors(problem: Problem, rank: int, batch: int, generator: torch.Generator,
                 scale: float = 1.0) -> list[torch.Tensor]:
    """Gaussian factors scaled so that ``||[[F]]|| ~ ||T|| = 1`` in expectation."""
    N = problem.ndim
    sigma = (1.0 / (rank * math.prod(problem.shape))) ** (1.0 / (2 * N)) * scale
    return [torch.randn(batch, d, rank, generator=generator, dtype=torch.float64)
            .to(device=problem.device, dtype=problem.dtype) * sigma for d in problem.shape]


def replace_weakest(problem: Problem, F: list[torch.Tensor], gen: torch.Generator
                    ) -> list[torch.Tensor]:
    """A kick out of a local minimum: the weakest component of one restart (factors
    ``(I_k, R)``) is replaced by the best rank-one approximation of the residual it leaves
    (higher-order power iterations through MTTKRPs)."""
    N = len(F)
    R = F[0].shape[1]
    norms = torch.stack([torch.linalg.vector_norm(f, dim=0) for f in F]).prod(0)
    j = int(torch.argmin(norms))
    keep = [k for k in range(R) if k != j]
    G = [f[:, keep] for f in F]
    u = [torch.randn(f.shape[0], generator=gen, dtype=torch.float64).to(f) for f in F]
    u = [x / torch.linalg.vector_norm(x) for x in u]
    nrm = torch.zeros((), dtype=F[0].dtype, device=F[0].device)
    for _ in range(10):
        for k in range(N):
            m = problem.mttkrp([x.view(1, -1, 1) for x in u], k)[0, :, 0]
            coef = torch.ones(len(keep), dtype=m.dtype, device=m.device)
            for l in range(N):
                if l != k:
                    coef = coef * (G[l].T @ u[l])
            m = m - G[k] @ coef
            nrm = torch.linalg.vector_norm(m)
            if nrm == 0:
                break
            u[k] = m / nrm
    out = [f.clone() for f in F]
    for k in range(N):
        out[k][:, j] = u[k] * nrm ** (1.0 / N)
    return out
