"""Tests of the comparison table, the network / compare sub-commands and the network plots."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from matplotlib.image import imread

from fusion.ranks.lower import box_lower_bound
from surrogate import (
    NetworkConfig,
    SurrogateConfig,
    compare,
    grid,
    load_network_run,
    network_grid,
    network_phase_diagram,
    plot_compare,
    plot_network_run,
    plot_phase,
    train,
    train_network,
)
from surrogate.bsc import FourierTensor
from wordtensor import word_tensor
from wordtensor.cli import main

torch.set_num_threads(1)

BLOCK_FIELDS = ("box", "triplets", "rank_lower", "rank_upper", "surrogate_active",
                "network_neurons", "network_rank", "network_multilinear", "network_cosine")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("cmp")
    net = base / "net"
    train_network(NetworkConfig("S3", "xy", network_grid(2, 16, 0.8), steps=30), run_dir=net,
                  progress=False)
    sur = base / "sur"
    train(SurrogateConfig("S3", "xy", grid(2, 9), steps=20), run_dir=sur, progress=False)
    return net, sur


def test_compare_blocks_against_rank_bounds(runs):
    net, sur = runs
    d = compare(net, surrogate=sur)
    assert [b["box"] for b in d["blocks"]] == ["1a,1a,1a", "1b,1b,1b", "2a,2a,2a"]
    for rec in d["blocks"]:
        for key in BLOCK_FIELDS:
            assert key in rec, key
        assert len(rec["network_neurons"]) == 2 and len(rec["surrogate_active"]) == 2
    # S3: M_1(R), M_1(R), M_2(R); rank 7 of M_2(R) is certified above and Alder–Strassen below
    assert [(b["rank_lower"], b["rank_upper"]) for b in d["blocks"]] == [(1, 1), (1, 1), (7, 7)]
    assert (d["bounds"]["lower"], d["bounds"]["upper"]) == (9, 9)
    active = d["other"]["active_neurons"]
    for b in range(2):
        counted = sum(r["network_neurons"][b] for r in d["blocks"])
        assert counted + d["other"]["off_box_neurons"][b] + d["other"]["mixed_neurons"][b] \
            == active[b]
    assert json.loads((net / "compare.json").read_text())["blocks"][2]["rank_upper"] == 7


def test_box_lower_bound_for_other_words():
    ft = FourierTensor(word_tensor("S3", "xyX"))
    for trip in ft.support:
        lb, method = box_lower_bound(ft.decomposition, tuple((p,) for p in trip))
        assert method == "flattening" and 1 <= lb <= 4


def test_compare_rejects_mismatched_surrogate(runs, tmp_path):
    net, _ = runs
    other = tmp_path / "sur"
    train(SurrogateConfig("Z4", "xy", grid(1, 4), steps=5), run_dir=other, progress=False)
    from wordtensor import WordTensorError

    with pytest.raises(WordTensorError, match="surrogate run"):
        compare(net, surrogate=other, write=False)


def test_plots_are_pngs_that_read_back(runs, tmp_path):
    net, _ = runs
    res = load_network_run(net)
    paths = plot_network_run(res, tmp_path)
    paths.append(plot_compare(compare(net, write=False), tmp_path / "compare.png"))
    pr = network_phase_diagram("S3", "xy", [4, 8], [0.5, 1.0], 1, steps=5, progress=False,
                               run_dir=tmp_path / "phase")
    paths.append(plot_phase(pr, tmp_path / "phase.png"))
    assert pr.test_acc.shape == (2, 2, 1) and (tmp_path / "phase" / "phase.json").is_file()
    assert {p.name for p in paths} == {"curves.png", "progress.png", "neuron_boxes.png",
                                       "compare.png", "phase.png"}
    for p in paths:
        img = imread(p)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100


def test_cli_network_and_compare_json(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["network", "S3", "xy", "--width", "16", "--activation", "relu", "--train-fraction",
               "0.8", "--steps", "20", "--seeds", "2", "--lr", "1e-2", "--weight-decay", "0.5",
               "--out", str(out), "--json", "--no-progress", "--no-plots"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("test_accuracy", "train_accuracy", "step_train_100", "step_test_99", "run_dir",
                "grok_ratio", "neurons", "status"):
        assert key in d, key
    assert len(d["test_accuracy"]) == 2 and d["run_dir"] == str(out)
    assert d["lr"] == [0.01, 0.01] and d["activation"] == "relu"
    rc = main(["network", "S3", "xy", "--width", "16", "--activation", "relu", "--train-fraction",
               "0.8", "--steps", "30", "--seeds", "2", "--lr", "1e-2", "--weight-decay", "0.5",
               "--out", str(out), "--resume", "--json", "--no-progress", "--no-plots"])
    assert rc == 0 and json.loads(capsys.readouterr().out)["steps"] == 30
    rc = main(["compare", str(out), "--json", "--no-plot"])
    assert rc == 0
    c = json.loads(capsys.readouterr().out)
    assert len(c["blocks"]) == 3
    for rec in c["blocks"]:
        for key in BLOCK_FIELDS:
            assert key in rec, key
    rc = main(["compare", str(out)])  # text, with the plot
    text = capsys.readouterr().out
    assert rc == 0 and "2a,2a,2a" in text and (out / "compare.png").is_file()


def test_cli_phase_model_network(tmp_path, capsys):
    out = tmp_path / "phase"
    rc = main(["phase", "S3", "xy", "--model", "network", "--widths", "4", "8", "--fractions",
               "0.5", "1.0", "--seeds", "1", "--steps", "5", "--out", str(out), "--json",
               "--no-progress", "--workers", "1"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["model"] == "network" and np.array(d["train_acc"]).shape == (2, 2, 1)
    from surrogate import RECIPE

    assert d["settings"]["weight_decay"] == RECIPE["weight_decay"]  # the recipe, not 1e-5
    assert (out / "phase.png").is_file() and (out / "phase.json").is_file()


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["network", "S3", "xy", "--train-fraction", "1.5", "--no-progress"]) == 2
    assert "--train-fraction" in capsys.readouterr().err
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a network run folder" in err and len(err.strip().splitlines()) == 1


def test_compare_refuses_an_instance_the_run_lacks(runs, capsys):
    net, _ = runs
    assert main(["compare", str(net), "--instance", "99", "--no-plot"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no instance 99" in err[0] and "0..1" in err[0]


def test_cli_text_output(tmp_path, capsys):
    rc = main(["network", "S3", "xy", "--width", "8", "--steps", "5", "--seeds", "1",
               "--out", str(tmp_path / "r"), "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0 and "test≥99% at" in out and "run folder" in out
    assert imread(tmp_path / "r" / "curves.png").ndim == 3
    assert np.isfinite(json.loads((tmp_path / "r" / "summary.json").read_text())["seconds"])
