"""The sweep engine (wordtensor.sweep): the store's refusals, lock and resumption; run_sweep's
skipping, failed and lost cells; and, on a 2-worker Dask LocalCluster, a worker killed
mid-sweep: every cell finishes, none is lost, none is computed twice."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.sweep_tasks import count, counted_task
from wordtensor.errors import WordTensorError
from wordtensor.sweep import (
    Cell,
    CellStore,
    DaskExecutor,
    Outcome,
    SerialExecutor,
    SweepStoreError,
    demo_task,
    run_cell,
    run_sweep,
    without_timing,
)


def cells_for(markers, n, **flags):
    return [Cell(f"c{i}", {"key": f"c{i}", "n": i, "markers": str(markers),
                           **{k: v for k, v in flags.items() if k != "sleep"},
                           "sleep": flags.get("sleep", 0.0)}) for i in range(n)]


# ---------------------------------------------------------------- the store
def test_store_layout_and_atomic_cells(tmp_path):
    with CellStore.open(tmp_path / "s", "demo", {"a": 1}) as store:
        assert (tmp_path / "s" / ".lock").is_file()
        store.write("k1", {"status": "ok"})
        assert store.keys() == {"k1"} and store.read("k1") == {"status": "ok"}
        assert not any(p.name.endswith(".tmp") for p in (tmp_path / "s" / "cells").iterdir())
    manifest = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert manifest["kind"] == "demo" and manifest["settings"] == {"a": 1}
    assert manifest["format"] == 1 and len(manifest["run_id"]) == 32
    assert not (tmp_path / "s" / ".lock").exists()
    with CellStore.open(tmp_path / "s", "demo", {"a": 1}) as again:  # resumes
        assert again.keys() == {"k1"} and again.manifest["run_id"] == manifest["run_id"]


@pytest.mark.parametrize("case", ["file", "under-file", "other-files", "surrogate-run",
                                  "other-kind", "other-settings", "locked", "bad-manifest"])
def test_store_refusals_write_nothing(tmp_path, case):
    target = tmp_path / "s"
    if case == "file":
        target.write_text("x")
    elif case == "under-file":
        (tmp_path / "f").write_text("x")
        target = tmp_path / "f" / "deeper" / "s"
    elif case in ("other-files", "surrogate-run"):
        target.mkdir()
        (target / ("notes.txt" if case == "other-files" else "config.json")).write_text("{}")
    elif case in ("other-kind", "other-settings", "locked"):
        with CellStore.open(target, "phase" if case == "other-kind" else "demo", {"s": 0}):
            if case == "locked":
                (target / ".lock.keep").write_text((target / ".lock").read_text())
        if case == "locked":  # a lock held by a live process (this one)
            os.replace(target / ".lock.keep", target / ".lock")
    elif case == "bad-manifest":
        target.mkdir()
        (target / "sweep.json").write_text("{not json")
    before = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    with pytest.raises(SweepStoreError) as info:
        CellStore.open(target, "demo", {"s": 1 if case == "other-settings" else 0})
    after = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    assert before == after  # nothing written
    msg = str(info.value)
    assert "\n" not in msg and isinstance(info.value, WordTensorError)
    expected = {"file": "it is a file", "under-file": "f is a file",
                "other-files": "notes.txt", "surrogate-run": "a training run (config.json)",
                "other-kind": "holds a phase sweep, not a demo sweep",
                "other-settings": "other settings (s: 0, not 1)", "locked": "is in use by process",
                "bad-manifest": "cannot be read"}[case]
    assert expected in msg, msg


def test_stale_lock_is_taken_over(tmp_path):
    with CellStore.open(tmp_path / "s", "demo", {}):
        pass
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / "s" / ".lock").write_text(json.dumps({"pid": int(dead), "host": socket.gethostname()}))
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        assert json.loads((store.path / ".lock").read_text())["pid"] == os.getpid()


def test_keys_must_be_file_names(tmp_path):
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        for bad in ("A1", "../x", "a/b", "", "x" * 201):
            with pytest.raises(SweepStoreError):
                store.write(bad, {})


# ---------------------------------------------------------------- the engine (in process)
def test_run_sweep_skips_stored_cells(tmp_path):
    cells = cells_for(tmp_path, 5)
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        first = run_sweep(store, cells[:3], counted_task, SerialExecutor(), progress=False)
        second = run_sweep(store, cells, counted_task, SerialExecutor(), progress=False)
        assert (first.computed, second.computed) == (["c0", "c1", "c2"], ["c3", "c4"])
        assert second.skipped == ["c0", "c1", "c2"] and second.complete
        assert [r["result"]["square"] for r in second.records.values()] == [0, 1, 4, 9, 16]
        assert [h["computed"] for h in store.history()] == [3, 2]
    assert all(count(tmp_path, "attempt", c.key) == 1 for c in cells)
    with pytest.raises(WordTensorError, match="distinct cell keys"):
        with CellStore.open(tmp_path / "s", "demo", {}) as store:
            run_sweep(store, cells[:1] * 2, counted_task, SerialExecutor(), progress=False)


def test_failed_cells_are_stored_with_their_message(tmp_path):
    cells = [Cell("ok", {"n": 3}), Cell("bad", {"n": -1})]
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        r = run_sweep(store, cells, demo_task, SerialExecutor(), progress=False)
        assert r.failed == ["bad"] and r.complete
        rec = store.read("bad")
    assert rec["status"] == "failed" and rec["result"] is None
    assert rec["error"] == {"type": "WordTensorError", "message": "demo_task needs n >= 0, got -1"}


def test_an_error_that_persists_is_a_failed_cell_and_a_lost_cell_is_not_stored(tmp_path):
    class Flaky(SerialExecutor):
        def run(self, calls):
            for key, fn, args in calls:
                if key == "lost":
                    yield Outcome(key, lost="its workers died")
                elif key == "boom":
                    yield Outcome(key, error=RuntimeError("disk on fire"))
                else:
                    yield Outcome(key, value=fn(*args))

    cells = [Cell(k, {"n": 1}) for k in ("fine", "boom", "lost")]
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        r = run_sweep(store, cells, demo_task, Flaky(), progress=False)
        assert r.lost == {"lost": "its workers died"} and not r.complete
        assert store.keys() == {"fine", "boom"}
        assert store.read("boom")["error"] == {"type": "RuntimeError", "message": "disk on fire"}


def test_run_cell_returns_a_stored_record_without_running(tmp_path):
    cell = cells_for(tmp_path, 1)[0]
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        first = run_cell(counted_task, cell.key, cell.params, store.ref())
        assert store.has(cell.key)  # the worker stored it itself
        again = run_cell(counted_task, cell.key, cell.params, store.ref())
    assert again == first and count(tmp_path, "attempt", cell.key) == 1
    assert without_timing(first) == {"format": 1, "key": "c0", "status": "ok",
                                     "params": cell.params, "result": {"square": 0},
                                     "error": None}


# ---------------------------------------------------------------- on a 2-worker LocalCluster
@pytest.fixture(scope="module")
def cluster():
    with DaskExecutor(workers=2, retries=2) as ex:
        yield ex


def test_worker_killed_mid_sweep(tmp_path, cluster):
    """Cell c3's first attempt kills its worker process (``os._exit``). The scheduler runs it
    again on a worker the nanny restarts; every cell is stored once, c3 is started twice and
    finished once, every other cell is started and finished once."""
    cells = cells_for(tmp_path, 12, sleep=0.15)
    cells[3].params["die"] = True
    t0 = time.perf_counter()
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        r = run_sweep(store, cells, counted_task, cluster, progress=False)
        assert r.complete and not r.failed and sorted(r.computed) == sorted(c.key for c in cells)
        assert store.keys() == {c.key for c in cells}
        assert all(store.read(c.key)["result"] == {"square": c.params["n"] ** 2} for c in cells)
    attempts = {c.key: count(tmp_path, "attempt", c.key) for c in cells}
    done = {c.key: count(tmp_path, "done", c.key) for c in cells}
    assert done == {c.key: 1 for c in cells}, done  # none computed twice
    assert attempts == {c.key: 2 if c.key == "c3" else 1 for c in cells}, attempts
    assert time.perf_counter() - t0 < 30


def test_workers_are_spawned_processes(cluster):
    """Tasks run in worker processes started by the ``spawn`` method (fresh interpreters, not
    forks of the client: what torch on CUDA needs), one thread each."""
    import psutil

    cluster.client.wait_for_workers(2, timeout=60)  # a worker killed above is being restarted
    cmdlines = cluster.client.run(lambda: " ".join(psutil.Process().cmdline()))
    assert len(cmdlines) == 2 and all("multiprocessing.spawn import spawn_main" in c
                                      for c in cmdlines.values()), cmdlines
    info = cluster.client.scheduler_info(n_workers=-1)["workers"]
    assert all(w["nthreads"] == 1 for w in info.values())


def test_task_error_retried_by_dask(tmp_path, cluster):
    cells = cells_for(tmp_path, 2)
    cells[1].params["raise"] = True
    with CellStore.open(tmp_path / "s", "demo", {}) as store:
        r = run_sweep(store, cells, counted_task, cluster, progress=False)
    assert r.complete and not r.failed
    assert [count(tmp_path, "attempt", c.key) for c in cells] == [1, 2]
    assert r.records["c1"]["result"] == {"square": 1}
