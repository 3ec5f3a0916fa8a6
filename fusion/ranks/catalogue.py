"""Catalogued exact certificates: rational factors found by CP search and exactification, verified on use.

``fusion/data/word_certificates.json`` holds, for some (group, word) pairs, rational factors
of δ that this project's numerical CP search found (:func:`wordtensor.cp.cp_search`, box by box
and on the whole tensor) and :func:`wordtensor.cp.exactify` rounded to rationals;
``scripts/find_certificates.py`` regenerates the file. A certificate applies to a group only if
the group's Cayley table has the recorded SHA-256 (the element order matters), and it is
verified in integer arithmetic every time it is used, so the file is data, never an authority:
a damaged or foreign entry is simply not an upper bound.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources

import numpy as np

from wordtensor import Group, WordTensor

from .certificates import UpperBound, rational_cp, verify_exact_cp

__all__ = ["catalogued_bound", "table_fingerprint"]

FILE = "word_certificates.json"

FOUND = ("found by the numerical CP search of this toolkit (wordtensor.cp.cp_search), rounded "
         "to rationals by wordtensor.cp.exactify (scripts/find_certificates.py) and verified here "
         "in integer arithmetic")


def table_fingerprint(G: Group) -> str:
    """SHA-256 of the Cayley table (int64, C order): the key of a group in the catalogue.

    >>> len(table_fingerprint(Group.from_spec("S3")))
    64
    """
    return hashlib.sha256(np.ascontiguousarray(G.mul, dtype=np.int64).tobytes()).hexdigest()


@functools.cache
def _entries() -> tuple[dict, ...]:
    ref = resources.files("fusion").joinpath("data", FILE)
    if not ref.is_file():
        return ()
    return tuple(json.loads(ref.read_text("utf-8"))["certificates"])


def catalogued_bound(T: WordTensor) -> UpperBound | None:
    """The smallest catalogued certificate of δ_T that verifies exactly, or None.

    >>> from wordtensor import word_tensor
    >>> ub = catalogued_bound(word_tensor("D4", "xyx"))
    >>> ub.rank, ub.certificate, ub.details["exact_check"]
    (8, 'exact', 'support')
    """
    fp = table_fingerprint(T.group)
    word = T.word.reduced()
    best = None
    for e in _entries():
        if (e["fingerprint"] != fp or e["word"] != word or tuple(e["variables"]) != T.word.variables
                or (best is not None and e["rank"] >= best.rank)):
            continue
        nums = [np.array(F, dtype=object).reshape(T.n, e["rank"]) for F in e["numerators"]]
        nums = [F.astype(np.int64) if all(abs(int(x)) < 2**40 for x in F.flat) else F
                for F in nums]
        rational = (nums, [int(d) for d in e["denominators"]])
        ok, how = verify_exact_cp(rational, T)
        if not ok:
            continue
        cp = rational_cp(rational)
        best = UpperBound(int(e["rank"]), "catalogued certificate", "exact", (FOUND,),
                          lambda cp=cp: cp, {"exact_check": how, "found": e.get("found", "")},
                          _cp=cp, rational=rational)
    return best
