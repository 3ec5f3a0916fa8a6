"""The rank report: rank_bounds gathers, chooses and verifies the bounds; RankReport holds them.

:func:`rank_bounds` gathers the lower bound and every upper-bound candidate (slices,
constructions, box cover, numerical search), picks the best and verifies its factors; the
:class:`RankReport` prints, serialises and saves itself."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Group, Word, word_tensor
from wordtensor.errors import WordTensorError
from wordtensor.storage import atomic_write, npz_bytes, to_jsonable

from ..decompose import decompose, is_multiplication
from .bound import LowerBound
from .box_cover import BoxCover, box_cover, box_cover_cp
from .certificates import check_certificate
from .lower import lower_bound
from .relabel import multiplication_equivalence
from .search import search_improve
from .upper import block_factors, constructive_xy, relabelled_xy, slice_decomposition

__all__ = ["RankReport", "rank_bounds"]


@dataclass
class RankReport:
    """Lower and upper rank bounds of a word tensor with the certified factors of the upper
    bound (``cp``, a tensorly CPTensor in the group basis).

    >>> r = rank_bounds("S3", "xy")
    >>> r.lower, r.upper, r.exact, r.verified_in
    (9, 9, True, 'group basis')
    >>> bool(r.max_abs_error < 1e-12), r.to_json()["box_cover"]["bound"]
    (True, 9)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "s3_xy.npz")
    >>> r.save(path)
    >>> with np.load(path) as f:
    ...     int(f["upper"]), f["A"].shape
    (9, (6, 9))
    """

    group: str
    word: str
    lower: int
    lower_method: str
    upper: int
    upper_method: str
    max_abs_error: float
    verified_in: str
    cp: CPTensor = field(repr=False)
    box_cover: BoxCover | None = field(repr=False)
    details: dict = field(default_factory=dict, repr=False)
    seconds: float = 0.0
    #: the lower side: the citation of ``lower`` and every lower bound proved (fusion.ranks.lower)
    lower_reference: str = ""
    lower_bounds: list[LowerBound] = field(default_factory=list, repr=False)

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def to_json(self) -> dict:
        """The report as plain JSON data (:func:`wordtensor.storage.to_jsonable`): the bounds,
        their methods, the verification, the box cover and the details (flattening ranks,
        blocks, candidates, search records)."""
        return to_jsonable({
            "group": self.group, "word": self.word,
            "lower": self.lower, "upper": self.upper, "exact": self.exact,
            "lower_method": self.lower_method, "upper_method": self.upper_method,
            "lower_reference": self.lower_reference, "lower_bounds": [b.to_json() for b in self.lower_bounds],
            "max_abs_error": self.max_abs_error, "verified_in": self.verified_in,
            "box_cover": self.box_cover.to_json() if self.box_cover else None,
            "seconds": self.seconds, **self.details,
        })

    def save(self, path: str | os.PathLike) -> None:
        """Write the factors (weights, A, B, C) and the bounds to an .npz file at exactly
        ``path`` (no ``.npz`` is appended), atomically; an unwritable path raises
        :class:`~wordtensor.errors.WordTensorError`."""
        w, (A, B, C) = self.cp
        data = npz_bytes(weights=w, A=A, B=B, C=C, lower=np.array(self.lower),
                         upper=np.array(self.upper), group=np.array(self.group),
                         word=np.array(self.word), upper_method=np.array(self.upper_method))
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise WordTensorError(f"cannot write the factors to {path}: {exc.strerror or exc}") from exc


def rank_bounds(group: Group | str, word: Word | str, *, cover: bool = True,
                search: bool = False, search_seconds: float = 60.0, search_restarts: int = 16,
                random_state: int = 0) -> RankReport:
    """Lower and certified upper bounds of the rank of a two-variable word tensor.

    The lower bound is the best of :func:`~fusion.ranks.lower.lower_bounds` (all of them in
    ``lower_bounds``, the citation in ``lower_reference``). The upper-bound candidates, in
    this order (the first of the smallest wins): the slices
    (:func:`~fusion.ranks.upper.slice_decomposition`); for ``xy`` or a relabelling of it the
    block-by-block construction (:func:`~fusion.ranks.upper.constructive_xy`); the box cover
    (``cover=True``); and with ``search=True`` a numerical CP search of ``search_seconds`` on
    the whole tensor and on each box. The winner's factors are verified against δ.

    >>> r = rank_bounds("S3", "xy")
    >>> (r.lower, r.upper, r.lower_method, r.upper_method)
    (9, 9, 'alder-strassen', 'constructive')
    >>> rank_bounds("S3", "xyz")
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordTensorError: rank bounds are implemented for two-variable words; xyz has 3 variables
    """
    t0 = time.perf_counter()
    G = Group.from_spec(group) if isinstance(group, str) else group
    T = word_tensor(G, word)
    if T.ndim != 3:
        raise WordTensorError(f"rank bounds are implemented for two-variable words; {T.word} has "
                              f"{T.arity} variables")
    lower, lower_method, details = lower_bound(T)
    lower_reference, lower_list = details.pop("lower_reference"), details.pop("lower_bounds")
    candidates = []
    slice_cp, mode = slice_decomposition(T)
    candidates.append((slice_cp.factors[0].shape[1], f"slices(mode {mode})", slice_cp))
    known = None
    equiv = multiplication_equivalence(T)
    if equiv is not None and not is_multiplication(T.word):
        cp, recs = relabelled_xy(G, equiv)
        candidates.append((cp.factors[0].shape[1], "constructive (relabelled xy)", cp))
        details["blocks"] = recs
        details["equivalent_to_xy"] = {"swap": bool(equiv[0])}
    if is_multiplication(T.word):
        cp, recs = constructive_xy(G)
        candidates.append((cp.factors[0].shape[1], "constructive", cp))
        details["blocks"] = recs
        known = block_factors(G, cp, recs)
    bc = None
    dec = decompose(G, T.word) if cover else None
    if cover:
        bc = box_cover(dec, known=known)
        candidates.append((bc.bound, "box cover", box_cover_cp(dec, bc)))
    if search:
        best_now = min(c[0] for c in candidates)
        records: list = []
        whole, new_cover = search_improve(T, dec, lower, best_now, bc, search_seconds,
                                          search_restarts, random_state, records)
        details["search"] = records
        if whole is not None:
            candidates.append((whole[0], "cp_search", whole[1]))
        if new_cover is not None:
            bc = new_cover
            candidates.append((bc.bound, "box cover + cp_search", box_cover_cp(dec, bc)))
    upper, upper_method, cp = min(candidates, key=lambda c: c[0])
    err, where = check_certificate(cp, T)
    details["candidates"] = {m: r for r, m, _ in candidates}
    return RankReport(G.name, str(T.word), lower, lower_method, upper, upper_method, err, where,
                      cp, bc, details, time.perf_counter() - t0,
                      lower_reference=lower_reference, lower_bounds=lower_list)
