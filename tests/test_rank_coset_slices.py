"""Slices in a coset basis (fusion.ranks.coset_slices) against independent truth: the factors
rebuild the tensor built here from the Cayley table in exact integer arithmetic, the bound of
[x,y] on A5 against the slice ranks counted here, the rank-one tensor of an abelian commutator,
the greedy basis against a brute force over every basis, and lower <= upper on small groups."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from fusion.ranks import rank_bounds
from fusion.ranks.coset_slices import coset_slice_bound, normal_subgroups, slice_combination
from fusion.ranks.koszul import koszul_young_bounds
from wordtensor import Group, Word, word_tensor


def delta(G: Group, word: str) -> np.ndarray:
    """The word tensor of a two-variable word, built here from the Cayley table."""
    w = Word.parse(word)
    n = G.order
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    out = np.zeros((n, n, n), dtype=np.int64)
    out[a, b, w.evaluate(G, a, b)] = 1
    return out


def exact_rebuild(rational) -> np.ndarray:
    """Σ_r A[:, r] ⊗ B[:, r] ⊗ C[:, r] with the denominators, in Python Fractions."""
    nums, dens = rational
    A, B, C = (np.asarray(F, dtype=object) for F in nums)
    raw = np.einsum("ar,br,cr->abc", A, B, C)
    scale = dens[0] * dens[1] * dens[2]
    return np.vectorize(lambda x: Fraction(int(x), scale))(raw)


@pytest.mark.parametrize("spec, word", [("S3", "xyXY"), ("A4", "xyXY"), ("D4", "xyx"),
                                        ("Q8", "xyXY"), ("S4", "xyXY"), ("A4", "xxyy")])
def test_factors_rebuild_the_tensor_exactly(spec, word):
    G = Group.from_spec(spec)
    ub = coset_slice_bound(word_tensor(G, word))
    _ = ub.cp
    nums, _ = ub.rational
    assert nums[0].shape[1] == ub.rank
    assert (exact_rebuild(ub.rational) == delta(G, word)).all()


def test_a5_commutator_is_one_plus_the_other_slice_ranks():
    """rank δ_[x,y] ≤ 1 + Σ_{c ≠ 1} rank(M_c), M_c(a, b) = [[a, b] = c]: the commuting-pairs slice
    M_1 = J − Σ_{c≠1} M_c is replaced by the all-ones matrix J (rank 1). The ranks are counted
    here on the tensor from the Cayley table (numerically: 0/1 matrices of side 60)."""
    G = Group.from_spec("A5")
    D = delta(G, "xyXY")
    expected = 1 + sum(int(np.linalg.matrix_rank(D[:, :, c].astype(float))) for c in range(1, 60))
    assert expected == 840
    T = word_tensor(G, "xyXY")
    ub = coset_slice_bound(T)
    assert ub.rank == expected and ub.method == "coset slices(mode 2)"
    rep = rank_bounds(G, "xyXY", cover=False)
    assert (rep.lower, rep.upper) == (105, 840) and rep.upper_certificate == "exact"
    assert rep.upper <= 8 * rep.lower
    assert rep.details["upper_check"]["exact_check"] in ("support", "slabs")


@pytest.mark.parametrize("spec", ["Z4", "Z6", "SmallGroup(8,2)"])
def test_abelian_commutator_is_rank_one(spec):
    """On an abelian group [x,y] = 1: δ = J ⊗ e_1, of rank exactly 1."""
    ub = coset_slice_bound(word_tensor(spec, "xyXY"))
    assert ub.rank == 1


def test_greedy_basis_is_the_cheapest_basis():
    """S3, [x,y], along the output: every basis among the 9 coset indicators (6 points, 2 cosets
    of A3, the all-ones row), enumerated here, costs at least the greedy one."""
    G = Group.from_spec("S3")
    img = word_tensor(G, "xyXY").image.reshape(6, 6)
    rows = []
    for K in normal_subgroups(G):
        for g in range(6):
            coset = tuple(sorted({int(x) for x in G.mul[g, K]}))
            if coset not in [r[0] for r in rows]:
                rows.append((coset, np.linalg.matrix_rank(
                    slice_combination(img, 2, np.array(coset)).astype(float))))
    assert len(rows) == 9
    best = None
    for sub in itertools.combinations(rows, 6):
        P = np.zeros((6, 6))
        for i, (coset, _) in enumerate(sub):
            P[i, list(coset)] = 1
        if abs(np.linalg.det(P)) > 1e-9:
            cost = sum(int(r) for _, r in sub)
            best = cost if best is None else min(best, cost)
    ub = coset_slice_bound(word_tensor(G, "xyXY"))
    assert ub.details["by_mode"][2] == best


@pytest.mark.parametrize("spec", ["Z4", "S3", "D4", "Q8", "A4"])
@pytest.mark.parametrize("word", ["xyx", "xyX", "xxyy", "xyXY", "x y^2 X"])
def test_lower_never_exceeds_the_coset_bound(spec, word):
    T = word_tensor(spec, word)
    ub = coset_slice_bound(T)
    rep = rank_bounds(spec, word, cover=False)
    assert rep.lower <= rep.upper <= ub.rank


def test_koszul_young_p3_runs_on_order_60():
    """p = 3 fits MAX_DIM on A5 (35·60 = 2100) and reaches its ceiling ⌊2100 / 20⌋ = 105."""
    bounds, skipped = koszul_young_bounds(word_tensor("A5", "xyXY"), ps=(3,), beat=100)
    assert max(b.value for b in bounds) == 105 and not skipped
