"""The rank atlas (fusion.atlas, ``wordtensor atlas``): the word list, the CLI and its JSON,
CSV and markdown contract, the folder refusals, failed cells; a client killed mid-sweep that
resumes without recomputing; --workers 1 and 2 giving the same cells; and the soundness of the
checked-in docs/atlas.csv against GAP's irreducible character types."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fusion.algebras.best import best_rank
from fusion.atlas import atlas_cells, run_atlas, split_words
from fusion.atlas.cells import cell_key, word_slug
from tests.sweep_tasks import kill_client_once_stored
from wordtensor.cli import main
from wordtensor.errors import UsageError, WordSyntaxError
from wordtensor.smallgroups import small_group_info
from wordtensor.sweep import CellStore, DaskExecutor, SerialExecutor, without_timing

ROOT = Path(__file__).resolve().parents[1]
WORDS = "xy,xyx,xyX,xxyy,[x,y]"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))} if folder.exists() else {}


def cell_files(out: Path) -> dict:
    """(inode, mtime) of each finished cell file (temporary files are not cells)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "cells").glob("*.json")}


# ---------------------------------------------------------------- words and keys
def test_words_split_at_top_level_commas_only():
    assert [str(w) for w in split_words(WORDS)] == ["xy", "xyx", "xyX", "xxyy", "[x,y]"]
    assert [str(w) for w in split_words("[x,[y,x]], x^2 y")] == ["[x,[y,x]]", "x^2 y"]
    with pytest.raises(WordSyntaxError):
        split_words("xy,[x,y")
    with pytest.raises(UsageError):
        split_words("xy,")


def test_cell_keys_are_distinct_file_names():
    cells = atlas_cells(range(1, 33), split_words(WORDS))
    keys = [c.key for c in cells]
    assert len(keys) == len(set(keys)) == 720
    assert len({k.lower() for k in keys}) == 720  # case-insensitive file systems too
    assert cell_key(small_group_info(8, 3), "xyX") == f"8_3_{word_slug('xyX')}"
    assert word_slug("xyX") != word_slug("xyx") and word_slug("xyX").startswith("xy_x-")


# ---------------------------------------------------------------- the CLI contract
def test_atlas_cli_contract(tmp_path, capsys):
    out = tmp_path / "atlas"
    argv = ["atlas", "--orders", "1-4", "--words", "xy,1,[x,y]", "--out", str(out),
            "--workers", "1", "--no-progress", "--json"]
    code, text, err = run(capsys, *argv)
    assert code == 0, err
    d = json.loads(text)
    assert {"out", "orders", "words", "settings", "cells", "computed", "skipped", "exact",
            "open", "failed", "lost", "by_word", "widest", "seconds", "cell_seconds",
            "workers", "scheduler", "files"} <= set(d)
    assert (d["orders"], d["words"], d["cells"], d["computed"], d["skipped"]) == (
        [1, 2, 3, 4], ["xy", "1", "[x,y]"], 15, 15, 0)
    assert d["settings"] == {"search_seconds": 0.0, "seed": 0} and d["workers"] == 1
    # the constant word is refused by the rank engine: failed cells, not a crash
    assert [(f["spec"], f["word"]) for f in d["failed"]] == [
        (f"SmallGroup({n},{i})", "1") for n, i in [(1, 1), (2, 1), (3, 1), (4, 1), (4, 2)]]
    assert all("no variables" in f["error"] for f in d["failed"]) and d["lost"] == {}
    assert d["by_word"]["xy"] == {"cells": 5, "exact": 5, "open": 0, "failed": 0, "missing": 0,
                                  "median_ratio": 1.0}
    assert sorted(p.name for p in out.iterdir()) == [
        "atlas.csv", "atlas.md", "atlas.png", "cells", "history.json", "sweep.json"]
    # one file per cell, named <n>_<i>_<word slug>.json, holding the whole rank report
    rec = json.loads((out / "cells" / f"4_2_{word_slug('[x,y]')}.json").read_text())
    assert rec["status"] == "ok" and rec["params"]["spec"] == "SmallGroup(4,2)"
    assert rec["result"]["group"] == {"id": [4, 2], "spec": "SmallGroup(4,2)",
                                      "structure": "C2 x C2", "order": 4, "num_classes": 4}
    report = rec["result"]["report"]
    assert {"lower", "upper", "lower_method", "upper_method", "max_abs_error", "verified_in",
            "seconds", "flattening", "candidates"} <= set(report)
    assert {"seconds", "started", "finished", "worker"} == set(rec["timing"])
    bad = json.loads((out / "cells" / f"1_1_{word_slug('1')}.json").read_text())
    assert bad["status"] == "failed" and bad["error"]["type"] == "WordTensorError"
    rows = list(csv.DictReader((out / "atlas.csv").open()))
    assert len(rows) == 15 and list(rows[0])[:13] == [
        "order", "index", "spec", "structure", "word", "status", "lower", "upper", "exact",
        "gap", "ratio", "lower_method", "upper_method"]
    assert {r["status"] for r in rows if r["word"] == "1"} == {"failed"}
    md = (out / "atlas.md").read_text()
    assert "## Order 4 (2 groups)" in md and "| (4,2) | C2 x C2 | **4** | ✗ | **1** |" in md
    assert "Search time: 0 s" in md and "![" in md
    # a re-run computes nothing and starts no cluster
    before = snapshot(out / "cells")
    code, text, _ = run(capsys, *argv)
    d2 = json.loads(text)
    assert code == 0 and (d2["computed"], d2["skipped"], d2["workers"]) == (0, 15, 0)
    assert snapshot(out / "cells") == before


def test_atlas_text_output(tmp_path, capsys):
    run_atlas("1-3", "xy", tmp_path / "a", executor=SerialExecutor(), progress=False)
    code, text, err = run(capsys, "atlas", "--orders", "1-3", "--words", "xy", "--out",
                          str(tmp_path / "a"))
    assert code == 0 and err == ""
    assert text.splitlines()[0] == ("atlas of 1 word(s) on the SmallGroups of order 1-3: 3 cells "
                                    f"in {tmp_path / 'a'}")
    assert "exact 3 of 3: xy 3/3" in text


@pytest.mark.parametrize("case", ["file", "under-file", "surrogate-run", "phase-sweep",
                                  "other-settings", "other-seed"])
def test_atlas_refuses_the_folder(tmp_path, capsys, case):
    out = tmp_path / "out"
    extra = []
    if case == "file":
        out.write_text("x")
    elif case == "under-file":
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "atlas"
    elif case == "surrogate-run":
        out.mkdir()
        (out / "config.json").write_text("{}")
        (out / "metrics.csv").write_text("")
    elif case == "phase-sweep":
        with CellStore.open(out, "phase", {"steps": 100}):
            pass
    else:
        run_atlas("1-2", "xy", out, executor=SerialExecutor(), progress=False)
        extra = ["--search-seconds", "2"] if case == "other-settings" else ["--seed", "3"]
    before = snapshot(tmp_path)
    code, text, err = run(capsys, "atlas", "--orders", "1-2", "--words", "xy", "--out", str(out),
                          "--workers", "1", *extra)
    assert code == 2 and text == "" and err.count("\n") == 1 and err.startswith("wordtensor: error: ")
    assert snapshot(tmp_path) == before  # nothing written
    expected = {"file": "it is a file", "under-file": "f is a file",
                "surrogate-run": "a training run (config.json)",
                "phase-sweep": "holds a phase sweep, not an atlas sweep",
                "other-settings": "other settings (search_seconds: 0.0, not 2.0)",
                "other-seed": "other settings (seed: 0, not 3)"}[case]
    assert expected in err, err


@pytest.mark.parametrize("argv, message", [
    (["--words", "xy,x^^2"], "expected an integer exponent"),
    (["--words", "xy,,yx"], "empty word"),
    (["--orders", "0-3"], "positive integer"),
    (["--orders", "200"], "beyond the shipped catalogue"),
    (["--workers", "0"], "at least 1"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "give one of the two"),
    (["--search-seconds", "-1"], "must be >= 0"),
])
def test_atlas_bad_arguments(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    code, text, err = run(capsys, "atlas", "--out", str(out), *argv)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not out.exists()


# ---------------------------------------------------------------- Dask: kills and workers
def test_client_killed_mid_sweep_resumes(tmp_path, capsys):
    """The atlas runs in a subprocess on a 2-worker LocalCluster and is killed (SIGKILL) once
    some cells are stored; its workers exit with it. The re-run computes exactly the cells
    that were not stored, leaves the stored files untouched, and completes the atlas."""
    out = tmp_path / "atlas"
    argv = ["atlas", "--orders", "1-10", "--words", "xy,xyX,[x,y]", "--out", str(out),
            "--workers", "2", "--no-progress"]
    kill_client_once_stored(argv, out, 8, tmp_path)
    stored = cell_files(out)
    assert 8 <= len(stored) < 54 and (out / ".lock").exists()  # a stale lock is left
    code, text, err = run(capsys, *argv, "--json")
    assert code == 0, err
    d = json.loads(text)
    assert (d["cells"], d["skipped"], d["computed"]) == (54, len(stored), 54 - len(stored))
    after = cell_files(out)
    assert len(after) == 54 and all(after[k] == v for k, v in stored.items())
    # a worker killed mid-write may have left a temporary file: the re-run removed it
    assert sorted(p.name for p in (out / "cells").iterdir()) == sorted(after)
    assert [h["computed"] for h in json.loads((out / "history.json").read_text())] == [
        54 - len(stored)]  # the killed run never logged: it did not finish


def test_one_and_two_workers_give_the_same_cells(tmp_path):
    cells, walls = {}, {}
    for n in (1, 2):
        t0 = time.perf_counter()
        r = run_atlas("1-6", WORDS, tmp_path / f"w{n}", executor=DaskExecutor(workers=n),
                      progress=False)
        walls[n] = time.perf_counter() - t0
        assert r.complete and r.sweep.workers == n and len(r.sweep.computed) == 40
        cells[n] = {p.name: without_timing(json.loads(p.read_text()))
                    for p in (tmp_path / f"w{n}" / "cells").glob("*.json")}
    assert len(cells[1]) == 40 and cells[1] == cells[2]
    print(f"orders 1-6 x 5 words: --workers 1 {walls[1]:.1f} s, --workers 2 {walls[2]:.1f} s")


@pytest.mark.skipif(os.environ.get("WORDTENSOR_SLOW") != "1",
                    reason="starts a dask scheduler and workers (~20 s); WORDTENSOR_SLOW=1 runs it")
def test_atlas_on_a_running_cluster(tmp_path, capsys):
    """``--scheduler``: the README's recipe (``dask scheduler``, ``dask worker``) and the atlas
    on it: every cell computed there, by the cluster's workers."""
    bindir = Path(sys.executable).parent
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([bindir / "dask", "scheduler", "--scheduler-file", sched_file,
                               "--no-dashboard", "--port", "0"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen([bindir / "dask", "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard"], cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        out = tmp_path / "atlas"
        code, text, err = run(capsys, "atlas", "--orders", "1-8", "--words", "xy,[x,y]",
                              "--out", str(out), "--scheduler", address, "--json", "--no-progress")
        d = json.loads(text)
        assert code == 0 and d["computed"] == d["cells"] == 28 and d["scheduler"] == address
        workers = {json.loads(p.read_text())["timing"]["worker"] for p in (out / "cells").glob("*.json")}
        assert len(workers) >= 1
    finally:
        for p in reversed(procs):
            p.terminate()
            p.wait(timeout=30)


# ---------------------------------------------------------------- the checked-in atlas
def _gap_types() -> dict[tuple[int, int], list[list[int]]]:
    data = json.loads((ROOT / "tests" / "fixtures" / "gap" / "irrep_types.json").read_text())
    return {tuple(g["id"]): g["irreps"] for g in data["groups"]}


def test_docs_atlas_xy_column_is_sound():
    """docs/atlas.csv, word xy, every group of its orders (at least the 144 of order <= 32),
    held against GAP's character degrees and Frobenius–Schur indicators: lower <= upper;
    lower >= Alder–Strassen 2n − t (t = real + complex/2 + quaternionic characters: the simple components of R[G]);
    upper <= the sum over components of the best known rank of M_d(R), M_d(C), M_{d/2}(H);
    and the cell is exact wherever Alder–Strassen meets that sum."""
    rows = [r for r in csv.DictReader((ROOT / "docs" / "atlas.csv").open()) if r["word"] == "xy"]
    top = max(int(r["order"]) for r in rows)  # the atlas covers every group up to its top order
    types = {k: v for k, v in _gap_types().items() if k[0] <= top}
    assert top >= 32 and len(rows) == len(types) >= 144
    assert {(int(r["order"]), int(r["index"])) for r in rows} == set(types)
    meets = 0
    for r in rows:
        n, i = int(r["order"]), int(r["index"])
        assert r["status"] == "ok", r
        lower, upper = int(r["lower"]), int(r["upper"])
        irreps = types[(n, i)]
        assert sum(d * d for d, _ in irreps) == n
        t = sum(1 for _, nu in irreps if nu != 0) + sum(1 for _, nu in irreps if nu == 0) // 2
        blocks = sum(best_rank({1: "R", -1: "H"}[nu], d if nu == 1 else d // 2)
                     for d, nu in irreps if nu != 0)
        blocks += sum(best_rank("C", d) for d, nu in irreps if nu == 0) // 2
        assert 2 * n - t <= lower <= upper <= blocks, (r["spec"], lower, upper, 2 * n - t, blocks)
        assert (r["exact"] == "True") == (lower == upper)
        if 2 * n - t == blocks:
            meets += 1
            assert lower == upper == blocks, r["spec"]
    assert meets > 20


def test_tables_pick_up_the_keys_of_newer_rank_reports():
    """The rank engine's new keys (references, lists of lower bounds, certificate kinds, the
    numerical upper bound) become CSV columns and show in the markdown; reports without them
    still tabulate."""
    def rec(i, lo, up, **extra):
        report = {"lower": lo, "upper": up, "lower_method": "alder-strassen+1",
                  "upper_method": "constructive", "max_abs_error": 0.0, "verified_in": "exact",
                  "seconds": 0.1, "box_cover": {"bound": up}, **extra}
        return {"key": f"8_{i}_xy", "status": "ok", "result": {"report": report},
                "params": {"spec": f"SmallGroup(8,{i})", "id": [8, i], "structure": f"G{i}",
                           "word": "xy"}, "error": None, "timing": {"seconds": 0.2}}

    new = rec(4, 12, 13, lower_reference="Bläser 2004", upper_certificate={"kind": "exact"},
              lower_bounds=[{"method": "flattening", "value": 8}, {"method": "bläser", "value": 12}],
              upper_numerical={"rank": 12, "error": 1e-9}, upper_reference="Gauss", note="x")
    from fusion.atlas import atlas_csv, atlas_markdown, atlas_rows

    rows = atlas_rows([rec(3, 11, 11), new])
    header = next(csv.reader(atlas_csv(rows).splitlines()))
    assert header[13:19] == ["lower_reference", "lower_bounds", "upper_certificate",
                             "upper_reference", "upper_numerical", "note"]
    assert header[19:] == ["max_abs_error", "verified_in", "seconds", "error"]
    assert rows[0]["upper_certificate"] is None and json.loads(rows[1]["upper_certificate"]) == {
        "kind": "exact"}
    md = atlas_markdown(rows)
    assert "| lower_reference | lower_bounds | upper_certificate | upper_reference | upper_numerical |" in md
    assert "| Bläser 2004 | flattening; bläser | exact | Gauss | 12 |" in md
    assert "Upper bounds by certificate: constructive 1, exact 1." in md
    assert "| (8,4) | G4 | 12–13 |" in md and "| (8,3) | G3 | **11** |" in md
