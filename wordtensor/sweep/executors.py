"""Executors: where the tasks of a sweep run. :class:`DaskExecutor` runs them on Dask
distributed (a ``LocalCluster`` of worker processes it starts itself, or a running cluster
given by its scheduler address); :class:`SerialExecutor` runs them one after another in this
process (examples, tests, debugging).

Both take a list of calls ``(key, fn, args)`` and yield one :class:`Outcome` per call as the
calls finish, in any order. ``fn`` must be importable by the workers (a module-level function
of an installed package): Dask sends it by reference.

Failures, in Dask's terms:

* a task that raises is run again up to ``retries`` times (Dask's ``retries=``), then its
  outcome carries the exception;
* a worker process that dies (killed, out of memory, ``os._exit``) loses the task it was
  running, and the scheduler runs it again on another worker; after ``allowed_failures``
  such deaths (``distributed.scheduler.allowed-failures``) the task is given up and its
  outcome is ``lost`` (``KilledWorker``). Lost outcomes are not results: a sweep leaves those
  cells unstored, so a re-run computes them.

>>> with SerialExecutor() as ex:
...     [(o.key, o.value) for o in ex.run([("a", pow, (2, 3)), ("b", pow, (3, 2))])]
[('a', 8), ('b', 9)]
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import UsageError

__all__ = ["Outcome", "SerialExecutor", "DaskExecutor", "Call", "default_workers", "dask_executor"]

#: One call of a sweep: its key, the function and its positional arguments.
Call = tuple[str, Callable, tuple]


@dataclass
class Outcome:
    """What became of one call: its ``value``, or the ``error`` it raised (after the retries),
    or ``lost`` with the reason (the workers that ran it died, or the cluster went away).

    >>> Outcome("a", value=8).ok, Outcome("b", error=ValueError("no")).ok
    (True, False)
    """

    key: str
    value: object = None
    error: BaseException | None = None
    lost: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.lost is None


class SerialExecutor:
    """Runs every call in this process, in order; a call that raises is tried ``retries``
    more times.

    >>> with SerialExecutor() as ex:
    ...     out = list(ex.run([("x", int, ("12",)), ("y", int, ("twelve",))]))
    >>> out[0].value, type(out[1].error).__name__, ex.workers
    (12, 'ValueError', 1)
    """

    workers = 1
    address = "in-process"

    def __init__(self, retries: int = 0):
        self.retries = retries

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def run(self, calls: Sequence[Call]) -> Iterator[Outcome]:
        for key, fn, args in calls:
            for attempt in range(self.retries + 1):
                try:
                    value = fn(*args)
                except Exception as exc:  # reported in the outcome, as Dask does
                    if attempt == self.retries:
                        yield Outcome(key, error=exc)
                else:
                    yield Outcome(key, value=value)
                    break


class DaskExecutor:
    """Runs calls as tasks on Dask distributed.

    With ``scheduler=None`` it starts a ``LocalCluster`` of ``workers`` processes with one
    thread each (``processes=True``: every task runs in a worker process, started by Dask's
    multiprocessing method, ``spawn`` by default) and stops it on exit; with a scheduler
    address (``tcp://host:8786``) it connects to a running cluster and leaves it running.
    ``retries`` is Dask's per-task retry count for exceptions; ``allowed_failures`` is how many
    worker deaths a task survives (set on the scheduler of a ``LocalCluster``; a running
    cluster keeps its own ``distributed.scheduler.allowed-failures``). ``start_method``
    (``"spawn"``, ``"forkserver"`` or ``"fork"``) overrides
    ``distributed.worker.multiprocessing-method`` for the ``LocalCluster``'s worker processes,
    those it starts at first and those its nannies start again after a death, while the
    executor is entered (tasks that use CUDA pass ``"spawn"``: a forked worker would inherit
    the parent's CUDA state); None keeps Dask's setting (``spawn`` by default).
    ``malloc_trim=False`` leaves glibc's allocator alone in those processes: Dask starts them
    with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``), which
    also fixes malloc's mmap threshold, so that every array over 128 KiB is mapped and
    unmapped again; tasks that allocate many such arrays (torch training) run about 4× slower
    with it.

    >>> with DaskExecutor(workers=1) as ex:            # doctest: +SKIP
    ...     [o.value for o in ex.run([("a", pow, (2, 3))])]
    [8]
    >>> DaskExecutor(workers=0)
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: the number of workers must be at least 1, got 0
    >>> DaskExecutor(workers=1, start_method="threads")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: the start method of the worker processes must be spawn, ...
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, *,
                 retries: int = 2, allowed_failures: int = 3, start_method: str | None = None,
                 malloc_trim: bool = True, **cluster_options):
        if scheduler is None and workers is not None and workers < 1:
            raise UsageError(f"the number of workers must be at least 1, got {workers}")
        if start_method not in (None, "spawn", "forkserver", "fork"):
            raise UsageError("the start method of the worker processes must be spawn, "
                             f"forkserver or fork, got {start_method!r}")
        self.n_workers = workers
        self.scheduler = scheduler
        self.retries = retries
        self.allowed_failures = allowed_failures
        self.start_method = start_method
        self.malloc_trim = malloc_trim
        self.cluster_options = cluster_options
        self.client = self.cluster = None
        self._config = None
        self._depth = 0

    def __enter__(self) -> DaskExecutor:
        """Start the cluster (or connect to it); re-entrant: only the outermost ``with``
        starts and stops it."""
        self._depth += 1
        if self._depth > 1:
            return self
        # Dask distributed takes ~1 s to import: only a sweep that runs tasks pays for it
        import dask
        from distributed import Client, LocalCluster  # (Dask, as above)

        try:
            if self.scheduler is not None:
                self.client = Client(self.scheduler, timeout="10s")
            else:
                options = {"n_workers": self.n_workers or 1, "threads_per_worker": 1,
                           "processes": True, "dashboard_address": None,
                           "silence_logs": logging.ERROR, **self.cluster_options}
                self._config = dask.config.set(self._worker_config())  # kept until __exit__:
                # the nannies start the workers again after a death
                with dask.config.set({"distributed.scheduler.allowed-failures":
                                      self.allowed_failures}):
                    self.cluster = LocalCluster(**options)
                self.client = Client(self.cluster)
        except (OSError, ValueError, TypeError) as exc:  # no scheduler there (or not an
            # address: "missing port number"), or no port for a local one
            self._depth = 1
            self.__exit__()
            where = self.scheduler or "a LocalCluster"
            raise UsageError(f"cannot connect to {where}: {exc}") from exc
        return self

    def _worker_config(self) -> dict:
        """The Dask configuration of the LocalCluster's worker processes (the start method, the
        environment they start with).

        >>> import distributed
        >>> cfg = DaskExecutor(workers=1, start_method="spawn", malloc_trim=False)._worker_config()
        >>> cfg["distributed.worker.multiprocessing-method"]
        'spawn'
        >>> "MALLOC_TRIM_THRESHOLD_" in cfg["distributed.nanny.pre-spawn-environ"]
        False
        """
        import dask

        config = {}
        if self.start_method is not None:
            config["distributed.worker.multiprocessing-method"] = self.start_method
        if not self.malloc_trim:
            environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
            environ.pop("MALLOC_TRIM_THRESHOLD_", None)
            config["distributed.nanny.pre-spawn-environ"] = environ
        return config

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._config is not None:
            self._config.__exit__(None, None, None)
        self.client = self.cluster = self._config = None

    @property
    def workers(self) -> int:
        """The number of workers the cluster has now."""
        return len(self.client.scheduler_info(n_workers=-1)["workers"]) if self.client else 0

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address if self.client else ""

    def run(self, calls: Sequence[Call]) -> Iterator[Outcome]:
        # Dask distributed (~1 s to import), loaded by __enter__ already
        from distributed import as_completed
        from distributed.client import FutureCancelledError  # (Dask, as above)
        from distributed.scheduler import KilledWorker  # (Dask, as above)

        token = uuid.uuid4().hex[:8]
        submitted = [(key, self.client.submit(fn, *args, key=f"{key}-{token}",
                                              retries=self.retries, pure=False))
                     for key, fn, args in calls]
        keys = {fut.key: key for key, fut in submitted}
        for fut in as_completed([fut for _, fut in submitted]):
            key = keys[fut.key]
            try:
                value = fut.result()
            except KilledWorker as exc:
                yield Outcome(key, lost=f"its workers died ({exc})")
            except FutureCancelledError as exc:
                yield Outcome(key, lost=f"cancelled ({exc})")
            except Exception as exc:  # the task's own error, after the retries
                yield Outcome(key, error=exc)
            else:
                yield Outcome(key, value=value)
            finally:
                fut.release()  # the cluster may forget the result now



def default_workers() -> int:
    """The number of local worker processes when none is given: the CPU cores this process
    may use.

    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def dask_executor(workers: int | None = None, scheduler: str | None = None, *,
                  default: int | None = None, **options) -> DaskExecutor:
    """The executor of the ``--workers N`` / ``--scheduler ADDRESS`` options of a sweep
    command: a ``LocalCluster`` of ``workers`` processes (``default`` when neither is given,
    else :func:`default_workers`), or the running cluster at ``scheduler``; ``options`` go to
    :class:`DaskExecutor`. Giving both is refused.

    >>> dask_executor(2).n_workers, dask_executor(default=3).n_workers
    (2, 3)
    >>> dask_executor(scheduler="tcp://127.0.0.1:8786").scheduler
    'tcp://127.0.0.1:8786'
    >>> dask_executor(2, "tcp://127.0.0.1:8786")       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: --workers starts a local cluster; with --scheduler ...
    """
    if scheduler is not None and workers is not None:
        raise UsageError("--workers starts a local cluster; with --scheduler the running "
                         "cluster's workers do the work (give one of the two)")
    if scheduler is None and workers is None:
        workers = default if default is not None else default_workers()
    return DaskExecutor(workers=workers, scheduler=scheduler, **options)
