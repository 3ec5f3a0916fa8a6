"""Lower bounds of xy from the structure of R[G]: Alder–Strassen 2n − t and the minimal-rank +1.

R[G] ≅ ⊕ M_d(R) ⊕ M_d(C) ⊕ M_{d/2}(H), one simple component per bsc; the degrees d and the
Frobenius–Schur indicators come from the character table.

* Alder–Strassen: an associative algebra A with t maximal two-sided ideals has rank
  R(A) ≥ 2 dim A − t. For R[G], dim = n and t = the number of bscs.
* Minimal rank (Bläser 2004; de Groote–Heintz 1983): a semisimple algebra over a perfect field
  has rank exactly 2 dim A − t iff it is a product of field extensions and copies of M_2(k).
  Over R the field extensions are R and C, so R[G] has rank ≥ 2n − t + 1 as soon as one
  simple component is not R, C or M_2(R): a real bsc of degree ≥ 3, a complex one of degree
  ≥ 2, or any quaternionic one.

Both hold for every tensor that is δ_xy with relabelled inputs and output
(:mod:`fusion.ranks.relabel`), and through restriction (:mod:`fusion.ranks.restriction`) for
every tensor that contains one.
"""

from __future__ import annotations

from wordtensor import Group

from ..reps.characters import character_table
from .bound import REFERENCES, LowerBound

__all__ = ["simple_components", "is_minimal_rank", "alder_strassen_bound", "group_algebra_bounds"]


def simple_components(G: Group) -> list[tuple[str, int]]:
    """The simple components of R[G] as (division algebra, matrix size): ("R", d) for a real
    character of degree d, ("C", d) for a pair χ ≠ χ̄ of degree d, ("H", d/2) for a
    quaternionic character of degree d. Sorted by (algebra, size).

    >>> simple_components(Group.from_spec("S3"))
    [('R', 1), ('R', 1), ('R', 2)]
    >>> simple_components(Group.from_spec("Q8"))     # R⁴ × H
    [('H', 1), ('R', 1), ('R', 1), ('R', 1), ('R', 1)]
    >>> simple_components(Group.from_spec("Z3"))     # R × C
    [('C', 1), ('R', 1)]
    """
    ct = character_table(G)
    out = []
    for i, (d, nu) in enumerate(zip(ct.degrees.tolist(), ct.indicators.tolist())):
        if nu == 1:
            out.append(("R", d))
        elif nu == -1:
            out.append(("H", d // 2))
        elif i < int(ct.conjugate[i]):  # one component per pair {χ, χ̄}
            out.append(("C", d))
    return sorted(out)


def is_minimal_rank(components: list[tuple[str, int]]) -> bool:
    """Whether the semisimple R-algebra with these simple components has minimal rank
    2 dim A − t: every component is R, C or M_2(R) (Bläser 2004).

    >>> is_minimal_rank([("R", 1), ("R", 1), ("R", 2)]), is_minimal_rank([("H", 1), ("R", 1)])
    (True, False)
    >>> is_minimal_rank([("C", 1)]), is_minimal_rank([("C", 2)]), is_minimal_rank([("R", 3)])
    (True, False, False)
    """
    return all(c in (("R", 1), ("C", 1), ("R", 2)) for c in components)


def alder_strassen_bound(G: Group) -> int:
    """2n − t for the multiplication tensor of R[G] (t = number of bscs).

    >>> [alder_strassen_bound(Group.from_spec(s)) for s in ("S3", "Z4", "Q8")]
    [9, 5, 11]

    (2·6 − 3, 2·4 − 3 and 2·8 − 5: S3 and Z4 have 3 bscs, Q8 has 5.)
    """
    return 2 * G.order - len(simple_components(G))


def group_algebra_bounds(G: Group, *, via: str = "") -> list[LowerBound]:
    """The lower bounds on the rank of R[G]'s multiplication tensor: Alder–Strassen, and the
    minimal-rank +1 when some component is not R, C or M_2(R). ``via`` is prepended to the
    method names (e.g. ``"restriction to A4: "``); the detail lists the components.

    >>> [(b.value, b.method) for b in group_algebra_bounds(Group.from_spec("Q8"))]
    [(11, 'alder-strassen'), (12, 'minimal-rank+1')]
    >>> [b.value for b in group_algebra_bounds(Group.from_spec("S3"))]   # minimal: 9 is the rank
    [9]
    """
    comps = simple_components(G)
    n, t = G.order, len(comps)
    names = [f"M_{d}({k})" for k, d in comps]
    detail = {"group": G.name, "n": n, "t": t, "components": names}
    out = [LowerBound(2 * n - t, via + "alder-strassen", REFERENCES["alder-strassen"], detail)]
    if not is_minimal_rank(comps):
        culprits = [nm for nm, c in zip(names, comps) if c not in (("R", 1), ("C", 1), ("R", 2))]
        out.append(LowerBound(2 * n - t + 1, via + "minimal-rank+1", REFERENCES["minimal-rank+1"],
                              {**detail, "not_minimal": culprits}))
    return out
