"""The result type of a lower bound (value, method, reference, detail) and the references it cites.

Every lower bound the toolkit reports is a theorem about δ: ``method`` names the technique,
``reference`` cites where it is proved, ``detail`` holds the data that reproduce it (the modes,
the subgroup, the projection seed, the exact rank behind it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wordtensor.errors import WordTensorError
from wordtensor.storage import to_jsonable

__all__ = ["LowerBound", "best_lower_bound"]

#: Where each lower-bound technique is proved.
REFERENCES = {
    "flattening": "rank of a flattening ≤ tensor rank (e.g. Landsberg, Tensors: Geometry and "
                  "Applications, AMS 2012, §3.4); ranks exact over Q (python-flint)",
    "alder-strassen": "Alder & Strassen, On the algorithmic complexity of associative algebras, "
                      "Theoret. Comput. Sci. 15 (1981) 201-211: R(A) ≥ 2 dim A − t",
    "minimal-rank+1": "Bläser, A complete characterization of the algebras of minimal bilinear "
                      "complexity, SIAM J. Comput. 34 (2004) 277-298; de Groote & Heintz, "
                      "Commutative algebras of minimal rank, Linear Algebra Appl. 55 (1983) 37-68: "
                      "a semisimple algebra over a perfect field has rank 2 dim A − t iff it is "
                      "a product of field extensions and copies of M_2(k)",
    "restriction": "a restriction (sub-box, or pull-back along maps of the inputs) of δ has rank "
                   "≤ rank δ (Bürgisser, Clausen & Shokrollahi, Algebraic Complexity Theory, "
                   "Springer 1997, §14.1)",
    "koszul-young": "Landsberg & Ottaviani, New lower bounds for the border rank of matrix "
                    "multiplication, Theory of Computing 11 (2015) 285-298: for dim A' = 2p+1, "
                    "border rank ≥ rank(T_A'^∧p) / C(2p, p); border rank ≤ rank",
}


@dataclass(frozen=True)
class LowerBound:
    """A theorem ``rank(δ) ≥ value``: the technique (``method``), where it is proved
    (``reference``) and what reproduces it (``detail``).

    >>> b = LowerBound(9, "alder-strassen", REFERENCES["alder-strassen"], {"n": 6, "t": 3})
    >>> b.value, b.method, b.to_json()["detail"]
    (9, 'alder-strassen', {'n': 6, 't': 3})
    >>> LowerBound(-1, "flattening", "")
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordTensorError: a lower bound is a non-negative integer, got -1
    """

    value: int
    method: str
    reference: str
    detail: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool) or self.value < 0:
            raise WordTensorError(f"a lower bound is a non-negative integer, got {self.value!r}")

    def to_json(self) -> dict:
        """Plain JSON data: value, method, reference, detail."""
        return to_jsonable({"value": self.value, "method": self.method,
                            "reference": self.reference, "detail": self.detail})


def best_lower_bound(bounds: Iterable[LowerBound]) -> LowerBound:
    """The largest of ``bounds``; the first one listed wins a tie.

    >>> best_lower_bound([LowerBound(6, "flattening", ""), LowerBound(9, "alder-strassen", ""),
    ...                   LowerBound(9, "restriction", "")]).method
    'alder-strassen'
    """
    best = None
    for b in bounds:
        if best is None or b.value > best.value:
            best = b
    if best is None:
        raise WordTensorError("no lower bound given; the flattening bound always applies, so "
                              "pass at least that one")
    return best
