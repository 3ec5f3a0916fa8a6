"""Word tensors: the dense form against the definition, flattenings and their ranks, torch forms,
memory refusals, statistics."""

from __future__ import annotations

import json
import math
from functools import cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wordtensor import Group, TensorTooLargeError, WordTensor, WordTensorError, word_tensor


@cache
def group(spec: str) -> Group:
    return Group.from_spec(spec)


SMALL = ["Z1", "Z5", "S3", "Q8", "D4", "A4", "Dic3", "Z2xZ4"]
WORDS = ["xy", "[x,y]", "x^2", "xyX", "x^2y^2", "xyz", "[x,y,z]", "1", "yx"]


@pytest.mark.parametrize("spec", SMALL)
@pytest.mark.parametrize("word", WORDS)
def test_dense_is_the_definition(spec, word):
    G = group(spec)
    T = word_tensor(G, word)
    n, k = G.order, T.arity
    D = T.dense()
    assert D.shape == (n,) * (k + 1) == T.shape and T.ndim == k + 1
    assert set(np.unique(D).tolist()) <= {0.0, 1.0}
    assert D.sum() == n**k == T.nnz
    assert np.count_nonzero(D) == T.nnz
    assert np.all(D.sum(axis=-1) == 1), "each input tuple has exactly one output"
    assert np.array_equal(D.argmax(axis=-1), T.word.table(G).reshape((n,) * k))
    c = T.coords
    assert c.shape == (n**k, k + 1) and np.all(D[tuple(c.T)] == 1)


@pytest.mark.parametrize("spec", SMALL)
def test_xy_tensor_is_the_multiplication(spec):
    G = group(spec)
    D = word_tensor(G, "xy").dense()
    n = G.order
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    expected = np.zeros((n, n, n))
    expected[a, b, G.mul[a, b]] = 1
    assert np.array_equal(D, expected)


def test_three_variable_word_gives_a_four_way_tensor():
    G = group("S3")
    T = word_tensor(G, "xyz")
    D = T.dense()
    assert D.shape == (6, 6, 6, 6) and T.nnz == 216
    for a, b, c in [(1, 2, 3), (5, 4, 0), (2, 2, 2)]:
        assert D[a, b, c].argmax() == G.mul[G.mul[a, b], c]
    assert word_tensor(G, "[x,y,z]").dense().shape == (6,) * 4


def _rank(M) -> int:
    return int(np.linalg.matrix_rank(np.asarray(M, dtype=np.float64)))


@pytest.mark.parametrize("spec", ["Z1", "Z6", "S3", "Q8", "D5", "A4", "SL(2,3)"])
def test_flattening_ranks_of_xy_equal_n(spec):
    """Every slice of the multiplication tensor is a permutation matrix, so all three
    flattenings have rank n."""
    G = group(spec)
    T = word_tensor(G, "xy")
    D = T.dense()
    for mode in range(3):
        U = T.unfolding(mode)
        assert U.shape == (G.order, G.order**2)
        assert np.array_equal(U.toarray(), np.moveaxis(D, mode, 0).reshape(G.order, -1))
        assert _rank(U.toarray()) == G.order


@pytest.mark.parametrize("spec", ["Z5", "Z2xZ4", "Q8", "S3"])
def test_flattening_ranks_of_commutator(spec):
    """[x,y] takes |G'| values: the output flattening has rank |G'|; on an abelian group the word
    is constant, so every flattening has rank 1."""
    G = group(spec)
    T = word_tensor(G, "[x,y]")
    ranks = [_rank(T.unfolding(m).toarray()) for m in range(3)]
    assert ranks[2] == len(G.derived_subgroup)
    if G.is_abelian:
        assert ranks == [1, 1, 1]


def test_unfolding_mode_out_of_range():
    with pytest.raises(WordTensorError):
        word_tensor("S3", "xy").unfolding(3)


@pytest.mark.parametrize("word", ["xy", "[x,y]", "x^2", "xyz"])
def test_to_torch_dense_and_sparse_agree_with_dense(word):
    T = word_tensor("D4", word)
    D = T.dense()
    dense = T.to_torch()
    assert dense.dtype == torch.float32 and dense.device.type == "cpu"
    assert tuple(dense.shape) == T.shape
    assert np.array_equal(dense.numpy(), D)
    d64 = T.to_torch(dtype=torch.float64)
    assert d64.dtype == torch.float64 and np.array_equal(d64.numpy(), D)
    sp = T.to_torch(sparse=True)
    assert sp.is_sparse and sp._nnz() == T.nnz
    assert np.array_equal(sp.to_dense().numpy(), D)


def test_dense_refused_past_max_bytes_with_its_size():
    T = word_tensor("S3", "xy")
    need = 6**3 * 8  # float64
    T.dense(max_bytes=need)  # exactly enough
    with pytest.raises(TensorTooLargeError) as info:
        T.dense(max_bytes=need - 1)
    assert isinstance(info.value, MemoryError)
    assert "1.7 KiB" in str(info.value)  # 1728 bytes
    with pytest.raises(TensorTooLargeError, match=r"864\.0 B"):
        T.dense(np.float32, max_bytes=100)  # 6^3 * 4 bytes
    with pytest.raises(TensorTooLargeError):
        T.to_torch(max_bytes=100)
    T.to_torch(sparse=True, max_bytes=100)  # the sparse form is not refused


def test_large_forms_refused_by_default():
    """Refused against the available memory before anything is allocated."""
    G = group("S6")
    with pytest.raises(TensorTooLargeError, match=r"TiB"):
        WordTensor(G, "vwxyz")  # value table: 720^5 int32 = 700 TiB
    T = word_tensor(G, "x^2")
    assert T.dense().shape == (720, 720)
    with pytest.raises(TensorTooLargeError, match=r"MiB"):
        T.dense(max_bytes=1 << 20)  # 720^2 doubles = 4.0 MiB


def test_value_table_refused_past_max_bytes():
    with pytest.raises(TensorTooLargeError):
        word_tensor("S4", "xyz", max_bytes=24**3 * 4 - 1)
    assert word_tensor("S4", "xyz", max_bytes=24**3 * 4).nnz == 24**3


STATS_KEYS = {"group", "order", "word", "variables", "shape", "nnz", "density", "image_size",
              "surjective", "fibre_min", "fibre_max", "fibre_mean", "fibre_size_counts",
              "identity_fibre", "notes"}


@pytest.mark.parametrize("spec", ["S3", "Q8", "Z7"])
def test_stats_of_xy(spec):
    G = group(spec)
    s = word_tensor(G, "xy").stats()
    assert STATS_KEYS <= set(s)  # the contract's keys; more may be added (e.g. notes)
    json.dumps(s)
    n = G.order
    assert s["order"] == n and s["shape"] == [n, n, n] and s["nnz"] == n * n
    assert s["variables"] == ["x", "y"] and s["word"] == "xy"
    assert s["image_size"] == n and s["surjective"]
    assert s["fibre_min"] == s["fibre_max"] == n and s["fibre_mean"] == n
    assert s["fibre_size_counts"] == {n: n} and s["identity_fibre"] == n
    assert math.isclose(s["density"], 1 / n)
    assert s["notes"] == []  # no 'e' in the word


def test_stats_of_commutator_on_s3():
    s = word_tensor("S3", "[x,y]").stats()
    # [x,y] = 1 exactly when x and y commute: sum of centraliser orders = |G| * #classes = 18
    assert s["identity_fibre"] == 6 * 3
    assert s["image_size"] == 3 and not s["surjective"]
    assert sum(size * count for size, count in s["fibre_size_counts"].items()) == 36


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SMALL), st.sampled_from(WORDS))
def test_fibres_sum_and_image(spec, word):
    T = word_tensor(group(spec), word)
    f = T.fibre_sizes()
    assert f.shape == (T.n,) and f.sum() == T.nnz
    assert np.array_equal(T.image_elements(), np.flatnonzero(f))
    assert np.array_equal(T.dense().reshape(-1, T.n).sum(axis=0), f)


def test_word_tensor_accepts_a_spec_string_and_a_word():
    from wordtensor import Word

    T = word_tensor("Q8", Word.parse("xy"))
    assert T.group.order == 8 and T.shape == (8, 8, 8) and "xy" in repr(T)
