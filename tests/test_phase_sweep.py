"""``wordtensor phase`` on the sweep engine (surrogate.phase_sweep): --workers 1 and 2 give the
same cells and files, a client killed mid-sweep resumes without training a stored cell again,
bad --workers / --scheduler values and folders are one-line errors that write nothing. (A
worker killed mid-sweep is the engine's test: tests/test_sweep.py.)"""

from __future__ import annotations

import json
import time

import pytest

from surrogate.phase_sweep import cell_key, run_phase
from tests.sweep_tasks import kill_client_once_stored
from wordtensor.cli import main
from wordtensor.sweep import SerialExecutor, without_timing

#: The training settings of the command's defaults (what run_phase needs to open its folders).
SETTINGS = {"loss": "mse", "optimizer": "adam", "lr": 1e-2, "weight_decay": 1e-5,
            "init_scale": 0.3, "decay": "l2", "dtype": "float32"}
GRID = ["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "0.5", "1", "--seeds", "2",
        "--steps", "40", "--no-progress"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder):
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))} if folder.exists() else {}


def cells(out):
    return {p.name: without_timing(json.loads(p.read_text())) for p in (out / "cells").glob("*.json")}


def diagram(out):
    """phase.json without what names the run (its folder, the sweep's wall time and address)."""
    d = json.loads((out / "phase.json").read_text())
    d.pop("run_dir"), d.pop("sweep")
    return d


def test_one_and_two_workers_give_the_same_cells_and_files(tmp_path, capsys):
    walls, data = {}, {}
    for n in (1, 2):
        out = tmp_path / f"w{n}"
        t0 = time.perf_counter()
        code, text, err = run(capsys, *GRID, "--out", str(out), "--workers", str(n), "--json")
        walls[n] = time.perf_counter() - t0
        assert code == 0, err
        data[n] = json.loads(text)
        assert data[n]["sweep"]["workers"] == n and data[n]["sweep"]["computed"] == 4
    one, two = tmp_path / "w1", tmp_path / "w2"
    assert sorted(p.name for p in one.iterdir()) == [
        "cells", "history.json", "phase.csv", "phase.json", "phase.png", "summary.json",
        "sweep.json"]
    assert sorted(cells(one)) == [f"{cell_key(w, f)}.json" for w in (4, 9) for f in (0.5, 1.0)]
    assert cells(one) == cells(two)
    assert diagram(one) == diagram(two)
    assert (one / "phase.csv").read_text() == (two / "phase.csv").read_text()
    summaries = [without_timing(json.loads((d / "summary.json").read_text())) for d in (one, two)]
    assert summaries[0].pop("run_dir") == str(one) and summaries[1].pop("run_dir") == str(two)
    assert summaries[0] == summaries[1] and summaries[0]["seeds"] == [0, 1] * 4
    # the printed JSON keeps the keys of the single-process command, plus the sweep's
    for key in ("spec", "word", "widths", "fractions", "seeds", "test_acc", "train_acc",
                "bounds", "run_dir", "errors", "mean_test_acc", "mean_acc", "accuracy_on",
                "solved", "plot", "sweep", "files"):
        assert key in data[1], key
    assert data[1]["test_acc"] == data[2]["test_acc"] and data[1]["bounds"]["lower"] == 9
    # the same cells in this process (SerialExecutor, one torch thread): the same records
    again = run_phase("S3", "xy", [4, 9], [0.5, 1.0], [0, 1], out=tmp_path / "serial",
                      settings={"steps": 40, **SETTINGS},
                      executor=SerialExecutor(), progress=False)
    assert again.complete and cells(tmp_path / "serial") == cells(one)
    print(f"S3 xy 2x2 cells x 2 seeds: --workers 1 {walls[1]:.1f} s, --workers 2 {walls[2]:.1f} s")


def test_client_killed_mid_sweep_resumes(tmp_path, capsys):
    """The diagram runs in a subprocess on a 2-worker LocalCluster and is killed (SIGKILL) once
    some cells are stored; its workers exit with it. The re-run trains exactly the cells that
    were not stored and leaves the stored files untouched."""
    out = tmp_path / "phase"
    argv = ["phase", "S3", "xy", "--widths", "3", "4", "5", "6", "7", "8", "9", "10",
            "--fractions", "0.5", "1", "--seeds", "2", "--steps", "1500", "--no-progress",
            "--out", str(out)]
    kill_client_once_stored([*argv, "--workers", "2"], out, 2, tmp_path)
    stored = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "cells").glob("*.json")}
    assert 2 <= len(stored) < 16 and not (out / "phase.json").exists()
    code, text, err = run(capsys, *argv, "--workers", "1", "--json")
    assert code == 0, err
    sweep = json.loads(text)["sweep"]
    assert (sweep["cells"], sweep["skipped"], sweep["computed"]) == (16, len(stored),
                                                                    16 - len(stored))
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "cells").glob("*.json")}
    assert len(after) == 16 and all(after[k] == v for k, v in stored.items())
    assert sorted(p.name for p in (out / "cells").iterdir()) == sorted(after)  # no temporary file
    assert [h["computed"] for h in json.loads((out / "history.json").read_text())] == [
        16 - len(stored)]  # the killed run never logged: it did not finish
    assert json.loads((out / "phase.json").read_text())["widths"] == list(range(3, 11))


@pytest.mark.parametrize("extra, message", [
    (["--workers", "0"], "argument --workers: must be a whole number >= 1, got '0'"),
    (["--workers", "nan"], "argument --workers: must be a whole number >= 1, got 'nan'"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "give one of the two"),
    (["--scheduler", "nonsense"], "cannot connect to nonsense: missing port number"),
    (["--fractions", "nan"], "argument --fractions"),
])
def test_bad_arguments_are_one_line_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "never"
    code, text, err = run(capsys, *GRID, "--out", str(out), *extra)
    assert code == 2 and text == "" and err.count("\n") == 1 and message in err, err
    assert not out.exists()


def test_folders_are_refused_with_one_line(tmp_path, capsys):
    out = tmp_path / "phase"
    run_phase("S3", "xy", [9], [1.0], [0], out=out, settings={"steps": 5, **SETTINGS},
              executor=SerialExecutor(), progress=False)
    before = snapshot(tmp_path)
    cases = [
        (["phase", "S3", "xy", "--widths", "9", "--fractions", "1", "--seeds", "1",
          "--steps", "6", "--out", str(out)], "other settings (steps: 5, not 6)"),
        (["phase", "S3", "xy", "--widths", "9", "--fractions", "1", "--seeds", "2",
          "--steps", "5", "--out", str(out)], "other settings"),
        (["surrogate", "S3", "xy", "--steps", "5", "--out", str(out), "--resume"],
         "holds a phase sweep, not a surrogate run"),
        (["atlas", "--orders", "1-2", "--words", "xy", "--out", str(out)],
         "holds a phase sweep, not an atlas sweep"),
    ]
    for argv, message in cases:
        code, text, err = run(capsys, *argv, "--no-progress")
        assert code == 2 and err.count("\n") == 1 and message in err, (argv, err)
    assert snapshot(tmp_path) == before
