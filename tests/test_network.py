"""Tests of the two-layer network: forward pass against the formula, batching, determinism,
resume, NaN handling, and the analyses (neuron boxes, bilinear part, excluded losses)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion import bscs, fourier_basis
from fusion.ranks import rank_bounds
from surrogate.config import Instance, grid
from surrogate.folders import RunFolderError
from surrogate.networks import (
    NetworkConfig,
    NetworkRunFolder,
    load_network_run,
    network_grid,
    train_network,
)
from surrogate.networks.analysis import (
    NetworkAnalyzer,
    evaluate_all,
    excluded_restricted,
    neuron_boxes,
)
from surrogate.networks.bilinear import bilinear_analysis, multilinear_ranks
from surrogate.networks.model import forward, init_params
from wordtensor import Group, word_tensor

torch.set_num_threads(1)


def _cfg(spec="S3", word="xy", **kw):
    kw.setdefault("steps", 40)
    kw.setdefault("dtype", "float64")
    inst = kw.pop("instances", network_grid(2, 12, 0.7))
    return NetworkConfig(spec, word, inst, **kw)


@pytest.mark.parametrize("activation", ["relu", "quadratic", "gelu", "tanh"])
@pytest.mark.parametrize("word", ["xy", "xyX", "xyz"])
def test_forward_equals_the_formula(activation, word):
    T = word_tensor("S3", word)
    k, n = T.arity, T.n
    p = init_params(n, k, [3, 4], [5, 7], [1.0, 0.5])
    p["b1"] = torch.randn(p["b1"].shape, dtype=torch.float64)
    p["b2"] = torch.randn(p["b2"].shape, dtype=torch.float64)
    sigma = {"relu": lambda x: np.maximum(x, 0), "quadratic": np.square, "tanh": np.tanh,
             "gelu": lambda x: torch.nn.functional.gelu(torch.as_tensor(x)).numpy()}[activation]
    L = forward(p, activation).numpy()
    P = {key: v.numpy() for key, v in p.items()}
    for b in range(2):
        for s, tup in enumerate(np.ndindex(*(n,) * k)):
            h = P["b1"][b] + sum(P["E"][b, i, a] for i, a in enumerate(tup))
            expect = sigma(h) @ P["W"][b] + P["b2"][b]
            assert np.allclose(L[b, s], expect, atol=1e-12)
    # the subset path (training tuples) agrees with the full one
    idx = torch.tensor([[0, 5, n ** k - 1], [2, 2, 1]])
    sub = forward(p, activation, idx).numpy()
    assert np.allclose(sub, np.take_along_axis(L, idx.numpy()[..., None], axis=1))


def test_instance_depends_only_on_its_seed_and_width():
    a = init_params(6, 2, [5], [8], [1.0], width=8)
    b = init_params(6, 2, [1, 5], [4, 8], [1.0, 1.0], width=10)
    assert torch.equal(a["E"][0], b["E"][1, ..., :8])
    assert torch.equal(b["E"][0, ..., 4:], torch.zeros_like(b["E"][0, ..., 4:]))


def test_batched_equals_separate_runs_float64():
    inst = (Instance(seed=0, width=12, train_fraction=0.7, lr=3e-3, weight_decay=1.0),
            Instance(seed=1, width=8, train_fraction=0.5, lr=1e-2, weight_decay=0.1,
                     init_scale=0.5),
            Instance(seed=2, width=12, train_fraction=1.0, lr=1e-3, weight_decay=0.0))
    cfg = _cfg(instances=inst, steps=30, activation="relu", grokfast_lambda=1.0)
    batched = train_network(cfg, progress=False, analyse=False)
    for b, i in enumerate(inst):
        alone = train_network(cfg.replace(instances=(i,)), progress=False, analyse=False)
        for key in ("E", "W", "b1", "b2"):
            x, y = batched.params[key][b], alone.params[key][0]
            if key in ("E", "b1", "W"):  # the padded neurons of the narrower instance stay 0
                x = x[..., :i.width] if key != "W" else x[:i.width]
                assert not np.any(batched.params[key][b][..., i.width:] if key != "W"
                                  else batched.params[key][b][i.width:])
            assert np.allclose(x, y, rtol=1e-9, atol=1e-12), key
        assert batched.grok[b] == alone.grok[0]
        assert batched.rows[-1 - (len(inst) - 1 - b)]["test_acc"] == pytest.approx(
            alone.rows[-1]["test_acc"], nan_ok=True)


def test_compiled_step_equals_eager_float64():
    """torch.compile of the loss, its gradient and the AdamW/Grokfast update changes only the
    summation order: float64 parameters agree with eager mode after 15 steps, and a NaN in
    one instance still stops only that instance."""
    inst = (Instance(seed=0, width=12, train_fraction=0.7, lr=1e-2, weight_decay=1.0),
            Instance(seed=1, width=8, train_fraction=0.5, lr=1e-2, weight_decay=0.1))
    cfg = _cfg(instances=inst, steps=15, activation="quadratic", grokfast_lambda=0.5)
    eager = train_network(cfg, progress=False, analyse=False)
    fused = train_network(cfg, progress=False, analyse=False, compile=True)
    for key in eager.params:
        assert np.allclose(eager.params[key], fused.params[key], rtol=1e-9, atol=1e-12), key
    assert eager.grok == fused.grok


def test_deterministic_on_cpu():
    cfg = _cfg(dtype="float32", steps=25)
    a = train_network(cfg, progress=False, analyse=False)
    b = train_network(cfg, progress=False, analyse=False)
    for key in a.params:
        assert np.array_equal(a.params[key], b.params[key])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resume_equals_uninterrupted(tmp_path, dtype):
    cfg = _cfg(dtype=dtype, steps=40, grokfast_lambda=0.5, eval_every=3)
    full = train_network(cfg, run_dir=tmp_path / "full", progress=False)
    train_network(cfg.replace(steps=17), run_dir=tmp_path / "part", progress=False)
    resumed = train_network(cfg, run_dir=tmp_path / "part", resume=True, progress=False)
    for key in full.params:
        assert np.array_equal(full.params[key], resumed.params[key])
    assert full.grok == resumed.grok
    back = load_network_run(tmp_path / "part")
    assert back.config == cfg and back.grok == full.grok
    assert [r["step"] for r in back.rows if r["instance"] == 0][-1] == 40
    with pytest.raises(RunFolderError):  # an existing folder needs resume=True
        train_network(cfg, run_dir=tmp_path / "full", progress=False)
    with pytest.raises(RunFolderError):  # another configuration cannot resume it
        train_network(cfg.replace(activation="relu"), run_dir=tmp_path / "full", resume=True,
                      progress=False)


def test_nan_stops_only_that_instance(tmp_path):
    inst = (Instance(seed=0, width=8, train_fraction=0.7, lr=3e-3, weight_decay=0.0),
            Instance(seed=1, width=8, train_fraction=0.7, lr=1e30, weight_decay=0.0,
                     init_scale=100.0))
    cfg = _cfg(instances=inst, dtype="float32", steps=30)
    res = train_network(cfg, run_dir=tmp_path / "run", progress=False)
    s = res.summary()
    assert s["status"][0] == "ok" and s["status"][1].startswith("diverged")
    assert "non-finite" in s["errors"][1] and s["test_accuracy"][1] is None
    assert all(np.isfinite(v[1]).all() for v in res.params.values())
    alone = train_network(cfg.replace(instances=inst[:1]), progress=False, analyse=False)
    assert np.array_equal(res.params["W"][0], alone.params["W"][0])
    assert (tmp_path / "run" / "summary.json").is_file()
    back = load_network_run(tmp_path / "run")
    assert back.status[1].startswith("diverged")


def _in_bsc(G, phi, rng, size):
    """Random functions on G lying in R_φ (columns)."""
    return fourier_basis(G).rows(phi).T @ rng.standard_normal((fourier_basis(G).rows(phi).shape[0],
                                                                 size))


@pytest.mark.parametrize("spec", ["S3", "S4"])
def test_neuron_boxes_of_hand_set_weights(spec):
    G = Group.from_spec(spec)
    T = word_tensor(G, "xy")
    A = NetworkAnalyzer(T)
    rng = np.random.default_rng(0)
    t = len(bscs(G))
    M = t - 1
    E = np.zeros((1, 2, G.order, M))
    W = np.zeros((1, M, G.order))
    for j, phi in enumerate(range(1, t)):  # neuron j lives in bsc φ = j + 1
        E[0, 0, :, j] = _in_bsc(G, phi, rng, 1)[:, 0] + 3.0  # a constant offset is ignored
        E[0, 1, :, j] = _in_bsc(G, phi, rng, 1)[:, 0]
        W[0, j] = _in_bsc(G, phi, rng, 1)[:, 0] - 2.0
    params = {"E": E, "W": W, "b1": np.zeros((1, M)), "b2": np.zeros((1, G.order))}
    nb = neuron_boxes(params, "quadratic", A, active_tol=1e-6)
    for j, phi in enumerate(range(1, t)):
        assert tuple(nb["dominant"][0, j]) == (phi, phi, phi)
        assert nb["purity"][0, j] == pytest.approx(1.0, abs=1e-10)
        assert nb["mass"][0, :, phi, j] == pytest.approx(np.ones(3), abs=1e-10)
    assert nb["active"][0].all()
    assert nb["counts"][0] == {(p, p, p): 1 for p in range(1, t)}


def test_bilinear_part_of_a_hand_built_quadratic_network():
    """(u[a] + v[b])² W = 2 u[a] v[b] W + (terms in a alone or b alone): neurons set to the
    certified rank-9 decomposition of S3's xy (halved output) make the double-centred logits
    equal to δ double-centred; each block then has the neuron CP rank of its known
    decomposition (fusion.ranks: 1, 1, 7)."""
    G = Group.from_spec("S3")
    T = word_tensor(G, "xy")
    A = NetworkAnalyzer(T)
    rep = rank_bounds(G, "xy")  # the certified (constructive) factors, block by block
    recs = rep.details["blocks"]
    w, (U, V, C) = rep.cp
    R = U.shape[1]
    params = {"E": np.stack([U * w, V])[None], "W": (C.T / 2)[None],
              "b1": np.zeros((1, R)), "b2": np.zeros((1, 6))}
    out = bilinear_analysis(params, "quadratic", A, tol=1e-8)[0]
    assert out["support_mass"] == pytest.approx(1.0, abs=1e-10)
    by_block = dict(zip(A.support, out["blocks"]))
    for phi, rec in enumerate(recs):
        blk = by_block[(phi, phi, phi)]
        if phi == 0:  # the trivial block is centred away
            assert blk["centred_away"] and blk["norm"] < 1e-10
            continue
        assert blk["cosine"] == pytest.approx(1.0, abs=1e-10)
        assert blk["scale"] == pytest.approx(1.0, abs=1e-10)
        assert blk["neuron_cp_rank"] == rec["rank"]
        d = fourier_basis(G).rows(phi).shape[0]
        assert blk["multilinear"] == [d, d, d]
    # against an independent dense computation of the double-centred logits
    L = forward({k: torch.as_tensor(v) for k, v in params.items()}, "quadratic")[0].numpy()
    L = L.reshape(6, 6, 6)
    for ax in range(3):
        L = L - L.mean(axis=ax, keepdims=True)
    D = T.dense()
    for ax in range(3):
        D = D - D.mean(axis=ax, keepdims=True)
    assert np.allclose(L, D, atol=1e-12)


def test_multilinear_ranks_of_known_tensors():
    rng = np.random.default_rng(1)
    a, b, c = rng.standard_normal((3, 4, 2))
    X = np.einsum("ir,jr,kr->ijk", a, b, c)
    assert multilinear_ranks(X) == (2, 2, 2)
    assert multilinear_ranks(np.zeros((2, 2, 2))) == (0, 0, 0)


def test_excluded_and_restricted_losses_of_delta_like_logits():
    """Logits = s·δ: removing a support block raises the loss, keeping only the support
    blocks reproduces the logits (restricted loss = loss), and the trivial block (constant in
    c) does not matter to the softmax."""
    T = word_tensor("S3", "xy")
    A = NetworkAnalyzer(T)
    L = 8.0 * torch.nn.functional.one_hot(A.target, 6).to(torch.float64)[None]
    mask = torch.ones((1, 36), dtype=torch.bool)
    out = excluded_restricted(L, A, mask)
    logp = torch.log_softmax(L, -1)
    base = float(-logp[0, torch.arange(36), A.target].mean())
    assert float(out["restricted_loss"][0]) == pytest.approx(base, abs=1e-10)
    assert float(out["excl:1a,1a,1a"][0]) == pytest.approx(base, abs=1e-10)
    assert float(out["excl:2a,2a,2a"][0]) > base + 1.0
    assert float(out["excluded_loss"][0]) == pytest.approx(np.log(6), abs=1e-10)


def test_logged_metrics_and_neuron_counts():
    cfg = _cfg(steps=10, instances=network_grid(1, 12, 0.5))
    res = train_network(cfg, progress=False)
    row = res.rows[-1]
    for key in ("train_loss", "test_loss", "train_acc", "test_acc", "param_norm",
                "excl:2a,2a,2a", "excluded_loss", "restricted_loss", "restricted_acc",
                "support_mass", "active", "mixed", "act:2a,2a,2a", "act:other"):
        assert key in row, key
    m = evaluate_all(res.params, word_tensor("S3", "xy"), res.train_mask, cfg)
    assert m["train_acc"][0] == pytest.approx(row["train_acc"])
    assert row["active"] == row["mixed"] + sum(v for k, v in row.items() if k.startswith("act:"))


def test_config_errors_and_folders():
    from surrogate.config import ConfigError

    with pytest.raises(ConfigError, match="activation"):
        NetworkConfig("S3", "xy", grid(1, 4), activation="softsign")
    with pytest.raises(ConfigError):
        NetworkConfig("S3", "xy", grid(1, 4), eval_every=0)
    with pytest.raises(RunFolderError):
        NetworkRunFolder("/nonexistent/folder").read_config()
