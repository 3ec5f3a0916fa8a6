"""Tasks for the sweep-engine tests. They live in an importable module because Dask's worker
processes import a task by its module and name.

Each task counts its attempts with marker files in ``params["markers"]``: ``attempt-<key>-*``
when it starts and ``done-<key>-*`` when it finishes, so a test can tell how often each cell
was started and finished in any process."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path


def _mark(params: dict, what: str) -> int:
    """Write a marker; return how many markers of this kind the cell had before."""
    folder = Path(params["markers"])
    before = len(list(folder.glob(f"{what}-{params['key']}-*")))
    (folder / f"{what}-{params['key']}-{uuid.uuid4().hex}").write_text(str(os.getpid()))
    return before


def counted_task(params: dict) -> dict:
    """Sleep ``params["sleep"]`` seconds and return the square of ``params["n"]``.

    ``params["die"]``: the worker process exits (``os._exit``) in the first attempt, as if it
    were killed. ``params["raise"]``: the first attempt raises a RuntimeError (Dask's
    ``retries`` runs it again)."""
    previous = _mark(params, "attempt")
    if params.get("die") and previous == 0:
        os._exit(17)
    if params.get("raise") and previous == 0:
        raise RuntimeError("a transient failure")
    time.sleep(params.get("sleep", 0.0))
    _mark(params, "done")
    return {"square": params["n"] ** 2}


def count(markers: Path, what: str, key: str) -> int:
    return len(list(Path(markers).glob(f"{what}-{key}-*")))


def kill_client_once_stored(argv: list[str], out: Path, cells: int, cwd: Path,
                            timeout: float = 90.0) -> None:
    """Run ``wordtensor argv`` (a sweep into ``out``) in a subprocess and SIGKILL it once
    ``cells`` cell files are stored; then check that its worker processes exited with it.
    Fails if the sweep finished before it could be killed."""
    import subprocess
    import sys

    import psutil

    proc = subprocess.Popen([sys.executable, "-m", "wordtensor.cli", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if len(list((out / "cells").glob("*.json"))) >= cells:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"worker processes outlived their client: {alive}"
