"""The size model: how much memory and time each stage of a job needs, estimated from the
group order n, the number of classes k, the irrep degrees, the bsc sizes and the method before
the stage starts; the limits a job must fit (``WORDTENSOR_MAX_MEMORY``, ``WORDTENSOR_MAX_SECONDS``,
the ``--max-memory`` / ``--max-seconds`` options) and the refusal past them; the progress bars
of long stages.

The formulas take numbers, not groups, so this module needs nothing above it: ``fusion`` and
``surrogate`` supply the degrees and sizes and call :func:`check` before they compute. A
:class:`Stage` keeps ``held`` bytes when it ends (cached results) and needs ``peak`` bytes while
it runs; a job's peak is the baseline of the process plus the largest ``held`` so far plus
``peak``:

>>> est = Estimate("irreps of Z9973", (character_table_stage(9973, 9973),))
>>> est.bytes > 1 << 40, est.seconds > 3600        # Burnside's method on 9973 classes
(True, True)
>>> check(est, max_memory=1 << 40)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
wordtensor.errors.ResourceLimitError: irreps of Z9973 needs about 8.7 TiB of memory (character
table 7.2 TiB) ...; the limit is 1.0 TiB: pass --max-memory ... or set WORDTENSOR_MAX_MEMORY ...

Rates are those of one CPU core with numpy's BLAS (the estimate of a time is good to a factor
of a few; memory to some tens of percent past the baseline, see docs/design.md).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .errors import ResourceLimitError
from .validate import byte_size, finite_float

__all__ = ["Stage", "Estimate", "check", "limits", "memory_limit", "seconds_limit",
           "available_memory", "fmt_bytes", "progress", "character_table_stage",
           "irreps_stages", "representation_checks_stage", "fourier_stage", "algebra_stage",
           "dense_decomposition_stage", "tensor_stage", "training_stage"]

#: Resident memory of a process that has imported numpy and the toolkit (measured: 41-48 MB).
BASELINE = 45 << 20
#: ... and torch, with its thread pools and allocator (measured: 316-365 MB for S4).
TORCH_BASELINE = 330 << 20
#: The stages' arrays, times this, are what a job adds to the baseline (the allocator's heap and
#: BLAS workspaces take the rest; measured for S4 ... S6 in docs/design.md).
MARGIN = 1.2
#: Sustained rates of one core: BLAS products (flop/s), numpy element operations (per s).
BLAS_RATE = 4e9
ELEMENT_RATE = 2e8
#: Default time limit (4 hours) and the fraction of the available memory a job may take.
DEFAULT_MAX_SECONDS = 4 * 3600.0
MEMORY_FRACTION = 0.75
#: Stages estimated to take longer than this many seconds show a progress bar (when enabled).
PROGRESS_AFTER = 2.0

_LIMITS: dict[str, float | None] = {"max_memory": None, "max_seconds": None}


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or 8 GiB if it cannot be read.

    >>> m = available_memory()
    >>> isinstance(m, int) and m > 0
    True
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def fmt_bytes(b: float) -> str:
    """A byte count in binary units.

    >>> fmt_bytes(1536), fmt_bytes(7.94e12)
    ('1.5 KiB', '7.2 TiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} PiB"  # pragma: no cover


def fmt_seconds(s: float) -> str:
    """A duration: seconds, minutes, hours or days.

    >>> fmt_seconds(0.001), fmt_seconds(0.5), fmt_seconds(42.0), fmt_seconds(5400), fmt_seconds(4e6)
    ('under 0.01 s', '0.5 s', '42 s', '90 min', '46 days')
    >>> fmt_seconds(1e40)
    'more than 1000 years'
    """
    if s < 0.01:
        return "under 0.01 s"
    if s > 1000 * 365 * 86400:
        return "more than 1000 years"
    if s >= 2 * 365 * 86400:
        return f"{s / (365 * 86400):.0f} years"
    if s < 120:
        return f"{s:.2g} s" if s < 10 else f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.0f} days"


@dataclass(frozen=True)
class Stage:
    """One stage of a job: its name, the bytes it needs while it runs (``peak``, beyond what
    earlier stages hold), the bytes it keeps when it ends (``held``), and its time.

    >>> Stage("fourier basis", peak=3 << 20, held=1 << 20, seconds=0.1).held
    1048576
    """

    name: str
    peak: int
    held: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Estimate:
    """The stages of a job and their totals: ``bytes`` (peak resident memory, baseline
    included) and ``seconds``.

    >>> e = Estimate("demo", (Stage("a", 100, 50, 1.0), Stage("b", 70, 0, 2.0)), baseline=10)
    >>> e.bytes, e.seconds, e.largest.name      # 10 + 1.2 · max(100, 50 + 70)
    (154, 3.0, 'b')
    """

    what: str
    stages: tuple[Stage, ...]
    baseline: int = BASELINE

    def _peaks(self) -> list[int]:
        held, out = 0, []
        for s in self.stages:
            out.append(held + s.peak)
            held += s.held
        return out or [0]

    @property
    def bytes(self) -> int:
        return int(self.baseline + MARGIN * max(self._peaks()))

    @property
    def seconds(self) -> float:
        return float(sum(s.seconds for s in self.stages))

    @property
    def largest(self) -> Stage:
        """The stage at which memory peaks."""
        peaks = self._peaks()
        return self.stages[peaks.index(max(peaks))]

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.what, self.stages + other.stages, max(self.baseline, other.baseline))

    def summary(self) -> dict:
        """JSON-ready totals and stages.

        >>> Estimate("demo", (Stage("a", 1 << 20, 0, 0.5),)).summary()["stages"][0]["name"]
        'a'
        """
        return {"what": self.what, "bytes": self.bytes, "seconds": self.seconds,
                "stages": [{"name": s.name, "peak": s.peak, "held": s.held,
                            "seconds": s.seconds} for s in self.stages]}


# ---------------------------------------------------------------------------- limits
def _env_memory() -> int | None:
    text = os.environ.get("WORDTENSOR_MAX_MEMORY", "").strip()
    if not text:
        return None
    if text.endswith("%"):
        pct = finite_float(text[:-1], "WORDTENSOR_MAX_MEMORY (a percentage)", minimum=0,
                           maximum=1000, open_min=True)
        return int(available_memory() * pct / 100)
    return byte_size(text, "WORDTENSOR_MAX_MEMORY")


def memory_limit() -> int:
    """The memory a job may take: ``limits(max_memory=...)`` (``--max-memory``), else
    ``WORDTENSOR_MAX_MEMORY`` (bytes with a unit, ``"16G"``, or a percentage of the available
    memory, ``"90%"``), else 3/4 of the memory available now.

    >>> with limits(max_memory="2G"):
    ...     memory_limit()
    2147483648
    """
    if _LIMITS["max_memory"] is not None:
        return int(_LIMITS["max_memory"])
    env = _env_memory()
    return env if env is not None else int(available_memory() * MEMORY_FRACTION)


def seconds_limit() -> float:
    """The time a job may take: ``limits(max_seconds=...)`` (``--max-seconds``), else
    ``WORDTENSOR_MAX_SECONDS``, else 4 hours.

    >>> with limits(max_seconds=60):
    ...     seconds_limit()
    60.0
    """
    if _LIMITS["max_seconds"] is not None:
        return float(_LIMITS["max_seconds"])
    text = os.environ.get("WORDTENSOR_MAX_SECONDS", "").strip()
    if text:
        return finite_float(text, "WORDTENSOR_MAX_SECONDS", minimum=0, open_min=True)
    return DEFAULT_MAX_SECONDS


@contextlib.contextmanager
def limits(*, max_memory=None, max_seconds=None) -> Iterator[None]:
    """Set the limits for the jobs run inside the block (None keeps the current one); the
    command line wraps every command in it with ``--max-memory`` / ``--max-seconds``.

    >>> with limits(max_memory="1M"):
    ...     check(Estimate("demo", (Stage("a", 10 << 20),), baseline=0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ResourceLimitError: demo needs about 12.0 MiB of memory ...
    """
    old = dict(_LIMITS)
    if max_memory is not None:
        _LIMITS["max_memory"] = byte_size(max_memory, "--max-memory")
    if max_seconds is not None:
        _LIMITS["max_seconds"] = finite_float(max_seconds, "--max-seconds", minimum=0,
                                              open_min=True)
    try:
        yield
    finally:
        _LIMITS.update(old)


def check(estimate: Estimate, *, max_memory: int | None = None,
          max_seconds: float | None = None) -> Estimate:
    """Refuse a job whose estimate is past the limits (:class:`ResourceLimitError`, naming
    the estimate, its largest stages and the option that lifts the limit); return it otherwise.

    >>> check(Estimate("demo", (Stage("a", 1 << 20, 0, 1.0),))).seconds
    1.0
    >>> check(Estimate("demo", (Stage("a", 0, 0, 1e9),)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ResourceLimitError: demo needs about 32 years ...
    """
    mem = memory_limit() if max_memory is None else int(max_memory)
    sec = seconds_limit() if max_seconds is None else float(max_seconds)
    if estimate.bytes > mem:
        top = sorted(estimate.stages, key=lambda s: -s.peak)[:2]
        parts = ", ".join(f"{s.name} {fmt_bytes(s.peak)}" for s in top if s.peak)
        raise ResourceLimitError(
            f"{estimate.what} needs about {fmt_bytes(estimate.bytes)} of memory ({parts}) and "
            f"{fmt_seconds(estimate.seconds)}; the limit is {fmt_bytes(mem)}: pass --max-memory "
            f"{_size_option(estimate.bytes)} or set WORDTENSOR_MAX_MEMORY if the machine has "
            "that much, or choose a smaller group")
    if estimate.seconds > sec:
        top = sorted(estimate.stages, key=lambda s: -s.seconds)[:2]
        parts = ", ".join(f"{s.name} {fmt_seconds(s.seconds)}" for s in top)
        raise ResourceLimitError(
            f"{estimate.what} needs about {fmt_seconds(estimate.seconds)} ({parts}) and "
            f"{fmt_bytes(estimate.bytes)}; the "
            f"limit is {fmt_seconds(sec)}: pass --max-seconds {_seconds_option(estimate.seconds)} "
            "or set WORDTENSOR_MAX_SECONDS to wait that long, or choose a smaller group")
    return estimate


def _seconds_option(s: float) -> str:
    return f"{math.ceil(s * 2)}" if s < 1e12 else "(more than any machine will wait)"


def _size_option(b: int) -> str:
    for unit, shift in (("T", 40), ("G", 30), ("M", 20)):
        if b >= 1 << shift:
            return f"{math.ceil(b * 1.25 / (1 << shift))}{unit}"
    return "100M"


# ---------------------------------------------------------------------------- progress
def _progress_enabled() -> bool:
    env = os.environ.get("WORDTENSOR_PROGRESS", "").strip().lower()
    if env in ("0", "no", "off", "false"):
        return False
    if env in ("1", "yes", "on", "true"):
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress(items: Iterable, *, desc: str, total: int | None = None, seconds: float = 0.0,
             unit: str = "it") -> Iterable:
    """``items`` with a tqdm bar on stderr when the stage is estimated to take more than
    :data:`PROGRESS_AFTER` seconds and bars are enabled (stderr is a terminal, or
    ``WORDTENSOR_PROGRESS=1``; ``WORDTENSOR_PROGRESS=0`` turns them off).

    >>> list(progress(range(3), desc="irreps", seconds=0.1))      # short: no bar
    [0, 1, 2]
    """
    if seconds < PROGRESS_AFTER or not _progress_enabled():
        return items
    from tqdm import tqdm  # only for a long stage with bars enabled

    return tqdm(items, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr,
                mininterval=0.5)


# ---------------------------------------------------------------------------- the formulas
def _blas(flops: float) -> float:
    return flops / BLAS_RATE


def _elements(count: float) -> float:
    return count / ELEMENT_RATE


def character_table_stage(n: int, k: int) -> Stage:
    """Burnside–Dixon–Schneider on k classes: the class structure constants (k³ floats), the
    eigenproblem and the check of each eigenvector against every class matrix (k⁴ flops).

    >>> s = character_table_stage(120, 7)
    >>> s.peak < 1 << 20, s.seconds < 0.1
    (True, True)
    """
    return Stage("character table", peak=int(8 * k**3 + 64 * k * k + 16 * n), held=64 * k * k,
                 seconds=_elements(3 * k * n) + _blas(8 * k**4 + 40 * k**3))


def _irrep_bytes(n: int, d: int, indicator: int) -> int:
    """What one irrep keeps: its complex matrices and its bsc's real matrices."""
    bsc = 8 * n * d * d if indicator == 1 else (32 * n * d * d)
    return 16 * n * d * d + (bsc if indicator != 0 else bsc // 2)  # complex: one bsc per pair


def irreps_stages(n: int, degrees: Sequence[int], indicators: Sequence[int]) -> list[Stage]:
    """The explicit irreps and bscs (one stage for all, since they are built in one loop): per
    irrep an n × n projector and Hermitian element, a QR of n × d², the n matrices; what stays
    is the complex matrices (16 n Σd² bytes = 16 n²) and the bscs' real matrices.

    >>> [s.name for s in irreps_stages(6, [1, 1, 2], [1, 1, 1])]
    ['class matrix', 'irreps']
    """
    held = sum(_irrep_bytes(n, int(d), int(i)) for d, i in zip(degrees, indicators))
    dmax = max((int(d) for d in degrees), default=1)
    item = 16 if any(i != 1 for d, i in zip(degrees, indicators) if d == dmax) else 8
    # projector, Hermitian element and its index (36 n²), one batch of L(g) V, the bases
    transient = 36 * n * n + item * min(n * n * dmax, 1 << 22) + 48 * n * dmax * dmax
    secs = sum(_blas(8 * 2 * n * n * d * d + 8 * n * d**4 + 9 * d**6) + _elements(6 * n * n)
               for d in degrees)
    return [Stage("class matrix", peak=16 * n * n, held=12 * n * n, seconds=_elements(4 * n * n)),
            Stage("irreps", peak=held + transient, held=held, seconds=secs)]


def representation_checks_stage(n: int, degrees: Sequence[int], num_bscs: int,
                                num_generators: int = 2) -> Stage:
    """The checks of the irreps and bscs: homomorphism on the generators, unitarity, traces,
    and the bsc projectors as convolutions (n² each).

    >>> representation_checks_stage(24, [1, 1, 2, 3, 3], 5).seconds < 1
    True
    """
    flops = sum(8 * n * d**3 * (num_generators + 2) for d in degrees)
    return Stage("checks", peak=44 * n * n + 48 * n * max(degrees, default=1) ** 2,
                 seconds=_blas(flops) + _elements(8 * num_bscs * n * n))


def fourier_stage(n: int) -> Stage:
    """The real Fourier basis: an n × n orthogonal matrix, checked by one product (n³).

    >>> fourier_stage(720).held
    4147200
    """
    return Stage("fourier basis", peak=32 * n * n, held=8 * n * n, seconds=_blas(2 * n**3))


def algebra_stage(blocks: Sequence[tuple[int, int]]) -> Stage:
    """The triplet decomposition of ``xy`` by the algebra path: for a bsc with s rows (dim R_φ)
    and matrices of size D, the products of its matrix transforms (s² D² floats) and its block
    (s³ floats), which is kept.

    >>> algebra_stage([(1, 1), (1, 1), (4, 2)]).held       # 1 + 1 + 64 entries
    528
    """
    held, peak = 0, 0
    for s, D in blocks:  # computed in turn: the earlier blocks, X (s² D²) and the block (s³)
        peak = max(peak, held + 8 * (s * s * D * D + s**3 + 2 * s * D * D))
        held += 8 * s**3
    secs = sum(_blas(2 * s**3 * D * D + 2 * s * s * D**3) + _elements(4 * s**3) for s, D in blocks)
    return Stage("decomposition (algebra)", peak=max(peak, held), held=held, seconds=secs)


def dense_decomposition_stage(n: int, arity: int) -> Stage:
    """The triplet decomposition of any word by the dense path: n^(k+1) floats transformed
    mode by mode (k+1 products of n^(k+2) flops), all blocks kept.

    >>> dense_decomposition_stage(24, 2).held
    110592
    """
    entries = n ** (arity + 1)
    return Stage("decomposition (dense)", peak=8 * 4 * entries, held=8 * entries,
                 seconds=_blas(2 * (arity + 1) * entries * n) + _elements(4 * entries))


def tensor_stage(n: int, arity: int) -> Stage:
    """The word tensor's value table: n^k outputs (int32), evaluated over the word's tree.

    >>> tensor_stage(6, 2).held
    144
    """
    entries = n**arity
    return Stage("word tensor", peak=28 * entries, held=4 * entries, seconds=_elements(8 * entries))


def training_stage(model: str, *, instances: int, n: int, arity: int, width: int, steps: int,
                   itemsize: int = 4, train_tuples: int | None = None,
                   log_per_decade: int = 10) -> Stage:
    """Batched training of ``instances`` CP surrogates (``model="surrogate"``) or two-layer
    networks (``"network"``) of width M on S of the N = n^k input tuples for ``steps`` steps:
    the forward and backward arrays of a step (a few B S (n + M) numbers of ``itemsize``
    bytes), and the analysis at each log step, in float64 on all N tuples and in chunks of
    instances (its outputs and hidden parts, B N (3n + 2M) for the surrogate, about 8 B N (n + M)
    for the networks' per-triplet pieces).

    >>> s = training_stage("surrogate", instances=4, n=6, arity=2, width=9, steps=2000)
    >>> s.peak < 1 << 20, 0 < s.seconds < 60
    (True, True)
    """
    N = n**arity
    S = N if train_tuples is None else train_tuples
    B, M = instances, width
    if model == "network":
        step = itemsize * (6 * B * S * (n + M) + 2 * B * (N - S) * (n + M))
        chunk = min(B, max(1, (1 << 23) // max(1, N * M)))
        analysis = 64 * chunk * N * (n + M)
        flops = 6 * B * S * M * (2 * n + 2 * arity + 2)
        overhead = 0.02
    else:
        step = itemsize * (5 * B * S * n + 4 * B * S * M + 6 * B * (arity + 1) * n * M)
        chunk = min(B, max(1, (1 << 24) // max(1, N * n)))
        analysis = 8 * chunk * N * (3 * n + 2 * M)
        flops = 2 * B * S * M * (2 * n + 2 * arity + 2)
        overhead = 0.005
    held = itemsize * (B * S * n + 3 * B * (arity + 1) * n * M) + 8 * N * n  # targets, moments
    logs = log_per_decade * math.log10(max(steps, 1)) + 2
    seconds = (steps * (_blas(flops) + _elements(step / itemsize) + overhead)
               + logs * _elements(20 * B * N * (n + M)))
    return Stage(f"{model} training", peak=int(held + max(step, analysis)), held=0,
                 seconds=seconds)
