"""Rank bounds of word tensors (``fusion.ranks``): certified factors against the dense tensor,
box covers, known ranks (Winograd, Alder–Strassen, Strassen, Laderman), flattening ranks
against numpy, algebra embeddings, and the ``rank`` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorly as tl

from fusion import bscs
from fusion.algebras import multiplication_tensor
from fusion.algebras.tensors import algebra_dim
from fusion.decompose import decompose
from fusion.ranks import (
    RankReport,
    box_cover,
    box_lower_bound,
    constructive_xy,
    lower_bound,
    rank_bounds,
)
from fusion.ranks.box_cover import box_cover_cp
from fusion.ranks.certificates import check_certificate, cp_error
from fusion.ranks.lower import alder_strassen_bound, flattening_bounds, flattening_ranks
from fusion.ranks.relabel import multiplication_equivalence
from fusion.ranks.slices import slice_bound
from fusion.ranks.upper import algebra_embedding, block_factors
from fusion.reps import fourier_basis
from tests.gap_fixtures import gap_group, gap_specs
from wordtensor import Group, word_tensor
from wordtensor.cli import main
from wordtensor.errors import WordTensorError

_GROUPS: dict[str, Group] = {}


def group(spec: str) -> Group:
    if spec not in _GROUPS:
        _GROUPS[spec] = Group.from_spec(spec)
    return _GROUPS[spec]


def max_err(cp, dense: np.ndarray) -> float:
    return float(np.abs(tl.cp_to_tensor(cp) - dense).max())


CASES = [(g, w) for g in ("S3", "Q8", "D4", "Z6", "A4", "SL(2,3)")
         for w in ("xy", "xyx", "xyX", "xxyy", "xyXY", "yx", "x^2 y^-1")] + [("S4", "xy"), ("S4", "xyX")]


# ---------------------------------------------------------------------------- certificates
@pytest.mark.parametrize("spec,w", CASES)
def test_certified_factors_reconstruct_delta(spec, w):
    G = group(spec)
    rep = rank_bounds(G, w)
    dense = word_tensor(G, w).dense()
    weights, factors = rep.cp
    assert len(factors) == 3 and all(f.shape == (G.order, rep.upper) for f in factors)
    assert weights.shape == (rep.upper,)
    assert max_err(rep.cp, dense) < 1e-9
    assert rep.max_abs_error < 1e-9 and rep.verified_in == "group basis"
    assert rep.lower <= rep.upper and rep.exact == (rep.lower == rep.upper)
    assert rep.upper == min(rep.details["candidates"].values())


@pytest.mark.parametrize("spec", ["S3", "Q8", "A4", "SL(2,3)", "Z7"])
@pytest.mark.parametrize("w", ["xy", "xyX", "xyXY", "xxyy"])
def test_every_candidate_reconstructs_delta(spec, w):
    G = group(spec)
    T = word_tensor(G, w)
    dense = T.dense()
    ub = slice_bound(T)
    cp = ub.cp
    assert ub.certificate == "exact" and ub.rank == cp.factors[0].shape[1]
    assert max_err(cp, dense) < 1e-12
    assert all(set(np.unique(f)) <= {0.0, 1.0} for f in cp.factors)  # exact 0/1 factors
    dec = decompose(G, w)
    cover = box_cover(dec)
    bcp = box_cover_cp(dec, cover)
    assert bcp.factors[0].shape[1] == cover.bound
    assert max_err(bcp, dense) < 1e-9
    if w == "xy":
        ccp, recs = constructive_xy(G)
        assert ccp.factors[0].shape[1] == sum(r["rank"] for r in recs)
        assert max_err(ccp, dense) < 1e-9


def test_cp_error_detects_a_wrong_certificate():
    G = group("S3")
    T = word_tensor(G, "xy")
    cp, _ = constructive_xy(G)
    assert cp_error(cp, T)[0] < 1e-12
    w, (A, B, C) = cp
    B = B.copy()
    B[0, 0] += 1.0
    err, where = cp_error(tl.cp_tensor.CPTensor((w, [A, B, C])), T)
    assert where == "group basis" and err > 1e-3
    # past the work limit the check falls back to random probes of the bilinear map
    err, where = cp_error(cp, T, max_work=1.0)
    assert where == "random probes" and err < 1e-12
    err, where = cp_error(tl.cp_tensor.CPTensor((w, [A, B, C])), T, max_work=1.0)
    assert where == "random probes" and err > 1e-3


def test_check_certificate_refuses_wrong_factors():
    T = word_tensor(group("S3"), "xyX")
    cp = slice_bound(T).cp
    assert check_certificate(cp, T) == (0.0, "group basis")
    w, (A, B, C) = cp
    for bad in (np.full_like(w, np.nan), w * 1.001):
        with pytest.raises(RuntimeError, match="fail verification"):
            check_certificate(tl.cp_tensor.CPTensor((bad, [A, B, C])), T)
    # NaN never passes, on probes either (a NaN used to be lost in Python's max)
    nan_cp = tl.cp_tensor.CPTensor((np.full_like(w, np.nan), [A, B, C]))
    assert np.isnan(cp_error(nan_cp, T)[0]) and np.isnan(cp_error(nan_cp, T, max_work=0)[0])


@pytest.mark.parametrize("spec", ["S3", "Q8", "SL(2,3)", "Z5"])
def test_block_factors_reconstruct_the_diagonal_blocks(spec):
    G = group(spec)
    cp, recs = constructive_xy(G)
    dec = decompose(G, "xy")
    known = block_factors(G, cp, recs)
    assert sorted(known) == dec.support  # xy: the support is the diagonal
    for t, (r, method, bcp) in known.items():
        assert bcp.factors[0].shape[1] == r == recs[t[0]]["rank"] and method == recs[t[0]]["method"]
        np.testing.assert_allclose(tl.cp_to_tensor(bcp), dec.block(*t), atol=1e-10)


def _box_by_hand(G, w, sets):
    F = fourier_basis(G)
    R = [np.concatenate([F.rows(i) for i in s], axis=0) for s in sets]
    return np.einsum("ia,jb,kc,abc->ijk", *R, word_tensor(G, w).dense())


@pytest.mark.parametrize("spec", ["S3", "Q8", "A4", "SL(2,3)"])
def test_box_lower_bound_against_numpy_and_alder_strassen(spec):
    G = group(spec)
    bl = bscs(G)
    # a diagonal block of xy is a simple algebra of dimension s = dim R_φ: Alder–Strassen 2s − 1
    cp, recs = constructive_xy(G)
    dec = decompose(G, "xy")
    for phi, b in enumerate(bl):
        sets = ((phi,), (phi,), (phi,))
        X = _box_by_hand(G, "xy", sets)
        flat = max(np.linalg.matrix_rank(tl.unfold(X, m), tol=1e-9) for m in range(3))
        bound, method = box_lower_bound(dec, sets)
        assert bound == max(flat, 2 * b.space_dim - 1)
        assert method == ("alder-strassen 2s-1" if 2 * b.space_dim - 1 > flat else "flattening")
        assert bound <= recs[phi]["rank"]  # sound: below the block's constructive rank
    # any other word: the largest flattening rank of the box
    dec = decompose(G, "xyX")
    t = len(bl)
    for sets in [((0, t - 1), (t - 1,), (0, t - 1)), ((t - 1,),) * 3, (tuple(range(t)),) * 3]:
        X = _box_by_hand(G, "xyX", sets)  # (zero blocks hold rounding noise: absolute tolerance)
        flat = max(np.linalg.matrix_rank(tl.unfold(X, m), tol=1e-9) for m in range(3))
        assert box_lower_bound(dec, sets) == (flat, "flattening")


def test_box_lower_bound_S3_strassen_is_optimal():
    """The M_2(R) block of S3: 2·4 − 1 = 7 = Strassen's rank (Winograd 1971)."""
    dec = decompose(group("S3"), "xy")
    assert box_lower_bound(dec, ((2,), (2,), (2,))) == (7, "alder-strassen 2s-1")


# ---------------------------------------------------------------------------- box covers
@pytest.mark.parametrize("spec,w", [(g, w) for g in ("S3", "Q8", "A4", "D4", "Z6", "S4")
                                    for w in ("xy", "xyx", "xyX", "xxyy", "xyXY")])
def test_box_cover_partitions_the_support(spec, w):
    G = group(spec)
    dec = decompose(G, w)
    lower = lower_bound(word_tensor(G, w))[0]
    for cover in (box_cover(dec), box_cover(dec, milp_limit=0)):  # MILP, then greedy
        count = {t: 0 for t in dec.support}
        for b in cover.boxes:
            assert b.triplets and b.bound >= 1
            for t in b.triplets:
                assert all(t[m] in b.sets[m] for m in range(3))
                count[t] += 1
            inside = [t for t in dec.support if all(t[m] in b.sets[m] for m in range(3))]
            assert sorted(b.triplets) == sorted(inside)
        assert set(count.values()) == {1}  # each support triplet in exactly one box
        assert cover.bound == sum(b.bound for b in cover.boxes) >= lower
    assert box_cover(dec).solver == "milp"
    assert box_cover(dec, milp_limit=0).solver == "greedy"
    assert box_cover(dec).bound <= box_cover(dec, milp_limit=0).bound  # the MILP is optimal


def test_box_cover_json_and_refusals():
    dec = decompose(group("S3"), "xyXY")
    d = box_cover(dec).to_json()
    assert {"bound", "solver", "boxes"} <= set(d)
    assert sum(b["bound"] for b in d["boxes"]) == d["bound"]
    with pytest.raises(WordTensorError):
        box_cover(decompose(group("S3"), "xyz"))


# ---------------------------------------------------------------------------- known values
def test_S3_is_nine_exactly():
    rep = rank_bounds(group("S3"), "xy")
    assert (rep.lower, rep.upper) == (9, 9) and rep.exact
    assert rep.lower_method == "alder-strassen"
    assert sorted(b["rank"] for b in rep.details["blocks"]) == [1, 1, 7]  # 1 + 1 + Strassen


def test_D4_is_eleven_exactly():
    rep = rank_bounds(group("D4"), "xy")
    assert (rep.lower, rep.upper) == (11, 11) and rep.exact
    assert sorted(b["rank"] for b in rep.details["blocks"]) == [1, 1, 1, 1, 7]


@pytest.mark.parametrize("n", range(2, 10))
def test_cyclic_groups_winograd(n):
    """R(Z_n) = 2n − t, t = number of real irreps of Z_n = ⌊n/2⌋ + 1 (Winograd)."""
    rep = rank_bounds(group(f"Z{n}"), "xy")
    t = n // 2 + 1
    assert rep.lower == rep.upper == 2 * n - t


def test_Q8_is_twelve_exactly():
    rep = rank_bounds(group("Q8"), "xy")  # R⁴ × H is not of minimal rank: 2·8 − 5 + 1
    assert rep.lower == 12 and rep.lower_method == "minimal-rank+1" and rep.upper <= 12
    assert sorted(b["algebra"] for b in rep.details["blocks"]) == ["M_1(H)"] + ["M_1(R)"] * 4
    assert sorted(b["rank"] for b in rep.details["blocks"]) == [1, 1, 1, 1, 8]  # R⁴ ⊕ H


def test_S4_between_44_and_55():
    rep = rank_bounds(group("S4"), "xy")  # M_3(R) is not of minimal rank: 2·24 − 5 + 1
    assert (rep.lower, rep.upper) == (44, 55) and not rep.exact
    assert sorted(b["rank"] for b in rep.details["blocks"]) == [1, 1, 7, 23, 23]  # Laderman


@pytest.mark.parametrize("spec", gap_specs(max_order=200))
def test_alder_strassen_counts_real_irreps_like_gap(spec):
    g = gap_group(spec)
    nonreal = sum(1 for r in g["is_real_character"] if not r)
    t = len(g["degrees"]) - nonreal // 2  # characters up to complex conjugation
    assert nonreal % 2 == 0
    assert alder_strassen_bound(group(spec)) == 2 * g["order"] - t


# ---------------------------------------------------------------------------- flattenings
@pytest.mark.parametrize("spec", ["S3", "Q8", "A4", "Z7", "SL(2,3)"])
def test_flattening_ranks_of_xy_are_n(spec):
    G = group(spec)
    fl = flattening_ranks(word_tensor(G, "xy"))
    assert [f["certified"] for f in fl] == [G.order] * 3
    assert all(f["exact"] and f["numerical"] == G.order for f in fl)


@pytest.mark.parametrize("spec,w", [("S3", "[x,y]"), ("S3", "xxyy"), ("Q8", "xyXY"), ("A4", "[x,y]"),
                                    ("D4", "x^2 y^2"), ("A4", "xyx")])
def test_flattening_ranks_against_numpy(spec, w):
    T = word_tensor(group(spec), w)
    D = T.dense()
    expect = [np.linalg.matrix_rank(tl.unfold(D, m)) for m in range(3)]
    fl = flattening_ranks(T)
    assert [f["certified"] for f in fl] == expect == [f["numerical"] for f in fl]
    value, method, _ = lower_bound(T)  # restriction or Koszul–Young may beat the flattenings
    assert value >= max(expect) and [b.value for b in flattening_bounds(T)] == expect


def test_commutator_on_S3_flattening_values():
    """[x,y] on S3 takes values in A3: the output unfolding has exactly 3 non-zero rows with
    disjoint supports, so rank 3; the lower bound is the largest of the three ranks."""
    T = word_tensor(group("S3"), "[x,y]")
    fl = flattening_ranks(T)
    assert fl[2]["certified"] == 3
    assert lower_bound(T)[0] == max(f["certified"] for f in fl)


# ---------------------------------------------------------------------------- algebras
@pytest.mark.parametrize("spec", ["Q8", "SL(2,3)", "Z5"])
def test_algebra_embedding_is_a_unital_homomorphism_into_the_bsc_algebra(spec):
    G = group(spec)
    kinds = set()
    for b in bscs(G):
        alg, d, iota = algebra_embedding(b)
        kinds.add(b.kind)
        assert alg == {"real": "R", "complex": "C", "quaternionic": "H"}[b.kind]
        T = multiplication_tensor(alg, d)
        dim = T.shape[0]
        assert iota.shape == (dim, b.dim, b.dim) and dim == b.space_dim
        prod = np.einsum("aij,bjk->abik", iota, iota)
        np.testing.assert_allclose(prod, np.einsum("abc,cik->abik", T, iota), atol=1e-12)
        a = algebra_dim(alg)
        one = sum(iota[(i * d + i) * a] for i in range(d))
        np.testing.assert_allclose(one, np.eye(b.dim), atol=1e-12)
        span = b.matrices.reshape(G.order, -1)
        r = np.linalg.matrix_rank(span)
        assert r == dim  # the bsc's matrices span an algebra of dimension dim R_φ
        assert np.linalg.matrix_rank(np.vstack([span, iota.reshape(dim, -1)])) == r  # ι lands in it
    expected = {"Q8": {"real", "quaternionic"}, "SL(2,3)": {"real", "complex", "quaternionic"},
                "Z5": {"real", "complex"}}[spec]
    assert kinds == expected


# ---------------------------------------------------------------------------- save / JSON
def test_save_round_trip(tmp_path):
    G = group("Q8")
    rep = rank_bounds(G, "xy")
    path = tmp_path / "q8"  # no suffix: written at exactly this path
    rep.save(path)
    with np.load(path) as z:
        cp = (z["weights"], [z["A"], z["B"], z["C"]])
        assert int(z["lower"]) == rep.lower and int(z["upper"]) == rep.upper
        assert str(z["group"]) == "Q8" and str(z["word"]) == "xy"
        assert max_err(cp, word_tensor(G, "xy").dense()) < 1e-9
    with pytest.raises(WordTensorError):
        rep.save(tmp_path / "missing" / "f.npz")


def test_report_json_is_strict():
    rep = rank_bounds(group("S3"), "xyX")
    d = rep.to_json()
    assert {"lower", "upper", "lower_method", "upper_method", "max_abs_error", "box_cover"} <= set(d)
    json.dumps(d, allow_nan=False)
    assert isinstance(rep, RankReport) and d["exact"] == rep.exact


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("spec,w,lower,upper", [("S3", "xy", 9, 9), ("D4", "xy", 11, 11),
                                                ("Q8", "xy", 12, 12), ("Z5", "xyXY", 1, 1)])
def test_cli_rank_json(capsys, spec, w, lower, upper):
    code, out, err = _run(capsys, "rank", spec, w, "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert {"lower", "upper", "lower_method", "upper_method", "max_abs_error", "box_cover"} <= set(d)
    assert (d["lower"], d["upper"]) == (lower, upper)
    assert d["max_abs_error"] < 1e-9
    assert d["box_cover"]["bound"] >= d["lower"]


def test_cli_rank_save(capsys, tmp_path):
    path = tmp_path / "s3.npz"
    code, out, err = _run(capsys, "rank", "S3", "[x,y]", "--json", "--save", str(path))
    assert code == 0 and err == ""
    d = json.loads(out)
    assert d["saved"] == str(path) and path.exists()
    with np.load(path) as z:
        assert z["A"].shape == (6, d["upper"])
        cp = (z["weights"], [z["A"], z["B"], z["C"]])
        assert max_err(cp, word_tensor(group("S3"), "[x,y]").dense()) < 1e-9
    code, out, _ = _run(capsys, "rank", "S3", "xy")
    assert code == 0 and "9 <= R <= 9" in out and "(exact)" in out


@pytest.mark.parametrize("argv", [
    ["rank", "S3", "x^"],
    ["rank", "S7", "xy"],  # refused up front: the irreps alone would not fit
    ["rank", "Q9", "xy"],
    ["rank", "S3", "xy", "--save", "/nonexistent-dir/f.npz"],
])
def test_cli_rank_bad_input(capsys, argv):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wordtensor: error") and "Traceback" not in err


@pytest.mark.parametrize("spec,w,same", [("Z5", "xyx", True), ("Z5", "xxyy", True),
                                         ("S3", "yx", True), ("S4", "XY", True),
                                         ("A5", "x^7y", True), ("S3", "xyx", False),
                                         ("S3", "xyX", False)])
def test_relabelled_multiplication_words_share_the_xy_rank(spec, w, same):
    G = group(spec)
    T = word_tensor(G, w)
    eq = multiplication_equivalence(T)
    assert (eq is not None) == same
    if not same:
        return
    swap, alpha, beta = eq
    # independent check of the relabelling against the Cayley table
    a, b = np.meshgrid(np.arange(G.order), np.arange(G.order), indexing="ij")
    prod = G.mul[beta[b], alpha[a]] if swap else G.mul[alpha[a], beta[b]]
    assert np.array_equal(prod.ravel(), T.image)
    r, rxy = rank_bounds(G, w, cover=False), rank_bounds(G, "xy", cover=False)
    assert (r.lower, r.upper) == (rxy.lower, rxy.upper)
    assert r.max_abs_error < 1e-9


def test_search_improves_the_upper_bound_with_a_verified_certificate(monkeypatch):
    # S3 [x,y]: box covers give 11; the CP engine reaches 8 within seconds and exactify makes
    # the fit rational (the catalogue, which holds that certificate, is switched off here)
    import fusion.ranks.candidates as cands

    monkeypatch.setattr(cands, "catalogued_bound", lambda T: None)
    G = group("S3")
    base = rank_bounds(G, "xyXY")
    r = rank_bounds(G, "xyXY", search=True, search_seconds=20)
    assert r.upper < base.upper and r.upper <= 9
    assert r.lower <= r.upper and r.upper_certificate == "exact"
    assert "exactified" in r.upper_method
    dense = word_tensor(G, "xyXY").dense()
    assert np.max(np.abs(tl.cp_to_tensor(r.cp) - dense)) < 1e-8
    assert any(rec.get("exactified") for rec in r.details["search"])
