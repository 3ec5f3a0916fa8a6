"""GAP's small groups library, by id: ``SmallGroup(n, i)`` for every group of order n <= 100.

The package ships a catalogue made by GAP (``wordtensor/data/smallgroups.json.gz``, written by
``scripts/make_smallgroups.g``; its README gives the GAP version and the keys). For each of the
1048 groups it holds generators of a faithful permutation representation of small degree, GAP's
``StructureDescription`` and a few invariants (classes, exponent, character degrees, ...). A
:class:`Group` is built from the generators by the usual closure, identity first; the invariants
are GAP's, so tests can hold the Cayley table against them. Ids are GAP's and fixed:
``SmallGroup(24,12)`` is S4 in every GAP version. The names are GAP 4.12.1's and are not
invariants: other GAP versions write some semidirect products of order 64 and 96 otherwise.

Beyond order 100 use the optional GAP bridge (:mod:`wordtensor.gap`): ``gap:SmallGroup(n,i)``.

>>> from wordtensor import Group
>>> G = Group.small_group(24, 12)
>>> G.name, G.order, G.num_classes
('SmallGroup(24,12) = S4', 24, 5)
>>> [g.structure for g in small_groups(8)]
['C8', 'C4 x C2', 'D8', 'Q8', 'C2 x C2 x C2']
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from .errors import GroupSpecError

__all__ = [
    "CATALOGUE_MAX_ORDER",
    "SmallGroupInfo",
    "number_small_groups",
    "small_group_info",
    "small_groups",
    "parse_orders",
]

#: Largest order in the shipped catalogue.
CATALOGUE_MAX_ORDER = 100


@dataclass(frozen=True)
class SmallGroupInfo:
    """One group of the catalogue: its id, GAP's name and GAP's invariants (no Cayley table).

    ``indicators`` counts the irreducible characters by Frobenius–Schur indicator: (real,
    complex, quaternionic). ``element_orders`` pairs each element order with how many elements
    have it. ``class_sizes`` and ``character_degrees`` are sorted.

    >>> info = small_group_info(8, 4)
    >>> info.spec, info.structure, info.name
    ('SmallGroup(8,4)', 'Q8', 'SmallGroup(8,4) = Q8')
    >>> info.indicators, info.character_degrees, info.element_orders
    ((4, 0, 1), (1, 1, 1, 1, 2), ((1, 1), (2, 1), (4, 6)))
    >>> len(info.generators) > 0
    True
    """

    order: int
    index: int
    structure: str
    degree: int
    generators: tuple[str, ...]
    num_classes: int
    abelian: bool
    cyclic: bool
    nilpotent: bool
    solvable: bool
    exponent: int
    center_order: int
    derived_order: int
    class_sizes: tuple[int, ...]
    element_orders: tuple[tuple[int, int], ...]
    real_classes: int
    character_degrees: tuple[int, ...]
    indicators: tuple[int, int, int]

    @property
    def id(self) -> tuple[int, int]:
        """GAP's id ``(n, i)``."""
        return self.order, self.index

    @property
    def spec(self) -> str:
        """The spec string that names this group, ``SmallGroup(n,i)``."""
        return f"SmallGroup({self.order},{self.index})"

    @property
    def name(self) -> str:
        """The spec and GAP's StructureDescription: ``SmallGroup(24,12) = S4``."""
        return f"{self.spec} = {self.structure}"

    def summary(self) -> dict:
        """The facts ``wordtensor groups --json`` prints: ``id`` ([n, i]), ``spec``,
        ``structure`` (GAP's StructureDescription), ``num_classes``, ``abelian``, ``exponent``.

        >>> small_group_info(6, 1).summary()["structure"]
        'S3'
        """
        return {"id": list(self.id), "spec": self.spec, "structure": self.structure,
                "num_classes": self.num_classes, "abelian": self.abelian,
                "exponent": self.exponent}


@lru_cache(maxsize=1)
def _catalogue() -> dict[int, tuple[SmallGroupInfo, ...]]:
    raw = (files("wordtensor") / "data" / "smallgroups.json.gz").read_bytes()
    data = json.loads(gzip.decompress(raw))
    by_order: dict[int, list[SmallGroupInfo]] = {n: [] for n in range(1, data["max_order"] + 1)}
    for g in data["groups"]:
        n, i = g["id"]
        by_order[n].append(SmallGroupInfo(
            order=n, index=i, structure=g["structure"], degree=g["degree"],
            generators=tuple(g["generators"]), num_classes=g["num_classes"],
            abelian=g["abelian"], cyclic=g["cyclic"], nilpotent=g["nilpotent"],
            solvable=g["solvable"], exponent=g["exponent"], center_order=g["center_order"],
            derived_order=g["derived_order"], class_sizes=tuple(g["class_sizes"]),
            element_orders=tuple((o, c) for o, c in g["element_orders"]),
            real_classes=g["real_classes"], character_degrees=tuple(g["character_degrees"]),
            indicators=tuple(g["indicators"])))
    return {n: tuple(v) for n, v in by_order.items()}


def _check_order(n: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GroupSpecError(f"{what}: the order must be a positive integer, got {n!r}")
    if n > CATALOGUE_MAX_ORDER:
        raise GroupSpecError(
            f"{what} is beyond the shipped catalogue (orders <= {CATALOGUE_MAX_ORDER}); install "
            "the gap extra (pip install 'wordtensor[gap]') and use gap:"
            + (what if what.startswith("SmallGroup(") else f"SmallGroup({n},i)"))
    return n


def number_small_groups(n: int) -> int:
    """How many groups of order n there are (up to isomorphism), for n <= 100.

    >>> [number_small_groups(n) for n in (1, 8, 16, 24, 64, 96)]
    [1, 5, 14, 15, 267, 231]
    """
    return len(_catalogue()[_check_order(n, f"order {n}")])


def small_group_info(n: int, i: int) -> SmallGroupInfo:
    """The catalogue's entry for ``SmallGroup(n, i)``.

    >>> small_group_info(60, 5).structure
    'A5'
    >>> small_group_info(24, 16)
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: SmallGroup(24,16): there are 15 groups of order 24, numbered
    1 to 15
    """
    what = f"SmallGroup({n},{i})"
    groups = _catalogue()[_check_order(n, what)]
    if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= len(groups):
        count = (f"there is 1 group of order {n}, SmallGroup({n},1)" if len(groups) == 1 else
                 f"there are {len(groups)} groups of order {n}, numbered 1 to {len(groups)}")
        raise GroupSpecError(f"{what}: {count}")
    return groups[i - 1]


def small_groups(orders: int | Iterable[int]) -> list[SmallGroupInfo]:
    """The catalogue's entries for every group of the given order(s), by id.

    >>> [g.spec for g in small_groups([4, 6])]
    ['SmallGroup(4,1)', 'SmallGroup(4,2)', 'SmallGroup(6,1)', 'SmallGroup(6,2)']
    >>> len(small_groups(range(1, 101)))
    1048
    """
    if isinstance(orders, int):
        orders = [orders]
    return [g for n in orders for g in _catalogue()[_check_order(n, f"order {n}")]]


def parse_orders(text: str) -> list[int]:
    """Orders from a command-line list: ``24``, a range ``1-32``, or a comma list of both
    (``8,12,16-20``); sorted, each once, all within the catalogue.

    >>> parse_orders("8,12,16-18,8")
    [8, 12, 16, 17, 18]
    >>> parse_orders("32-1")
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: order range '32-1' is empty: write low-high, e.g. 1-32
    """
    out: set[int] = set()
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d{1,18})(?:-(\d{1,18}))?", part)
        if m is None:
            raise GroupSpecError(f"malformed order {part!r} in {text!r}: write an order (24), a "
                                 "range (1-32) or a comma list (8,12,16-20)")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise GroupSpecError(f"order range {part!r} is empty: write low-high, e.g. 1-32")
        for n in (lo, hi):
            _check_order(n, f"order {n}")
        out.update(range(lo, hi + 1))
    return sorted(out)
