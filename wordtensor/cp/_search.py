"""The restart driver of :func:`~wordtensor.cp.cp_search`: a portfolio of batched solvers.

One or more solver *groups* (one per method: e.g. ALS and Levenberg-Marquardt) each keep a
batch of restarts side by side.  The driver steps the group that has used the least wall time
relative to its share, checks every slot's error, verifies candidates independently (float64,
against the original input), ends attempts that converged, stagnated or ran out of iterations,
and re-seeds the freed slots with the next restarts.  Shares adapt to the measured successes
per second of each group (with a floor), so a portfolio spends its time where it pays.

Attempt ``j`` of the first method always starts from the same random factors (a seed drawn from
``SeedSequence([random_state, j])``), whatever the batch size and whatever the other methods of
the portfolio; attempt ``j`` of method number ``m > 0`` from ``SeedSequence([random_state, j,
m])``.  A stagnation window opens only once a restart's regularisation weight has decayed below
``STALL_LAM``: a regularised plateau is not a stagnation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..errors import WordTensorError
from ._problem import Problem
from ._results import Attempt, CPSearchResult
from ._solvers import SOLVERS, LevenbergMarquardt, init_factors, replace_weakest
from ._verify import Target, cp_arrays, relative_error, symptoms

#: Default settings per method: iteration budget, stagnation window, solver keywords.
DEFAULTS: dict[str, dict] = {
    "lm": {"max_iter": 400, "window": 10, "check_every": 5,
           "solver": {"lam0": 1e-3, "decay": 0.8, "coupled": 1.0}},
    "als": {"max_iter": 3000, "window": 40, "check_every": 20,
            "solver": {"lam0": 1e-2, "decay": 0.95, "coupled": 1.0}},
    "adam": {"max_iter": 6000, "window": 200, "check_every": 20,
             "solver": {"lr": 0.05, "coupled": 1.0}},
}

#: First-order methods hand a restart to the Gauss-Newton polish below this relative error.
POLISH_AT = 1e-5
#: Stagnation is judged only once the regularisation weight is below this.
STALL_LAM = 1e-6
#: The smallest share of the time a portfolio member keeps, however badly it does.
SHARE_FLOOR = 0.1

#: LM polishes up to this many parameters R * sum(dims) (ALS beyond) ...
MAX_LM_PARAMS = 2500
#: ... and searches up to this many (a (P, P) float64 system per restart: 128 MB at 4000).
MAX_LM_SEARCH_PARAMS = 4000


def _to_cp(factors: list[torch.Tensor], b: int, norm: float):
    from tensorly.cp_tensor import CPTensor

    N = len(factors)
    scale = norm ** (1.0 / N)
    fs = [F[b].detach().to("cpu", torch.float64).numpy() * scale for F in factors]
    return CPTensor((np.ones(fs[0].shape[1]), fs))


def _init_from_cp(cp: object, problem: Problem) -> list[torch.Tensor]:
    w, F = cp_arrays(cp)
    shape = tuple(f.shape[0] for f in F)
    if shape != problem.shape:
        raise WordTensorError(f"init has shape {shape} but the tensor has shape {problem.shape}")
    F = [F[0] * w] + F[1:]
    scale = problem.norm ** (-1.0 / len(F))
    return [torch.as_tensor(f * scale, dtype=problem.dtype, device=problem.device).unsqueeze(0)
            for f in F]


def polish(problem: Problem, factors: list[torch.Tensor], *, iterations: int = 60,
           accurate: bool | None = None) -> list[torch.Tensor]:
    """Undamped-ish refinement of one (or a few) restarts: LM without regularisation when the
    normal equations are small enough, ALS without regularisation otherwise."""
    R = factors[0].shape[2]
    P = R * sum(problem.shape)
    if P <= MAX_LM_PARAMS:
        s = LevenbergMarquardt(problem, factors, lam0=0.0, accurate=accurate)
        s.mu.fill_(1e-12)
    else:
        s = SOLVERS["als"](problem, factors, lam0=0.0, accurate=accurate)
        iterations *= 10
    best = s.sq_err.clone()
    best_F = [F.clone() for F in s.F]
    for _ in range(iterations):
        s.step()
        better = s.sq_err < best
        if bool(better.any()):
            best = torch.where(better, s.sq_err, best)
            best_F = [torch.where(better.view(-1, 1, 1), F, G) for F, G in zip(s.F, best_F)]
        if bool((best < 1e-30).all()):
            break
    return best_F


class _Stop(Exception):
    pass


class _Group:
    """One method of the portfolio: its batched solver and the bookkeeping of its slots."""

    def __init__(self, ctx: _Search, method: str, mi: int, B: int, options: dict | None,
                 resolved: dict | None = None):
        self.ctx, self.method, self.mi, self.B = ctx, method, mi, B
        cfg = DEFAULTS[method]
        self.max_iter = cfg["max_iter"] if ctx.max_iter is None else int(ctx.max_iter)
        self.window = max(5, min(cfg["window"], self.max_iter // 4))
        self.check_every = ctx.check_every or cfg["check_every"]
        self.options = resolved or {**cfg["solver"], **(options or {})}
        self.started = 0  # attempts of this method started so far
        self.seconds = 0.0
        self.successes = 0
        self.finished = 0
        self.slot_attempt = [-1] * B  # global attempt index
        self.slot_local = [-1] * B  # index among this method's attempts
        self.slot_iter = np.zeros(B, dtype=np.int64)
        self.slot_start = np.zeros(B)
        self.active = np.zeros(B, dtype=bool)
        self.win_err = np.full(B, np.inf)  # error at the start of the stagnation window
        self.win_start = np.zeros(B, dtype=np.int64)  # ... and its iteration
        self.kicks = np.zeros(B, dtype=np.int64)
        self.polished = np.zeros(B, dtype=bool)
        self.next_verify = np.zeros(B, dtype=np.int64)
        self.norm_track: list[list[float]] = [[] for _ in range(B)]
        self.steps = 0
        self.solver = None

    def resize(self, B: int) -> None:
        """Use ``B`` slots (before the first fill)."""
        self.__init__(self.ctx, self.method, self.mi, B, None, self.options)

    def seed_of(self, local: int) -> int:
        key = [int(self.ctx.random_state), local] + ([self.mi] if self.mi else [])
        return int(np.random.SeedSequence(key).generate_state(1)[0])

    def _start_factors(self, local: int) -> list[torch.Tensor]:
        ctx = self.ctx
        if self.mi == 0 and local < len(ctx.init):
            return _init_from_cp(ctx.init[local], ctx.problem)
        g = torch.Generator().manual_seed(self.seed_of(local))
        return init_factors(ctx.problem, ctx.rank, 1, g)

    def fill(self, slots: list[int]) -> None:
        """Start the next attempts in ``slots`` (as many as the restart budget allows)."""
        ctx = self.ctx
        fresh = []
        for b in slots:
            if ctx.next_attempt >= ctx.restarts:
                self.active[b] = False
                continue
            self.slot_attempt[b], self.slot_local[b] = ctx.next_attempt, self.started
            ctx.next_attempt += 1
            self.started += 1
            fresh.append(b)
        if not fresh:
            return
        per = [self._start_factors(self.slot_local[b]) for b in fresh]
        fs = [torch.cat([p[k] for p in per], 0) for k in range(ctx.problem.ndim)]
        if self.solver is None:
            # the first fill covers every slot
            self.solver = SOLVERS[self.method](ctx.problem, fs, **self.options)
        else:
            mask = np.zeros(self.B, dtype=bool)
            mask[fresh] = True
            new = [F.clone() for F in self.solver.F]
            for k in range(ctx.problem.ndim):
                new[k][torch.as_tensor(fresh)] = fs[k]
            self.solver.reset(torch.as_tensor(mask, device=ctx.problem.device), new)
        now = time.perf_counter()
        for b in fresh:
            self.active[b] = True
            self.slot_iter[b] = 0
            self.slot_start[b] = now
            self.win_err[b], self.win_start[b] = np.inf, 0
            self.kicks[b] = 0
            self.polished[b] = False
            self.next_verify[b] = 0
            self.norm_track[b] = []

    def kick(self, b: int) -> None:
        problem = self.ctx.problem
        mask = np.zeros(self.B, dtype=bool)
        mask[b] = True
        new = [F.clone() for F in self.solver.F]
        gen = torch.Generator().manual_seed(self.seed_of(self.slot_local[b]) * 101
                                            + int(self.kicks[b]))
        fb = replace_weakest(problem, [F[b] for F in self.solver.F], gen)
        for k in range(problem.ndim):
            new[k][b] = fb[k]
        # the solver restarts from the kicked point, regularisation schedule included (a
        # measured choice: keeping the faded weight instead cut the successes three-fold)
        self.solver.reset(torch.as_tensor(mask, device=problem.device), new)

    def advance(self) -> None:
        """Step the solver up to the next check (``check_every`` steps or a max_iter)."""
        t0 = time.perf_counter()
        try:
            if (self.slot_iter[self.active] == 0).any():
                self.check()  # a start may be exact already (init from a known decomposition)
            while self.active.any():
                self.solver.step()
                self.steps += 1
                self.slot_iter[self.active] += 1
                it = self.slot_iter[self.active]
                # check every check_every steps, at a max_iter, and right after a (re)start
                if not self.steps % self.check_every or (it >= self.max_iter).any() or (
                        it == 1).any():
                    self.check()
                    break
        finally:
            self.seconds += time.perf_counter() - t0

    def _polished_cp(self, b: int):
        ctx = self.ctx
        pf = polish(ctx.problem64, [F[b:b + 1].to(torch.float64) for F in self.solver.F])
        cp = _to_cp(pf, 0, ctx.problem.norm)
        return cp, relative_error(cp, ctx.target)

    def check(self) -> None:
        ctx, s = self.ctx, self.solver
        tol = ctx.tol
        err = s.sq_err.detach().to("cpu", torch.float64).clamp_min(0).sqrt().numpy()
        err = np.where(np.isfinite(err), err, np.inf)
        lam = s.sched.lam.detach().to("cpu", torch.float64).numpy()
        cn = torch.stack([torch.linalg.vector_norm(F, dim=1) for F in s.F]).prod(0)
        cn = cn.amax(1).to("cpu", torch.float64).numpy()
        out_of_time = ctx.out_of_time()
        first_order = self.method != "lm" or ctx.low_precision
        done = []
        for b in np.flatnonzero(self.active):
            self.norm_track[b].append(float(cn[b]))
            e = err[b]
            if e < max(tol, 1e-7) * 0.5 and self.slot_iter[b] >= self.next_verify[b]:
                cp = _to_cp(s.F, b, ctx.problem.norm)
                e_true = relative_error(cp, ctx.target)
                if e_true < tol:
                    self.finish(b, e_true, True, "converged", cp)
                    done.append(b)
                    continue
                # the solver's own estimate is optimistic here (Gram form at its floor):
                # verify again only after a while
                self.next_verify[b] = self.slot_iter[b] + self.window
            if first_order and e < POLISH_AT and not self.polished[b]:
                # first-order methods crawl near the end, and float32 stops short of 1e-10:
                # finish with Gauss-Newton in float64
                self.polished[b] = True
                cp, e_true = self._polished_cp(b)
                if e_true < tol:
                    self.finish(b, e_true, True, "converged", cp)
                    done.append(b)
                    continue
            reason = None
            if not np.isfinite(e):
                reason = "diverged"
            elif self.slot_iter[b] >= self.max_iter:
                reason = "max_iter"
            elif lam[b] > STALL_LAM:  # still regularised: no stagnation window yet
                self.win_err[b], self.win_start[b] = np.inf, self.slot_iter[b]
            elif self.slot_iter[b] - self.win_start[b] >= self.window:
                # a window ends: stagnated unless the error fell by 10% over it
                if not e < 0.9 * self.win_err[b]:
                    if self.kicks[b] < ctx.kicks and e > 1e-6:
                        self.kicks[b] += 1
                        self.kick(b)
                        self.win_err[b], self.win_start[b] = np.inf, self.slot_iter[b]
                        continue
                    reason = "stagnated"
                self.win_err[b], self.win_start[b] = e, self.slot_iter[b]
            if reason is None and out_of_time:
                reason = "time_limit"
            if reason is not None:
                cp = _to_cp(s.F, b, ctx.problem.norm)
                e_true = relative_error(cp, ctx.target)
                if tol <= e_true < 1e-3:
                    cp2, e2 = self._polished_cp(b)
                    if e2 < e_true:
                        cp, e_true = cp2, e2
                self.finish(b, e_true, e_true < tol, "converged" if e_true < tol else reason, cp)
                done.append(b)
        if done:
            if ctx.stop_on_success and ctx.first_success < math.inf:
                raise _Stop
            if not out_of_time:  # out of time, every running slot has just been finished
                self.fill(done)

    def finish(self, b: int, error: float, success: bool, reason: str, cp) -> None:
        ctx = self.ctx
        now = time.perf_counter()
        rec = Attempt(index=self.slot_attempt[b], seed=self.seed_of(self.slot_local[b]),
                      success=success, error=float(error), iterations=int(self.slot_iter[b]),
                      seconds=now - self.slot_start[b], reason=reason, method=self.method)
        self.active[b] = False
        self.finished += 1
        self.successes += bool(success)
        tr = self.norm_track[b]
        growth = (tr[-1] / tr[len(tr) // 2] if len(tr) >= 2 and tr[len(tr) // 2] > 0
                  else math.nan)
        ctx.record(rec, cp, growth)


class _Search:
    """The state of one :func:`run`: the problem, the budget, the groups and the results."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.next_attempt = 0
        self.history: list[Attempt] = []
        self.best = {"error": math.inf, "cp": None, "growth": math.nan}
        self.first_success = math.inf
        self.t0 = time.perf_counter()
        self.bar = None

    def out_of_time(self) -> bool:
        return self.time_limit is not None and time.perf_counter() - self.t0 > self.time_limit

    def record(self, rec: Attempt, cp, growth: float) -> None:
        self.history.append(rec)
        if rec.success and self.first_success == math.inf:
            self.first_success = time.perf_counter() - self.t0
        if rec.error < self.best["error"]:
            self.best.update(error=float(rec.error), cp=cp, growth=growth)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(best=f"{self.best['error']:.1e}",
                                 ok=sum(h.success for h in self.history))
        if self.callback is not None and self.callback(rec):
            raise _Stop


def _batch_size(method: str, problem: Problem, stop_on_success: bool) -> int:
    if problem.device.type == "cpu":
        # on CPU the cost per step grows about linearly beyond 2-4 restarts (compute bound, and
        # large batches fall out of cache); 2 reach a first success sooner, 4 give throughput
        return (2 if stop_on_success else 4) if method == "lm" else 16
    return 64 if method == "lm" else 256


def shares(groups: Sequence[_Group]) -> np.ndarray:
    """Time shares of the portfolio: proportional to (successes + 1/2) per second, floored."""
    rate = np.array([(g.successes + 0.5) / max(g.seconds, 1e-3) for g in groups])
    s = rate / rate.sum()
    s = np.maximum(s, SHARE_FLOOR)
    return s / s.sum()


def run(problem: Problem, tensor: object, rank: int, *, method: str | Sequence[str],
        restarts: int, random_state: int, tol: float, batch_size: int | None,
        max_iter: int | None, stop_on_success: bool, time_limit: float | None,
        init: Sequence | None, progress: bool, callback: Callable | None,
        solver_options: dict | None, kicks: int = 4, check_every: int | None = None,
        problem64: Problem | None = None, label: str | None = None) -> CPSearchResult:
    """Run ``restarts`` restarts of the method (or portfolio of methods) ``method``."""
    methods = [method] if isinstance(method, str) else list(method)
    for m in methods:
        if m not in SOLVERS:
            raise WordTensorError(f"unknown method {m!r}: choose one of {sorted(SOLVERS)}")
    P = rank * sum(problem.shape)
    if "lm" in methods and P > MAX_LM_SEARCH_PARAMS:
        raise WordTensorError(
            f"Levenberg-Marquardt needs ({P} x {P}) normal equations per restart at rank {rank}; "
            "use method='als' or 'adam' for a tensor this large")
    # solver_options: keywords for every method, or {method: keywords} for a portfolio
    per_method = (solver_options if solver_options and set(solver_options) <= set(SOLVERS)
                  else {m: solver_options for m in methods})
    import tensorly.cp_tensor  # noqa: F401  (import before the clock starts)

    ctx = _Search(problem=problem, problem64=problem64 or problem, target=Target(tensor),
                  rank=rank, restarts=restarts, random_state=random_state, tol=tol,
                  max_iter=max_iter, stop_on_success=stop_on_success, time_limit=time_limit,
                  init=list(init or []), callback=callback, kicks=int(kicks),
                  check_every=check_every, low_precision=problem.dtype != torch.float64)
    groups = []
    for mi, m in enumerate(methods):
        B = int(batch_size) if batch_size else _batch_size(m, problem, stop_on_success)
        groups.append(_Group(ctx, m, mi, B, per_method.get(m)))
    try:
        from tqdm.auto import tqdm

        ctx.bar = tqdm(total=restarts, desc=f"cp {'+'.join(methods)} rank {rank}",
                       disable=not progress, leave=False)
    except ImportError:  # pragma: no cover
        pass
    # the first restarts go round-robin to the members, none taking more than its batch or
    # an equal part of the restarts; the rest go to whichever frees a slot first
    counts = [0] * len(groups)
    cap = -(-restarts // len(groups))
    for _ in range(min(restarts, sum(min(g.B, cap) for g in groups))):
        i = min((i for i in range(len(groups)) if counts[i] < min(groups[i].B, cap)),
                key=lambda i: counts[i])
        counts[i] += 1
    groups = [g for g, c in zip(groups, counts) if c]
    for g, c in zip(groups, [c for c in counts if c]):
        g.resize(c)
    try:
        for g in groups:
            g.fill(list(range(g.B)))
        while True:
            live = [g for g in groups if g.active.any()]
            if not live:
                break
            if len(live) == 1:
                live[0].advance()
                continue
            sh = shares(live)
            live[int(np.argmin([g.seconds / s for g, s in zip(live, sh)]))].advance()
    except _Stop:
        pass
    finally:
        if ctx.bar is not None:
            ctx.bar.close()

    seconds = time.perf_counter() - ctx.t0
    cp, best = ctx.best["cp"], ctx.best
    if cp is None:  # stopped before any attempt finished: report the best running slot
        g = groups[0]
        err = g.solver.sq_err.detach().cpu().numpy()
        cp = _to_cp(g.solver.F, int(np.nanargmin(err)), problem.norm)
        best.update(error=relative_error(cp, ctx.target), cp=cp)
    history = ctx.history
    return CPSearchResult(
        cp=cp, error=best["error"], success=best["error"] < tol, rank=rank,
        method=label or "+".join(methods), tol=tol, attempts=len(history),
        successes=sum(h.success for h in history), seconds=seconds,
        seconds_to_first=ctx.first_success, history=history,
        symptoms=symptoms(cp, ctx.target.norm, best["growth"]))
