"""Run folders are safe: every refusal is one line on stderr with exit 2 and writes nothing, a
lock keeps a second process out (and a dead one's lock is taken over), a process killed at any
moment resumes bitwise identical, and the I/O of a run grows linearly with its length."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import surrogate.runfolder as runfolder
from surrogate import NetworkConfig, SurrogateConfig, grid, load_network_run, load_run, train
from surrogate.cp import SurrogateRunFolder
from surrogate.folders import (
    OutPathError,
    RunFormatError,
    RunLock,
    RunLockedError,
    run_kind,
)
from surrogate.networks import network_grid, train_network
from wordtensor.cli import main

torch.set_num_threads(1)

SURROGATE = ["surrogate", "S3", "xy", "--width", "9", "--steps", "20", "--seeds", "1",
             "--no-progress", "--no-plots"]


def _snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(capsys, *words) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wordtensor: error: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture
def s3_run(tmp_path, capsys):
    out = tmp_path / "s3"
    assert main(SURROGATE + ["--out", str(out)]) == 0
    capsys.readouterr()
    return out


# ------------------------------------------------------------------------------ --out
@pytest.mark.parametrize("command", [SURROGATE, ["network", "S3", "xy", "--width", "8", "--steps",
                                                 "5", "--seeds", "1", "--no-progress"],
                                     ["study", "S3", "xy", "--quick"]])
def test_out_must_be_a_folder_that_can_be_made(tmp_path, capsys, command):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert main(command + ["--out", str(f)]) == 2
    _one_line_error(capsys, "is a file, not a folder")
    assert main(command + ["--out", str(f / "sub")]) == 2
    _one_line_error(capsys, "notes.txt is a file")
    assert f.read_text() == "mine" and sorted(tmp_path.iterdir()) == [f]
    if Path("/proc/self").is_dir():  # a path no one can create
        assert main(command + ["--out", "/proc/wordtensor-run"]) == 2
        _one_line_error(capsys, "/proc/wordtensor-run")


def test_api_refuses_a_file_as_run_folder(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(OutPathError, match="is a file"):
        train(SurrogateConfig("S3", "xy", grid(1, 4), steps=2), run_dir=f, progress=False)


# ------------------------------------------------------------------------------ resume
def test_refusals_write_nothing(s3_run, tmp_path, capsys):
    before = _snapshot(s3_run)
    cases = [
        (SURROGATE + ["--out", str(s3_run)], ["already holds a surrogate run", "--resume"]),
        (SURROGATE[:3] + ["--width", "16", "--steps", "20", "--seeds", "1", "--no-progress",
                          "--resume", "--out", str(s3_run)],
         ["different configuration", "width: saved [9], asked [16]"]),
        (["surrogate", "S4", "xy", "--width", "9", "--steps", "20", "--seeds", "1",
          "--no-progress", "--resume", "--out", str(s3_run)], ["spec: saved 'S3', asked 'S4'"]),
        (["network", "S3", "xy", "--width", "8", "--steps", "5", "--no-progress", "--resume",
          "--out", str(s3_run)], ["holds a surrogate run, not a network run"]),
        (["phase", "S3", "xy", "--widths", "9", "--fractions", "1", "--seeds", "1",
          "--model", "network", "--resume", "--out", str(s3_run)],
         ["holds a surrogate run, not a phase sweep"]),
        # the data-loss case: a study into a surrogate run used to overwrite its files
        (["study", "S4", "xy", "--quick", "--resume", "--out", str(s3_run)],
         ["holds a surrogate run, not a study"]),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        _one_line_error(capsys, *words)  # one line: no "note: resuming …" before it
        assert _snapshot(s3_run) == before, argv
    assert main(SURROGATE[:6] + ["40", "--seeds", "1", "--no-progress", "--no-plots",
                                 "--resume", "--out", str(s3_run)]) == 0  # only steps differ
    assert load_run(s3_run).steps[-1] == 40


def test_a_study_folder_takes_no_training_run(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", "Z2", "xy", "--quick", "--seeds", "1", "--skip", "surrogate",
                 "network", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    before = _snapshot(out)
    assert main(SURROGATE + ["--resume", "--out", str(out)]) == 2
    _one_line_error(capsys, "holds a study, not a surrogate run")
    assert main(["study", "S3", "xy", "--quick", "--resume", "--out", str(out)]) == 2
    _one_line_error(capsys, "different settings", "spec: saved 'Z2', asked 'S3'")
    assert _snapshot(out) == before and run_kind(out) == "study"


def test_corrupt_and_old_folders(s3_run, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    assert main(SURROGATE + ["--resume", "--out", str(bad)]) == 2
    _one_line_error(capsys, "config.json is not valid JSON")
    # a folder in the format main wrote before (all checkpoints in factors.npz/dynamics.npz)
    old = _to_format1(s3_run, tmp_path / "old")
    back, new = load_run(old), load_run(s3_run)
    assert back.steps == new.steps
    assert [json.dumps(r) for r in back.rows] == [json.dumps(r) for r in new.rows]  # NaN-safe
    assert all(np.array_equal(a, b) for a, b in zip(back.factors, new.factors))
    assert back.bsc_names == new.bsc_names and back.support == new.support
    with pytest.raises(RunFormatError, match="older version"):
        train(back.config, run_dir=old, resume=True, progress=False)


def _to_format1(run: Path, dest: Path) -> Path:
    """The surrogate run folder ``run`` rewritten in run-folder format 1."""
    dest.mkdir()
    meta = json.loads((run / "config.json").read_text())
    names, support = meta.pop("bsc_names"), meta.pop("support")
    meta.pop("kind")
    meta["format"] = 1
    (dest / "config.json").write_text(json.dumps(meta))
    for name in ("split.npz", "metrics.csv", "state.npz", "summary.json"):
        (dest / name).write_bytes((run / name).read_bytes())
    steps, data = SurrogateRunFolder(run).read_checkpoints()
    np.savez(dest / "factors.npz", steps=np.array(steps),
             factors=np.stack([d["factors"] for d in data]))
    np.savez(dest / "dynamics.npz", steps=np.array(steps), bsc_names=np.array(names),
             support=np.array(support), **{k: np.stack([d[k] for d in data])
                                           for k in data[0] if k != "factors"})
    return dest


def test_old_network_folder_loads(tmp_path):
    cfg = NetworkConfig("S3", "xy", network_grid(1, 8, 0.5), steps=10)
    res = train_network(cfg, run_dir=tmp_path / "net", progress=False)
    old = tmp_path / "old"
    old.mkdir()
    meta = json.loads((tmp_path / "net" / "config.json").read_text())
    meta.pop("kind")
    (old / "config.json").write_text(json.dumps(meta | {"format": 1}))
    for name in ("split.npz", "metrics.csv", "state.npz"):
        (old / name).write_bytes((tmp_path / "net" / name).read_bytes())
    np.savez(old / "checkpoints.npz", steps=np.array(res.checkpoint_steps),
             **{p: np.stack(v) for p, v in res.checkpoints.items()})
    back = load_network_run(old)
    assert run_kind(old) == "network" and back.checkpoint_steps == res.checkpoint_steps
    assert np.array_equal(back.checkpoints["W"][-1], res.checkpoints["W"][-1])
    assert back.grok == res.grok


# ------------------------------------------------------------------------------ the lock
def test_lock_names_its_holder_and_a_dead_holder_is_taken_over(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(RunLockedError, match=f"process {os.getpid()} on .* since 20"):
            RunLock(tmp_path, reentrant=False).acquire()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename,
                                               "started": "2026-01-01T00:00:00"}))
    cfg = SurrogateConfig("S3", "xy", grid(1, 4), steps=3)
    assert train(cfg, run_dir=tmp_path, progress=False).steps[-1] == 3
    assert not (tmp_path / "lock").exists()  # taken over, then released


_HOLDER = """
import sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
from surrogate import SurrogateConfig, grid, train
out, go = Path(sys.argv[1]), Path(sys.argv[2])
def wait(step, model):
    if step == 25:  # resumed from step 20: now it holds the lock
        (go.parent / "holding").write_text("")
        while not go.exists():
            time.sleep(0.05)
cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=40, dtype="float64")
train(cfg, run_dir=out, resume=True, progress=False, callback=wait)
"""


def test_two_concurrent_resumes_one_is_refused(tmp_path):
    out, go = tmp_path / "run", tmp_path / "go"
    cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=20, dtype="float64")
    train(cfg, run_dir=out, progress=False)
    first = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out), str(go)],
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "holding").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.05)
        second = subprocess.run(
            [sys.executable, "-c", "import sys; from wordtensor.cli import main; "
             "sys.exit(main(sys.argv[1:]))", "surrogate", "S3", "xy", "--width", "9",
             "--seeds", "1", "--steps", "40", "--dtype", "float64", "--weight-decay", "1e-4",
             "--no-progress", "--no-plots", "--resume", "--out", str(out)],
            capture_output=True, text=True, timeout=300)
    finally:
        go.write_text("")
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read()
    assert second.returncode == 2
    err = second.stderr.strip().splitlines()
    assert len(err) == 1 and f"in use by process {first.pid}" in err[0], second.stderr
    assert load_run(out).steps[-1] == 40  # the first one finished the run


# ------------------------------------------------------------------------------ linear I/O
def test_io_grows_linearly_with_the_run(tmp_path, monkeypatch):
    written = []
    real = runfolder.atomic_write

    def counting(path, data):
        written.append((Path(path).name, len(data)))
        real(path, data)

    monkeypatch.setattr(runfolder, "atomic_write", counting)
    cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=2000, log_per_decade=10)
    res = train(cfg, run_dir=tmp_path / "run", progress=False)
    ckpt = [n for name, n in written if name.startswith("step-")]
    assert len(ckpt) == len(res.steps) and len(set(ckpt)) == 1  # one same-size file per step
    assert sum(1 for name, _ in written if name == "metrics.csv") == 0  # appended, not rewritten
    total = sum(n for _, n in written) + (tmp_path / "run" / "metrics.csv").stat().st_size
    folder = sum(p.stat().st_size for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert total < 3 * folder  # rewriting everything at every log step wrote ~30× the folder
