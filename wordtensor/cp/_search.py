"""The restart pool: many restarts as one batched tensor program.

A batch of ``batch_size`` slots runs one solver; every ``check_every`` steps the driver looks at
each slot's error, verifies candidates independently (float64, against the original input),
ends attempts that converged, stagnated or ran out of iterations, and re-seeds the freed slots
with the next restarts.  Attempt ``i`` always starts from the same random factors (a seed drawn
from ``SeedSequence([random_state, i])``), whatever the batch size.
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
from ._solvers import SOLVERS, LevenbergMarquardt, init_factors
from ._verify import Target, cp_arrays, relative_error, symptoms

#: Default settings per method: iteration budget, stagnation window, solver keywords.
DEFAULTS: dict[str, dict] = {
    "lm": {"max_iter": 400, "window": 10, "check_every": 5,
           "solver": {"lam0": 1e-3, "decay": 0.8, "coupled": 1.0}},
    "als": {"max_iter": 3000, "window": 40, "check_every": 20,
            "solver": {"lam0": 1e-2, "decay": 0.95, "coupled": 1.0}},
    "adam": {"max_iter": 6000, "window": 200, "check_every": 20, "solver": {"lr": 0.05, "coupled": 1.0}},
}

#: First-order methods hand a restart to the Gauss-Newton polish below this relative error.
POLISH_AT = 1e-5

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


def run(problem: Problem, tensor: object, rank: int, *, method: str, restarts: int,
        random_state: int, tol: float, batch_size: int | None, max_iter: int | None,
        stop_on_success: bool, time_limit: float | None, init: Sequence | None,
        progress: bool, callback: Callable | None, solver_options: dict | None,
        kicks: int = 4, check_every: int | None = None,
        problem64: Problem | None = None) -> CPSearchResult:
    if method not in SOLVERS:
        raise WordTensorError(f"unknown method {method!r}: choose one of {sorted(SOLVERS)}")
    P = rank * sum(problem.shape)
    if method == "lm" and P > MAX_LM_SEARCH_PARAMS:
        raise WordTensorError(
            f"Levenberg-Marquardt needs ({P} x {P}) normal equations per restart at rank {rank}; "
            "use method='als' or 'adam' for a tensor this large")
    cfg = DEFAULTS[method]
    max_iter = cfg["max_iter"] if max_iter is None else int(max_iter)
    window = max(5, min(cfg["window"], max_iter // 4))
    check_every = check_every or cfg["check_every"]
    init = list(init or [])
    if batch_size:
        B = int(batch_size)
    elif problem.device.type == "cpu":
        # on CPU the cost per step grows about linearly beyond 2-4 restarts (compute bound, and
        # large batches fall out of cache); 2 reach a first success sooner, 4 give throughput
        B = (2 if stop_on_success else 4) if method == "lm" else 16
    else:
        B = 64 if method == "lm" else 256
    B = max(1, min(B, restarts))
    target = Target(tensor)
    low_precision = problem.dtype != torch.float64
    if problem64 is None:
        problem64 = problem
    import tensorly.cp_tensor  # noqa: F401  (import before the clock starts)

    def seed_of(i: int) -> int:
        # independent streams per (random_state, attempt): different random_states never share
        # starting points, and attempt i starts alike whatever the batch size
        return int(np.random.SeedSequence([int(random_state), i]).generate_state(1)[0])

    def factors_for(attempts: list[int]) -> list[torch.Tensor]:
        per = []
        for i in attempts:
            if i < len(init):
                per.append(_init_from_cp(init[i], problem))
            else:
                g = torch.Generator().manual_seed(seed_of(i))
                per.append(init_factors(problem, rank, 1, g))
        return [torch.cat([p[k] for p in per], 0) for k in range(problem.ndim)]

    t0 = time.perf_counter()
    slot_attempt = list(range(B))
    next_attempt = B
    solver = SOLVERS[method](problem, factors_for(slot_attempt), **{**cfg["solver"],
                                                                     **(solver_options or {})})
    slot_iter = np.zeros(B, dtype=np.int64)
    slot_start = np.full(B, t0)
    active = np.ones(B, dtype=bool)
    win_err = np.full(B, np.inf)  # error at the start of the current stagnation window
    norm_track: list[list[float]] = [[] for _ in range(B)]
    history: list[Attempt] = []
    best = {"error": math.inf, "cp": None, "growth": math.nan}
    first_success = math.inf

    try:
        from tqdm.auto import tqdm
        bar = tqdm(total=restarts, desc=f"cp {method} rank {rank}", disable=not progress,
                   leave=False)
    except ImportError:  # pragma: no cover
        bar = None

    def finish(b: int, error: float, success: bool, reason: str, cp) -> None:
        nonlocal first_success
        now = time.perf_counter()
        rec = Attempt(index=slot_attempt[b], seed=seed_of(slot_attempt[b]), success=success,
                      error=float(error), iterations=int(slot_iter[b]),
                      seconds=now - slot_start[b], reason=reason)
        history.append(rec)
        if success and first_success == math.inf:
            first_success = now - t0
        if error < best["error"]:
            tr = norm_track[b]
            growth = tr[-1] / tr[len(tr) // 2] if len(tr) >= 2 and tr[len(tr) // 2] > 0 else math.nan
            best.update(error=float(error), cp=cp, growth=growth)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(best=f"{best['error']:.1e}", ok=sum(h.success for h in history))
        if callback is not None and callback(rec):
            raise _Stop

    max_kicks = int(kicks)
    kick_count = np.zeros(B, dtype=np.int64)
    polished = np.zeros(B, dtype=bool)
    next_verify = np.zeros(B, dtype=np.int64)

    def kick_slot(b: int) -> None:
        mask = np.zeros(B, dtype=bool)
        mask[b] = True
        new = [F.clone() for F in solver.F]
        gen = torch.Generator().manual_seed(seed_of(slot_attempt[b]) * 101 + int(kick_count[b]))
        fb = replace_weakest(problem, [F[b] for F in solver.F], gen)
        for k in range(problem.ndim):
            new[k][b] = fb[k]
        solver.reset(torch.as_tensor(mask, device=problem.device), new)

    step = 0
    try:
        while active.any():
            solver.step()
            step += 1
            slot_iter[active] += 1
            if step % check_every and not (slot_iter[active] >= max_iter).any():
                continue
            err = solver.sq_err.detach().to("cpu", torch.float64).clamp_min(0).sqrt().numpy()
            err = np.where(np.isfinite(err), err, np.inf)
            with torch.no_grad():
                cn = torch.stack([torch.linalg.vector_norm(F, dim=1) for F in solver.F]).prod(0)
                cn = cn.amax(1).to("cpu", torch.float64).numpy()
            out_of_time = time_limit is not None and time.perf_counter() - t0 > time_limit
            done = []
            for b in np.flatnonzero(active):
                norm_track[b].append(float(cn[b]))
                e = err[b]
                reason = None
                if e < max(tol, 1e-7) * 0.5 and slot_iter[b] >= next_verify[b]:
                    cp = _to_cp(solver.F, b, problem.norm)
                    e_true = relative_error(cp, target)
                    if e_true < tol:
                        finish(b, e_true, True, "converged", cp)
                        done.append(b)
                        continue
                    # the solver's own error estimate is optimistic here (Gram form at its
                    # floor): verify again only after a while
                    next_verify[b] = slot_iter[b] + window
                if (method != "lm" or low_precision) and e < POLISH_AT and not polished[b]:
                    # first-order methods crawl near the end, and float32 stops short of
                    # 1e-10: finish with Gauss-Newton in float64
                    polished[b] = True
                    pf = polish(problem64, [F[b:b + 1].to(torch.float64) for F in solver.F])
                    cp = _to_cp(pf, 0, problem.norm)
                    e_true = relative_error(cp, target)
                    if e_true < tol:
                        finish(b, e_true, True, "converged", cp)
                        done.append(b)
                        continue
                if slot_iter[b] >= max_iter:
                    reason = "max_iter"
                elif slot_iter[b] % window < check_every and slot_iter[b] >= window:
                    if not e < 0.9 * win_err[b]:
                        if kick_count[b] < max_kicks and e > 1e-6:
                            kick_count[b] += 1
                            kick_slot(b)
                            win_err[b] = np.inf
                            continue
                        reason = "stagnated"
                    win_err[b] = e
                if reason is None and out_of_time:
                    reason = "time_limit"
                if reason is not None:
                    cp = _to_cp(solver.F, b, problem.norm)
                    e_true = relative_error(cp, target)
                    if e_true < 1e-3 and e_true >= tol:
                        pf = polish(problem64, [F[b:b + 1].to(torch.float64) for F in solver.F])
                        cp2 = _to_cp(pf, 0, problem.norm)
                        e2 = relative_error(cp2, target)
                        if e2 < e_true:
                            cp, e_true = cp2, e2
                    finish(b, e_true, e_true < tol, "converged" if e_true < tol else reason, cp)
                    done.append(b)
            if done:
                if stop_on_success and first_success < math.inf:
                    break
                if out_of_time:
                    active[:] = False
                    break
                fresh = []
                for b in done:
                    if next_attempt < restarts:
                        slot_attempt[b] = next_attempt
                        next_attempt += 1
                        fresh.append(b)
                    else:
                        active[b] = False
                if fresh:
                    mask = np.zeros(B, dtype=bool)
                    mask[fresh] = True
                    new = [F.clone() for F in solver.F]
                    fs = factors_for([slot_attempt[b] for b in fresh])
                    for k in range(problem.ndim):
                        new[k][torch.as_tensor(fresh)] = fs[k]
                    solver.reset(torch.as_tensor(mask, device=problem.device), new)
                    for b in fresh:
                        slot_iter[b] = 0
                        slot_start[b] = time.perf_counter()
                        win_err[b] = np.inf
                        kick_count[b] = 0
                        polished[b] = False
                        next_verify[b] = 0
                        norm_track[b] = []
    except _Stop:
        pass
    finally:
        if bar is not None:
            bar.close()

    seconds = time.perf_counter() - t0
    cp = best["cp"]
    if cp is None:  # stopped before any attempt finished: report the best running slot
        err = solver.sq_err.detach().cpu().numpy()
        b = int(np.nanargmin(err))
        cp = _to_cp(solver.F, b, problem.norm)
        best.update(error=relative_error(cp, target), cp=cp)
    successes = sum(h.success for h in history)
    return CPSearchResult(
        cp=cp, error=best["error"], success=best["error"] < tol, rank=rank, method=method,
        tol=tol, attempts=len(history), successes=successes, seconds=seconds,
        seconds_to_first=first_success, history=history,
        symptoms=symptoms(cp, target.norm, best["growth"]))


def replace_weakest(problem: Problem, F: list[torch.Tensor], gen: torch.Generator
                    ) -> list[torch.Tensor]:
    """A kick out of a local minimum: the weakest component is replaced by the best rank-one
    approximation of the residual it leaves (higher-order power iterations through MTTKRPs)."""
    N = len(F)
    R = F[0].shape[1]
    norms = torch.stack([torch.linalg.vector_norm(f, dim=0) for f in F]).prod(0)
    j = int(torch.argmin(norms))
    keep = [k for k in range(R) if k != j]
    G = [f[:, keep] for f in F]
    u = [torch.randn(f.shape[0], generator=gen, dtype=torch.float64).to(f) for f in F]
    u = [x / torch.linalg.vector_norm(x) for x in u]
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
    lam = nrm
    out = [f.clone() for f in F]
    for k in range(N):
        out[k][:, j] = u[k] * lam ** (1.0 / N)
    return out


class _Stop(Exception):
    pass
