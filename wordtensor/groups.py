"""Finite groups backed by their Cayley table.

Conventions: elements are indexed 0..n-1 with the identity at index 0; ``mul[a, b]`` is the index
of g_a·g_b and ``inv[a]`` the index of g_a⁻¹. Permutation groups use GAP's convention (act on the
right: ``p*q`` applies p first) and label elements in GAP cycle notation. Matrix groups over GF(q)
multiply matrices in the usual way (``A*B`` is the matrix product) and act on row vectors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np

from . import _perm
from ._gf import field_tables
from .errors import GroupSpecError, GroupTableError, GroupTooLargeError

__all__ = ["Group", "DEFAULT_MAX_ORDER"]

#: Default limit on the order of a group built by closure (its Cayley table has n² entries).
DEFAULT_MAX_ORDER = 10_000


def _table_dtype(n: int):
    return np.int32 if n < 2**31 else np.int64


class _ElementIndex:
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


def _closure(
    gens: np.ndarray,
    identity: np.ndarray,
    compose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    index: _ElementIndex,
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


def _lookup_fn(elems: np.ndarray, index: _ElementIndex):
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


def _table_from_tree(elems, parent, gen_of, gens, compose, index) -> np.ndarray:
    """Cayley table from the closure's spanning tree: a·b = (a·parent(b))·s with b = parent(b)·s,
    so each column is one gather from the previous one (n² integer work, n·|gens| products)."""
    n, g = len(elems), len(gens)
    lookup = _lookup_fn(elems, index)
    right = np.stack([lookup(index.codes(compose(elems, np.repeat(gens[s][None], n, axis=0))))
                      for s in range(g)])  # right[s, a] = index of a * gens[s]
    mul = np.empty((n, n), dtype=_table_dtype(n))
    mul[:, 0] = np.arange(n)
    for b in range(1, n):
        mul[:, b] = right[gen_of[b]][mul[:, parent[b]]]
    return mul


def _table_from_elements(
    elems: np.ndarray,
    compose: Callable[[np.ndarray, np.ndarray], np.ndarray],
    index: _ElementIndex,
    chunk: int = 1 << 18,
) -> np.ndarray:
    """Cayley table of a set of elements closed under ``compose`` (vectorised, chunked)."""
    n = len(elems)
    lookup = _lookup_fn(elems, index)
    mul = np.empty((n, n), dtype=_table_dtype(n))
    rows_per = max(1, chunk // n)
    for a0 in range(0, n, rows_per):
        a1 = min(n, a0 + rows_per)
        left = np.repeat(elems[a0:a1], n, axis=0)
        right = np.tile(elems, (a1 - a0,) + (1,) * (elems.ndim - 1))
        mul[a0:a1] = lookup(index.codes(compose(left, right))).reshape(a1 - a0, n)
    return mul


class Group:
    """A finite group given by its Cayley table.

    Build one with :meth:`from_spec`, :meth:`from_permutations`, :meth:`from_matrices`,
    :meth:`from_table` or the family constructors (:meth:`cyclic`, :meth:`dihedral`, ...).

    >>> G = Group.from_spec("S3")
    >>> G.order, G.is_abelian, G.num_classes
    (6, False, 3)
    >>> G.labels[G.mul[1, 2]] == G.label(G.mul[1, 2])
    True
    """

    def __init__(self, mul: np.ndarray, labels: Sequence[str] | None = None, name: str = "",
                 *, validate: bool = True):
        mul = np.asarray(mul)
        if validate:
            mul, labels = _validate_table(mul, labels)
        n = mul.shape[0]
        self.mul: np.ndarray = np.ascontiguousarray(mul, dtype=_table_dtype(n))
        self.mul.setflags(write=False)
        self.name: str = name or f"group of order {n}"
        self.labels: list[str] = list(labels) if labels is not None else [f"g{i}" for i in range(n)]
        if len(self.labels) != n:
            raise GroupTableError(f"{len(self.labels)} labels for a group of order {n}")
        inv = np.empty(n, dtype=self.mul.dtype)
        a, b = np.nonzero(self.mul == 0)
        inv[a] = b
        inv.setflags(write=False)
        self.inv: np.ndarray = inv
        #: In-memory cache of results derived from this group (characters, irreps, ...).
        self.cache: dict = {}

    # ------------------------------------------------------------------ basic facts
    @property
    def order(self) -> int:
        """Number of elements n."""
        return int(self.mul.shape[0])

    def __len__(self) -> int:
        return self.order

    identity = 0

    def __repr__(self) -> str:
        return f"Group({self.name!r}, order={self.order})"

    def label(self, a: int) -> str:
        """Display label of element a."""
        return self.labels[int(a)]

    def index(self, label: str) -> int:
        """Index of the element with this label."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise GroupSpecError(f"{self.name} has no element labelled {label!r}") from None

    def power(self, a, k: int) -> np.ndarray:
        """g_a^k for an array of indices a and any integer k (repeated squaring)."""
        a = np.asarray(a)
        if k < 0:
            a, k = self.inv[a], -k
        result = np.zeros_like(a)
        base = a
        while k:
            if k & 1:
                result = self.mul[result, base]
            k >>= 1
            if k:
                base = self.mul[base, base]
        return result

    @cached_property
    def element_orders(self) -> np.ndarray:
        """Order of every element."""
        n = self.order
        orders = np.zeros(n, dtype=np.int64)
        cur = np.arange(n)
        step = np.arange(n)
        k = 1
        while (orders == 0).any():
            hit = (cur == 0) & (orders == 0)
            orders[hit] = k
            cur = self.mul[cur, step]
            k += 1
        return orders

    @property
    def exponent(self) -> int:
        """Least common multiple of the element orders."""
        return int(np.lcm.reduce(self.element_orders))

    @cached_property
    def is_abelian(self) -> bool:
        return bool(np.array_equal(self.mul, self.mul.T))

    @cached_property
    def class_of(self) -> np.ndarray:
        """Conjugacy class id of every element; classes are numbered in order of first element."""
        n = self.order
        cls = np.full(n, -1, dtype=np.int64)
        g = np.arange(n)
        c = 0
        for x in range(n):
            if cls[x] >= 0:
                continue
            orbit = self.mul[self.mul[self.inv, x], g]  # g^-1 x g for all g
            cls[orbit] = c
            c += 1
        cls.setflags(write=False)
        return cls

    @cached_property
    def conjugacy_classes(self) -> list[np.ndarray]:
        """Conjugacy classes as sorted index arrays; the first is {identity}."""
        cls = self.class_of
        return [np.flatnonzero(cls == c) for c in range(int(cls.max()) + 1)]

    @property
    def num_classes(self) -> int:
        return len(self.conjugacy_classes)

    @cached_property
    def center(self) -> np.ndarray:
        """Indices of the central elements."""
        return np.flatnonzero(np.all(self.mul == self.mul.T, axis=1))

    def subgroup_generated(self, elements) -> np.ndarray:
        """Sorted indices of the subgroup generated by the given elements."""
        cur = np.zeros(self.order, dtype=bool)
        cur[0] = True
        cur[np.asarray(elements, dtype=np.int64)] = True
        while True:
            idx = np.flatnonzero(cur)
            nxt = np.zeros_like(cur)
            nxt[self.mul[np.ix_(idx, idx)].ravel()] = True
            nxt |= cur
            if nxt.sum() == cur.sum():
                return idx
            cur = nxt

    @cached_property
    def generators(self) -> np.ndarray:
        """A small generating set (greedy: repeatedly add the first element not yet generated;
        at most log2(n) elements)."""
        gens: list[int] = []
        sub = np.array([0])
        while len(sub) < self.order:
            inside = np.zeros(self.order, dtype=bool)
            inside[sub] = True
            gens.append(int(np.argmin(inside)))
            sub = self.subgroup_generated(gens)
        return np.array(gens, dtype=np.int64)

    @cached_property
    def derived_subgroup(self) -> np.ndarray:
        """Indices of the commutator subgroup [G, G]."""
        a = np.arange(self.order)
        x, y = a[:, None], a[None, :]
        comm = self.mul[self.mul[self.inv[x], self.inv[y]], self.mul[x, y]]
        return self.subgroup_generated(np.unique(comm))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_table(cls, table, labels: Sequence[str] | None = None, name: str = "") -> Group:
        """A group from a Cayley table (validated: square, entries in range, Latin square,
        identity, associativity). If the identity is not element 0, elements are reordered so
        that it is (labels follow).

        >>> Group.from_table([[0, 1], [1, 0]]).order
        2
        """
        return cls(np.asarray(table), labels, name or "", validate=True)

    @classmethod
    def from_spec(cls, spec: str, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """A group from a spec string: ``Zn``/``Cn``, ``Dn`` (order 2n), ``Sn``, ``An``, ``Q8``,
        ``Q4n`` (generalised quaternion / dicyclic), ``Dicn`` (order 4n), ``V4``, ``SL(n,q)``,
        ``GL(n,q)``, ``PSL(n,q)``, ``PGL(n,q)``, ``perm:(1,2,3),(1,2)``, ``SmallGroup(n,i)``
        (n <= 100), ``gap:<GAP expression>`` (with the gap extra), direct products ``AxB`` and
        powers ``Z2^3``.

        >>> Group.from_spec("Z3xS3").order
        18
        """
        from .specs import parse_spec

        return parse_spec(spec, max_order=max_order)

    @classmethod
    def small_group(cls, n: int, i: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """``SmallGroup(n, i)`` of GAP's small groups library, n <= 100, from the shipped
        catalogue (:mod:`wordtensor.smallgroups`).

        >>> Group.small_group(24, 12).name
        'SmallGroup(24,12) = S4'
        """
        from .smallgroups import small_group

        return small_group(n, i, max_order=max_order)

    @classmethod
    def from_gap(cls, expression: object, *, name: str = "",
                 max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The finite group a GAP expression evaluates to, e.g. ``"PrimitiveGroup(10,3)"``; needs
        the extra ``pip install 'wordtensor[gap]'`` (:mod:`wordtensor.gap`).

        >>> from wordtensor.gap import gap_available
        >>> Group.from_gap("SymmetricGroup(4)").order if gap_available() else 24
        24
        """
        from .gap import group_from_gap

        return group_from_gap(expression, name=name, max_order=max_order)

    @classmethod
    def cyclic(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """Z_n = {0, ..., n-1} under addition mod n."""
        n = _positive(n, "Z_n needs n >= 1")
        _check_size(n, max_order, f"Z{n}")
        a = np.arange(n)
        return cls((a[:, None] + a[None, :]) % n, [str(i) for i in range(n)], f"Z{n}",
                   validate=False)

    @classmethod
    def dihedral(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """D_n of order 2n: elements r^i s^j (index i + n j), s r s = r⁻¹."""
        n = _positive(n, "D_n needs n >= 1 (D_n has order 2n)")
        _check_size(2 * n, max_order, f"D{n}")
        i = np.arange(2 * n) % n
        j = np.arange(2 * n) // n
        ii, kk = i[:, None], i[None, :]
        jj, ll = j[:, None], j[None, :]
        r = (ii + np.where(jj == 1, -kk, kk)) % n
        s = (jj + ll) % 2
        labels = [_dihedral_label(a, b) for b in range(2) for a in range(n)]
        return cls(r + n * s, labels, f"D{n}", validate=False)

    @classmethod
    def dicyclic(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """Dic_n of order 4n: a^i x^j (index i + 2n j), a^{2n} = 1, x² = a^n, x a x⁻¹ = a⁻¹.
        Dic_2 = Q8."""
        n = _positive(n, "Dic_n needs n >= 1 (Dic_n has order 4n)")
        _check_size(4 * n, max_order, f"Dic{n}")
        m = 2 * n
        i = np.arange(2 * m) % m
        j = np.arange(2 * m) // m
        ii, kk = i[:, None], i[None, :]
        jj, ll = j[:, None], j[None, :]
        a = np.where(jj == 0, ii + kk, ii - kk + np.where(ll == 1, n, 0)) % m
        x = (jj + ll) % 2
        labels = [_power_label("a", a_, "x" if b else "") for b in range(2) for a_ in range(m)]
        name = "Q8" if n == 2 else f"Dic{n}"
        return cls(a + m * x, labels, name, validate=False)

    @classmethod
    def symmetric(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """S_n as permutations of 1..n (GAP's product convention)."""
        n = _positive(n, "S_n needs n >= 1")
        _check_size(math.factorial(min(n, 21)), max_order, f"S{n}", f"{n}!")
        perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)
        return cls._from_perm_elements(perms, f"S{n}")

    @classmethod
    def alternating(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """A_n, the even permutations of 1..n."""
        n = _positive(n, "A_n needs n >= 1")
        _check_size(max(1, math.factorial(min(n, 21)) // 2), max_order, f"A{n}", f"{n}!/2")
        perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)
        perms = perms[_perm_parity(perms) == 0]
        return cls._from_perm_elements(perms, f"A{n}")

    @classmethod
    def _from_perm_elements(cls, perms: np.ndarray, name: str) -> Group:
        index = _ElementIndex(max(perms.shape[1], 2), perms.shape[1])
        mul = _table_from_elements(perms, _perm.compose, index)
        labels = [_perm.cycle_string(p) for p in perms]
        G = cls(mul, labels, name, validate=False)
        G.perm_images = perms
        return G

    @classmethod
    def from_permutations(cls, generators, *, degree: int | None = None, name: str = "",
                          max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The group generated by permutations: GAP cycle strings (``"(1,2,3)(4,5)"``), one
        comma-separated string of them, or 0-based image sequences.

        >>> Group.from_permutations(["(1,2,3)", "(1,2)"]).order
        6
        """
        if isinstance(generators, str):
            generators = _perm.split_generators(generators)
        generators = list(generators)
        if not generators:
            raise GroupSpecError("no permutation generators given")
        imgs = []
        for g in generators:
            if isinstance(g, str):
                imgs.append(_perm.parse_permutation(g))
            else:
                p = np.asarray(g, dtype=np.int64).ravel()
                if sorted(p.tolist()) != list(range(len(p))):
                    raise GroupSpecError(f"{list(p)} is not a 0-based permutation image list")
                imgs.append(p)
        d = max(max(len(p) for p in imgs), degree or 0)
        gens = np.stack([np.concatenate([p, np.arange(len(p), d)]) for p in imgs])
        index = _ElementIndex(max(d, 2), d)
        nm = name or "<" + ",".join(_perm.cycle_string(p) for p in gens) + ">"
        elems, parent, gen_of = _closure(gens, np.arange(d), _perm.compose, index, max_order, nm)
        mul = _table_from_tree(elems, parent, gen_of, gens, _perm.compose, index)
        G = cls(mul, [_perm.cycle_string(p) for p in elems], nm, validate=False)
        G.perm_images = elems
        return G

    @classmethod
    def from_matrices(cls, generators, q: int | None = None, *, projective: bool = False,
                      name: str = "", max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The group generated by invertible matrices over GF(q): ``galois`` FieldArrays (q is
        read from them) or integer arrays with ``q`` given (galois' integer representation).
        With ``projective=True`` matrices are taken modulo scalars (e.g. PSL, PGL).

        >>> Group.from_matrices([[[1, 1], [0, 1]], [[0, 1], [2, 0]]], q=3).order
        24
        """
        gens_list = list(generators) if not hasattr(generators, "ndim") or generators.ndim == 3 \
            else [generators]
        if not gens_list:
            raise GroupSpecError("no matrix generators given")
        if q is None:
            order = getattr(type(gens_list[0]), "order", None)
            if order is None:
                raise GroupSpecError("give q, or pass galois FieldArray generators")
            q = int(order)
        F = field_tables(int(q))
        gens = np.stack([np.asarray(g, dtype=np.int64) for g in gens_list])
        if gens.ndim != 3 or gens.shape[1] != gens.shape[2]:
            raise GroupSpecError(f"matrix generators must be square and of one size, got {gens.shape}")
        if gens.min() < 0 or gens.max() >= q:
            raise GroupSpecError(f"matrix entries must be field elements 0..{q - 1}")
        if np.any(F.det(gens) == 0):
            raise GroupSpecError("a matrix generator is singular, so it generates no group")
        d = gens.shape[1]
        compose = F.matmul
        ident = np.eye(d, dtype=np.int64)
        if projective:
            gens = F.normalise_projective(gens)

            def compose(a, b):
                return F.normalise_projective(F.matmul(a, b))

        index = _ElementIndex(q, d * d)
        nm = name or f"matrix group over GF({q})"
        elems, parent, gen_of = _closure(gens, ident, compose, index, max_order, nm)
        mul = _table_from_tree(elems, parent, gen_of, gens, compose, index)
        labels = ["[" + ",".join("[" + ",".join(map(str, r)) + "]" for r in m) + "]" for m in elems]
        G = cls(mul, labels, nm, validate=False)
        G.matrices = elems
        G.field_order = q
        return G

    @classmethod
    def general_linear(cls, n: int, q: int, **kw) -> Group:
        """GL(n, q)."""
        _check_linear_order(n, q, "GL", kw.get("max_order", DEFAULT_MAX_ORDER))
        return cls.from_matrices(_linear_generators(n, q, special=False), q, name=f"GL({n},{q})",
                                 **kw)

    @classmethod
    def special_linear(cls, n: int, q: int, **kw) -> Group:
        """SL(n, q)."""
        _check_linear_order(n, q, "SL", kw.get("max_order", DEFAULT_MAX_ORDER))
        return cls.from_matrices(_linear_generators(n, q, special=True), q, name=f"SL({n},{q})",
                                 **kw)

    @classmethod
    def projective_special_linear(cls, n: int, q: int, **kw) -> Group:
        """PSL(n, q) = SL(n, q) / scalars."""
        _check_linear_order(n, q, "PSL", kw.get("max_order", DEFAULT_MAX_ORDER))
        return cls.from_matrices(_linear_generators(n, q, special=True), q, projective=True,
                                 name=f"PSL({n},{q})", **kw)

    @classmethod
    def projective_general_linear(cls, n: int, q: int, **kw) -> Group:
        """PGL(n, q) = GL(n, q) / scalars."""
        _check_linear_order(n, q, "PGL", kw.get("max_order", DEFAULT_MAX_ORDER))
        return cls.from_matrices(_linear_generators(n, q, special=False), q, projective=True,
                                 name=f"PGL({n},{q})", **kw)

    def direct_product(self, other: Group, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """self × other; element (a, b) has index a·|other| + b."""
        n1, n2 = self.order, other.order
        _check_size(n1 * n2, max_order, f"{self.name}x{other.name}")
        m1 = self.mul.astype(np.int64)[:, None, :, None] * n2
        m2 = other.mul.astype(np.int64)[None, :, None, :]
        mul = (m1 + m2).reshape(n1 * n2, n1 * n2)
        labels = [f"({a}, {b})" for a in self.labels for b in other.labels]
        return Group(mul, labels, f"{self.name}x{other.name}", validate=False)


# ---------------------------------------------------------------------- helpers
def _positive(n, msg) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise GroupSpecError(msg + f", got {n!r}")
    return int(n)


def _check_size(n: int, max_order: int, what: str, size: str | None = None) -> None:
    if n > max_order:
        raise GroupTooLargeError(
            f"{what} has {size or n} elements, more than the limit {max_order}; "
            "pass a larger max_order if its Cayley table will fit in memory"
        )


def _dihedral_label(i: int, j: int) -> str:
    return _power_label("r", i, "s" if j else "")


def _power_label(g: str, i: int, suffix: str) -> str:
    head = "" if i == 0 else (g if i == 1 else f"{g}^{i}")
    out = " ".join(t for t in (head, suffix) if t)
    return out or "e"


def _perm_parity(perms: np.ndarray) -> np.ndarray:
    n = perms.shape[1]
    inv = np.zeros(len(perms), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            inv += perms[:, i] > perms[:, j]
    return inv % 2


def _check_linear_order(n: int, q: int, family: str, max_order: int) -> None:
    """Refuse GL/SL/PSL/PGL(n, q) past ``max_order`` before the closure tries to enumerate it
    (a huge n or q would otherwise exhaust memory in the first rounds)."""
    n = _positive(n, "the matrix size n must be >= 1")
    field_tables(q)  # GroupSpecError unless q is a (small enough) prime power
    what = f"{family}({n},{q})"
    # |PSL(n,q)| >= q^(n(n-1)/2) (the unitriangular matrices), a lower bound for all four
    if n >= 2 and n * (n - 1) // 2 * math.log2(q) > math.log2(max(max_order, 1)) + 1:
        raise GroupTooLargeError(
            f"{what} has at least {q}^{n * (n - 1) // 2} elements, more than the limit "
            f"{max_order}; pass a larger max_order if its Cayley table will fit in memory")
    gl = math.prod(q**n - q**i for i in range(n))
    order = {"GL": gl, "SL": gl // (q - 1), "PGL": gl // (q - 1),
             "PSL": gl // (q - 1) // math.gcd(n, q - 1)}[family]
    _check_size(order, max_order, what)


def _linear_generators(n: int, q: int, special: bool) -> np.ndarray:
    n = _positive(n, "the matrix size n must be >= 1")
    F = field_tables(q)
    gens = []
    for i in range(n):
        for j in range(n):
            if i != j:
                for a in F.additive_basis:
                    m = np.eye(n, dtype=np.int64)
                    m[i, j] = a
                    gens.append(m)
    if not special and q > 2:
        m = np.eye(n, dtype=np.int64)
        m[0, 0] = F.primitive
        gens.append(m)
    if not gens:  # n == 1
        gens.append(np.eye(1, dtype=np.int64) * (1 if special else F.primitive))
    return np.stack(gens)


def _validate_table(mul: np.ndarray, labels):
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
    _check_associative(mul)
    return mul, labels


def _check_associative(mul: np.ndarray) -> None:
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
