"""Numerical CP (canonical polyadic) decompositions of word tensors, and their exact certificates.

The question "what is the smallest rank at which this tensor decomposes exactly?" is answered by
many random restarts of a local solver, run side by side as one batched tensor program:

* :func:`cp_search` -- restarts at one rank; methods ``"lm"`` (Levenberg-Marquardt, damped
  Gauss-Newton on all factors at once, the standard tool of matrix-multiplication rank
  searches), ``"als"`` (regularised alternating least squares with extrapolation) and ``"adam"``
  (a gradient method), each with a regularisation that decays to exactly zero and a final
  polish, or a portfolio of them (the default ``"auto"``: ALS and LM sharing the time by their
  measured successes per second; for a large structure tensor of a semisimple algebra, such as
  a group algebra, the search block by block, with the block ranks found by search).
  Success is declared only when the relative Frobenius error, recomputed independently in
  float64 from the returned factors against the input, is below ``tol``.
* :func:`cp_rank` -- scans ranks downwards, reporting success rates, best errors and
  border-rank symptoms (diverging or cancelling components).
* :func:`exactify` -- rounds a numerical decomposition to small rationals (after gauge moves
  that sparsify it) and verifies it exactly.
* :func:`algebra_blocks` and :func:`block_search` -- for the structure tensor of a semisimple
  algebra (a group algebra: the word ``xy``), the direct-sum blocks found exactly over Q, and
  the search block by block, mapped back to the tensor's basis and verified there.

Inputs: a dense numpy array or torch tensor (order >= 3), a :class:`~wordtensor.WordTensor`
(its sparse structure is used: MTTKRPs cost ``O(nnz * R)``), or a ``(coords, values, shape)``
triple.  Heavy imports (torch, tensorly) happen on first call.

>>> from wordtensor import word_tensor
>>> res = cp_search(word_tensor("Z3", "xy"), 4, restarts=4, random_state=0)  # R + C: 1 + 3
>>> res.success, res.error < 1e-10
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import WordTensorError
from ._results import Attempt, CPRankResult, CPSearchResult, RankRecord, Symptoms
from ._verify import cp_arrays

if TYPE_CHECKING:
    from ._blocks import AlgebraBlocks
    from ._results import BlockSearchResult

__all__ = [
    "cp_search",
    "cp_rank",
    "exactify",
    "verify_exact",
    "mttkrp",
    "relative_error",
    "cp_arrays",
    "border_symptoms",
    "flattening_bound",
    "auto_methods",
    "algebra_blocks",
    "block_search",
    "AlgebraBlocks",
    "BlockSearchResult",
    "METHODS",
    "CPSearchResult",
    "CPRankResult",
    "RankRecord",
    "Attempt",
    "Symptoms",
    "Certificate",
]

#: The solvers :func:`cp_search` offers (``"auto"`` runs a portfolio of them).
METHODS = ("lm", "als", "adam")

#: ``method="auto"`` adds Levenberg-Marquardt to ALS up to this many parameters (measured).
AUTO_LM_PARAMS = 300


def __getattr__(name: str):
    if name == "Certificate":
        from ._exact import Certificate

        return Certificate
    if name == "AlgebraBlocks":
        from ._blocks import AlgebraBlocks

        return AlgebraBlocks
    if name == "BlockSearchResult":
        from ._results import BlockSearchResult

        return BlockSearchResult
    raise AttributeError(name)


def _pos_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise WordTensorError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _seed(random_state: object) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise WordTensorError(f"random_state must be an int, a numpy Generator or None, "
                          f"got {random_state!r}")


def cp_search(tensor: object, rank: int, *, restarts: int = 20, random_state: object = 0,
              tol: float = 1e-10, method: str = "auto", device: object = "cpu",
              dtype: object = "float64", batch_size: int | None = None,
              max_iter: int | None = None, stop_on_success: bool = True,
              time_limit: float | None = None, init: Sequence | None = None,
              progress: bool = False, callback: Callable | None = None,
              solver_options: dict | None = None, kicks: int = 4,
              threads: int | None = None) -> CPSearchResult:
    """Search for a CP decomposition of ``tensor`` with ``rank`` terms by batched restarts.

    Parameters
    ----------
    tensor : dense array (numpy/torch, order >= 3), :class:`~wordtensor.WordTensor`, or
        ``(coords, values, shape)``.
    rank : number of rank-one terms.
    restarts : number of random starts, shared by the methods of a portfolio (attempt ``j``
        of the first method starts from a seed drawn from
        ``numpy.random.SeedSequence([random_state, j])``, of method number ``m > 0`` from
        ``SeedSequence([random_state, j, m])``; recorded in ``history``).
    tol : success threshold on the relative Frobenius error, verified in float64.
    method : ``"lm"`` (Levenberg-Marquardt, for ``P = rank * sum(shape)`` up to 4000),
        ``"als"`` (alternating least squares with line search) or ``"adam"`` (any size;
        polished by LM or plain ALS at the end); a portfolio such as ``"als+lm"`` or
        ``["als", "lm"]`` (each method keeps its own batch of restarts; the time is shared
        by their measured successes per second, each keeping at least 10%); ``"auto"``
        (default): above ``AUTO_BLOCK_PARAMS`` = 600 unknowns, when ``tensor`` is the structure
        tensor of a semisimple algebra with two or more blocks (:func:`algebra_blocks`; the
        word ``xy`` of a group), block by block: a rank per block found by search (downwards
        from an explicit decomposition, never below a proven floor), the blocks mapped back
        and verified on the whole tensor (``method="auto:blocks"`` and ``block_ranks`` in the
        result; if the block ranks add up to more than ``rank``, the whole tensor is searched
        after them); otherwise the whole-tensor portfolio of :func:`auto_methods` -- ALS and
        LM while ``P`` is at most ``AUTO_LM_PARAMS`` = 300, ALS alone above (measured rules);
        ``"blocks"``: the block path at any size, without the whole-tensor fallback.  On the
        block path ``restarts``, ``time_limit`` (in all), ``callback`` and the solver options
        apply to each block search, and ``random_state`` seeds them all.
    device, dtype : where and in which precision the solver runs (``"cpu"``, ``"cuda"``;
        float64 is needed to reach ``tol = 1e-10``).
    batch_size : restarts each method runs side by side (default on the CPU: 16 for ALS and
        Adam, 2 for LM (4 with ``stop_on_success=False``); on a GPU 256 and 64); finished ones
        are replaced by the next restarts.
    max_iter : iteration budget per restart (default per method).
    stop_on_success : stop at the first verified success (default) or run every restart (to
        measure success rates).
    time_limit : seconds after which running restarts are ended (their best is kept).
    init : decompositions (CPTensors) to use as the first starting points instead of random.
    progress : show a tqdm progress bar over restarts.
    callback : called with each finished :class:`Attempt`; returning True stops the search.
    solver_options : keyword arguments of the solver (e.g. ``{"lam0": 1e-3, "decay": 0.7}``),
        or per method of a portfolio (``{"als": {...}, "lm": {...}}``).
    kicks : how many times a stagnating restart gets its weakest component replaced by the
        best rank-one fit of the residual before it is given up (escapes the local minima where
        components are shared out wrongly among the blocks of a direct sum).
    threads : torch CPU threads during the search (default: 1 for small problems, where
        more threads only add overhead; the previous setting is restored afterwards).

    Returns
    -------
    CPSearchResult
        ``.cp`` (tensorly ``CPTensor``), ``.error``, ``.success``, ``.attempts``, ``.seconds``, ...

    >>> from fusion.algebras import matmul_tensor
    >>> res = cp_search(matmul_tensor(2, 2, 2), 7, restarts=8, random_state=0)
    >>> res.success, res.cp.factors[0].shape
    (True, (4, 7))
    """
    rank = _pos_int("rank", rank)
    restarts = _pos_int("restarts", restarts)
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise WordTensorError(f"tol must be in (0, 1), got {tol!r}")
    methods = _methods(method)
    opts = dict(restarts=restarts, random_state=_seed(random_state), tol=float(tol),
                device=device, dtype=dtype, batch_size=batch_size, max_iter=max_iter,
                stop_on_success=stop_on_success, time_limit=time_limit, progress=progress,
                callback=callback, solver_options=solver_options, kicks=kicks, threads=threads)
    if methods == ["blocks"] or (methods == ["auto"] and init is None):
        from ._auto import block_plan

        B = block_plan(tensor, rank, force=methods == ["blocks"])
        if B is not None:
            from ._auto import by_blocks

            return by_blocks(tensor, rank, B, whole=_whole, fallback=methods == ["auto"], **opts)
        if methods == ["blocks"]:
            raise WordTensorError("method='blocks' needs the structure tensor of a semisimple "
                                  "algebra with at least two blocks (algebra_blocks)")
    return _whole(tensor, rank, methods, init=init, **opts)


def _whole(tensor: object, rank: int, methods: list[str], *, random_state: int, dtype: object,
           device: object, threads: int | None, **options) -> CPSearchResult:
    """Whole-tensor search (``cp_search`` without the block path); ``methods == ["auto"]``
    runs the portfolio of :func:`auto_methods`."""
    import torch

    from ._problem import as_problem
    from ._search import run
    from ._threads import cpu_threads

    if isinstance(dtype, str):
        dtype = getattr(torch, dtype, None)
    problem = as_problem(tensor, device=device, dtype=dtype)
    # the final polish and checks run in float64, built from the input (not from a rounded copy)
    problem64 = (problem if problem.dtype == torch.float64
                 else as_problem(tensor, device=device, dtype=torch.float64))
    P = rank * sum(problem.shape)
    label = None
    if methods == ["auto"]:
        methods, label = auto_methods(P), "auto"
    work = ((P**3 / 3 if "lm" in methods else 0) + problem.nnz * rank * problem.ndim)
    with torch.no_grad(), cpu_threads(threads, problem.device, work):
        return run(problem, tensor, rank, method=methods, random_state=random_state,
                   problem64=problem64, label=label, **options)


def _methods(method: object) -> list[str]:
    """``"auto"``, one method, ``"als+lm"`` or a sequence of methods, as a list."""
    if isinstance(method, str):
        parts = [method] if method in ("auto", "blocks") else method.split("+")
    elif isinstance(method, (list, tuple)) and method and all(isinstance(m, str) for m in method):
        parts = list(method)
    else:
        raise WordTensorError(f"method must be a string or a sequence of strings, got {method!r}")
    if parts not in (["auto"], ["blocks"]):
        bad = [m for m in parts if m not in METHODS]
        if bad or len(set(parts)) != len(parts):
            raise WordTensorError(f"unknown or repeated method in {method!r}: choose auto, blocks, "
                                  f"one of {', '.join(METHODS)}, or a portfolio such as 'als+lm'")
    return parts


def auto_methods(params: int) -> list[str]:
    """The portfolio ``method="auto"`` runs for ``params = rank * sum(shape)`` unknowns.

    ALS with line search always; Levenberg-Marquardt beside it up to ``AUTO_LM_PARAMS``
    unknowns, where it is the fastest on some targets (``<2,2,3>`` at 11: 176 unknowns, LM 5x
    less time per success than ALS; ``H`` at 8: 2-3x) and about even on others.  Above it ALS
    wins everywhere measured (``<2,3,3>`` at 15, 315 unknowns: ALS 5/8 in 4.5 s, LM 2/8 in
    10 s; ``<3,3,3>`` at 23, M2(C) at 21, A4 at 27: LM 0-25% of restarts at 25x the cost per
    iteration).  The driver shares the time by measured successes per second.

    >>> auto_methods(7 * 12), auto_methods(23 * 27)
    (['als', 'lm'], ['als'])
    """
    return ["als", "lm"] if params <= AUTO_LM_PARAMS else ["als"]


def flattening_bound(tensor: object) -> int:
    """The largest rank of a flattening (mode-k unfolding): a lower bound on the CP rank.

    Computed by :func:`wordtensor.linalg.flattening_rank`: exactly over Q when the entries are
    integers (word tensors, matrix multiplication tensors), numerically otherwise.

    >>> from wordtensor import word_tensor
    >>> flattening_bound(word_tensor("S3", "xy"))
    6
    """
    from ._verify import max_flattening_rank

    return max_flattening_rank(tensor)


def cp_rank(tensor: object, max_rank: int, min_rank: int | None = None, *, restarts: int = 20,
            method: str = "auto", random_state: object = 0, tol: float = 1e-10,
            stop_at_failure: bool = True, progress: bool = False, **search_options
            ) -> CPRankResult:
    """Scan ranks from ``max_rank`` down: the smallest rank with an exact decomposition found.

    At each rank every one of ``restarts`` restarts is run (so the success rate is measured;
    ``stop_on_success=True`` makes the scan faster but the rates meaningless), with
    :func:`cp_search`'s other options. The scan stops below ``min_rank`` (default: the
    flattening lower bound, below which no decomposition exists) and, if ``stop_at_failure``, at
    the first rank where no restart succeeds.  Each :class:`RankRecord` carries the success rate,
    best error and the border-rank :class:`Symptoms` of the best attempt (diverging components,
    cancellation) -- a failing rank with small error and degenerate symptoms hints at a border
    rank below the rank.

    >>> from wordtensor import word_tensor
    >>> res = cp_rank(word_tensor("Z2", "xy"), 3, restarts=4)
    >>> res.rank, [r.rank for r in res.records], res.lower_bound
    (2, [3, 2], 2)
    """
    max_rank = _pos_int("max_rank", max_rank)
    lower = flattening_bound(tensor)
    lo = lower if min_rank is None else _pos_int("min_rank", min_rank)
    if lo > max_rank:
        raise WordTensorError(f"min_rank {lo} is above max_rank {max_rank} (the flattening lower "
                              f"bound is {lower})")
    seed = _seed(random_state)
    stop_on_success = bool(search_options.pop("stop_on_success", False))
    records, found, found_cp = [], None, None
    for r in range(max_rank, lo - 1, -1):
        res = cp_search(tensor, r, restarts=restarts, method=method, random_state=seed, tol=tol,
                        stop_on_success=stop_on_success, progress=progress, **search_options)
        best = min((h.error for h in res.history), default=res.error)
        records.append(RankRecord(rank=r, success_rate=res.success_rate, successes=res.successes,
                                  attempts=res.attempts, best_error=best, seconds=res.seconds,
                                  symptoms=res.symptoms))
        if res.success:
            found, found_cp = r, res.cp
        elif stop_at_failure:
            break
    return CPRankResult(records=records, rank=found, cp=found_cp, lower_bound=lower, tol=tol)


def exactify(cp: object, tensor: object, *, max_denominator: int = 12, atol: float = 1e-7,
             time_limit: float = 60.0, seed: int = 0, device: object = "cpu",
             threads: int | None = None):
    """Turn a numerical decomposition into an exactly verified rational one, if possible.

    Rescales each component (gauge), rounds to fractions with denominators up to
    ``max_denominator`` and verifies exactly.  If that fails, it moves along the manifold of
    exact decompositions near the given one (Levenberg-Marquardt on the free entries keeps the
    fit exact): first to a nearby decomposition of least norm, then towards a sparse one
    (reweighted L1; entries that reach 0 are pinned), then pinning entries one at a time to 0,
    +-1, +-2, +-1/2 -- the entry nearest to the value first, the next if the fit breaks --
    rounding and verifying after every pin.  Passes after the first start from a random move
    along the manifold (``seed``); ``time_limit`` seconds in all.  Returns a
    :class:`Certificate` whose ``exact`` says whether the certificate is exact (checked in
    integer arithmetic) or only numerical.  Not every fit has a rational point near it: try
    another fit (:func:`block_search` does, ``exact_tries`` times).  ``cp`` may also be a
    :class:`CPSearchResult` of :func:`cp_search`: one found block by block (``method ==
    "auto:blocks"``) is exactified block by block (``time_limit`` per block type), mapped back
    and verified on ``tensor`` (its zero components dropped); another, through its ``cp``.

    >>> import numpy as np
    >>> from fusion.algebras import strassen, matmul_tensor
    >>> w, (A, B, C) = strassen()
    >>> c = exactify((w, [A * 3.0, B / 7.0, C * 7.0 / 3.0]), matmul_tensor(2, 2, 2))
    >>> c.exact, c.nnz
    (True, 36)
    """
    import torch

    from ._exact import exactify as _exactify
    from ._threads import cpu_threads

    if isinstance(cp, CPSearchResult):
        if cp.method == "auto:blocks" and cp.success:
            from ._blocks import exactify_blocks

            def each(c, T, time_limit):
                return exactify(c, T, max_denominator=max_denominator, atol=atol,
                                time_limit=time_limit, seed=seed, device=device,
                                threads=threads)

            return exactify_blocks(cp, tensor, exactify=each, time_limit=time_limit)
        cp = cp.cp
    with torch.no_grad(), cpu_threads(threads, torch.device(device), 0.0):
        return _exactify(cp, tensor, max_denominator=max_denominator, atol=atol,
                         time_limit=time_limit, seed=seed, device=device)


def verify_exact(fractions: list, tensor: object) -> bool:
    """Whether rational factors (arrays of Fractions/ints, unit weights) reconstruct ``tensor``
    exactly (integer arithmetic).

    >>> from fusion.algebras import strassen, matmul_tensor
    >>> w, F = strassen()
    >>> verify_exact([f.astype(int).astype(object) for f in F], matmul_tensor(2, 2, 2))
    True
    """
    from ._exact import verify_exact as _verify_exact

    return _verify_exact(fractions, tensor)


def mttkrp(tensor: object, factors: Sequence, mode: int):
    """The MTTKRP ``M[i, r] = sum_{idx: idx_mode = i} T[idx] prod_{k != mode} F_k[idx_k, r]``
    (the ``factors[mode]`` entry is ignored), sparse for word tensors and COO input.

    Returns a numpy array, or a torch tensor if the factors are torch tensors.

    >>> import numpy as np
    >>> from wordtensor import word_tensor
    >>> F = [np.ones((6, 2))] * 3
    >>> mttkrp(word_tensor("S3", "xy"), F, 2)[:, 0]    # every product is hit 6 times
    array([6., 6., 6., 6., 6., 6.])
    """
    import torch

    from ._problem import as_problem

    is_torch = isinstance(factors[0], torch.Tensor)
    problem = as_problem(tensor)
    if not 0 <= mode < problem.ndim:
        raise WordTensorError(f"mode must be in 0..{problem.ndim - 1}, got {mode}")
    if len(factors) != problem.ndim:
        raise WordTensorError(f"need {problem.ndim} factors, got {len(factors)}")
    Fs = [torch.as_tensor(np.asarray(f) if not isinstance(f, torch.Tensor) else f.detach().cpu(),
                          dtype=torch.float64) for f in factors]
    R = Fs[0].shape[1]
    for k, f in enumerate(Fs):
        if f.ndim != 2 or f.shape != (problem.shape[k], R):
            raise WordTensorError(f"factor {k} has shape {tuple(f.shape)}, expected "
                                  f"({problem.shape[k]}, {R})")
    with torch.no_grad():
        M = problem.mttkrp([f[None] for f in Fs], mode)[0] * problem.norm
    return M if is_torch else M.numpy()


def relative_error(cp: object, tensor: object) -> float:
    """Relative Frobenius error of a CP decomposition against ``tensor``, in float64,
    independent of the solvers.

    >>> from fusion.algebras import strassen, matmul_tensor
    >>> relative_error(strassen(), matmul_tensor(2, 2, 2))
    0.0
    """
    from ._verify import relative_error as _relative_error

    return _relative_error(cp, tensor)


def border_symptoms(cp: object, tensor: object) -> Symptoms:
    """Border-rank :class:`Symptoms` of ``cp`` against ``tensor`` (component sizes, cancellation,
    opposite pairs).

    >>> from fusion.algebras import strassen, matmul_tensor
    >>> border_symptoms(strassen(), matmul_tensor(2, 2, 2)).degenerate
    False
    """
    from ._verify import Target, symptoms

    return symptoms(cp, Target(tensor).norm)



def algebra_blocks(tensor: object, *, seed: int = 0) -> AlgebraBlocks:
    """The direct-sum blocks of the structure tensor of a semisimple algebra over Q
    (``tensor[a, b, c]``: coefficient of ``e_c`` in ``e_a e_b``), found exactly: the ideals
    ``A e_i`` of the central idempotents, with small integer bases.  See
    :class:`AlgebraBlocks`.

    >>> from wordtensor import word_tensor
    >>> B = algebra_blocks(word_tensor("S4", "xy"))   # Q + Q + M_2(Q) + M_3(Q) + M_3(Q)
    >>> B.sizes, B.tensors[3].shape
    ((1, 1, 4, 9, 9), (9, 9, 9))
    """
    from ._blocks import algebra_blocks as _algebra_blocks

    return _algebra_blocks(tensor, seed=seed)


def block_search(tensor: object, ranks: Sequence[int], *, blocks: AlgebraBlocks | None = None,
                 exact: bool = False, exact_time_limit: float = 60.0, exact_tries: int = 3,
                 tol: float = 1e-10, random_state: int = 0, **search_options
                 ) -> BlockSearchResult:
    """CP search block by block on the structure tensor of a semisimple algebra.

    ``ranks`` gives one rank per block of :func:`algebra_blocks` (in its order).  Each block is
    searched by :func:`cp_search` (with ``search_options``) in coordinates orthonormal for the
    tensor's inner product -- for a group algebra an orthogonal image of ``<d,d,d>``, where the
    solvers do as well as on the matrix multiplication tensor -- and the blocks are mapped back
    and verified against the whole tensor in its own basis.  With ``exact=True`` every block is
    also exactified (``exact_time_limit`` seconds each; up to ``exact_tries`` fresh fits per
    block), and the rational factors are mapped back and verified in integer arithmetic.

    >>> from wordtensor import word_tensor
    >>> res = block_search(word_tensor("S3", "xy"), [1, 1, 7], restarts=8, exact=True)
    >>> res.success, res.rank, res.certificate.exact
    (True, 9, True)
    """
    import torch

    from ._blocks import block_search as _block_search

    with torch.no_grad():
        return _block_search(tensor, ranks, cp_search=cp_search, exactify=exactify,
                             blocks=blocks, exact=exact,
                             exact_time_limit=exact_time_limit, exact_tries=exact_tries,
                             tol=tol, random_state=_seed(random_state), **search_options)
