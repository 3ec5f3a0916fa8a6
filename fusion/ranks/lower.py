"""Lower bounds on the rank of a word tensor: flattenings, Alder–Strassen, the bound of a box.

The bounds of the whole tensor are theorems: the flattening ranks are exact over Q (computed by
:mod:`wordtensor.linalg`); Alder–Strassen holds for the multiplication tensor of R[G] and its
relabellings. The bound of a box (:func:`box_lower_bound`) is numerical.

* Flattenings: the rank of any unfolding of δ bounds its CP rank from below; for the 0/1 word
  tensors it is computed exactly over Q.
* Alder–Strassen: R(A) ≥ 2 dim A − t for an associative algebra A with t maximal two-sided
  ideals (Alder & Strassen, "On the algorithmic complexity of associative algebras", Theoret.
  Comput. Sci. 15 (1981) 201–211). For R[G], dim = n and t = the number of bscs (the simple
  components of R[G]); a relabelled xy (:mod:`fusion.ranks.relabel`) has the same rank.
"""

from __future__ import annotations

from collections.abc import Sequence

from wordtensor import Group, WordTensor
from wordtensor.linalg import flattening_rank

from ..decompose import TripletDecomposition, is_multiplication
from ..reps.irreps import bscs
from .relabel import multiplication_equivalence

__all__ = ["lower_bound", "box_lower_bound"]


def flattening_ranks(T: WordTensor) -> list[dict]:
    """The rank of every single-mode flattening of δ, one row per mode: ``certified`` (exact
    over Q, :func:`wordtensor.linalg.flattening_rank`: a lower bound on the rank of δ),
    ``numerical`` (the numerical rank of the same flattening from its Gram matrix, a
    measurement) and ``exact`` (whether the two agree).

    >>> from wordtensor import word_tensor
    >>> fl = flattening_ranks(word_tensor("S3", "xy"))
    >>> tuple(f["certified"] for f in fl), all(f["exact"] for f in fl)
    ((6, 6, 6), True)
    >>> tuple(f["certified"] for f in flattening_ranks(word_tensor("S3", "[x,y]")))
    (6, 6, 3)

    (the commutators of S3 fill only A3, so the output unfolding has rank 3.)
    """
    out = []
    for m in range(T.ndim):
        cert = flattening_rank(T, (m,))
        # the numerical rank from the n × n Gram matrix: an SVD of the n × n^k flattening itself
        # would cost n^(k+2) (12 s for S5)
        num = flattening_rank(T, (m,), exact=False, max_entries=T.shape[m] ** 2)
        out.append({"mode": m, "certified": cert, "numerical": num, "exact": cert == num})
    return out


def alder_strassen_bound(G: Group) -> int:
    """2n − t for the multiplication tensor of R[G] (t = number of bscs).

    >>> from wordtensor import Group
    >>> [alder_strassen_bound(Group.from_spec(s)) for s in ("S3", "Z4", "Q8")]
    [9, 5, 11]

    (2·6 − 3, 2·4 − 3 and 2·8 − 5: S3 and Z4 have 3 bscs, Q8 has 5.)
    """
    return 2 * G.order - len(bscs(G))


def lower_bound(T: WordTensor) -> tuple[int, str, dict]:
    """The best sound lower bound: (value, method, details); ``details["flattening"]`` holds the
    rows of :func:`flattening_ranks`.

    >>> from wordtensor import word_tensor
    >>> lower_bound(word_tensor("S3", "xy"))[:2]      # Alder–Strassen 9 beats the flattenings 6
    (9, 'alder-strassen')
    >>> lower_bound(word_tensor("S3", "[x,y]"))[:2]
    (6, 'flattening')
    """
    fl = flattening_ranks(T)
    best = max(f["certified"] for f in fl)
    method = "flattening"
    if multiplication_equivalence(T) is not None:
        a = alder_strassen_bound(T.group)
        if a > best:
            best, method = a, "alder-strassen"
    return best, method, {"flattening": fl}


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
