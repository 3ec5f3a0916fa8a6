"""``method="auto"`` on the structure tensor of a semisimple algebra: the rank shared out over
its direct-sum blocks by search.

A large structure tensor (a group algebra of order 24: 24^3 entries, rank 55) defeats
whole-tensor search from random starts, while its Wedderburn blocks (``<3,3,3>`` in the basis of
matrix units, ...) are found by it.  :func:`algebra_blocks` finds the blocks exactly from the
tensor alone; this module finds a rank for every block, by search, so that the ranks add up to
at most the rank asked for:

* every block type (blocks with the same tensor are searched once) starts at a safe upper
  bound with an explicit decomposition -- the fewest non-zero fibres of its integer tensor
  along one mode (``d^3`` for ``<d,d,d>``, at most ``m^2`` for a block of dimension ``m``) --
  and a floor that is a theorem: the larger of its flattening rank and the Alder-Strassen bound
  ``2 m - t`` (``m`` its dimension, ``t`` the simple components of the block over R, counted
  from the real roots of a generator of its centre: 7 for ``M_2``, 17 for ``M_3``, 3 for
  ``Q(w)``, whose real form is C);
* while the ranks add up to more than asked, the block type that is cheapest to search
  (fewest unknowns) is searched at its share of the gap below its rank (the gap spread over
  the blocks that can still move; never below its floor): from random starts the ranks above
  need no search.  A failure raises its floor, and later probes of that type bisect between
  the floor and the last success;
* the blocks' decompositions are mapped back to the tensor's basis, padded with zero
  components up to ``rank``, and verified against the whole tensor in its own basis.

Nothing is looked up: every rank below the explicit upper bound is a search result, from random
starts, of the tensor's own blocks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import WordTensorError
from ._blocks import AlgebraBlocks, algebra_blocks, search_tensor
from ._results import Attempt, CPSearchResult
from ._verify import Target, cp_arrays, max_flattening_rank, relative_error, symptoms

#: ``method="auto"`` searches block by block above this many unknowns ``rank * sum(shape)``
#: (when the tensor has at least two blocks); whole-tensor search at or below it (measured).
AUTO_BLOCK_PARAMS = 600


def block_plan(tensor: object, rank: int, *, force: bool = False) -> AlgebraBlocks | None:
    """The blocks ``method="auto"`` searches on (at least two), or None for whole-tensor search.

    None unless ``tensor`` is a cube with integer entries that is the structure tensor of a
    semisimple algebra (:func:`algebra_blocks` succeeds) and, unless ``force``, ``rank *
    sum(shape)`` is above ``AUTO_BLOCK_PARAMS``.  Cheap: shape and size are checked first, and
    :func:`algebra_blocks` fails within milliseconds on tensors that are not structure tensors.

    >>> from wordtensor import word_tensor
    >>> block_plan(word_tensor("S4", "xy"), 55).sizes, block_plan(word_tensor("S3", "xy"), 9)
    ((1, 1, 4, 9, 9), None)
    """
    if isinstance(tensor, tuple) and len(tensor) == 3:  # (coords, values, shape)
        shape = tuple(np.asarray(tensor[2]).reshape(-1).tolist())
    else:
        shape = tuple(getattr(tensor, "shape", np.shape(tensor)))
    if len(shape) != 3 or len(set(shape)) != 1:
        return None
    if not force and rank * sum(shape) <= AUTO_BLOCK_PARAMS:
        return None
    try:
        B = algebra_blocks(tensor, min_blocks=2)
    except (WordTensorError, ValueError, TypeError):
        # not an integer structure tensor of a semisimple algebra (or not a valid tensor at
        # all: whole-tensor search then says why)
        return None
    return B if len(B) >= 2 else None


def _fibre_decomposition(T: np.ndarray) -> list[np.ndarray]:
    """An explicit decomposition of ``T`` with one component per non-zero fibre along the mode
    that has the fewest: ``T = sum_{a,b} e_a (x) e_b (x) T[a, b, :]`` and its rotations."""
    n0, n1, n2 = T.shape
    counts = [np.count_nonzero(np.any(T != 0, axis=k)) for k in range(3)]
    k = int(np.argmin(counts))
    rest = [j for j in range(3) if j != k]
    idx = np.argwhere(np.any(T != 0, axis=k))  # pairs (i, j) over the two other modes
    F = [None, None, None]
    for pos, j in enumerate(rest):
        E = np.zeros((T.shape[j], len(idx)))
        E[idx[:, pos], np.arange(len(idx))] = 1.0
        F[j] = E
    fib = np.moveaxis(T, k, -1)[idx[:, 0], idx[:, 1], :]  # (R, dim_k)
    F[k] = fib.T.astype(np.float64)
    return F


def _real_roots(p) -> int:
    """The number of distinct real roots of a squarefree rational polynomial (Sturm)."""
    import flint

    seq = [flint.fmpq_poly(p), flint.fmpq_poly(p).derivative()]
    while seq[-1].degree() > 0:
        seq.append(-(seq[-2] % seq[-1]))

    def changes(at_plus: bool) -> int:
        signs = [int(q[q.degree()] > 0) * 2 - 1 for q in seq if q.degree() >= 0]
        if not at_plus:
            signs = [s * (-1) ** q.degree() for s, q in zip(signs, seq)]
        return sum(a != b for a, b in zip(signs, signs[1:]))

    return changes(False) - changes(True)


def _components_over_r(Ti: np.ndarray, centre: list[list[int]], tries: int = 8) -> int:
    """An upper bound on the simple components of ``A (x) R`` (semisimple ``A``): ``dim Z``,
    or exactly ``(k + real roots) / 2`` when a central ``z`` with a minimal polynomial of
    degree ``k = dim Z`` is found (``Z = Q[x]/(m_z)``, ``Z (x) R = R^r1 x C^r2``)."""
    import flint

    k = len(centre)
    rng = np.random.default_rng(0)
    left = Ti.transpose(0, 2, 1)
    for _ in range(tries):
        coef = rng.integers(-9, 10, size=k).astype(object)
        z = np.array(centre, dtype=object).T.dot(coef)
        mp = flint.fmpz_mat(np.tensordot(z, left, axes=(0, 0)).tolist()).minpoly()
        if mp.degree() == k:
            return (k + _real_roots(mp)) // 2
    return k


def _alder_strassen(T: np.ndarray) -> int:
    """``2 m - t`` if ``T`` (integer, ``m x m x m``) is the structure tensor of an associative
    algebra whose trace form ``tr(L_a L_b)`` is non-degenerate (a semisimple algebra), else 0.
    Alder-Strassen: ``rank >= 2 dim A - t(A)`` for every associative algebra, ``t(A)`` its
    maximal two-sided ideals: over R, the simple components of ``A (x) R``, one per real root
    and per pair of complex roots of a generator of the centre (at most ``dim Z``)."""
    import flint

    from ._blocks import _kernel_rows

    m = T.shape[0]
    Ti = np.rint(T).astype(np.int64).astype(object)
    # (e_a e_b) e_c = e_a (e_b e_c)
    if np.any(np.tensordot(Ti, Ti, axes=(2, 0)) != np.tensordot(Ti, Ti, axes=(1, 2))
              .transpose(0, 2, 3, 1)):
        return 0
    left = Ti.transpose(0, 2, 1)  # left[a][c, b]: the matrix of x -> e_a x
    gram = np.einsum("aij,bji->ab", left, left)
    if flint.fmpz_mat(gram.tolist()).det() == 0:
        return 0
    C = (Ti - Ti.transpose(1, 0, 2)).transpose(1, 2, 0).reshape(m * m, m)
    centre = _kernel_rows(flint.fmpz_mat(C.tolist()))
    return 2 * m - _components_over_r(Ti, centre)


@dataclass
class _Type:
    """A block type: the blocks with one tensor, its bounds and its best decomposition."""

    blocks: list[int]
    X: np.ndarray  # the tensor searched (orthonormal coordinates)
    L: np.ndarray
    LiT: np.ndarray
    lo: int  # no rank below is tried (the floor, or a failure + 1)
    flat: int  # the flattening rank ...
    strassen: int  # ... and the Alder-Strassen bound (0 if it does not apply)
    hi: int  # the smallest rank found (explicit bound at first)
    cp: list[np.ndarray]  # factors at rank hi, in the block's integer basis
    failed: bool = False

    @property
    def cost(self) -> int:
        return self.hi * sum(self.X.shape)


def _types(B: AlgebraBlocks) -> list[_Type]:
    types: dict[bytes, _Type] = {}
    for i in range(len(B)):
        T = np.asarray(B.tensors[i], dtype=np.float64)
        span = B._spans()[i]
        gram = np.array(B.basis[:, span], dtype=np.float64)
        gram = gram.T @ gram
        # blocks in matrix units are searched as they are; the others in orthonormal
        # coordinates, which depend on the block's basis too
        split = bool(B.split and B.split[i])
        key = T.tobytes() + (b"units" if split else np.round(gram, 12).tobytes())
        if key in types:
            types[key].blocks.append(i)
            continue
        X, L, LiT = search_tensor(B, i)
        F = _fibre_decomposition(T)
        flat, strassen = max_flattening_rank(T), _alder_strassen(T)
        types[key] = _Type([i], X, L, LiT, lo=max(flat, strassen), flat=flat,
                           strassen=strassen, hi=F[0].shape[1], cp=F)
    return list(types.values())


def by_blocks(tensor: object, rank: int, blocks: AlgebraBlocks, *, whole: Callable,
              fallback: bool, **opts) -> CPSearchResult:
    """The block path of :func:`~wordtensor.cp.cp_search`: :func:`search_blocks` with the
    whole-tensor search ``whole(tensor, rank, methods, init=..., **opts)`` run on each block
    (``methods=["auto"]``); with ``fallback``, a failure is followed by whole-tensor search of
    ``tensor`` (in the time left), unless no decomposition exists, the time is up or the
    callback stopped the search."""
    from functools import partial

    t0 = time.perf_counter()
    per_block = {k: v for k, v in opts.items()
                 if k not in ("restarts", "random_state", "tol", "time_limit", "callback")}
    res, final = search_blocks(
        tensor, rank, blocks, search=partial(whole, methods=["auto"], init=None),
        restarts=opts["restarts"], random_state=opts["random_state"], tol=opts["tol"],
        time_limit=opts["time_limit"], callback=opts["callback"], **per_block)
    if res.success or not fallback or final:
        return res
    if opts["time_limit"] is not None:
        opts["time_limit"] = max(opts["time_limit"] - (time.perf_counter() - t0), 0.0)
    out = whole(tensor, rank, ["auto"], init=None, **opts)
    out.history = res.history + out.history
    out.attempts = len(out.history)
    out.seconds = time.perf_counter() - t0
    if out.success:
        out.seconds_to_first += res.seconds
    out.block_ranks, out.blocks = res.block_ranks, res.blocks
    out.note = res.note + "; then the whole tensor was searched"
    return out


def search_blocks(tensor: object, rank: int, blocks: AlgebraBlocks, *, search: Callable,
                  restarts: int, random_state: int, tol: float, time_limit: float | None,
                  callback: Callable | None, **options) -> tuple[CPSearchResult, bool]:
    """Allocate ``rank`` over ``blocks`` by search (see the module) with ``search`` (a
    whole-tensor :func:`~wordtensor.cp.cp_search`, given ``options``), and return the
    decomposition of ``tensor`` if the found block ranks add up to at most ``rank``.

    On failure the result has ``success=False``, the zero decomposition (error 1), the smallest
    block ranks found in ``block_ranks`` and a ``note`` saying why.  The flag returned with it
    says whether the search should end there: ``rank`` is below a lower bound (no
    decomposition exists), the time is up or the callback stopped it."""
    t0 = time.perf_counter()
    target = Target(tensor)
    types = _types(blocks)
    history: list[Attempt] = []
    stopped = []

    def cb(rec: Attempt) -> bool:
        if callback is not None and callback(rec):
            stopped.append(True)
            return True
        return False

    def excess() -> int:
        return sum(len(t.blocks) * t.hi for t in types) - rank

    # lower bounds on the rank of the whole tensor: flattening ranks add over a direct sum, and
    # Alder-Strassen holds for the whole algebra (when it holds for every block)
    bound = max(sum(len(t.blocks) * t.flat for t in types),
                sum(len(t.blocks) * t.strassen for t in types)
                if all(t.strassen for t in types) else 0)
    note = ""
    if rank < bound:
        note = (f"rank {rank} is below the lower bound {bound} (flattening rank, "
                f"Alder-Strassen) "
                f"of the algebra with blocks {blocks.sizes}: no decomposition exists")
    while not note and excess() > 0:
        live = [t for t in types if t.hi > t.lo]
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if not live or (left is not None and left <= 0) or stopped:
            break
        t = min(live, key=lambda t: (t.cost, t.blocks[0]))
        # this type's share of the gap: the gap spread over every block that can still move
        need = -(-excess() // sum(len(u.blocks) for u in live))
        if t.failed:  # bisect between the floor and the last success
            r = max((t.lo + t.hi) // 2, t.hi - need)
        else:  # straight to its share (random starts do not need the ranks above)
            r = max(t.lo, t.hi - need)
        seed = int(np.random.SeedSequence([int(random_state), t.blocks[0], r])
                   .generate_state(1)[0] % 2**31)
        # blocks are held to tol / 100: their errors add up, unevenly, in the tensor's basis
        res = search(t.X, r, restarts=restarts, random_state=seed, tol=tol / 100,
                     time_limit=left, callback=cb, **options)
        history += [Attempt(h.index, h.seed, h.success, h.error, h.iterations, h.seconds,
                            h.reason, f"{h.method} (blocks {t.blocks} @ {r})")
                    for h in res.history]
        if res.success:
            w, F = cp_arrays(res.cp)
            t.hi, t.cp = r, [t.L @ (F[0] * w), t.L @ F[1], t.LiT @ F[2]]
        else:
            t.lo, t.failed = r + 1, True
    ranks = [0] * len(blocks)
    cps: list[object] = [None] * len(blocks)
    for t in types:
        for i in t.blocks:
            ranks[i], cps[i] = t.hi, (np.ones(t.hi), t.cp)
    cp = blocks.to_tensor_basis(cps)
    found = sum(ranks)
    if found < rank:  # pad with zero components
        w, F = cp_arrays(cp)
        F = [np.concatenate([f, np.zeros((f.shape[0], rank - found))], axis=1) for f in F]
        cp = type(cp)((np.ones(rank), F))
    error = relative_error(cp, target)
    success = found <= rank and error < tol
    out_of_time = time_limit is not None and time.perf_counter() - t0 >= time_limit
    if not note and found > rank:
        why = ("time limit reached" if out_of_time else
               "stopped by the callback" if stopped else
               "no smaller block rank found")
        note = (f"blocks {blocks.sizes} found at ranks {ranks} = {found} > {rank} "
                f"({why})")
    elif not note and not success:
        note = f"the blocks mapped back have relative error {error:.3g} (not below {tol:g})"
    if found > rank:  # nothing of rank ``rank``: the zero decomposition (error 1)
        w, F = cp_arrays(cp)
        cp = type(cp)((np.ones(rank), [np.zeros((f.shape[0], rank)) for f in F]))
        error = relative_error(cp, target)
    elapsed = time.perf_counter() - t0
    return CPSearchResult(
        cp=cp, error=error, success=success, rank=rank, method="auto:blocks", tol=tol,
        attempts=len(history), successes=int(success), seconds=elapsed,
        seconds_to_first=elapsed if success else math.inf, history=history,
        symptoms=symptoms(cp, target.norm),
        block_ranks=tuple(ranks), blocks=blocks, note=note), (
            rank < bound or out_of_time or bool(stopped))
