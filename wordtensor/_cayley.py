"""Cayley tables: enumerated from generators by closure, or validated when given.

Elements are rows of small integers (a permutation's images, a matrix's entries); a closure
enumerates the group they generate breadth first, and its spanning tree gives the table. A table
given by the user is checked against the group axioms. The conventions of the table are those of
:class:`wordtensor.Group`: identity at index 0, ``mul[a, b]`` the index of g_a·g_b.

>>> import numpy as np
>>> from wordtensor import _perm
>>> gens = np.array([[1, 2, 0], [1, 0, 2]])              # (1,2,3) and (1,2)
>>> index = ElementIndex(3, 3)
>>> elems, parent, gen = closure(gens, np.arange(3), _perm.compose, index, 100, "S3")
>>> mul = table_from_tree(elems, parent, gen, gens, _perm.compose, index)
>>> mul.shape, validate_table(mul, None)[0].tolist() == mul.tolist()
((6, 6), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from .errors import GroupSpecError, GroupTableError, GroupTooLargeError, ParameterError

#: Default limit on the order of a group built by closure (its Cayley table has n² entries).
DEFAULT_MAX_ORDER = 10_000


def check_size(n: int, max_order: int, what: str, size: str | None = None) -> None:
    """Refuse a group of ``n`` elements past ``max_order`` before it is built."""
    if n > max_order:
        raise GroupTooLargeError(
            f"{what} has {size or n} elements, more than the limit {max_order}; "
            "pass a larger max_order if its Cayley table will fit in memory"
        )


def table_dtype(n: int):
    """The integer type of an order-n table."""
    return np.int32 if n < 2**31 else np.int64


class ElementIndex:
    """Maps rows of an integer array (elements as vectors of small ints) to their index."""

    def __init__(self, base: int, width: int):
        self.base = base
        self.width = width
        self.use_codes = width * math.log2(max(base, 2)) < 62
        if self.use_codes:
            self.weights = base ** np.arange(width, dtype=np.int64)

    def codes(self, rows: np.ndarray) -> np.ndarray:
        rows = rows.reshape(rows.shape[0], -1)
        if self.use_codes:
            return rows.astype(np.int64) @ self.weights
        return np.array([r.tobytes() for r in rows.astype(np.int64)], dtype=object)


def closure(
    gens: np.ndarray,
    identity: np.ndarray,
    compose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    index: ElementIndex,
    max_order: int,
    what: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All products of the generators, breadth first and vectorised per round.

    Returns ``(elements, parent, gen)`` with the identity first and, for every other element b,
    ``elements[b] = elements[parent[b]] * gens[gen[b]]`` (a spanning tree of the Cayley graph).
    """
    g = len(gens)
    elems, parents, gen_of = [identity[None]], [np.array([-1])], [np.array([-1])]
    known = index.codes(identity[None])
    frontier, frontier_idx, total = identity[None], np.array([0]), 1
    while len(frontier):
        k = len(frontier)
        prod = compose(np.repeat(frontier, g, axis=0), np.tile(gens, (k,) + (1,) * (gens.ndim - 1)))
        codes = index.codes(prod)
        if index.use_codes:
            _, first = np.unique(codes, return_index=True)
            first = np.sort(first)
            first = first[~np.isin(codes[first], known)]
            known = np.concatenate([known, codes[first]])
        else:
            seen, first = set(known.tolist()), []
            for i, c in enumerate(codes.tolist()):
                if c not in seen:
                    seen.add(c)
                    first.append(i)
            first = np.array(first, dtype=np.int64)
            known = np.array(list(seen), dtype=object)
        total += len(first)
        if total > max_order:
            raise GroupTooLargeError(
                f"{what} has more than {max_order} elements (the closure limit); "
                "pass a larger max_order if its Cayley table will fit in memory"
            )
        frontier = prod[first]
        elems.append(frontier)
        parents.append(frontier_idx[first // g])
        gen_of.append(first % g)
        frontier_idx = np.arange(total - len(first), total)
    return np.concatenate(elems), np.concatenate(parents), np.concatenate(gen_of)


def lookup_fn(elems: np.ndarray, index: ElementIndex):
    """A function from element codes to their indices in ``elems`` (raises if one is missing)."""
    codes = index.codes(elems)
    n = len(elems)
    if index.use_codes:
        order = np.argsort(codes)
        sorted_codes = codes[order]

        def lookup(c):
            pos = np.minimum(np.searchsorted(sorted_codes, c), n - 1)
            if not np.all(sorted_codes[pos] == c):
                raise GroupTableError("the element set is not closed under multiplication")
            return order[pos]
    else:
        where = {c: i for i, c in enumerate(codes.tolist())}

        def lookup(c):
            try:
                return np.array([where[x] for x in c.tolist()], dtype=np.int64)
            except KeyError:
                raise GroupTableError("the element set is not closed under multiplication") from None
    return lookup


def table_from_tree(elems, parent, gen_of, gens, compose, index) -> np.ndarray:
    """Cayley table from the closure's spanning tree: a·b = (a·parent(b))·s with b = parent(b)·s,
    so each column is one gather from the previous one (n² integer work, n·|gens| products)."""
    n, g = len(elems), len(gens)
    lookup = lookup_fn(elems, index)
    right = np.stack([lookup(index.codes(compose(elems, np.repeat(gens[s][None], n, axis=0))))
                      for s in range(g)])  # right[s, a] = index of a * gens[s]
    mul = np.empty((n, n), dtype=table_dtype(n))
    mul[:, 0] = np.arange(n)
    for b in range(1, n):
        mul[:, b] = right[gen_of[b]][mul[:, parent[b]]]
    return mul


def table_from_elements(
    elems: np.ndarray,
    compose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    index: ElementIndex,
    chunk: int = 1 << 18,
) -> np.ndarray:
    """Cayley table of a set of elements closed under ``compose`` (vectorised, chunked)."""
    n = len(elems)
    lookup = lookup_fn(elems, index)
    mul = np.empty((n, n), dtype=table_dtype(n))
    rows_per = max(1, chunk // n)
    for a0 in range(0, n, rows_per):
        a1 = min(n, a0 + rows_per)
        left = np.repeat(elems[a0:a1], n, axis=0)
        right = np.tile(elems, (a1 - a0,) + (1,) * (elems.ndim - 1))
        mul[a0:a1] = lookup(index.codes(compose(left, right))).reshape(a1 - a0, n)
    return mul


def table_array(mul) -> np.ndarray:
    """A Cayley table given as nested lists or an array, as a numpy array (not yet checked)."""
    try:
        arr = np.asarray(mul)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype == object or arr.dtype.kind in "USV":
        raise GroupTableError("a Cayley table must be a square array of element indices (a list "
                              f"of equal-length lists of integers), got {type(mul).__name__}")
    return arr



def validate_table(mul: np.ndarray, labels):
    """``(mul, labels)`` checked against the group axioms, with the identity moved to index 0."""
    if mul.ndim != 2 or mul.shape[0] != mul.shape[1] or mul.shape[0] == 0:
        raise GroupTableError(f"a Cayley table must be a non-empty square array, got shape {mul.shape}")
    if not np.issubdtype(mul.dtype, np.integer):
        if np.issubdtype(mul.dtype, np.floating) and np.all(mul == np.round(mul)):
            mul = mul.astype(np.int64)
        else:
            raise GroupTableError("a Cayley table must hold integer element indices")
    n = mul.shape[0]
    if mul.min() < 0 or mul.max() >= n:
        raise GroupTableError(f"Cayley table entries must lie in 0..{n - 1} (closure)")
    ar = np.arange(n)
    if not (np.all(np.sort(mul, axis=1) == ar) and np.all(np.sort(mul, axis=0) == ar[:, None])):
        raise GroupTableError("not a group: some row or column of the table repeats an element "
                              "(cancellation fails)")
    ids = np.flatnonzero(np.all(mul == ar[None, :], axis=1))
    if len(ids) == 0 or not np.array_equal(mul[:, ids[0]], ar):
        raise GroupTableError("not a group: the table has no identity element")
    e = int(ids[0])
    if labels is not None:
        labels = list(labels)
        if len(labels) != n:
            raise GroupTableError(f"{len(labels)} labels for a table of order {n}")
    if e != 0:
        perm = ar.copy()
        perm[[0, e]] = [e, 0]  # new index i holds old element perm[i]
        pos = np.argsort(perm)
        mul = pos[mul[np.ix_(perm, perm)]]
        if labels is not None:
            labels = [labels[i] for i in perm]
    check_associative(mul)
    return mul, labels


def check_associative(mul: np.ndarray) -> None:
    """Associativity of a loop table: the middle nucleus of a loop is a subloop, so checking
    (x a) y = x (a y) for a in a generating set suffices (O(n² log n))."""
    n = mul.shape[0]
    covered = np.zeros(n, dtype=bool)
    covered[0] = True
    gens = []
    while not covered.all():
        a = int(np.argmin(covered))
        gens.append(a)
        lhs = mul[mul[:, a][:, None], np.arange(n)[None, :]]  # (x a) y
        rhs = mul[np.arange(n)[:, None], mul[a][None, :]]  # x (a y)
        if not np.array_equal(lhs, rhs):
            x, y = np.argwhere(lhs != rhs)[0]
            raise GroupTableError(
                f"not a group: associativity fails, (g{x}·g{a})·g{y} != g{x}·(g{a}·g{y})")
        # grow the sub-loop generated by gens
        sub = covered.copy()
        sub[gens] = True
        while True:
            idx = np.flatnonzero(sub)
            nxt = sub.copy()
            nxt[mul[np.ix_(idx, idx)].ravel()] = True
            if nxt.sum() == sub.sum():
                break
            sub = nxt
        covered = sub


def element_orders(mul: np.ndarray) -> np.ndarray:
    """The order of every element of the group with Cayley table ``mul`` (identity 0).

    >>> element_orders(np.array([[0, 1, 2], [1, 2, 0], [2, 0, 1]])).tolist()
    [1, 3, 3]
    """
    n = mul.shape[0]
    orders = np.zeros(n, dtype=np.int64)
    cur = step = np.arange(n)
    k = 1
    while (orders == 0).any():
        orders[(cur == 0) & (orders == 0)] = k
        cur = mul[cur, step]
        k += 1
    return orders


def class_ids(mul: np.ndarray, inv: np.ndarray) -> np.ndarray:
    """Conjugacy class id of every element, classes numbered in order of their first element
    (read-only array).

    >>> class_ids(np.array([[0, 1], [1, 0]]), np.array([0, 1])).tolist()
    [0, 1]
    """
    n = mul.shape[0]
    cls = np.full(n, -1, dtype=np.int64)
    g = np.arange(n)
    c = 0
    for x in range(n):
        if cls[x] < 0:
            cls[mul[mul[inv, x], g]] = c  # the orbit g^-1 x g over all g
            c += 1
    cls.setflags(write=False)
    return cls


def subgroup_closure(mul: np.ndarray, elements) -> np.ndarray:
    """Sorted indices of the subgroup generated by ``elements``.

    >>> subgroup_closure(np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]]), [1]).tolist()
    [0, 1]
    """
    cur = np.zeros(mul.shape[0], dtype=bool)
    cur[0] = True
    cur[np.asarray(elements, dtype=np.int64)] = True
    while True:
        idx = np.flatnonzero(cur)
        nxt = np.zeros_like(cur)
        nxt[mul[np.ix_(idx, idx)].ravel()] = True
        nxt |= cur
        if nxt.sum() == cur.sum():
            return idx
        cur = nxt


def element_indices(a, order: int, what: str) -> np.ndarray:
    """``a`` as an int64 index array, refused unless it names elements 0..order-1.

    >>> element_indices([0, 2], 3, "indices").tolist()
    [0, 2]
    """
    arr = np.asarray(a) if not isinstance(a, np.ndarray) else a
    ok = (np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_) or arr.size == 0
    if not ok or (arr.size and (arr.min() < 0 or arr.max() >= order)):
        shown = arr.ravel()[:5].tolist() if arr.dtype != object else type(a).__name__
        raise ParameterError(f"{what} must be integers in 0..{order - 1}, got {shown}")
    return arr.astype(np.int64, copy=False)


def label_list(labels) -> list[str] | None:
    """Element labels as a list of strings (None stays None); a string or a non-iterable is
    refused.

    >>> label_list(("e", "a")), label_list(None)
    (['e', 'a'], None)
    """
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise GroupTableError(f"labels must be a list of strings, one per element, got "
                              f"{type(labels).__name__}")
    return [str(lab) for lab in labels]


def positive_param(n, msg: str) -> int:
    """A family parameter n >= 1 (``msg`` says which), else :class:`GroupSpecError`.

    >>> positive_param(3, "Z_n needs n >= 1")
    3
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise GroupSpecError(msg + f", got {n!r}")
    return int(n)


def power_label(g: str, i: int, suffix: str) -> str:
    """The label ``g^i suffix`` of an element (``e`` for the identity).

    >>> power_label("r", 2, "s"), power_label("r", 1, ""), power_label("r", 0, "")
    ('r^2 s', 'r', 'e')
    """
    head = "" if i == 0 else (g if i == 1 else f"{g}^{i}")
    return " ".join(t for t in (head, suffix) if t) or "e"


def dihedral_label(i: int, j: int) -> str:
    """The label of r^i s^j in a dihedral group.

    >>> dihedral_label(1, 1)
    'r s'
    """
    return power_label("r", i, "s" if j else "")
