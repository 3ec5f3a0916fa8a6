"""The rank report: rank_bounds gathers, chooses and verifies the bounds; RankReport holds them.

:func:`rank_bounds` gathers the lower bound and every upper-bound candidate
(:func:`~fusion.ranks.candidates.upper_candidates`: slices, constructions, composition,
relabellings, the conjugation module, the box cover; with ``search=True`` the exactified CP
fits), picks the smallest one with a proven certificate and verifies its factors; the
:class:`RankReport` prints, serialises and saves itself."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import Group, Word, validate, word_tensor
from wordtensor.errors import ParameterError, WordTensorError
from wordtensor.storage import atomic_write, npz_bytes, to_jsonable

from .bound import LowerBound
from .box_cover import BoxCover
from .candidates import check_factor_memory, guard_memory, upper_candidates
from .certificates import best_upper, certify
from .lower import lower_bound
from .search import search_improve

__all__ = ["RankReport", "rank_bounds"]


@dataclass
class RankReport:
    """Lower and upper rank bounds of a word tensor with the certified factors of the upper
    bound (``cp``, a tensorly CPTensor in the group basis).

    >>> r = rank_bounds("S3", "xy")
    >>> r.lower, r.upper, r.exact, r.verified_in, r.upper_certificate
    (9, 9, True, 'group basis', 'constructive')
    >>> r.upper_reference[1].split(",")[0]                  # the 2-dim block is Strassen's
    'V. Strassen'
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
    # the certificate of the upper bound ("exact" or "constructive"), whom it cites, and the
    # best numerical fit below it that did not exactify (None if there is none)
    upper_certificate: str = "constructive"
    upper_reference: tuple[str, ...] = ()
    upper_numerical: dict | None = None

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def to_json(self) -> dict:
        """The report as plain JSON data (:func:`wordtensor.storage.to_jsonable`): the bounds,
        their methods, the verification, the certificate and references of the upper bound,
        the best numerical fit that did not exactify, the box cover and the details
        (flattening ranks, blocks, candidates, search records)."""
        return to_jsonable({
            "group": self.group, "word": self.word,
            "lower": self.lower, "upper": self.upper, "exact": self.exact,
            "lower_method": self.lower_method, "upper_method": self.upper_method,
            "lower_reference": self.lower_reference, "lower_bounds": [b.to_json() for b in self.lower_bounds],
            "max_abs_error": self.max_abs_error, "verified_in": self.verified_in,
            "upper_certificate": self.upper_certificate,
            "upper_reference": list(self.upper_reference),
            "upper_numerical": self.upper_numerical,
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
    """Lower and certified upper bounds of the rank of a word tensor (any number of variables).

    The lower bound is the best of :func:`~fusion.ranks.lower.lower_bounds` (all of them in
    ``lower_bounds``, the citation in ``lower_reference``). The upper-bound candidates are
    those of :func:`~fusion.ranks.candidates.upper_candidates` (slices, the blocks of ``xy``,
    composition, relabellings, the conjugation module and, with ``cover=True``, the box cover),
    and with ``search=True`` the fits of a numerical CP search of ``search_seconds`` on the
    whole tensor and on each box that exactify. The smallest wins (an exact certificate first
    among equals); its factors are verified against δ, exactly for an exact certificate.

    >>> r = rank_bounds("S3", "xy")
    >>> (r.lower, r.upper, r.lower_method, r.upper_method, r.upper_certificate)
    (9, 9, 'alder-strassen', 'constructive', 'constructive')
    >>> r = rank_bounds("S4", "xxyy")                    # the squares of S4 generate A4
    >>> r.upper, r.upper_method, r.details["upper_via"]
    (27, 'composition (xy of a subgroup of order 12)', 'subgroup of order 12')
    >>> r = rank_bounds("Z3", "xyz")                     # 1 + 4: Fourier, complex triple product
    >>> r.upper, r.upper_certificate
    (5, 'constructive')
    """
    t0 = time.perf_counter()
    for name, flag in (("cover", cover), ("search", search)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ParameterError(f"{name} must be True or False, got {flag!r}")
    search_seconds = (validate.positive_float(search_seconds, "search_seconds") if search
                      else validate.finite_float(search_seconds, "search_seconds", minimum=0))
    search_restarts = validate.positive_int(search_restarts, "search_restarts")
    random_state = validate.nonnegative_int(random_state, "random_state")
    G = Group.from_spec(group) if isinstance(group, str) else group
    T = word_tensor(G, word)
    if T.arity == 0:
        raise WordTensorError(f"the word {T.word} has no variables: its word tensor is one basis "
                              "vector (rank 1); rank bounds need a word in one or more variables")
    guard_memory(T)  # refuse up front what would not fit
    lower, lower_method, details = lower_bound(T)
    lower_reference, lower_list = details.pop("lower_reference"), details.pop("lower_bounds")
    candidates, dec, bc = upper_candidates(T, cover=cover)
    numerical = None
    if search:
        best_now = best_upper(candidates).rank
        records: list = []
        found, numerical = search_improve(T, dec, lower, best_now, bc, search_seconds,
                                          search_restarts, random_state, records)
        details["search"] = records
        candidates += found
    best = best_upper(candidates)
    check_factor_memory(best, T)
    check = certify(best, T)
    if numerical is not None and numerical["rank"] >= best.rank:
        numerical = None
    details["candidates"] = {c.method: c.rank for c in candidates}
    details["upper_candidates"] = [c.summary() for c in candidates]
    details["upper_check"] = {k: v for k, v in check.items() if k not in ("max_abs_error",
                                                                          "verified_in")}
    blocks = best.details.get("blocks") or next(
        (c.details["blocks"] for c in candidates if "blocks" in c.details), None)
    if blocks is not None:
        details["blocks"] = blocks
    for key in ("via", "pieces", "relabelled_word", "equivalent_to_xy"):
        if key in best.details:
            details[f"upper_{key}" if key != "equivalent_to_xy" else key] = best.details[key]
    return RankReport(G.name, str(T.word), lower, lower_method, best.rank, best.method,
                      check["max_abs_error"], check["verified_in"], best.cp, bc, details,
                      time.perf_counter() - t0, lower_reference=lower_reference,
                      lower_bounds=lower_list, upper_certificate=best.certificate,
                      upper_reference=best.reference, upper_numerical=numerical)
