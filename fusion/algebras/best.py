"""The best known decomposition of ⟨n, m, p⟩ and of M_d(R), M_d(C), M_d(H): planner and builder.

The planner searches the constructions recursively by rank alone — standard, Strassen/Laderman,
Kronecker products, block sums, the published tables (Fawzi et al. 2022 and the 2025 records:
⟨4,4,4⟩ 48, ⟨5,5,5⟩ 93, ⟨6,6,6⟩ 153) up to symmetry and restricted, and the embeddings
M_d(C) → M_2d(R) and M_d(H) → M_2d(C); the builder makes the planned factors, and
:func:`known_matmul` / :func:`best_decomposition` name the discoverers of every piece used
(``KnownDecomposition.reference``).

By Wedderburn, ``R[G]`` is a product of simple algebras ``M_d(R)``, ``M_d(C)`` and ``M_m(H)``;
these decompositions are the constructive upper bounds on the rank of their multiplication
tensors (Gauss's 3 for C, 8 for H, Strassen 1969, Laderman 1976, Fawzi et al. 2022, Dumas,
Pernet & Sedoglavic 2025, Moosbauer & Poole 2025).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from tensorly.cp_tensor import CPTensor

from .combinators import (
    block_sum,
    cyclic_matmul,
    kronecker,
    kronecker_matmul,
    restrict_matmul,
    transpose_matmul,
)
from .decompositions import KnownDecomposition, copy_cp, n_terms
from .embeddings import complex_embedding, pull_back, quaternion_embedding
from .named import algorithm_index, named_decomposition, standard_matmul
from .published import (
    FAWZI,
    matmul_record,
    published_decomposition,
    published_table,
    record_table,
    source_reference,
)
from .tensors import ALGEBRAS, algebra_name, positive_int

__all__ = ["known_matmul", "best_decomposition"]

#: Embeddings into M_N(R) are only tried for N up to this (planning costs about N^3 steps,
#: and in that range they never beat the Kronecker constructions).
_EMBED_MAX = 24


_SYMMETRIES: tuple[tuple[str, tuple[int, int, int]], ...] = (
    # ops applied left to right ('c' cyclic, 't' transpose) and the axes of the new shape
    ("", (0, 1, 2)), ("c", (1, 2, 0)), ("cc", (2, 0, 1)),
    ("t", (2, 1, 0)), ("ct", (0, 2, 1)), ("cct", (1, 0, 2)),
)


def _apply_symmetry(cp: CPTensor, shape: tuple[int, int, int], ops: str) -> CPTensor:
    for op in ops:
        n, m, p = shape
        if op == "c":
            cp, shape = cyclic_matmul(cp, shape), (m, p, n)
        else:
            cp, shape = transpose_matmul(cp, shape), (p, m, n)
    return cp


def _prefix_any(F: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``out[a, b, r]``: column ``r`` of ``F`` (rows ``(x, y)``) is nonzero at some ``x <= a, y <= b``."""
    G = (F != 0).reshape(rows, cols, -1)
    return np.logical_or.accumulate(np.logical_or.accumulate(G, 0), 1)


@functools.cache
def _sources() -> dict[tuple[str, tuple[int, int, int]], tuple[np.ndarray, ...]]:
    """Every published format, (tag, shape) -> trace-form factors: the 2022 table and the
    2025 records."""
    out = {(FAWZI, shape): f for shape, f in published_table().items()}
    out.update({(tag, shape): f for shape, (tag, f) in record_table().items()})
    return out


def _source_cp(tag: str, shape: tuple[int, int, int]) -> CPTensor:
    """The published decomposition (tag, shape) in the toolkit's convention."""
    return published_decomposition(*shape) if tag == FAWZI else matmul_record(*shape).cp


@functools.lru_cache(maxsize=1)
def _restriction_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """For every box ``(n, m, p)`` inside some published format: the fewest surviving terms.

    Returns ``(best_rank, entry_index, symmetry_index, entries)`` arrays indexed by
    ``[n-1, m-1, p-1]``; ``best_rank`` is a large sentinel where no published format fits;
    ``entries`` lists the (tag, shape) of the published formats.
    """
    table = _sources()
    entries = sorted(table)
    L = max(max(s) for _, s in entries)
    best = np.full((L, L, L), np.iinfo(np.int64).max, dtype=np.int64)
    which = np.full((L, L, L), -1, dtype=np.int64)
    sym = np.full((L, L, L), -1, dtype=np.int64)
    for e, key in enumerate(entries):
        N, M, P = key[1]
        u, v, w = table[key]
        aU = _prefix_any(u, N, M)  # (N, M, R)
        aV = _prefix_any(v, M, P)  # (M, P, R)
        aW = _prefix_any(w, P, N)  # (P, N, R)   trace form: (k, i)
        alive = (aU[:, :, None, :] & aV[None, :, :, :]
                 & np.transpose(aW, (1, 0, 2))[:, None, :, :])
        counts = alive.sum(axis=-1)  # (N, M, P)
        for s, (_, axes) in enumerate(_SYMMETRIES):
            c = np.transpose(counts, axes)
            a, b, d = c.shape
            view = best[:a, :b, :d]
            better = c < view
            view[better] = c[better]
            which[:a, :b, :d][better] = e
            sym[:a, :b, :d][better] = s
    return best, which, sym, entries


@dataclass(frozen=True)
class _Plan:
    """How to build the best known decomposition of one format (children by shape)."""

    rank: int
    leaves: int  # number of base algorithms combined: the tie-breaker (fewer wins)
    kind: str  # standard, the name of a named algorithm (strassen, laderman), kron, split, data
    args: tuple = ()


@functools.cache
def _divisors(n: int) -> tuple[int, ...]:
    return tuple(a for a in range(1, n + 1) if n % a == 0)


def _data_plan(n: int, m: int, p: int) -> _Plan | None:
    table, which, sym, entries = _restriction_table()
    if max(n, m, p) > table.shape[0] or which[n - 1, m - 1, p - 1] < 0:
        return None
    src = entries[int(which[n - 1, m - 1, p - 1])]  # (tag, shape)
    s = int(sym[n - 1, m - 1, p - 1])
    restricted = tuple(src[1][a] for a in _SYMMETRIES[s][1]) != (n, m, p)
    return _Plan(int(table[n - 1, m - 1, p - 1]), 1, "data", (src, s, restricted))


@functools.cache
def _plan(n: int, m: int, p: int) -> _Plan:
    """Best known plan for ``<n, m, p>``: minimal ``(rank, leaves)``, earlier kinds win ties.

    Kinds in order: standard, a named algorithm (Strassen, Laderman), Kronecker products, the
    published tables (exact format up to symmetry), block sums, the published tables restricted.
    """
    best = (n * m * p, 1, "standard", ())
    name = algorithm_index().get(("matmul", n, m, p))
    if name is not None:
        r = named_decomposition(name).rank
        best = min(best, (r, 1, name, ("named",)), key=lambda c: c[:2])
    # Kronecker products <n1, m1, p1> (x) <n2, m2, p2>, both factors nontrivial
    for n1 in _divisors(n):
        for m1 in _divisors(m):
            for p1 in _divisors(p):
                s1, s2 = (n1, m1, p1), (n // n1, m // m1, p // p1)
                if s1 == (1, 1, 1) or s2 == (1, 1, 1):
                    continue
                a, b = _plan(*s1), _plan(*s2)
                key = (a.rank * b.rank, a.leaves + b.leaves)
                if key < best[:2]:
                    best = (*key, "kron", (s1, s2))
    data = _data_plan(n, m, p)
    if data is not None and not data.args[2] and (data.rank, 1) < best[:2]:
        best = (data.rank, 1, "data", data.args)
    # block sums along one dimension: <a + b, m, p> = <a, m, p> + <b, m, p>, etc.
    for axis, size in enumerate((n, m, p)):
        for a in range(1, size // 2 + 1):
            if axis == 0:
                s1, s2 = (a, m, p), (n - a, m, p)
            elif axis == 1:
                s1, s2 = (n, a, p), (n, m - a, p)
            else:
                s1, s2 = (n, m, a), (n, m, p - a)
            x, y = _plan(*s1), _plan(*s2)
            if x.rank + y.rank <= best[0]:
                key = (x.rank + y.rank, x.leaves + y.leaves)
                if key < best[:2]:
                    best = (*key, "split", (s1, s2, axis))
    if data is not None and (data.rank, 1) < best[:2]:
        best = (data.rank, 1, "data", data.args)
    return _Plan(*best)


@functools.lru_cache(maxsize=4096)
def _method(n: int, m: int, p: int) -> str:
    """Readable expression for the plan of ``<n, m, p>``."""
    plan = _plan(n, m, p)
    if plan.kind == "standard":
        return f"standard<{n},{m},{p}>"
    if plan.kind == "kron":
        s1, s2 = plan.args
        return f"kron({_method(*s1)}, {_method(*s2)})"
    if plan.kind == "split":
        s1, s2, _ = plan.args
        return f"sum({_method(*s1)}, {_method(*s2)})"
    if plan.kind == "data":
        (tag, src), s, restricted = plan.args
        text = f"{tag}<{src[0]},{src[1]},{src[2]}>"
        text = f"sym({text})" if s else text
        return f"restrict({text})" if restricted else text
    return plan.kind


@functools.lru_cache(maxsize=64)
def _build_cached(n: int, m: int, p: int) -> CPTensor:
    plan = _plan(n, m, p)
    if plan.kind == "standard":
        cp = standard_matmul(n, m, p)
    elif plan.args == ("named",):
        cp = named_decomposition(plan.kind).cp
    elif plan.kind == "kron":
        s1, s2 = plan.args
        cp = kronecker_matmul(_build_cached(*s1), s1, _build_cached(*s2), s2)
    elif plan.kind == "split":
        s1, s2, axis = plan.args
        cp = block_sum(_build_cached(*s1), s1, _build_cached(*s2), s2, axis)
    else:
        (tag, src), s, _ = plan.args
        ops, axes = _SYMMETRIES[s]
        cp = _apply_symmetry(_source_cp(tag, src), src, ops)
        cp = restrict_matmul(cp, tuple(src[a] for a in axes), (n, m, p))
    if n_terms(cp) != plan.rank:  # pragma: no cover - internal consistency
        raise RuntimeError(f"planned rank {plan.rank} but built {n_terms(cp)} for <{n},{m},{p}>")
    for f in cp.factors:
        f.setflags(write=False)
    cp.weights.setflags(write=False)
    return cp


@functools.lru_cache(maxsize=4096)
def _references(n: int, m: int, p: int) -> tuple[str, ...]:
    """The discoverers of the published or named decompositions the plan of ``<n, m, p>`` uses
    (none for the standard algorithm), in order of first use."""
    plan = _plan(n, m, p)
    if plan.kind == "standard":
        return ()
    if plan.kind in ("kron", "split"):
        out: list[str] = []
        for s in plan.args[:2]:
            out += [r for r in _references(*s) if r not in out]
        return tuple(out)
    if plan.kind == "data":
        (tag, src), _, _ = plan.args
        return (source_reference(tag, src),)
    return (named_decomposition(plan.kind).reference,)


def known_matmul(n: int, m: int, p: int) -> KnownDecomposition:
    """Lowest-rank known decomposition of ``<n, m, p>`` that this module can build, with the
    discoverers of its pieces (``reference``, one per line).

    Candidates: the standard algorithm, Strassen, Laderman, the published tables — Fawzi et al.
    (2022) and the 2025 records — with the six symmetries of ``<n, m, p>`` and restriction to
    sub-formats, Kronecker products ``<n1 n2, m1 m2, p1 p2>`` and block sums
    ``<n1 + n2, m, p>`` (and likewise for ``m``, ``p``) of smaller best-known ones, searched
    recursively (memoized; about ``n m p`` states).  On ties in rank, fewer combined base
    algorithms win, then the earlier kind.

    >>> kd = known_matmul(2, 2, 3)
    >>> kd.rank, kd.method
    (11, 'fawzi2022<2,2,3>')
    >>> kd = known_matmul(8, 8, 8)                      # 7 · 48
    >>> kd.rank, kd.method, [r.split(",")[0] for r in kd.reference.splitlines()]
    (336, 'kron(strassen, dps2025<4,4,4>)', ['V. Strassen', 'J.-G. Dumas'])
    """
    n, m, p = positive_int("n", n), positive_int("m", m), positive_int("p", p)
    return KnownDecomposition(copy_cp(_build_cached(n, m, p)), _method(n, m, p),
                              _plan(n, m, p).rank, "\n".join(_references(n, m, p)))


def best_matmul(d: int) -> CPTensor:
    """Lowest-rank known decomposition of ``<d, d, d>``, i.e. of ``M_d(R)``.

    See :func:`known_matmul` (which also returns the method).  Ranks for ``d = 1..6``:
    1, 7, 23, 48, 93, 153 (Strassen, Laderman, and the 2025 records).

    >>> from fusion.algebras import matmul_tensor
    >>> from fusion.algebras.decompositions import n_terms, verify
    >>> cp = best_matmul(4)
    >>> n_terms(cp), verify(cp, matmul_tensor(4, 4, 4))
    (48, 0.0)
    """
    d = positive_int("d", d)
    return known_matmul(d, d, d).cp



def _embedding_candidates(algebra: str, d: int) -> list[tuple[int, str, object, tuple[str, ...]]]:
    """Rank-only candidates ``(rank, method, builder, references)`` for ``M_d(algebra)``."""
    base = _plan(d, d, d)
    base_method, base_refs = _method(d, d, d), _references(d, d, d)
    if algebra == "R":
        return [(base.rank, base_method, lambda: copy_cp(_build_cached(d, d, d)), base_refs)]
    div_name = algorithm_index()[("algebra", algebra)]  # gauss for C, quat8 for H
    div = named_decomposition(div_name)
    method = div_name if d == 1 else f"kron({base_method}, {div_name})"
    cands: list[tuple[int, str, object, tuple[str, ...]]] = [
        (div.rank * base.rank, method,
         lambda: kronecker(_build_cached(d, d, d), named_decomposition(div_name).cp),
         base_refs + (div.reference,))
    ]
    if d * ALGEBRAS[algebra] > _EMBED_MAX:  # the embeddings end in M_{2d}(R) or M_{4d}(R)
        return cands
    if algebra == "C":
        big = _plan(2 * d, 2 * d, 2 * d)
        cands.append((big.rank, f"realify({_method(2 * d, 2 * d, 2 * d)})",
                      lambda: pull_back(_build_cached(2 * d, 2 * d, 2 * d),
                                        *complex_embedding(d)), _references(2 * d, 2 * d, 2 * d)))
    else:
        # M_d(H) inside M_2d(C), itself via the best decomposition of M_2d(C)
        rc, mc, build_c, refs_c = min(_embedding_candidates("C", 2 * d), key=lambda c: c[0])
        cands.append((rc, f"complexify({mc})",
                      lambda: pull_back(build_c(), *quaternion_embedding(d)), refs_c))
    return cands


def best_rank(algebra: str, d: int = 1) -> int:
    """Rank of :func:`best_decomposition` ``(algebra, d)``, without building it.

    >>> [best_rank("H", d) for d in (1, 2, 3)]
    [8, 56, 184]
    """
    algebra, d = algebra_name(algebra), positive_int("d", d)
    return min(c[0] for c in _embedding_candidates(algebra, d))


def best_decomposition(algebra: str, d: int = 1) -> KnownDecomposition:
    """Lowest-rank known decomposition of the multiplication tensor of ``M_d(algebra)``.

    ``M_d(R)``: :func:`best_matmul`.  ``M_d(C)``: the lower of ``kron(best(d), gauss)`` (rank
    ``3 r(d)``) and the realification ``M_d(C) -> M_2d(R)`` (rank ``r(2d)``).  ``M_d(H)``: the
    lower of ``kron(best(d), quat8)`` (rank ``8 r(d)``) and ``M_d(H) -> M_2d(C)``.  Factors are in
    the basis of :func:`multiplication_tensor`.

    >>> from fusion.algebras import multiplication_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> kd = best_decomposition("H", 2)
    >>> kd.rank, kd.method, verify(kd.cp, multiplication_tensor("H", 2))
    (56, 'kron(strassen, quat8)', 0.0)
    """
    algebra, d = algebra_name(algebra), positive_int("d", d)
    rank, method, build, refs = min(_embedding_candidates(algebra, d), key=lambda c: c[0])
    cp = build()  # type: ignore[operator]
    if n_terms(cp) != rank:  # pragma: no cover - internal consistency
        raise RuntimeError(f"planned rank {rank} but built {n_terms(cp)}")
    return KnownDecomposition(cp, method, rank, "\n".join(refs))

