"""Lower bounds on the rank of a word tensor: every applicable theorem (lower_bounds), the best one.

Every bound is a :class:`~fusion.ranks.bound.LowerBound` (value, method, reference, detail):

* ``flattening``: the rank of every flattening of δ, for every grouping of its k + 1 modes into
  two sides, exact over Q (:func:`wordtensor.linalg.flattening_rank`);
* ``alder-strassen`` and ``minimal-rank+1`` for xy and the tensors that are xy with relabelled
  inputs (:mod:`fusion.ranks.minimal_rank`, :mod:`fusion.ranks.relabel`);
* ``restriction: …``: the bounds of R[H] inside a separated word u(x)·v(y), and for k ≥ 3 the
  bounds of the word with one variable set to 1 (:mod:`fusion.ranks.restriction`);
* ``koszul-young``: Koszul–Young flattenings, exact (:mod:`fusion.ranks.koszul`).

The bound of a box (:func:`box_lower_bound`) is numerical: a measurement on a Fourier block.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from wordtensor import WordTensor, word_tensor
from wordtensor.errors import WordTensorError
from wordtensor.linalg import PRIME, flattening_rank, rank_mod_p, unfold

from ..decompose import TripletDecomposition, is_multiplication
from .bound import REFERENCES, LowerBound, best_lower_bound
from .koszul import MAX_DIM, koszul_young_bounds
from .minimal_rank import alder_strassen_bound, group_algebra_bounds  # noqa: F401 (re-exported)
from .relabel import multiplication_equivalence
from .restriction import separated_restriction_bounds, substituted_word

__all__ = ["lower_bounds", "lower_bound", "box_lower_bound", "flattening_bounds"]

#: Past this many rows and columns a flattening's distinct rows and columns are taken first,
#: and if they are still more, the rank of a random integer sketch L·U·R.
_DEDUP_SIDE = 2000
#: The sketch L·U·R is _SKETCH_WIDTH × _SKETCH_WIDTH; it costs at most _MAX_SKETCH_WORK.
_SKETCH_WIDTH = 1200
_MAX_SKETCH_WORK = 10**10


def _groupings(d: int) -> list[tuple[int, ...]]:
    """One side of every split of d modes into two non-empty sides, up to swapping."""
    out = []
    for size in range(1, d // 2 + 1):
        for c in itertools.combinations(range(d), size):
            if not (size * 2 == d and 0 not in c):
                out.append(c)
    return out


def _distinct(U):
    """The distinct rows, then the distinct columns, of a 0/1 CSR matrix (same rank), as CSR."""
    for _ in range(2):
        U = U.tocsr()
        U.sort_indices()
        keys = [U.indices[U.indptr[i]:U.indptr[i + 1]].tobytes() for i in range(U.shape[0])]
        _, first = np.unique(np.array(keys, dtype=object), return_index=True)
        U = U[np.sort(first)].T
    return U.tocsr()


def _flattening_bound(T: WordTensor, modes: tuple[int, ...], skipped: list[str]) -> LowerBound | None:
    """The flattening ``modes`` of δ: its exact rank over Q (of the distinct rows and columns
    when it is large), or past _DEDUP_SIDE the rank mod p of L·U·R for seeded random integer
    L, R of width _SKETCH_WIDTH — rank(L·U·R) ≤ rank(U), so still a theorem (equal to it with
    high probability when below the width). None, with a line in ``skipped``, when even that
    is too costly."""
    detail: dict = {"modes": modes}
    if min(T.n ** len(modes), T.n ** (T.ndim - len(modes))) <= _DEDUP_SIDE:
        r = flattening_rank(T, modes)
    else:
        U = _distinct(unfold(T, modes).astype(np.int64))
        if min(U.shape) <= _DEDUP_SIDE:
            coo = U.tocoo()
            r = flattening_rank((np.stack([coo.row, coo.col], axis=1), coo.data, U.shape), (0,))
        elif (U.nnz + U.shape[0] * _SKETCH_WIDTH) * _SKETCH_WIDTH > _MAX_SKETCH_WORK:
            skipped.append(f"flattening {modes}: {U.shape[0]} × {U.shape[1]} distinct rows and "
                           f"columns, too large to sketch")
            return None
        else:
            rng = np.random.default_rng(0)
            L = rng.integers(-8, 9, size=(_SKETCH_WIDTH, U.shape[0])).astype(float)
            R = rng.integers(-8, 9, size=(U.shape[1], _SKETCH_WIDTH)).astype(float)
            # every partial sum is at most 8 · 8 · Σ|U| < 2^53: the float products are exact
            if 64 * U.nnz >= 2**53:
                raise WordTensorError(f"flattening {modes}: too many non-zeros ({U.nnz}) to sketch")
            r = rank_mod_p(np.rint(L @ (U.astype(float) @ R)).astype(np.int64))
            detail["sketch"] = {"rows": _SKETCH_WIDTH, "columns": _SKETCH_WIDTH, "seed": 0,
                                "entries": [-8, 8], "rank_field": f"GF({PRIME})"}
    return LowerBound(r, "flattening", REFERENCES["flattening"], detail)


def flattening_bounds(T: WordTensor, skipped: list[str] | None = None) -> list[LowerBound]:
    """One ``flattening`` bound per grouping of the modes of δ (each mode alone, and for
    k ≥ 3 every larger group against the rest), exact over Q; see :func:`_flattening_bound`
    for the large ones (notes in ``skipped``).

    >>> [(b.value, b.detail["modes"]) for b in flattening_bounds(word_tensor("S3", "[x,y]"))]
    [(6, (0,)), (6, (1,)), (3, (2,))]
    >>> [(b.value, b.detail["modes"]) for b in flattening_bounds(word_tensor("S3", "xyz"))][4:]
    [(6, (0, 1)), (18, (0, 2)), (6, (0, 3))]

    (for xyz, the grouping (x, z) | (y, output) spans the operators b ↦ abc: Σ d⁴ = 1 + 1 + 16.)
    """
    bounds = [_flattening_bound(T, modes, [] if skipped is None else skipped)
              for modes in _groupings(T.ndim)]
    return [b for b in bounds if b is not None]


def flattening_ranks(T: WordTensor, certified: Sequence[LowerBound] | None = None) -> list[dict]:
    """The rank of every single-mode flattening of δ, one row per mode: ``certified`` (exact
    over Q, :func:`wordtensor.linalg.flattening_rank`: a lower bound on the rank of δ; taken
    from ``certified`` bounds when given), ``numerical`` (the numerical rank of the same
    flattening from its Gram matrix, a measurement) and ``exact`` (whether the two agree).

    >>> fl = flattening_ranks(word_tensor("S3", "xy"))
    >>> tuple(f["certified"] for f in fl), all(f["exact"] for f in fl)
    ((6, 6, 6), True)
    >>> tuple(f["certified"] for f in flattening_ranks(word_tensor("S3", "[x,y]")))
    (6, 6, 3)

    (the commutators of S3 fill only A3, so the output unfolding has rank 3.)
    """
    known = {b.detail["modes"]: b.value for b in certified or () if b.method == "flattening"}
    out = []
    for m in range(T.ndim):
        cert = known[(m,)] if (m,) in known else flattening_rank(T, (m,))
        # the numerical rank from the n × n Gram matrix: an SVD of the n × n^k flattening itself
        # would cost n^(k+2) (12 s for S5)
        num = flattening_rank(T, (m,), exact=False, max_entries=T.shape[m] ** 2)
        out.append({"mode": m, "certified": cert, "numerical": num, "exact": cert == num})
    return out


def _substitution_bounds(T: WordTensor, beat: int, max_dim: int, skipped: list[str]) -> list[LowerBound]:
    """For k ≥ 3: the best bound of δ restricted to each variable = 1, as a restriction."""
    out = []
    for var in T.word.variables:
        W = word_tensor(T.group, substituted_word(T.word, var))
        best = best_lower_bound(lower_bounds(W, max_dim=max_dim, skipped=skipped))
        if best.value > beat:
            out.append(LowerBound(best.value, f"restriction ({var} = 1): {best.method}",
                                  REFERENCES["restriction"] + "; " + best.reference,
                                  {"substituted": var, "word": str(W.word), **best.detail}))
    return out


def lower_bounds(T: WordTensor, *, koszul: bool = True, max_dim: int = MAX_DIM,
                 skipped: list[str] | None = None) -> list[LowerBound]:
    """Every lower bound the toolkit proves for δ, in this order: the flattenings; for a
    relabelled xy, Alder–Strassen and the minimal-rank +1; the restrictions (separated words;
    substitutions for k ≥ 3); the Koszul–Young flattenings (``koszul=True``, matrices of side
    ≤ ``max_dim``). A restriction or Koszul–Young bound that cannot beat the bounds before it
    is not computed (for a relabelled xy no Koszul–Young bound can); a configuration over
    ``max_dim`` is noted in ``skipped`` (a list).

    >>> [(b.value, b.method) for b in lower_bounds(word_tensor("Q8", "xy"))][:5]
    [(8, 'flattening'), (8, 'flattening'), (8, 'flattening'), (11, 'alder-strassen'), (12, 'minimal-rank+1')]
    >>> best_lower_bound(lower_bounds(word_tensor("S4", "xxyy"))).value     # R[A4] inside
    22
    >>> best_lower_bound(lower_bounds(word_tensor("S4", "xyx"))).method     # 38 > 24
    'koszul-young'
    """
    if skipped is None:
        skipped = []
    out = flattening_bounds(T, skipped)
    equiv = multiplication_equivalence(T)
    if equiv is not None:
        for b in group_algebra_bounds(T.group):
            out.append(LowerBound(b.value, b.method, b.reference,
                                  {**b.detail, "relabelled_xy": not is_multiplication(T.word),
                                   "swapped": bool(equiv[0])}))
    if equiv is None:  # for a relabelled xy the only subgroup that could beat 2n − t is G
        out += separated_restriction_bounds(T, beat=max(b.value for b in out))
    if T.arity >= 3:
        beat = max(b.value for b in out)
        out += _substitution_bounds(T, beat, max_dim, skipped)
    # For a relabelled xy, Koszul–Young with p ≤ 3 cannot beat 2n − t: over C, R[G] becomes
    # ⊕ M_d(C) over the complex irreps, the map splits into one block per irrep, and a block
    # gives at most 1 (d = 1) or (2p+1)/(p+1)·d² ≤ 2d² − 1 (d ≥ 2), which sum to 2n − t_C.
    if koszul and equiv is None:
        beat = max(b.value for b in out)
        kb, sk = koszul_young_bounds(T, beat=beat, max_dim=max_dim)
        out += kb
        skipped += sk
    return out


def lower_bound(T: WordTensor, **kwargs) -> tuple[int, str, dict]:
    """The best sound lower bound of :func:`lower_bounds` (keywords passed on): (value, method,
    details). ``details`` holds ``flattening`` (the rows of :func:`flattening_ranks`),
    ``lower_reference`` (the citation of the best bound), ``lower_bounds`` (every bound, as
    :class:`~fusion.ranks.bound.LowerBound`) and ``lower_skipped`` (what was too large).

    >>> lower_bound(word_tensor("S3", "xy"))[:2]      # Alder–Strassen 9 beats the flattenings 6
    (9, 'alder-strassen')
    >>> lower_bound(word_tensor("S3", "[x,y]"))[:2]   # Koszul–Young cannot beat 6 here
    (6, 'flattening')
    >>> lower_bound(word_tensor("Q8", "xy"))[2]["lower_reference"].startswith("Bläser")
    True
    """
    skipped: list[str] = []
    bounds = lower_bounds(T, skipped=skipped, **kwargs)
    best = best_lower_bound(bounds)
    details = {"flattening": flattening_ranks(T, bounds), "lower_reference": best.reference,
               "lower_bounds": bounds, "lower_skipped": skipped}
    return best.value, best.method, details


def box_lower_bound(dec: TripletDecomposition, sets: Sequence[Sequence[int]]) -> tuple[int, str]:
    """(lower bound, method) for the rank of δ restricted to the box ``sets`` of bscs
    (:meth:`~fusion.decompose.TripletDecomposition.box`): the largest numerical flattening rank
    of the box's block, and for a diagonal block (φ, φ, φ) of ``xy`` Alder–Strassen 2s − 1,
    s = dim R_φ (the block is the structure tensor of a simple algebra of dimension s).

    The block is in Fourier coordinates (irrational in general), so its flattening ranks are
    numerical: a measurement, not a certificate.

    >>> from fusion.decompose import decompose
    >>> dec = decompose("S3", "xy")
    >>> [box_lower_bound(dec, ((p,), (p,), (p,))) for p in range(3)]
    [(1, 'flattening'), (1, 'flattening'), (7, 'alder-strassen 2s-1')]
    >>> box_lower_bound(decompose("S3", "xyX"), ((2,), (2,), (2,)))   # flattenings alone
    (4, 'flattening')

    (1 + 1 + 7 = 9, the rank of the whole tensor: Strassen's 7 is optimal for M_2(R).)
    """
    X = dec.box(sets)
    best = max((flattening_rank(X, (m,), exact=False) for m in range(X.ndim)), default=0)
    method = "flattening"
    diagonal = all(len(s) == 1 for s in sets) and len({s[0] for s in sets}) == 1
    if diagonal and is_multiplication(dec.word):
        s = X.shape[0]
        if 2 * s - 1 > best:
            best, method = 2 * s - 1, "alder-strassen 2s-1"
    return best, method

