"""Result records of the CP engine (plain dataclasses; numpy and tensorly only)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Symptoms:
    """Border-rank symptoms of a CP decomposition ``sum_r x_r`` of ``T``.

    * ``max_component_norm``: ``max_r ||x_r|| / ||T||``. Of order 1 for a healthy exact
      decomposition; large when components diverge (approaching a border-rank limit).
    * ``norm_ratio``: ``||sum_r x_r|| / sum_r ||x_r||`` in ``(0, 1]``; near 0 when components
      cancel each other.
    * ``min_congruence``: the most negative congruence ``prod_k cos(f_k[:, r], f_k[:, s])``
      over pairs ``r != s``; near -1 for a pair of almost opposite components (the classic
      "two-factor degeneracy").
    * ``norm_growth``: ``max_component_norm`` at the end of the run over its value half-way
      through (NaN when not tracked): steadily above 1 for diverging components.
    * ``rank``: the number of components (1 when unknown).
    * ``degenerate``: the verdict -- components are larger than 10 ``||T||``, or cancel to less
      than a tenth of what ``rank`` orthogonal components would give (``norm_ratio *
      sqrt(rank) < 0.1``: exact decompositions of large rank such as Laderman's cancel a good
      deal without being degenerate), or a pair has congruence below -0.9 together with norm
      growth.
    """

    max_component_norm: float
    norm_ratio: float
    min_congruence: float
    norm_growth: float = math.nan
    rank: int = 1

    @property
    def degenerate(self) -> bool:
        growing = not math.isnan(self.norm_growth) and self.norm_growth > 1.5
        return bool(self.max_component_norm > 10
                    or self.norm_ratio * math.sqrt(max(self.rank, 1)) < 0.1
                    or (self.min_congruence < -0.9 and growing))

    def as_dict(self) -> dict:
        return {"max_component_norm": self.max_component_norm, "norm_ratio": self.norm_ratio,
                "min_congruence": self.min_congruence, "norm_growth": self.norm_growth,
                "rank": self.rank, "degenerate": self.degenerate}


@dataclass(frozen=True)
class Attempt:
    """One restart: its seed, outcome (``reason``: "converged", "stagnated", "max_iter",
    "diverged", "time_limit" or "stopped"), relative error (verified in float64), iterations, wall
    seconds from its start to its end (restarts run side by side, so these overlap) and the
    solver that ran it (``method``)."""

    index: int
    seed: int
    success: bool
    error: float
    iterations: int
    seconds: float
    reason: str
    method: str = ""


@dataclass
class CPSearchResult:
    """Outcome of :func:`~wordtensor.cp.cp_search`.

    ``cp`` is the best decomposition found (a tensorly ``CPTensor`` with float64 numpy factors
    and unit weights), ``error`` its relative Frobenius error computed independently in float64
    against the input, ``success`` whether ``error < tol``. ``attempts``/``successes`` count
    restarts, ``seconds`` is the wall time of the whole search and ``seconds_to_first`` the wall
    time until the first verified success (``inf`` if none). ``history`` holds one
    :class:`Attempt` per restart and ``symptoms`` the border-rank symptoms of ``cp``.

    When ``method="auto"`` searched block by block (``method`` is then ``"auto:blocks"``;
    see :func:`~wordtensor.cp.cp_search`), ``blocks`` holds the
    :class:`~wordtensor.cp.AlgebraBlocks`, ``block_ranks`` the rank found for each block (their
    sum is at most ``rank``; the rest are zero components), ``history`` the restarts of the
    block searches (their ``method`` names the blocks and the rank) and ``successes`` is 1 for
    the decomposition assembled.  ``note`` says why a block search failed (the whole tensor is
    searched then, and its restarts follow in ``history``).
    """

    cp: object
    error: float
    success: bool
    rank: int
    method: str
    tol: float
    attempts: int
    successes: int
    seconds: float
    seconds_to_first: float
    history: list[Attempt] = field(default_factory=list)
    symptoms: Symptoms | None = None
    block_ranks: tuple[int, ...] | None = None
    blocks: object | None = None
    note: str = ""

    @property
    def success_rate(self) -> float:
        return self.successes / self.attempts if self.attempts else 0.0

    def __repr__(self) -> str:
        return (f"CPSearchResult(rank={self.rank}, method={self.method!r}, success={self.success}, "
                f"error={self.error:.3g}, successes={self.successes}/{self.attempts}, "
                f"seconds={self.seconds:.3g}"
                + (f", block_ranks={list(self.block_ranks)}" if self.block_ranks else "") + ")")


@dataclass(frozen=True)
class RankRecord:
    """Search outcome at one rank (see :func:`~wordtensor.cp.cp_rank`)."""

    rank: int
    success_rate: float
    successes: int
    attempts: int
    best_error: float
    seconds: float
    symptoms: Symptoms | None

    def as_dict(self) -> dict:
        return {"rank": self.rank, "success_rate": self.success_rate, "successes": self.successes,
                "attempts": self.attempts, "best_error": self.best_error, "seconds": self.seconds,
                "symptoms": None if self.symptoms is None else self.symptoms.as_dict()}


@dataclass
class CPRankResult:
    """Outcome of :func:`~wordtensor.cp.cp_rank`: ``records`` from the highest rank searched
    down, ``rank`` the smallest rank with an exact (``error < tol``) decomposition found (``None``
    if none), ``cp`` that decomposition, ``lower_bound`` the flattening lower bound."""

    records: list[RankRecord]
    rank: int | None
    cp: object | None
    lower_bound: int
    tol: float

    def table(self) -> str:
        """The records as a text table."""
        lines = [f"{'rank':>5} {'success':>9} {'best error':>11} {'max|x_r|':>9} "
                 f"{'cancel':>7} {'degenerate':>10}"]
        for r in self.records:
            s = r.symptoms
            lines.append(
                f"{r.rank:>5} {r.successes:>4}/{r.attempts:<4} {r.best_error:>11.2e} "
                + (f"{s.max_component_norm:>9.3g} {s.norm_ratio:>7.3f} {str(s.degenerate):>10}"
                   if s else f"{'':>9} {'':>7} {'':>10}"))
        return "\n".join(lines)


def as_float(x: object) -> float:
    return float(np.asarray(x))


@dataclass
class BlockSearchResult:
    """Outcome of :func:`~wordtensor.cp.block_search`.

    ``cp`` is the decomposition of the whole tensor in its own basis (blocks mapped back),
    ``error`` its relative error in float64 against the input (not against the blocks),
    ``success`` whether every block succeeded and ``error < tol``, ``rank`` the sum of the
    block ranks, ``blocks`` the :class:`~wordtensor.cp.AlgebraBlocks`, ``results`` one
    :class:`CPSearchResult` per block, ``seconds`` the wall time and ``certificate`` the
    :class:`~wordtensor.cp.Certificate` of the exact form (``exact=True`` only; ``None``
    otherwise).

    >>> from wordtensor import word_tensor
    >>> from wordtensor.cp import block_search
    >>> res = block_search(word_tensor("Z3", "xy"), [1, 3], restarts=4)
    >>> res.success, res.rank, [r.rank for r in res.results]
    (True, 4, [1, 3])
    """

    cp: object
    error: float
    success: bool
    rank: int
    blocks: object
    results: list
    seconds: float
    certificate: object | None = None

    def __repr__(self) -> str:
        return (f"BlockSearchResult(rank={self.rank}, sizes={self.blocks.sizes}, "
                f"success={self.success}, error={self.error:.3g}, "
                f"exact={None if self.certificate is None else self.certificate.exact}, "
                f"seconds={self.seconds:.3g})")
