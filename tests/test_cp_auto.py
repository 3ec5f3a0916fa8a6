"""Tests of ``method="auto"`` on structure tensors: the rank shared out over the blocks by search.

Truth comes from outside the engine: every decomposition is rebuilt here from its factors with
numpy ``einsum`` and compared with the dense tensor; the ranks used are the known ones (A4:
R + C + M3(R), 1 + 3 + 23; S3: R + R + M2(R), 1 + 1 + 7) and the lower bounds are theorems
(flattening rank 6 of R[S3]; Alder-Strassen 2 dim A - t(A): 2 * 6 - 3 = 9 for R[S3]).
No timed assertions: budgets are restarts.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import wordtensor as wt
from wordtensor.cp import cp_search, exactify
from wordtensor.cp._auto import AUTO_BLOCK_PARAMS, block_plan
from wordtensor.errors import WordTensorError

torch.set_num_threads(1)


def _rebuilt_error(cp, tensor) -> float:
    dense = tensor.dense() if hasattr(tensor, "dense") else np.asarray(tensor, dtype=float)
    w, (A, B, C) = cp
    X = np.einsum("r,ir,jr,kr->ijk", np.asarray(w, dtype=float), A, B, C)
    return float(np.linalg.norm(X - dense) / np.linalg.norm(dense))


def test_default_search_finds_a4_at_27_by_blocks():
    T = wt.word_tensor("A4", "xy")
    assert 27 * sum(T.shape) > AUTO_BLOCK_PARAMS  # the default takes the block path here
    res = cp_search(T, 27, restarts=8, random_state=0)
    assert res.success and res.method == "auto:blocks"
    assert res.block_ranks == (1, 3, 23) and res.blocks.sizes == (1, 2, 9)
    assert res.cp.factors[0].shape == (12, 27)
    assert _rebuilt_error(res.cp, T) < 1e-10


def test_blocks_at_any_size_and_zero_padding():
    T = wt.word_tensor("S3", "xy")
    res = cp_search(T, 9, method="blocks", restarts=8, random_state=1)
    assert res.success and res.block_ranks == (1, 1, 7)
    assert _rebuilt_error(res.cp, T) < 1e-10
    # more rank than the blocks need: zero components pad the decomposition
    res = cp_search(T, 11, method="blocks", restarts=8, random_state=1)
    assert res.success and sum(res.block_ranks) <= 11 and res.cp.factors[0].shape == (6, 11)
    assert _rebuilt_error(res.cp, T) < 1e-10
    # the small default stays whole-tensor search
    assert cp_search(T, 9, restarts=8).block_ranks is None


def test_block_result_exactifies_blockwise():
    T = wt.word_tensor("S3", "xy")
    res = cp_search(T, 9, method="blocks", restarts=8, random_state=0)
    cert = exactify(res, T)
    assert cert.exact
    A, B, C = (np.asarray(f, dtype=object) for f in cert.fractions)
    X = sum(np.multiply.outer(np.multiply.outer(A[:, r], B[:, r]), C[:, r])
            for r in range(A.shape[1]))  # in Fractions: exact
    assert np.array_equal(X, T.dense().astype(np.int64).astype(object))


@pytest.mark.parametrize("rank", [5, 8])
def test_rank_below_a_lower_bound_fails_at_once(rank):
    # rank 5: below the flattening rank 6; rank 8: below Alder-Strassen, 2 * 6 - 3 = 9
    res = cp_search(wt.word_tensor("S3", "xy"), rank, method="blocks", restarts=4)
    assert not res.success and res.attempts == 0
    assert "lower bound 9" in res.note and res.error == pytest.approx(1.0)
    # the default does not search the whole tensor after it either
    res = cp_search(wt.word_tensor("A4", "xy"), 19, restarts=4)  # 19 < 1 + 2 + 17
    assert not res.success and res.attempts == 0 and "no decomposition exists" in res.note


def test_tensors_that_are_not_structure_tensors_fall_back():
    rng = np.random.default_rng(0)
    cases = [rng.standard_normal((9, 9, 9)),                 # not integer
             rng.integers(-2, 3, (9, 9, 9)).astype(float),   # no centre
             wt.word_tensor("S3", "xyX"),                    # a word tensor, not an algebra
             np.zeros((4, 5, 6))]                            # not a cube
    for T in cases:
        assert block_plan(T, 100, force=True) is None
        with pytest.raises(WordTensorError, match="blocks"):
            cp_search(T, 3, method="blocks")
    # above the block threshold the default searches the whole tensor as before
    T = wt.word_tensor("S3", "xyX")
    assert 34 * sum(T.shape) > AUTO_BLOCK_PARAMS
    res = cp_search(T, 34, restarts=4, random_state=0)
    assert res.success and res.method == "auto" and res.block_ranks is None
    assert _rebuilt_error(res.cp, T) < 1e-10


def test_callback_and_time_limit_end_the_block_path():
    T = wt.word_tensor("A4", "xy")
    seen = []
    res = cp_search(T, 27, restarts=4, callback=lambda a: seen.append(a) or True)
    assert not res.success and "stopped by the callback" in res.note
    assert res.attempts == len(seen) >= 1 and all("blocks" in h.method for h in res.history)
    res = cp_search(T, 27, restarts=4, time_limit=0.0)
    assert not res.success and "time limit" in res.note and res.attempts == 0
