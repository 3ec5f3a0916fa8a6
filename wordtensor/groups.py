"""Finite groups backed by their Cayley table.

Conventions: elements are indexed 0..n-1 with the identity at index 0; ``mul[a, b]`` is the index
of g_a·g_b and ``inv[a]`` the index of g_a⁻¹. Permutation groups use GAP's convention (act on the
right: ``p*q`` applies p first) and label elements in GAP cycle notation. Matrix groups over GF(q)
multiply matrices in the usual way (``A*B`` is the matrix product) and act on row vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from . import _gf, _perm
from ._cayley import (
    DEFAULT_MAX_ORDER,
    check_size,
    class_ids,
    dihedral_label,
    element_indices,
    element_orders,
    label_list,
    positive_param,
    power_label,
    subgroup_closure,
    table_array,
    table_dtype,
    validate_table,
)
from .errors import GroupSpecError, GroupTableError, GroupTooLargeError
from .smallgroups import small_group_info
from .specs import Family, GapExpression, Permutations, Power, Product, SmallGroupId, Spec, parse_spec
from .validate import integer, positive_int

__all__ = ["Group", "as_group"]


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

    def __init__(self, mul: ArrayLike, labels: Sequence[str] | None = None, name: str = "",
                 *, validate: bool = True):
        mul = table_array(mul)
        labels = label_list(labels)
        if validate:
            mul, labels = validate_table(mul, labels)
        n = mul.shape[0]
        self.mul: np.ndarray = np.ascontiguousarray(mul, dtype=table_dtype(n))
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
        """Display label of element a.

        >>> Group.cyclic(5).label(3)
        '3'
        """
        return self.labels[self._element(a)]

    def _element(self, a) -> int:
        return integer(a, "an element index", minimum=0, maximum=self.order - 1)

    def elements(self, a: ArrayLike, what: str = "element indices") -> np.ndarray:
        """``a`` as an integer index array, checked to name elements 0..n-1.

        >>> Group.cyclic(5).elements([0, 4]).tolist()
        [0, 4]
        >>> Group.cyclic(5).elements([5])
        Traceback (most recent call last):
        ...
        wordtensor.errors.ParameterError: element indices of Z5 must be integers in 0..4, got [5]
        """
        return element_indices(a, self.order, f"{what} of {self.name}")

    def index(self, label: str) -> int:
        """Index of the element with this label."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise GroupSpecError(f"{self.name} has no element labelled {label!r}") from None

    def power(self, a: ArrayLike, k: int) -> np.ndarray:
        """g_a^k for an array of indices a and any integer k (repeated squaring).

        >>> Group.cyclic(6).power([1, 2], -2).tolist()
        [4, 2]
        """
        a = self.elements(a)
        k = integer(k, "the exponent k")
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
        return element_orders(self.mul)

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
        return class_ids(self.mul, self.inv)

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

    def subgroup_generated(self, elements: ArrayLike) -> np.ndarray:
        """Sorted indices of the subgroup generated by the given elements.

        >>> Group.cyclic(6).subgroup_generated([2]).tolist()
        [0, 2, 4]
        """
        return subgroup_closure(self.mul, self.elements(elements))

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
    def from_table(cls, table: ArrayLike, labels: Sequence[str] | None = None,
                   name: str = "") -> Group:
        """A group from a Cayley table (validated: square, entries in range, Latin square,
        identity, associativity). If the identity is not element 0, elements are reordered so
        that it is (labels follow).

        >>> Group.from_table([[0, 1], [1, 0]]).order
        2
        """
        return cls(table, labels, name or "", validate=True)

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
        return _build(parse_spec(spec), positive_int(max_order, "max_order"))

    @classmethod
    def small_group(cls, n: int, i: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """``SmallGroup(n, i)`` of GAP's small groups library, n <= 100, from the shipped
        catalogue (:mod:`wordtensor.smallgroups`).

        >>> Group.small_group(24, 12).name
        'SmallGroup(24,12) = S4'
        """
        info = small_group_info(n, i)
        return cls.from_permutations(list(info.generators), name=info.name, max_order=max_order)

    @classmethod
    def from_gap(cls, expression: object, *, name: str = "",
                 max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The finite group a GAP expression evaluates to, e.g. ``"PrimitiveGroup(10,3)"``; needs
        the extra ``pip install 'wordtensor[gap]'`` (:mod:`wordtensor.gap`).

        >>> from wordtensor.gap import gap_available
        >>> Group.from_gap("SymmetricGroup(4)").order if gap_available() else 24
        24
        """
        from .gap import gap_generators  # imports GAP (passagemath-gap): seconds, optional extra

        gens, name = gap_generators(expression, name=name, max_order=max_order)
        return cls.from_permutations(gens, name=name, max_order=max_order)

    @classmethod
    def cyclic(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """Z_n = {0, ..., n-1} under addition mod n.

        >>> int(Group.cyclic(5).mul[3, 4]), Group.cyclic(5).labels[4]
        (2, '4')
        """
        n = positive_param(n, "Z_n needs n >= 1")
        check_size(n, max_order, f"Z{n}")
        a = np.arange(n)
        return cls((a[:, None] + a[None, :]) % n, [str(i) for i in range(n)], f"Z{n}",
                   validate=False)

    @classmethod
    def dihedral(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """D_n of order 2n: elements r^i s^j (index i + n j), s r s = r⁻¹.

        >>> D4 = Group.dihedral(4)
        >>> D4.order, D4.labels[:5], D4.label(D4.mul[4, 1])   # s r = r^3 s
        (8, ['e', 'r', 'r^2', 'r^3', 's'], 'r^3 s')
        """
        n = positive_param(n, "D_n needs n >= 1 (D_n has order 2n)")
        check_size(2 * n, max_order, f"D{n}")
        i = np.arange(2 * n) % n
        j = np.arange(2 * n) // n
        ii, kk = i[:, None], i[None, :]
        jj, ll = j[:, None], j[None, :]
        r = (ii + np.where(jj == 1, -kk, kk)) % n
        s = (jj + ll) % 2
        labels = [dihedral_label(a, b) for b in range(2) for a in range(n)]
        return cls(r + n * s, labels, f"D{n}", validate=False)

    @classmethod
    def dicyclic(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """Dic_n of order 4n: a^i x^j (index i + 2n j), a^{2n} = 1, x² = a^n, x a x⁻¹ = a⁻¹.
        Dic_2 = Q8.

        >>> Group.dicyclic(2).name, Group.dicyclic(3).order, Group.dicyclic(3).num_classes
        ('Q8', 12, 6)
        """
        n = positive_param(n, "Dic_n needs n >= 1 (Dic_n has order 4n)")
        check_size(4 * n, max_order, f"Dic{n}")
        m = 2 * n
        i = np.arange(2 * m) % m
        j = np.arange(2 * m) // m
        ii, kk = i[:, None], i[None, :]
        jj, ll = j[:, None], j[None, :]
        a = np.where(jj == 0, ii + kk, ii - kk + np.where(ll == 1, n, 0)) % m
        x = (jj + ll) % 2
        labels = [power_label("a", a_, "x" if b else "") for b in range(2) for a_ in range(m)]
        name = "Q8" if n == 2 else f"Dic{n}"
        return cls(a + m * x, labels, name, validate=False)

    @classmethod
    def symmetric(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """S_n as permutations of 1..n (GAP's product convention).

        >>> S3 = Group.symmetric(3)
        >>> S3.label(S3.mul[S3.index("(1,2)"), S3.index("(2,3)")])   # (1,2) first, then (2,3)
        '(1,3,2)'
        """
        n = positive_param(n, "S_n needs n >= 1")
        check_size(math.factorial(min(n, 21)), max_order, f"S{n}", f"{n}!")
        perms = _perm.all_permutations(n)
        return cls._from_perm_elements(perms, _perm.table(perms), f"S{n}")

    @classmethod
    def alternating(cls, n: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """A_n, the even permutations of 1..n.

        >>> Group.alternating(5).order, Group.alternating(5).num_classes
        (60, 5)
        """
        n = positive_param(n, "A_n needs n >= 1")
        check_size(max(1, math.factorial(min(n, 21)) // 2), max_order, f"A{n}", f"{n}!/2")
        perms = _perm.all_permutations(n)
        perms = perms[_perm.parity(perms) == 0]
        return cls._from_perm_elements(perms, _perm.table(perms), f"A{n}")

    @classmethod
    def _from_perm_elements(cls, perms: np.ndarray, mul: np.ndarray, name: str) -> Group:
        G = cls(mul, [_perm.cycle_string(p) for p in perms], name, validate=False)
        G.perm_images = perms
        return G

    @classmethod
    def from_permutations(cls, generators: str | Sequence[str | Sequence[int]], *,
                          degree: int | None = None, name: str = "",
                          max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The group generated by permutations: GAP cycle strings (``"(1,2,3)(4,5)"``), one
        comma-separated string of them, or 0-based image sequences.

        >>> Group.from_permutations(["(1,2,3)", "(1,2)"]).order
        6
        """
        gens = _perm.generator_images(generators, degree)
        max_order = positive_int(max_order, "max_order")
        nm = name or "<" + ",".join(_perm.cycle_string(p) for p in gens) + ">"
        return cls._from_perm_elements(*_perm.generate(gens, max_order, nm), nm)

    @classmethod
    def from_matrices(cls, generators: ArrayLike, q: int | None = None, *, projective: bool = False,
                      name: str = "", max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """The group generated by invertible matrices over GF(q): ``galois`` FieldArrays (q is
        read from them) or integer arrays with ``q`` given (galois' integer representation).
        With ``projective=True`` matrices are taken modulo scalars (e.g. PSL, PGL).

        >>> Group.from_matrices([[[1, 1], [0, 1]], [[0, 1], [2, 0]]], q=3).order
        24
        """
        gens, q = _gf.matrix_generators(generators, q)
        F = _gf.field_tables(q)
        if np.any(F.det(gens) == 0):
            raise GroupSpecError("a matrix generator is singular, so it generates no group")
        nm = name or f"matrix group over GF({q})"
        elems, mul = _gf.generate(gens, q, projective, max_order, nm)
        labels = ["[" + ",".join("[" + ",".join(map(str, r)) + "]" for r in m) + "]" for m in elems]
        G = cls(mul, labels, nm, validate=False)
        G.matrices = elems
        G.field_order = q
        return G

    @classmethod
    def general_linear(cls, n: int, q: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """GL(n, q), the invertible n×n matrices over GF(q).

        >>> Group.general_linear(2, 2).order, Group.general_linear(2, 3).order
        (6, 48)
        """
        return cls._linear("GL", n, q, max_order)

    @classmethod
    def special_linear(cls, n: int, q: int, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """SL(n, q), the matrices of determinant 1.

        >>> Group.special_linear(2, 3).order
        24
        """
        return cls._linear("SL", n, q, max_order)

    @classmethod
    def projective_special_linear(cls, n: int, q: int, *,
                                  max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """PSL(n, q) = SL(n, q) / scalars.

        >>> Group.projective_special_linear(2, 7).order
        168
        """
        return cls._linear("PSL", n, q, max_order)

    @classmethod
    def projective_general_linear(cls, n: int, q: int, *,
                                  max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """PGL(n, q) = GL(n, q) / scalars.

        >>> Group.projective_general_linear(2, 3).order   # PGL(2,3) = S4
        24
        """
        return cls._linear("PGL", n, q, max_order)

    @classmethod
    def _linear(cls, family: str, n: int, q: int, max_order: int) -> Group:
        n = positive_param(n, "the matrix size n must be >= 1")
        _gf.check_linear_order(n, q, family, max_order)
        gens = _gf.linear_generators(n, q, special=family in ("SL", "PSL"))
        return cls.from_matrices(gens, q, projective=family.startswith("P"),
                                 name=f"{family}({n},{q})", max_order=max_order)

    def direct_product(self, other: Group, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
        """self × other; element (a, b) has index a·|other| + b.

        >>> G = Group.cyclic(2).direct_product(Group.cyclic(3))
        >>> G.name, G.labels[4], G.is_abelian
        ('Z2xZ3', '(1, 1)', True)
        """
        other = as_group(other, what="the other factor")
        n1, n2 = self.order, other.order
        check_size(n1 * n2, max_order, f"{self.name}x{other.name}")
        m1 = self.mul.astype(np.int64)[:, None, :, None] * n2
        m2 = other.mul.astype(np.int64)[None, :, None, :]
        mul = (m1 + m2).reshape(n1 * n2, n1 * n2)
        labels = [f"({a}, {b})" for a in self.labels for b in other.labels]
        return Group(mul, labels, f"{self.name}x{other.name}", validate=False)


# ---------------------------------------------------------------------- helpers
def as_group(group: Group | str, *, what: str = "group",
             max_order: int = DEFAULT_MAX_ORDER) -> Group:
    """A :class:`Group` as it is, or the group a spec string names (parsed here, once); any
    other value is refused. Every public function that takes a group takes a spec too.

    >>> as_group("S3").order, as_group(Group.cyclic(4)).name
    (6, 'Z4')
    >>> as_group(None)
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: group must be a Group or a spec string such as 'S3' or
    'SL(2,3)', got NoneType
    """
    if isinstance(group, Group):
        return group
    if isinstance(group, str):
        return Group.from_spec(group, max_order=max_order)
    raise GroupSpecError(f"{what} must be a Group or a spec string such as 'S3' or 'SL(2,3)', "
                         f"got {type(group).__name__}")


#: The named families of spec strings and the constructors that build them.
_FAMILIES: dict[str, Callable[..., Group]] = {
    "Z": Group.cyclic, "D": Group.dihedral, "S": Group.symmetric, "A": Group.alternating,
    "Dic": Group.dicyclic, "SL": Group.special_linear, "GL": Group.general_linear,
    "PSL": Group.projective_special_linear, "PGL": Group.projective_general_linear,
}


def _build(spec: Spec, max_order: int) -> Group:
    """The group a parsed spec names (see :mod:`wordtensor.specs` for the names it gets)."""
    if isinstance(spec, Family):
        return _FAMILIES[spec.family](*spec.params, max_order=max_order)
    if isinstance(spec, Permutations):
        return Group.from_permutations(spec.generators, name=spec.text, max_order=max_order)
    if isinstance(spec, SmallGroupId):
        return Group.small_group(spec.order, spec.index, max_order=max_order)
    if isinstance(spec, GapExpression):
        return Group.from_gap(spec.expression, max_order=max_order)
    if isinstance(spec, Product):
        G = _build(spec.factors[0], max_order)
        for factor in spec.factors[1:]:
            G = G.direct_product(_build(factor, max_order), max_order=max_order)
        G.name = spec.text
        return G
    if isinstance(spec, Power):
        G = _build(spec.base, max_order)
        if G.order == 1:
            return G  # any power of the trivial group is trivial
        k = spec.k
        if k * math.log2(G.order) > math.log2(max(max_order, 1)) + 1 or G.order**k > max_order:
            raise GroupTooLargeError(
                f"{spec.text} has {G.order}^{k} elements, more than the limit {max_order}; "
                "pass a larger max_order if its Cayley table will fit in memory")
        out = G
        for _ in range(k - 1):
            out = out.direct_product(G, max_order=max_order)
        out.name = spec.text
        return out
    raise TypeError(f"not a parsed group spec: {spec!r}")
