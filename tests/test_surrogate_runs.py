"""Tests of surrogate run folders, resume, NaN handling, plots, the phase diagram and the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from surrogate import (
    Instance,
    RunFolderError,
    SurrogateConfig,
    grid,
    load_run,
    phase_diagram,
    plot_phase,
    plot_run,
    train,
)
from surrogate.batching import make_split
from surrogate.cp import BatchedCP, SurrogateRunFolder
from surrogate.folders import ConfigMismatchError, RunExistsError
from wordtensor.cli import main

torch.set_num_threads(1)


def _cfg(**kw):
    kw.setdefault("steps", 60)
    kw.setdefault("dtype", "float64")
    inst = kw.pop("instances", grid(2, [6, 9], 0.7))
    return SurrogateConfig("S3", "xy", inst, **kw)


def _read(folder, name):
    with np.load(folder / name) as z:
        return {k: z[k] for k in z.files}


def _checkpoints(folder):
    """{step: arrays} of a run folder's checkpoint files."""
    return {int(p.stem.removeprefix("step-")): _read(p.parent, p.name)
            for p in sorted((folder / "checkpoints").glob("step-*.npz"))}


def test_run_folder_contents_and_split_reload(tmp_path):
    cfg = _cfg()
    res = train(cfg, run_dir=tmp_path / "run", progress=False)
    d = tmp_path / "run"
    for name in ("config.json", "split.npz", "metrics.csv", "state.npz", "summary.json"):
        assert (d / name).is_file(), name
    assert not list(d.rglob(".*.tmp")) and not (d / "lock").exists()  # nothing left behind
    split = _read(d, "split.npz")
    for b, inst in enumerate(cfg.instances):
        assert np.array_equal(split["train_mask"][b], make_split(36, inst.train_fraction, inst.split))
    back = load_run(d)
    assert back.config == cfg
    assert np.array_equal(back.train_mask, res.train_mask)
    assert back.rows == res.rows and back.steps == res.steps
    ck = _checkpoints(d)  # one file per log step
    assert list(ck) == res.steps and ck[60]["factors"].shape == (4, 3, 6, 9)
    assert np.array_equal(ck[60]["factors"], res.final_factors)
    assert set(ck[60]) == {"factors", "triplet_residual", "box_mass", "strength", "dominant",
                           "purity", "active"}
    # a saved split is used as saved, even if the split rule were to change
    tampered = split["train_mask"].copy()
    tampered[0] = ~tampered[0]
    m = BatchedCP(cfg, train_mask=tampered)
    assert np.array_equal(m.train_mask, tampered)


def test_existing_folder_needs_resume(tmp_path):
    train(_cfg(steps=5), run_dir=tmp_path, progress=False)
    with pytest.raises(RunExistsError, match="resume"):
        train(_cfg(steps=5), run_dir=tmp_path, progress=False)
    with pytest.raises(ConfigMismatchError, match="different configuration.*loss: saved 'mse'"):
        train(_cfg(steps=5, loss="ce"), run_dir=tmp_path, resume=True, progress=False)
    assert issubclass(ConfigMismatchError, RunFolderError)


class _Killed(Exception):
    pass


def _assert_same_run(a, b):
    """Two run folders hold bitwise the same state, checkpoints and metrics."""
    sa, sb = _read(a, "state.npz"), _read(b, "state.npz")
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k], sb[k]), ("state", k)
    ca, cb = _checkpoints(a), _checkpoints(b)
    assert ca.keys() == cb.keys()
    for step in ca:
        assert ca[step].keys() == cb[step].keys()
        for k in ca[step]:
            assert np.array_equal(ca[step][k], cb[step][k]), (step, k)
    assert (a / "metrics.csv").read_bytes() == (b / "metrics.csv").read_bytes()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_resume_equals_uninterrupted(tmp_path, dtype):
    cfg = _cfg(steps=80, dtype=dtype, instances=grid(2, [6, 9], 0.7) + (
        Instance(3, 9, 1.0, lr=1e6, init_scale=3.0),))  # one instance diverges on the way
    full = train(cfg, run_dir=tmp_path / "full", progress=False)

    def kill(step, model):
        if step == 47:  # between log steps 40 and 50: state on disk is at step 40
            raise _Killed

    with pytest.raises(_Killed):
        train(cfg, run_dir=tmp_path / "cut", progress=False, callback=kill)
    assert int(_read(tmp_path / "cut", "state.npz")["t"]) == 40
    resumed = train(cfg, run_dir=tmp_path / "cut", resume=True, progress=False)
    _assert_same_run(tmp_path / "full", tmp_path / "cut")
    assert resumed.summary()["test_accuracy"] == full.summary()["test_accuracy"]
    # extending a finished run: only the step count may change
    longer = train(cfg.replace(steps=100), run_dir=tmp_path / "cut", resume=True, progress=False)
    assert longer.steps[-1] == 100
    assert SurrogateRunFolder(tmp_path / "cut").read_config().steps == 100


_RUNNER = """
import sys, time
import torch
torch.set_num_threads(1)
from surrogate import SurrogateConfig, grid, train
from surrogate.config import Instance
cfg = SurrogateConfig("S3", "xy", grid(2, [6, 9], 0.7) + (Instance(3, 9, 1.0, lr=1e6,
                      init_scale=3.0),), steps=3000, dtype="float64", log_per_decade=20)
train(cfg, run_dir=sys.argv[1], progress=False, state_every_s=0.02,
      callback=lambda step, model: time.sleep(0.0005))
"""


def test_killed_subprocess_resumes_bitwise_identical(tmp_path):
    cfg = SurrogateConfig("S3", "xy", grid(2, [6, 9], 0.7) + (
        Instance(3, 9, 1.0, lr=1e6, init_scale=3.0),), steps=3000, dtype="float64",
        log_per_decade=20)
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-c", _RUNNER, str(cut)], stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while not (cut / "state.npz").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.01)
    time.sleep(0.3)  # somewhere inside the run: a log step, a state, or between them
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert int(_read(cut, "state.npz")["t"]) < 3000 and not (cut / "summary.json").exists()
    resumed = train(cfg, run_dir=cut, resume=True, progress=False)
    full = train(cfg, run_dir=tmp_path / "full", progress=False)
    _assert_same_run(tmp_path / "full", cut)
    assert resumed.summary()["test_accuracy"] == full.summary()["test_accuracy"]
    assert not list(cut.rglob(".*.tmp")) and not (cut / "lock").exists()


def test_nan_stops_only_that_instance(tmp_path):
    good = Instance(0, 9, 0.7)
    bad = Instance(1, 9, 0.7, lr=1e6, init_scale=3.0)
    cfg = SurrogateConfig("S3", "xy", (good, bad), steps=40, optimizer="gd", dtype="float32")
    res = train(cfg, run_dir=tmp_path, progress=False)
    s = res.summary()
    assert s["status"][0] == "ok" and s["errors"][0] is None
    assert s["errors"][1].startswith("diverged: non-finite parameters at step")
    assert s["test_accuracy"][1] is None and s["final_loss"][1] is None
    assert np.isfinite(res.final_factors).all()  # frozen at the last finite values
    alone = train(cfg.replace(instances=(good,)), progress=False)
    assert np.array_equal(res.final_factors[0], alone.final_factors[0])
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["errors"][1] == s["errors"][1]
    assert "diverged" in (tmp_path / "metrics.csv").read_text()


def test_plots_are_png_files_that_open(tmp_path):
    res = train(_cfg(steps=30, instances=grid(2, [6, 9], [0.5, 1.0])), run_dir=tmp_path,
                progress=False)
    paths = plot_run(res)
    assert [p.name for p in paths] == ["curves.png", "triplet_residuals.png", "box_mass.png"]
    for p in paths:
        img = imread(p)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    # from the run folder alone, and with many instances (median band)
    many = train(_cfg(steps=10, instances=grid(13, 4, 0.5)), progress=False)
    assert imread(plot_run(many, tmp_path / "many")[0]).shape[0] > 100
    assert imread(plot_run(tmp_path, tmp_path / "again")[2]).shape[0] > 100


def test_phase_diagram_on_a_tiny_grid(tmp_path):
    pr = phase_diagram("S3", "xy", [2, 9], [0.5, 1.0], 2, steps=20, progress=False,
                       run_dir=tmp_path)
    assert pr.test_acc.shape == (2, 2, 2)
    assert np.isnan(pr.test_acc[:, 1]).all()  # nothing held out at fraction 1
    assert np.isfinite(pr.test_acc[:, 0]).all() and np.isfinite(pr.train_acc).all()
    assert (pr.bounds.lower, pr.bounds.upper) == (9, 9)
    d = json.loads((tmp_path / "phase.json").read_text())
    assert d["mean_test_acc"][0][1] is None
    img = imread(plot_phase(pr, tmp_path / "phase.png"))
    assert img.ndim == 3
    pr2 = phase_diagram("S3", "xy", [3], [0.5], 1, steps=5, progress=False, bounds=(2, 4))
    assert (pr2.bounds.lower, pr2.bounds.upper, pr2.bounds.source) == (2, 4, "given")


def test_cli_surrogate_json(tmp_path, capsys):
    out = tmp_path / "cli"
    rc = main(["surrogate", "S3", "xy", "--width", "9", "--train-fraction", "0.5", "--steps", "20",
               "--seeds", "2", "--out", str(out), "--json", "--no-progress", "--dtype", "float64"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("test_accuracy", "train_accuracy", "final_loss", "run_dir", "grok_step",
                "components", "errors", "notes"):
        assert key in d, key
    assert len(d["test_accuracy"]) == 2 and d["run_dir"] == str(out)
    assert d["notes"] and "too few" in d["notes"][0]  # 36 pairs of S3
    assert all((out / p).is_file() for p in ("curves.png", "box_mass.png", "metrics.csv"))
    # an existing folder is not overwritten without --resume
    rc = main(["surrogate", "S3", "xy", "--steps", "20", "--out", str(out), "--no-progress"])
    assert rc == 2 and "resume" in capsys.readouterr().err
    # --resume extends it
    rc = main(["surrogate", "S3", "xy", "--width", "9", "--train-fraction", "0.5", "--steps", "30",
               "--seeds", "2", "--out", str(out), "--json", "--no-progress", "--dtype", "float64",
               "--resume", "--no-plots"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["steps"] == 30
    rc = main(["surrogate", "S3", "xy", "--train-fraction", "1.5", "--no-progress"])
    assert rc == 2 and "--train-fraction" in capsys.readouterr().err


def test_cli_text_and_phase(tmp_path, capsys):
    rc = main(["surrogate", "S3", "xy", "--width", "4", "--steps", "5", "--seeds", "1",
               "--out", str(tmp_path / "t"), "--no-progress", "--no-plots"])
    assert rc == 0 and "run folder" in capsys.readouterr().out
    rc = main(["phase", "S3", "xy", "--widths", "2", "9", "--fractions", "0.5", "--seeds", "1",
               "--steps", "10", "--out", str(tmp_path / "p"), "--json", "--no-progress",
               "--workers", "1"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["bounds"]["lower"] == 9 and len(d["mean_test_acc"]) == 2
    assert (tmp_path / "p" / "phase.png").is_file()
