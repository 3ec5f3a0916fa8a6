"""Tests of the CP surrogate: model, gradients, optimiser, batching, metrics, exact factors."""

from __future__ import annotations

import numpy as np
import pytest
import tensorly as tl
import torch

from fusion import bscs, fourier_basis
from surrogate import Analyzer, BatchedCP, SurrogateConfig, grid, train
from surrogate.batching import log_schedule, make_split
from surrogate.bsc import box_masses, fourier_segments
from surrogate.config import ConfigError, Instance
from surrogate.cp.model import dense_tensor, init_factors, loss_and_grad, predict, to_cp_tensor
from surrogate.phase import phase_bounds
from wordtensor import Group, WordTensorError, word_tensor

torch.set_num_threads(1)
F64 = torch.float64


def _rand_theta(B, k, n, M, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, k + 1, n, M, generator=g, dtype=F64)


# ------------------------------------------------------------------------------- the model
@pytest.mark.parametrize("k", [1, 2, 3])
def test_model_tensor_is_sum_of_outer_products(k):
    th = _rand_theta(2, k, 4, 3)
    letters = "abcd"[: k + 1]
    spec = ",".join(f"{c}r" for c in letters) + "->" + letters
    for b in range(2):
        ref = torch.einsum(spec, *[th[b, i] for i in range(k + 1)])
        assert torch.allclose(dense_tensor(th, k)[b], ref, atol=1e-12)


def _reference_loss(theta, k, target, mask, loss):
    """Independent loss: torch's own MSE / cross-entropy on the selected tuples."""
    f = predict(theta, k)
    out = []
    for b in range(theta.shape[0]):
        sel = mask[b]
        fb, tb = f[b][sel], target[sel]
        if loss == "mse":
            onehot = torch.nn.functional.one_hot(tb, f.shape[-1]).to(f.dtype)
            out.append(torch.nn.functional.mse_loss(fb, onehot))
        else:
            out.append(torch.nn.functional.cross_entropy(fb, tb))
    return torch.stack(out)


@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("k,n", [(2, 5), (3, 3)])
@pytest.mark.parametrize("indexed", [False, True])
def test_closed_form_gradient_matches_autograd(loss, k, n, indexed):
    B, M, N = 3, 4, n**k
    theta = _rand_theta(B, k, n, M, seed=k + n)
    target = torch.as_tensor(np.random.default_rng(1).integers(0, n, N))
    rng = np.random.default_rng(2)
    mask = np.stack([rng.random(N) < p for p in (1.0, 0.6, 0.3)])
    mask[:, 0] = True
    maskt = torch.as_tensor(mask)
    if indexed:
        S = mask.sum(1).max()
        idx = np.zeros((B, S), dtype=np.int64)
        w = np.zeros((B, S, 1))
        for b in range(B):
            sel = np.flatnonzero(mask[b])
            idx[b, : sel.size], w[b, : sel.size] = sel, 1 / sel.size
        idx = torch.as_tensor(idx)
        onehot = torch.nn.functional.one_hot(target[idx], n).to(F64)
        L, g = loss_and_grad(theta, k, onehot, torch.as_tensor(w), loss, idx)
    else:
        mt = maskt.to(F64)
        weight = (mt / mt.sum(1, keepdim=True))[..., None]
        onehot = torch.nn.functional.one_hot(target, n).to(F64)
        L, g = loss_and_grad(theta, k, onehot, weight, loss)
    th = theta.clone().requires_grad_(True)
    ref = _reference_loss(th, k, target, maskt, loss)
    (gref,) = torch.autograd.grad(ref.sum(), th)
    assert torch.allclose(L, ref.detach(), rtol=1e-10, atol=1e-12)
    assert torch.allclose(g, gref, rtol=1e-9, atol=1e-11)


def test_gradient_against_finite_differences():
    n, k = 4, 2
    target = torch.as_tensor(np.random.default_rng(3).integers(0, n, n * n))
    onehot = torch.nn.functional.one_hot(target, n).to(F64)
    weight = torch.full((1, n * n, 1), 1.0 / (n * n), dtype=F64)

    class CPLoss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, th):
            L, g = loss_and_grad(th, k, onehot, weight, "ce")
            ctx.save_for_backward(g)
            return L

        @staticmethod
        def backward(ctx, gout):
            (g,) = ctx.saved_tensors
            return gout.view(-1, 1, 1, 1) * g

    th = _rand_theta(1, k, n, 3, seed=9).requires_grad_(True)
    assert torch.autograd.gradcheck(CPLoss.apply, (th,), eps=1e-6, atol=1e-6)


def test_init_depends_only_on_the_instance():
    a = init_factors(6, 2, [5, 7], [3, 9], [0.3, 0.3], width=9)
    b = init_factors(6, 2, [7], [9], [0.3])
    assert torch.equal(a[1], b[0])
    assert torch.equal(a[0, :, :, :3], init_factors(6, 2, [5], [9], [0.3])[0, :, :, :3])
    assert torch.count_nonzero(a[0, :, :, 3:]) == 0


# ----------------------------------------------------------------------------- optimiser
@pytest.mark.parametrize("optimizer,decay,ref", [
    ("adam", "l2", lambda p, lr, wd: torch.optim.Adam([p], lr=lr, weight_decay=wd)),
    ("adam", "decoupled", lambda p, lr, wd: torch.optim.AdamW([p], lr=lr, weight_decay=wd)),
    ("gd", "l2", lambda p, lr, wd: torch.optim.SGD([p], lr=lr, weight_decay=wd)),
])
def test_updates_match_torch_optimizers(optimizer, decay, ref):
    lr, wd = 0.05, 0.01
    cfg = SurrogateConfig("S3", "xy", (Instance(3, 4, 0.7, lr=lr, weight_decay=wd, init_scale=0.5),),
                          steps=5, optimizer=optimizer, decay=decay, dtype="float64")
    m = BatchedCP(cfg)
    T = m.tensor
    mask = torch.as_tensor(m.train_mask[0])
    target = torch.as_tensor(np.array(T.image, dtype=np.int64))
    p = m.theta.clone().requires_grad_(True)
    opt = ref(p, lr, wd)
    for _ in range(5):
        m.step()
        opt.zero_grad()
        _reference_loss(p, 2, target, mask[None], "mse").sum().backward()
        opt.step()
    assert torch.allclose(m.theta, p.detach(), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------ batching
def _cfg(instances, **kw):
    kw.setdefault("dtype", "float64")
    kw.setdefault("steps", 40)
    return SurrogateConfig("S3", "xy", tuple(instances), **kw)


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_batched_equals_separate_runs(loss):
    inst = [Instance(0, 9, 0.5, lr=1e-2), Instance(1, 6, 1.0, lr=3e-2, weight_decay=1e-3),
            Instance(2, 9, 0.8, lr=1e-2, init_scale=0.5, split_seed=11)]
    batch = train(_cfg(inst, loss=loss), progress=False)
    for b, i in enumerate(inst):
        alone = train(_cfg([i], loss=loss), progress=False)
        got = batch.final_factors[b][..., : i.width]
        assert np.allclose(got, alone.final_factors[0], rtol=1e-10, atol=1e-12)
        assert np.array_equal(batch.train_mask[b], alone.train_mask[0])
        for key in ("train_loss", "test_acc", "residual"):
            assert np.isclose(batch.final(key)[b], alone.final(key)[0], rtol=1e-8, equal_nan=True)


def test_masked_width_behaves_like_the_smaller_width():
    narrow = Instance(4, 5, 1.0)
    batch = train(_cfg([narrow, Instance(5, 12, 1.0)]), progress=False)
    alone = train(_cfg([narrow]), progress=False)
    th = batch.final_factors[0]
    assert th.shape[-1] == 12 and not th[..., 5:].any()
    assert np.allclose(th[..., :5], alone.final_factors[0], rtol=1e-10, atol=1e-12)
    # padded components are never counted as active
    assert batch.dynamics["active"][-1][0][5:].sum() == 0


def test_same_seed_is_bit_identical_on_cpu():
    cfg = _cfg(grid(2, 9, 0.5), dtype="float32", steps=30)
    a, b = train(cfg, progress=False), train(cfg, progress=False)
    assert np.array_equal(a.final_factors, b.final_factors)
    assert a.rows == b.rows


def test_split_is_nested_and_seeded():
    a, b = make_split(576, 0.3, 7), make_split(576, 0.6, 7)
    assert a.sum() == round(0.3 * 576) and b.sum() == round(0.6 * 576)
    assert np.all(b[a])  # nested across fractions
    assert np.array_equal(a, make_split(576, 0.3, 7))
    assert not np.array_equal(a, make_split(576, 0.3, 8))


def test_config_errors_are_clear():
    with pytest.raises(ConfigError, match="train fraction"):
        _cfg([Instance(0, 4, 1.5)])
    with pytest.raises(ConfigError, match="loss"):
        _cfg([Instance(0, 4)], loss="hinge")


# ------------------------------------------------------------------- exact factors of S3 xy
def _strassen():
    """Strassen's 7 products for 2×2 matrices (entries a11, a12, a21, a22 row-major), checked
    here against the matrix-multiplication tensor T[(i, j), (j, k), (i, k)] = 1."""
    A = np.array([[1, 0, 0, 1], [0, 0, 1, 1], [1, 0, 0, 0], [0, 0, 0, 1], [1, 1, 0, 0],
                  [-1, 0, 1, 0], [0, 1, 0, -1]], dtype=float).T
    B = np.array([[1, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, -1], [-1, 0, 1, 0], [0, 0, 0, 1],
                  [1, 1, 0, 0], [0, 0, 1, 1]], dtype=float).T
    C = np.array([[1, 0, 0, 1, -1, 0, 1], [0, 0, 1, 0, 1, 0, 0], [0, 1, 0, 1, 0, 0, 0],
                  [1, -1, 1, 0, 0, 1, 0]], dtype=float)
    T = np.zeros((2, 2, 2, 2, 2, 2))
    for i, j, k in np.ndindex(2, 2, 2):
        T[i, j, j, k, i, k] = 1.0
    assert np.array_equal(np.einsum("ar,br,cr->abc", A, B, C), T.reshape(4, 4, 4))
    return A, B, C


def _strassen_factors_s3():
    """Exact rank-9 CP of S3 xy built in the Fourier basis: one term on each 1-dim bsc and
    Strassen's 7 on the 2-dim block (δ̃ there is √(n/d) × the 2×2 matrix-multiplication
    tensor in the basis of matrix coefficients), mapped back with Fᵀ."""
    G = Group.from_spec("S3")
    FB = fourier_basis(G)
    n = G.order
    U, V, W = (np.zeros((n, 9)) for _ in range(3))
    for r, sl in enumerate(FB.slices[:2]):
        U[sl.start, r] = V[sl.start, r] = 1.0
        W[sl.start, r] = np.sqrt(n)
    A, B, C = _strassen()
    sl = FB.slices[2]
    U[sl, 2:], V[sl, 2:], W[sl, 2:] = A, B, np.sqrt(n / 2) * C
    return np.stack([FB.matrix.T @ X for X in (U, V, W)])  # (3, n, 9)


def test_strassen_factors_have_zero_loss():
    T = word_tensor("S3", "xy")
    th = torch.as_tensor(_strassen_factors_s3())[None]
    assert np.abs(dense_tensor(th, 2)[0].numpy() - T.dense()).max() < 1e-12
    target = torch.as_tensor(np.array(T.image, dtype=np.int64))
    onehot = torch.nn.functional.one_hot(target, 6).to(F64)
    L, g = loss_and_grad(th, 2, onehot, torch.full((1, 36, 1), 1 / 36, dtype=F64), "mse")
    assert L.item() < 1e-28 and g.abs().max() < 1e-13
    m = Analyzer(T).evaluate(th, np.ones((1, 36), bool))
    assert m["max_err"][0] < 1e-12 and m["train_acc"][0] == 1.0
    assert np.abs(m["triplet_residual"]).max() < 1e-12
    # Strassen: 7 components on the 2-dim block, one on each 1-dim bsc, all pure
    dom, pur = m["dominant"][0], m["purity"][0]
    assert [tuple(d) for d in dom] == [(0, 0, 0), (1, 1, 1)] + [(2, 2, 2)] * 7
    assert pur.min() > 1 - 1e-12 and m["cross_overlap"][0] < 1e-12
    # the 7 Strassen terms alone fit the (2a, 2a, 2a) block exactly and nothing else
    m7 = Analyzer(T).evaluate(th[..., 2:], np.ones((1, 36), bool))
    res = m7["triplet_residual"][0]
    assert res[2, 2, 2] < 1e-12 and res[0, 0, 0] > 1 and res[1, 1, 1] > 1


def test_width_9_surrogate_started_at_strassen_stays_at_zero_loss():
    # plain GD stays at a zero-loss point; Adam would not: with a gradient ~1e-17 its step
    # lr·g/(√v + eps) has an effective learning rate up to lr/eps, which kicks it off (the
    # reason Adam-trained exact fits end at errors ~1e-5 rather than machine precision)
    cfg = _cfg([Instance(0, 9, 1.0, lr=0.5, weight_decay=0.0)], steps=20, optimizer="gd")
    m = BatchedCP(cfg)
    m.theta = torch.as_tensor(_strassen_factors_s3())[None].clone()
    for _ in range(20):
        m.step()
    assert np.abs(dense_tensor(m.theta, 2)[0].numpy() - m.tensor.dense()).max() < 1e-9


# -------------------------------------------------------------------------------- metrics
def test_metrics_against_independent_identities():
    T = word_tensor("S4", "xy")
    A = Analyzer(T)
    th = init_factors(24, 2, [0, 1], [5, 7], [0.4, 0.4])
    mask = np.stack([make_split(576, 0.5, s) for s in (0, 1)])
    m = A.evaluate(th, mask)
    # Parseval: the triplet blocks of the transformed error add up to ‖T − δ‖²
    assert np.allclose((m["triplet_residual"] ** 2).sum((1, 2, 3)), m["residual"] ** 2)
    ref = (dense_tensor(th, 2).numpy() - T.dense()[None])
    assert np.allclose(m["residual"], np.sqrt((ref**2).sum((1, 2, 3))))
    assert np.allclose(m["box_mass"][:, :, :, :5].sum(2), 1.0)
    # δ's own blocks: only the diagonal (xy on S4 is block diagonal), with ‖δ̃_φφφ‖² = n·dim R_φ
    assert A.support == [(i, i, i) for i in range(5)]
    assert np.allclose(A.decomposition.norms[0, 0, 0], 24.0)
    assert np.allclose(A.decomposition.norms.sum(), 576.0)
    # accuracy from an independent argmax
    pred = dense_tensor(th, 2).numpy().reshape(2, 576, 24).argmax(-1) == np.array(T.image)
    assert np.allclose(m["train_acc"], [pred[b][mask[b]].mean() for b in range(2)])
    assert np.allclose(m["test_acc"], [pred[b][~mask[b]].mean() for b in range(2)])


def test_box_mass_of_a_vector_inside_one_bsc():
    T = word_tensor("S3", "xy")
    F, S, _ = fourier_segments(T)
    th = np.zeros((1, 3, 6, 2))
    th[0, :, :, 0] = F[3]  # a row of the 2-dim bsc
    th[0, :, :, 1] = F[0] + F[1]  # half trivial, half sign
    mass = box_masses(torch.as_tensor(th), torch.as_tensor(F), torch.as_tensor(S)).numpy()
    assert np.allclose(mass[0, :, :, 0], [0, 0, 1])
    assert np.allclose(mass[0, :, :, 1], [0.5, 0.5, 0])


def test_log_schedule():
    s = log_schedule(4000, 10)
    assert s[0] == 0 and s[-1] == 4000 and s == sorted(set(s))
    assert len(s) < 50 and all(b / a < 1.3 for a, b in zip(s[10:], s[11:]))
    assert log_schedule(0) == [0]


# ---------------------------------------------------------------------------- rank bounds
def test_phase_bounds_of_group_algebras():
    # from fusion.ranks: Alder–Strassen 2n − t below (t = number of real irreducible
    # representations), and the blocks' best known ranks above
    for spec, upper in (("S3", 9), ("Q8", 12)):  # S3 = 2R ⊕ M2(R): 1 + 1 + 7; Q8 = 4R ⊕ H: 4 + 8
        G = Group.from_spec(spec)
        b = phase_bounds(word_tensor(G, "xy"))
        assert b.upper == upper and 2 * G.order - len(bscs(G)) <= b.lower <= upper
        assert b.source.startswith("fusion.ranks")
    assert phase_bounds(word_tensor("S3", "xy")).lower == 9
    assert phase_bounds(word_tensor("S3", "xy"), (3, None)).lower == 3
    with pytest.raises(WordTensorError, match="lower ≤ upper"):
        phase_bounds(word_tensor("S3", "xy"), (10, 5))
    # a three-variable word: fusion.ranks bounds it too — Z3 xyz restricted to z = 1 is R[Z3]
    # (Alder–Strassen 2·3 − 2 = 4), and 1 + 4 products (trivial block + complex triple product)
    b = phase_bounds(word_tensor("Z3", "xyz"))
    assert (b.lower, b.upper) == (4, 5) and b.source.startswith("fusion.ranks")


def test_factors_as_cp_tensors():
    res = train(_cfg(grid(1, [6, 9]), steps=10), progress=False)
    for b, m in enumerate((6, 9)):
        cp = res.cp_tensor(b)
        assert cp.rank == m and [f.shape for f in cp.factors] == [(6, m)] * 3
        assert np.allclose(tl.cp_to_tensor(cp), dense_tensor(torch.as_tensor(res.final_factors), 2)[b])
    first = res.cp_tensor(1, step=0)
    assert np.array_equal(first.factors[0], res.factors[0][1, 0, :, :9])
    assert to_cp_tensor(res.final_factors, 0).rank == 9  # the padded width without ``width``


# ----------------------------------------------------------------------- longer words, GPU
def test_three_variable_word_trains_the_four_way_analogue():
    cfg = SurrogateConfig("Z3", "xyz", grid(2, 6), steps=200, dtype="float64")
    res = train(cfg, progress=False)
    assert res.final_factors.shape == (2, 4, 3, 6)
    assert res.final("train_loss")[0] < res.rows[0]["train_loss"]
    # Z3 has two bscs: the trivial one and the realified complex pair
    assert res.dynamics["triplet_residual"][-1].shape == (2, 2, 2, 2, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    cfg = _cfg(grid(3, [6, 9], 0.5), steps=30)
    a = train(cfg, progress=False)
    b = train(cfg, progress=False, device="cuda")
    assert np.allclose(a.final_factors, b.final_factors, rtol=1e-8, atol=1e-10)
