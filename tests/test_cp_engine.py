"""Tests of the CP engine's portfolio, exact certificates and algebra blocks (wordtensor.cp).

Truth comes from outside the engine: known ranks (rank <2,2,2> = 7, rank of C over R = 3,
rank of H over R = 8, all reached from random starts here), an exact reconstruction of the
rational factors written out in this file (Fractions, no engine code), and the Wedderburn
dimensions of Q[G] read off the rational character tables (S3: 1 + 1 + 4; A4: 1 + 2 + 9 with
Q(w) of dimension 2; Q8: 1 + 1 + 1 + 1 + 4 with the rational quaternions; S4: 1 + 1 + 4 + 9 + 9).
No timed assertions: budgets are restarts and iterations.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import torch

import wordtensor as wt
from fusion.algebras import matmul_tensor, multiplication_tensor
from wordtensor.cp import (
    algebra_blocks,
    auto_methods,
    block_search,
    cp_search,
    exactify,
    flattening_bound,
    relative_error,
)
from wordtensor.errors import WordTensorError
from wordtensor.linalg import flattening_rank

torch.set_num_threads(1)


def _exact_reconstruction(fractions: list[np.ndarray]) -> np.ndarray:
    """sum_r a_r (x) b_r (x) c_r in Fractions, entry by entry (independent of the engine)."""
    A, B, C = (np.asarray(f, dtype=object) for f in fractions)
    R = A.shape[1]
    out = np.empty((A.shape[0], B.shape[0], C.shape[0]), dtype=object)
    for i, j, k in itertools.product(*(range(s) for s in out.shape)):
        out[i, j, k] = sum((Fraction(A[i, r]) * Fraction(B[j, r]) * Fraction(C[k, r])
                            for r in range(R)), Fraction(0))
    return out


def _equals_exactly(fractions: list[np.ndarray], T: np.ndarray) -> bool:
    X = _exact_reconstruction(fractions)
    return all(X[idx] == Fraction(int(v)) for idx, v in np.ndenumerate(np.rint(T)))


# ------------------------------------------------------------------------ known ranks reached


@pytest.mark.parametrize("name,T,rank", [
    ("<2,2,2>", matmul_tensor(2, 2, 2), 7),
    ("C", multiplication_tensor("C"), 3),
    ("H", multiplication_tensor("H"), 8),
])
def test_known_rank_reached_by_default(name, T, rank):
    res = cp_search(T, rank, restarts=8, random_state=0, stop_on_success=False)
    assert res.success and res.successes >= 1, res
    assert relative_error(res.cp, T) < 1e-10
    # and not below: these ranks are also border ranks (the search never fakes success)
    low = cp_search(T, rank - 1, restarts=2, random_state=0, max_iter=100,
                    stop_on_success=False)
    assert not low.success and low.error > 1e-6


def test_auto_is_a_portfolio_of_als_and_lm():
    assert auto_methods(7 * 12) == ["als", "lm"]
    assert auto_methods(23 * 27) == auto_methods(55 * 72) == ["als"]
    res = cp_search(matmul_tensor(2, 2, 2), 7, restarts=8, random_state=0,
                    stop_on_success=False)
    assert res.method == "auto"
    assert {h.method for h in res.history} == {"als", "lm"}
    assert sorted(h.index for h in res.history) == list(range(8))


def test_portfolio_members_keep_their_seeds():
    """Attempt j of ALS starts alike alone and inside the portfolio; LM draws other seeds."""
    T = multiplication_tensor("H")
    alone = cp_search(T, 8, restarts=6, random_state=3, method="als", stop_on_success=False)
    mixed = cp_search(T, 8, restarts=6, random_state=3, method="als+lm",
                      stop_on_success=False)
    assert mixed.method == "als+lm"
    als = {h.seed for h in mixed.history if h.method == "als"}
    lm = {h.seed for h in mixed.history if h.method == "lm"}
    assert als and lm and als <= {h.seed for h in alone.history} and not als & lm


@pytest.mark.parametrize("method", ["newton", "als+als", "", 3, ["als", "bfgs"]])
def test_bad_methods(method):
    with pytest.raises(WordTensorError, match="method"):
        cp_search(matmul_tensor(2, 2, 2), 7, method=method)


def test_flattening_bound_is_the_linalg_rank():
    for T in (wt.word_tensor("S3", "xy"), matmul_tensor(2, 2, 3), wt.word_tensor("Q8", "xy")):
        ref = max(flattening_rank(T if not isinstance(T, np.ndarray) else T, (k,))
                  for k in range(3))
        assert flattening_bound(T) == ref
    assert flattening_bound(matmul_tensor(2, 2, 3)) == 6
    assert flattening_bound(0.5 * matmul_tensor(2, 2, 2)) == 4  # not integer: numerical rank


# ------------------------------------------------------------------------------ device, dtype


@pytest.mark.parametrize("dtype", ["float32", torch.float32, torch.float64])
def test_device_and_dtype_plumbing_on_cpu(dtype):
    T = multiplication_tensor("H")
    res = cp_search(T, 8, restarts=4, random_state=0, device=torch.device("cpu"), dtype=dtype)
    assert res.success  # float32 searches are polished in float64
    assert all(f.dtype == np.float64 for f in res.cp.factors)
    assert relative_error(res.cp, T) < 1e-10


def test_bad_dtype():
    with pytest.raises(WordTensorError, match="dtype"):
        cp_search(matmul_tensor(2, 2, 2), 7, dtype=torch.int64)


# ------------------------------------------------------------------------------ exactification


@pytest.mark.parametrize("name,T,rank", [
    ("C", multiplication_tensor("C"), 3),
    ("<2,2,2>", matmul_tensor(2, 2, 2), 7),
    ("H", multiplication_tensor("H"), 8),
])
def test_exactified_search_results_verify_in_integers(name, T, rank):
    res = cp_search(T, rank, restarts=8, random_state=1)
    assert res.success
    c = exactify(res.cp, T, time_limit=30, device="cpu")
    assert c.exact, c.note
    assert all(isinstance(x, (Fraction, int)) for f in c.fractions for x in f.flat)
    assert _equals_exactly(c.fractions, T)
    assert c.max_denominator == max(Fraction(x).denominator for f in c.fractions for x in f.flat)
    assert c.nnz == sum(int(np.count_nonzero(np.asarray(f, dtype=float))) for f in c.fractions)


def test_exact_reconstruction_detects_a_wrong_entry():
    from fusion.algebras import strassen

    _, F = strassen()
    q = [f.astype(int).astype(object) for f in F]
    assert _equals_exactly(q, matmul_tensor(2, 2, 2))
    q[1][2, 3] += 1
    assert not _equals_exactly(q, matmul_tensor(2, 2, 2))


# ---------------------------------------------------------------------------- algebra blocks


@pytest.mark.parametrize("spec,sizes", [
    ("S3", (1, 1, 4)), ("A4", (1, 2, 9)), ("Q8", (1, 1, 1, 1, 4)), ("Z6", (1, 1, 2, 2)),
])
def test_algebra_blocks_are_the_wedderburn_blocks(spec, sizes):
    T = wt.word_tensor(spec, "xy")
    B = algebra_blocks(T)
    assert B.sizes == sizes and len(B) == len(sizes)
    n = T.n
    assert B.basis.shape == (n, n)
    # the inverse is exact
    prod = B.inverse.dot(B.basis.astype(object))
    assert all(prod[i, j] == (1 if i == j else 0) for i in range(n) for j in range(n))
    # each block tensor, written out term by term and mapped back, rebuilds T exactly
    per_block = []
    for X in B.tensors:
        d = X.shape[0]
        terms = [(p, q) for p in range(d) for q in range(d) if np.any(X[p, q])]
        e = np.eye(d, dtype=int)
        per_block.append([np.array([e[p] for p, _ in terms], dtype=object).T,
                          np.array([e[q] for _, q in terms], dtype=object).T,
                          np.array([np.rint(X[p, q]).astype(int) for p, q in terms],
                                   dtype=object).T])
    fr = B.to_tensor_basis_exact(per_block)
    assert _equals_exactly(fr, T.dense())


def test_algebra_blocks_of_a_simple_algebra_and_of_a_non_algebra():
    assert algebra_blocks(multiplication_tensor("C", 2)).sizes == (8,)
    with pytest.raises(WordTensorError):
        algebra_blocks(matmul_tensor(2, 2, 3))  # not n x n x n
    with pytest.raises(WordTensorError):
        algebra_blocks(0.5 * matmul_tensor(2, 2, 2))  # not an integer tensor


def test_block_search_exact_on_the_group_basis():
    T = wt.word_tensor("A4", "xy")  # Q + Q(w) + M_3(Q): ranks 1 + 3 + 23 = 27
    res = block_search(T, [1, 3, 23], restarts=16, random_state=0, exact=False)
    assert res.success and res.rank == 27
    assert relative_error(res.cp, T) < 1e-10  # verified on the whole tensor, group basis
    assert res.cp.factors[0].shape == (12, 27)
    S = wt.word_tensor("S3", "xy")
    res = block_search(S, [1, 1, 7], restarts=8, random_state=0, exact=True)
    assert res.certificate.exact
    assert _equals_exactly(res.certificate.fractions, S.dense())
    with pytest.raises(WordTensorError, match="one rank per block"):
        block_search(S, [1, 8])


def test_laderman_is_not_degenerate():
    """An exact decomposition of large rank cancels without being a border-rank limit."""
    from fusion.algebras.named import laderman
    from wordtensor.cp import border_symptoms

    s = border_symptoms(laderman(), matmul_tensor(3, 3, 3))
    assert s.rank == 23 and s.norm_ratio < 0.1 and s.max_component_norm < 1.01
    assert not s.degenerate


@pytest.mark.parametrize("spec,split", [
    ("S3", (False, False, True)), ("D4", (False,) * 4 + (True,)), ("Q8", (False,) * 5),
])
def test_split_blocks_get_matrix_units(spec, split):
    """M_d(Q) blocks are put in the basis of their matrix units (their tensor is exactly
    <d,d,d>); the quaternion block of Q8 is a division algebra and keeps its integer basis."""
    B = algebra_blocks(wt.word_tensor(spec, "xy"))
    assert B.split == split
    for X, s in zip(B.tensors, B.split):
        if s:
            d = int(round(X.shape[0] ** 0.5))
            assert np.array_equal(X, matmul_tensor(d, d, d))


def test_block_search_exact_on_a4():
    T = wt.word_tensor("A4", "xy")
    res = block_search(T, [1, 3, 23], restarts=32, random_state=0, exact=True)
    assert res.success and res.certificate.exact
    assert _equals_exactly(res.certificate.fractions, T.dense())
