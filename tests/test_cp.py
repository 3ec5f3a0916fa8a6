"""Tests of the numerical CP engine (wordtensor.cp).

Truth comes from outside the engine: tensorly's cp_to_tensor and einsum-based MTTKRP, the dense
word tensor, Strassen's decomposition from fusion.algebras, and known ranks (rank <2,2,2> = 7,
rank of R[S3] = 1 + 1 + 7 = 9, both also border ranks, so no rank-6 / rank-8 decomposition
exists even approximately).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import tensorly as tl
import torch

import wordtensor as wt
from fusion.algebras import matmul_tensor, strassen
from wordtensor.cp import (
    border_symptoms,
    cp_rank,
    cp_search,
    exactify,
    flattening_bound,
    mttkrp,
    relative_error,
    verify_exact,
)
from wordtensor.errors import WordTensorError

torch.set_num_threads(1)


def _recon(cp) -> np.ndarray:
    with tl.backend_context("numpy"):
        return np.asarray(tl.cp_to_tensor(cp))


def _einsum_mttkrp(T: np.ndarray, F: list[np.ndarray], mode: int) -> np.ndarray:
    L = "abcdefg"[: T.ndim]
    ops = [f"{c}r" for k, c in enumerate(L) if k != mode]
    return np.einsum(f"{L}," + ",".join(ops) + f"->{L[mode]}r", T,
                     *[f for k, f in enumerate(F) if k != mode])


# ------------------------------------------------------------------------------------ MTTKRP


@pytest.mark.parametrize("spec,word", [("S3", "xy"), ("D4", "xyX"), ("Q8", "[x,y]"),
                                       ("S3", "xyz")])
def test_sparse_mttkrp_equals_dense(spec, word):
    T = wt.word_tensor(spec, word)
    D = T.dense()
    rng = np.random.default_rng(1)
    F = [rng.standard_normal((d, 5)) for d in T.shape]
    for mode in range(T.ndim):
        ref = _einsum_mttkrp(D, F, mode)
        np.testing.assert_allclose(mttkrp(T, F, mode), ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mttkrp(D, F, mode), ref, rtol=1e-12, atol=1e-12)
        coo = (T.coords, np.ones(T.nnz), T.shape)
        np.testing.assert_allclose(mttkrp(coo, F, mode), ref, rtol=1e-12, atol=1e-12)
    # tensorly's own MTTKRP agrees as well (3-way)
    if T.ndim == 3:
        with tl.backend_context("numpy"):
            from tensorly.cp_tensor import CPTensor, unfolding_dot_khatri_rao
            ref = unfolding_dot_khatri_rao(D, CPTensor((np.ones(5), F)), 1)
        np.testing.assert_allclose(mttkrp(T, F, 1), ref, rtol=1e-12, atol=1e-12)
    # torch in, torch out
    Ft = [torch.as_tensor(f) for f in F]
    assert isinstance(mttkrp(T, Ft, 0), torch.Tensor)


def test_sparse_mttkrp_duplicates_are_summed():
    coords = np.array([[0, 0, 0], [0, 0, 0], [1, 1, 1]])
    values = np.array([1.0, 2.0, -1.0])
    D = np.zeros((2, 2, 2))
    D[0, 0, 0], D[1, 1, 1] = 3.0, -1.0
    F = [np.arange(4.0).reshape(2, 2) + 1] * 3
    np.testing.assert_allclose(mttkrp((coords, values, (2, 2, 2)), F, 2), _einsum_mttkrp(D, F, 2))


# ---------------------------------------------------------------------------- found = correct


def test_matmul_222_rank7_found_and_reconstructs():
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 7, restarts=8, random_state=0)
    assert res.success and res.attempts >= 1 and res.seconds > 0
    rec = _recon(res.cp)
    assert np.linalg.norm(rec - T) / np.linalg.norm(T) < 1e-10
    assert np.abs(rec - T).max() < 1e-9
    assert res.error == pytest.approx(np.linalg.norm(rec - T) / np.linalg.norm(T), abs=1e-13)
    assert res.cp.factors[0].shape == (4, 7) and res.cp.factors[0].dtype == np.float64


def test_s3_xy_rank9_found_and_reconstructs():
    T = wt.word_tensor("S3", "xy")
    res = cp_search(T, 9, restarts=8, random_state=0)
    assert res.success
    D = T.dense()
    rec = _recon(res.cp)
    assert np.linalg.norm(rec - D) / np.linalg.norm(D) < 1e-10
    # rounding the reconstruction recovers the 0/1 tensor exactly
    assert np.array_equal(np.rint(rec), D)
    assert not res.symptoms.degenerate


def test_four_way_word_tensor():
    T = wt.word_tensor("Z2", "xyz")  # 2x2x2x2, rank 2 (Z2 is abelian: two characters)
    res = cp_search(T, 2, restarts=4, random_state=0)
    assert res.success
    assert np.linalg.norm(_recon(res.cp) - T.dense()) < 1e-9


# ------------------------------------------------------------------------- no false success


def test_no_false_success_below_known_rank():
    # rank(<2,2,2>) = 7 (Winograd/Hopcroft-Kerr) and its border rank is 7 (Landsberg):
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 6, restarts=4, random_state=0, max_iter=150, stop_on_success=False)
    assert not res.success and res.successes == 0
    assert res.error >= 1e-3
    assert res.error == pytest.approx(relative_error(res.cp, T), rel=1e-9)
    # rank of R[S3] = R + R + M_2(R) is 1 + 1 + 7 = 9
    S = wt.word_tensor("S3", "xy")
    res = cp_search(S, 8, restarts=4, random_state=0, max_iter=150, stop_on_success=False)
    assert not res.success and res.successes == 0
    assert res.error == pytest.approx(relative_error(res.cp, S.dense()), rel=1e-9)
    assert all(not h.success and h.error >= 1e-10 for h in res.history)


def test_success_is_verified_independently(monkeypatch):
    """A solver that lies about its error must not produce a reported success."""
    from wordtensor.cp import _search, _solvers

    class Liar(_solvers.LevenbergMarquardt):
        def step(self):
            super().step()
            self.sq_err = torch.zeros_like(self.sq_err)  # claims an exact fit

    monkeypatch.setitem(_search.SOLVERS, "lm", Liar)
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 3, restarts=2, random_state=0, max_iter=20)
    assert not res.success and res.successes == 0
    assert res.error > 0.1


def test_history_is_consistent():
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 7, restarts=6, random_state=3, stop_on_success=False)
    assert res.attempts == len(res.history) == 6
    assert res.successes == sum(h.success for h in res.history)
    assert all(h.success == (h.error < res.tol) for h in res.history)
    assert sorted(h.index for h in res.history) == list(range(6))
    assert res.seconds_to_first <= res.seconds


# ---------------------------------------------------------------------- input forms agree


def test_sparse_and_dense_inputs_agree():
    T = wt.word_tensor("S3", "xy")
    forms = [T, T.dense(), torch.as_tensor(T.dense()), (T.coords, np.ones(T.nnz), T.shape),
             T.to_torch(sparse=True, dtype=torch.float64)]
    results = [cp_search(f, 9, restarts=2, random_state=5, max_iter=10, kicks=0,
                         stop_on_success=False) for f in forms]
    ref = results[0].cp
    for r in results[1:]:
        for a, b in zip(ref.factors, r.cp.factors):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    # and full searches from the same seeds agree on the outcome
    a = cp_search(T, 9, restarts=3, random_state=0, stop_on_success=False)
    b = cp_search(T.dense(), 9, restarts=3, random_state=0, stop_on_success=False)
    assert [h.success for h in a.history] == [h.success for h in b.history]


@pytest.mark.parametrize("method", ["als", "adam"])
def test_other_methods(method):
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 7, restarts=8, random_state=0, method=method)
    assert res.success, res
    assert relative_error(res.cp, T) < 1e-10
    assert np.linalg.norm(_recon(res.cp) - T) / np.linalg.norm(T) < 1e-10


# ------------------------------------------------------------------------------- cp_rank


def test_cp_rank_s3():
    res = cp_rank(wt.word_tensor("S3", "xy"), 9, restarts=4, max_iter=150)
    assert res.rank == 9
    assert [r.rank for r in res.records] == [9, 8]
    assert res.records[0].successes >= 1 and res.records[1].successes == 0
    assert res.lower_bound == 6 == flattening_bound(wt.word_tensor("S3", "xy"))
    assert relative_error(res.cp, wt.word_tensor("S3", "xy")) < 1e-10
    assert "rank" in res.table()


def test_border_symptoms_detect_degeneracy():
    # x = lim (a + t b)^3 - a^3) / t: a border-rank-2 tensor of rank 3, written with two
    # huge cancelling components
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    t = 1e-4
    u = a + t * b
    F = [np.stack([u, a], 1)] * 3
    cp = (np.array([1 / t, -1 / t]), F)
    W = np.einsum("i,j,k->ijk", a, a, b) + np.einsum("i,j,k->ijk", a, b, a) \
        + np.einsum("i,j,k->ijk", b, a, a)
    s = border_symptoms(cp, W)
    assert s.degenerate and s.max_component_norm > 100 and s.norm_ratio < 1e-3
    assert s.min_congruence < -0.99
    assert not border_symptoms(strassen(), matmul_tensor(2, 2, 2)).degenerate


# --------------------------------------------------------------------------- exactification


def _random_gauge_strassen(seed: int):
    """Strassen's decomposition moved by a random element of the symmetry group of <2,2,2>
    ((A, B) -> (P A Q^-1, Q B S^-1)) and random per-component rescalings: exact, but with no
    rational entry left."""
    rng = np.random.default_rng(seed)
    _, (U, V, W) = strassen()
    P, Q, S = (rng.standard_normal((2, 2)) for _ in range(3))
    inv = np.linalg.inv
    U2 = np.kron(inv(P), Q.T).T @ U
    V2 = np.kron(inv(Q), S.T).T @ V
    W2 = np.kron(P, inv(S).T) @ W
    d = rng.uniform(0.5, 2, size=(2, 7))
    return (None, [U2 * d[0], V2 * d[1], W2 / (d[0] * d[1])])


@pytest.mark.parametrize("seed", [0, 3])
def test_exactify_random_gauge_strassen(seed):
    T = matmul_tensor(2, 2, 2)
    cp = _random_gauge_strassen(seed)
    assert relative_error(cp, T) < 1e-10
    c = exactify(cp, T, time_limit=20)
    assert c.exact
    assert verify_exact(c.fractions, T)
    assert all(isinstance(x, Fraction) for f in c.fractions for x in f.flat)
    # exact in integers (above); in floating point only up to rounding (thirds are not dyadic)
    assert np.abs(_recon(c.cp) - T).max() < 1e-12
    assert c.nnz <= 84


def test_exactify_found_decomposition():
    T = matmul_tensor(2, 2, 2)
    res = cp_search(T, 7, restarts=8, random_state=1)
    c = exactify(res.cp, T, time_limit=20)
    assert c.exact and verify_exact(c.fractions, T)


def test_verify_exact_rejects_wrong_factors():
    T = matmul_tensor(2, 2, 2)
    _, F = strassen()
    q = [f.astype(int).astype(object) for f in F]
    assert verify_exact(q, T)
    q[2][0, 0] += Fraction(1, 10**12)  # off by a tiny rational: not exact
    assert not verify_exact(q, T)


def test_exactify_reports_numerical_when_irrational():
    # T = sum of sqrt(2) * e_i (x) e_i (x) e_i for i = 0, 1: scaling gauge cannot make all
    # entries rational (product of the three entries of a component is sqrt(2))
    T = np.zeros((2, 2, 2))
    T[0, 0, 0] = T[1, 1, 1] = np.sqrt(2)
    F = [np.eye(2) * 2 ** (1 / 6)] * 3
    c = exactify((None, F), T, time_limit=2)
    assert not c.exact and c.fractions is None and c.error < 1e-12


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs,match", [
    ({"rank": 0}, "rank"),
    ({"rank": 2.5}, "rank"),
    ({"rank": 3, "restarts": 0}, "restarts"),
    ({"rank": 3, "method": "newton"}, "method"),
    ({"rank": 3, "tol": 0}, "tol"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        cp_search(matmul_tensor(2, 2, 2), **kwargs)


def test_bad_tensors():
    nan = matmul_tensor(2, 2, 2)
    nan[0, 0, 0] = np.nan
    with pytest.raises(WordTensorError, match="NaN"):
        cp_search(nan, 7)
    with pytest.raises(ValueError, match="at least 3 modes"):
        cp_search(np.eye(3), 2)
    with pytest.raises(ValueError, match="zero"):
        cp_search(np.zeros((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="coords"):
        cp_search((np.zeros((3, 2), dtype=int), np.ones(3), (2, 2, 2)), 1)
    with pytest.raises(ValueError, match="out of range"):
        cp_search((np.array([[0, 0, 5]]), np.ones(1), (2, 2, 2)), 1)
    with pytest.raises(ValueError, match="shape"):
        mttkrp(matmul_tensor(2, 2, 2), [np.ones((4, 2)), np.ones((3, 2)), np.ones((4, 2))], 0)
    with pytest.raises(ValueError, match="shape"):
        relative_error(strassen(), np.zeros((4, 4, 5)))
    with pytest.raises(ValueError, match="exact to about"):
        exactify(strassen(), matmul_tensor(2, 2, 2) + 1)
    with pytest.raises(ValueError, match="min_rank"):
        cp_rank(matmul_tensor(2, 2, 2), 3, min_rank=5)


# ------------------------------------------------------------------ options and border rank


def test_border_rank_symptoms_in_rank_scan():
    # the W tensor has rank 3 and border rank 2: at rank 2 the search gets arbitrarily close
    # with diverging, cancelling components, and must still not report success
    a, b = np.eye(2)
    W = (np.einsum("i,j,k->ijk", a, a, b) + np.einsum("i,j,k->ijk", a, b, a)
         + np.einsum("i,j,k->ijk", b, a, a))
    res = cp_rank(W, 3, min_rank=2, restarts=4)
    assert res.rank == 3
    low = res.records[-1]
    assert low.rank == 2 and low.successes == 0
    assert low.best_error < 1e-2  # close ...
    assert low.symptoms.degenerate  # ... only through diverging, cancelling components
    assert low.symptoms.max_component_norm > 5 and low.symptoms.norm_ratio < 0.2


def test_float32_search_is_polished_in_float64():
    T = wt.word_tensor("S3", "xy")
    res = cp_search(T, 9, restarts=8, random_state=0, dtype="float32")
    assert res.success and relative_error(res.cp, T) < 1e-10


def test_init_callback_and_time_limit():
    T = matmul_tensor(2, 2, 2)
    seen = []
    res = cp_search(T, 7, restarts=3, init=[strassen()], callback=seen.append,
                    stop_on_success=False, random_state=0)
    assert res.history[0].index == 0 and res.history[0].success  # started at Strassen
    assert res.history[0].iterations <= 5
    assert len(seen) == 3 and all(s.index in (0, 1, 2) for s in seen)
    # a callback returning True stops the search
    res = cp_search(T, 7, restarts=6, callback=lambda a: True, stop_on_success=False)
    assert res.attempts == 1
    # time limits end running restarts and keep their best
    res = cp_search(T, 6, restarts=50, time_limit=0.5, stop_on_success=False, random_state=0)
    assert res.seconds < 5 and res.attempts < 50 and not res.success
