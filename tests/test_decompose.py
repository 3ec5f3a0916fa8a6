"""Triplet decomposition of word tensors (``fusion.decompose``) against independent truth.

Pieces are recomputed in the group basis from the projectors P_φ (docs/design.md's definition
δ^{φψζ} = (P_φ ⊗ P_ψ ⊗ P_ζ)δ, nothing from the Fourier basis); supports of abelian words are
derived by hand from the characters of Z_n; bsc dimensions come from GAP's character table.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusion import bsc_projector, bscs, fourier_basis
from fusion.decompose import (
    FusionCover,
    TripletDecomposition,
    check_support_in_cover,
    decompose,
    fusion_cover,
    is_multiplication,
)
from tests.gap_fixtures import gap_group, gap_specs
from wordtensor import Group, Word, word_tensor
from wordtensor.cli import main
from wordtensor.errors import WordTensorError

_GROUPS: dict[str, Group] = {}


def group(spec: str) -> Group:
    """One Group object per spec for the whole module (its cache holds irreps and pieces)."""
    if spec not in _GROUPS:
        _GROUPS[spec] = Group.from_spec(spec)
    return _GROUPS[spec]


def projector_pieces(G: Group, w) -> dict[tuple[int, int, int], np.ndarray]:
    """Every (P_φ ⊗ P_ψ ⊗ P_ζ)δ, computed in the group basis from the dense tensor."""
    D = word_tensor(G, w).dense()
    P = [bsc_projector(G, i) for i in range(len(bscs(G)))]
    out = {}
    for i, j, k in itertools.product(range(len(P)), repeat=3):
        X = np.tensordot(P[i], D, axes=(1, 0))
        X = np.moveaxis(np.tensordot(P[j], X, axes=(1, 1)), 0, 1)
        out[(i, j, k)] = np.tensordot(X, P[k], axes=(2, 1))  # P symmetric
    return out


SMALL = ["S3", "Q8", "Z5", "A4"]
WORDS = ["xy", "xyx", "xyX", "xxyy", "xyXY", "yx", "x^3y^-2", "x^2 y x^-1 y"]


# ---------------------------------------------------------------------------- pieces
@pytest.mark.parametrize("spec", SMALL)
@pytest.mark.parametrize("w", WORDS)
def test_pieces_match_projectors(spec, w):
    G = group(spec)
    dec = decompose(G, w)
    ref = projector_pieces(G, w)
    for idx, p in ref.items():
        np.testing.assert_allclose(dec.piece(*idx), p, atol=1e-12, err_msg=str(idx))
        assert dec.norms[idx] == pytest.approx(float(np.sum(p * p)), abs=1e-10)
    assert dec.support == sorted(i for i, p in ref.items() if np.abs(p).max() > 1e-9)


@pytest.mark.parametrize("spec", SMALL)
@pytest.mark.parametrize("w", ["xy", "xyX", "xyXY", "x^3y^-2"])
def test_pieces_sum_to_delta_are_orthogonal_and_norms_add_up(spec, w):
    G = group(spec)
    n = G.order
    D = word_tensor(G, w).dense()
    ref = projector_pieces(G, w)
    stack = np.array([p.ravel() for p in ref.values()])
    np.testing.assert_allclose(stack.sum(axis=0).reshape(D.shape), D, atol=1e-12)
    gram = stack @ stack.T
    off = gram - np.diag(np.diag(gram))
    assert np.abs(off).max() < 1e-10  # mutually orthogonal
    dec = decompose(G, w)
    assert dec.norms.sum() == pytest.approx(n * n, rel=1e-12)
    np.testing.assert_allclose(dec.reconstruct(), D, atol=1e-12)


@pytest.mark.parametrize("spec", SMALL)
def test_blocks_are_the_fourier_coordinates_of_the_pieces(spec):
    G = group(spec)
    F = fourier_basis(G)
    for i in range(len(bscs(G))):  # the rows of bsc i span the image of P_i
        np.testing.assert_allclose(F.rows(i).T @ F.rows(i), bsc_projector(G, i), atol=1e-12)
    dec = decompose(G, "xyX")
    D = word_tensor(G, "xyX").dense()
    for idx in itertools.product(range(len(bscs(G))), repeat=3):
        R = [F.rows(i) for i in idx]
        expect = np.einsum("ia,jb,kc,abc->ijk", *R, D)
        np.testing.assert_allclose(dec.block(*idx), expect, atol=1e-12)
    with pytest.raises(ValueError):
        dec.block(0, 0)


@pytest.mark.parametrize("spec", ["S3", "Q8", "A4"])
@pytest.mark.parametrize("w", ["xy", "xyX"])
def test_box_is_the_fourier_transform_of_the_dense_tensor(spec, w):
    """δ̃ on a box A × B × C, computed independently: the rows of the Fourier basis of the bscs
    in A (B, C), in the order given, applied to the dense tensor."""
    G = group(spec)
    dec = decompose(G, w)
    F = fourier_basis(G)
    D = word_tensor(G, w).dense()
    t = len(bscs(G))
    rng = np.random.default_rng(7)
    boxes = [tuple(tuple(range(t)) for _ in range(3))] + [
        tuple(tuple(int(x) for x in rng.permutation(t)[: rng.integers(1, t + 1)]) for _ in range(3))
        for _ in range(6)]
    for sets in boxes:
        R = [np.concatenate([F.rows(i) for i in s], axis=0) for s in sets]
        expect = np.einsum("ia,jb,kc,abc->ijk", *R, D)
        np.testing.assert_allclose(dec.box(sets), expect, atol=1e-12)
    with pytest.raises(WordTensorError, match="3 bsc sets"):
        dec.box(((0,), (0,)))


@pytest.mark.parametrize("spec", ["S3", "D4", "Q8", "Z5", "Z6", "A4", "SL(2,3)", "S4", "Z3xS3"])
def test_algebra_and_dense_paths_agree_for_xy(spec):
    G = group(spec)
    a = decompose(G, "xy", method="algebra")
    d = decompose(G, "xy", method="dense")
    assert (a.method, d.method) == ("algebra", "dense")
    assert a.support == d.support
    np.testing.assert_allclose(a.norms, d.norms, atol=1e-10)
    for idx in a.support:
        np.testing.assert_allclose(a.block(*idx), d.block(*idx), atol=1e-12)


def test_method_checks():
    G = group("S3")
    assert decompose(G, "xy").method == "algebra" and decompose(G, "xyx").method == "dense"
    assert is_multiplication(Word.parse("x*X*x*y")) and not is_multiplication(Word.parse("yx"))
    with pytest.raises(WordTensorError):
        decompose(G, "xyx", method="algebra")
    with pytest.raises(ValueError):
        decompose(G, "xy", method="fast")
    with pytest.raises(WordTensorError):
        decompose(Group.from_spec("S3"), "xyx", max_entries=100)  # n^3 = 216 > 100: refused
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(WordTensorError):  # a negative tolerance made exact zeros "support"
            decompose(G, "xyx", tol=bad)


# ---------------------------------------------------------------------------- supports by hand
def _bsc_orbit_of_Zn(G: Group) -> list[int]:
    """For Z_n: the k in 0..n//2 of each bsc (its orbit {k, -k}), read off trace R(1) =
    2cos(2πk/n) (complex type) or cos(2πk/n) (real type, k = 0 or n/2)."""
    n = G.order
    out = []
    for b in bscs(G):
        c = np.trace(b.matrices[1]) / b.dim
        out.append(int(np.argmin([abs(c - np.cos(2 * np.pi * k / n)) for k in range(n // 2 + 1)])))
    return out


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8])
@pytest.mark.parametrize("p,q", [(1, 1), (2, 1), (1, -1), (3, 2), (-2, 3), (0, 1), (2, 2)])
def test_cyclic_support_from_characters(n, p, q):
    """On Z_n, δ[a,b,c] = [c = pa + qb]; its Fourier coefficient at (k1, k2, k3) is non-zero iff
    k1 = -p k3 and k2 = -q k3 (mod n), so the support is {(orb(pk), orb(qk), orb(k))}."""
    G = group(f"Z{n}")
    w = Word.parse(f"x^{p} y^{q}", variables="xy")
    orb = _bsc_orbit_of_Zn(G)
    assert sorted(orb) == list(range(n // 2 + 1))
    index = {k: i for i, k in enumerate(orb)}

    def o(k):
        k %= n
        return index[min(k, n - k)]

    expect = sorted({(o(p * k), o(q * k), o(k)) for k in range(n)})
    dec = decompose(G, w)
    assert dec.support == expect
    check_support_in_cover(dec, fusion_cover(G, w))


@pytest.mark.parametrize("spec", ["S3", "Q8", "A4", "Z6"])
def test_supports_of_projections_and_constants(spec):
    """w = y: δ = 1 ⊗ I, support {(1, ψ, ψ)}; w = x: {(φ, 1, φ)}; w = 1: 1 ⊗ 1 ⊗ e_id, whose
    output e_id has a component in every bsc: {(1, 1, ζ)} (1 = the trivial bsc)."""
    G = group(spec)
    t = len(bscs(G))
    triv = [i for i, b in enumerate(bscs(G)) if b.dim == 1 and np.allclose(b.matrices, 1)]
    assert len(triv) == 1
    e = triv[0]
    assert decompose(G, Word.parse("y", "xy")).support == sorted((e, i, i) for i in range(t))
    assert decompose(G, Word.parse("x", "xy")).support == sorted((i, e, i) for i in range(t))
    assert decompose(G, Word.parse("1", "xy")).support == sorted((e, e, i) for i in range(t))
    if G.is_abelian:
        assert decompose(G, "[x,y]").support == sorted((e, e, i) for i in range(t))


@pytest.mark.parametrize("spec", gap_specs(max_order=60))
def test_xy_support_is_the_diagonal_with_norms_from_gap(spec):
    """For xy the support is the diagonal and ‖δ^{φφφ}‖² = n · dim R_φ (P_φ commutes with
    translations, so the piece is (P_φ ⊗ I ⊗ I)δ, n permutation matrices times P_φ), with
    dim R_φ = d² (real, quaternionic) or 2d² (a complex pair) from GAP's degrees/indicators."""
    G = group(spec)
    g = gap_group(spec)
    n, t = G.order, len(bscs(G))
    dec = decompose(G, "xy")
    assert dec.support == [(i, i, i) for i in range(t)]
    assert fusion_cover(G, "xy").triplets == tuple((i, i, i) for i in range(t))
    npairs = sum(1 for nu in g["indicators"] if nu == 0)
    gap_space = sorted(_one_per_pair(g))
    assert len(gap_space) == len(g["degrees"]) - npairs // 2 == t
    got = sorted(float(dec.norms[(i, i, i)]) for i in range(t))
    assert got == pytest.approx([n * s for s in gap_space], rel=1e-10)
    assert sum(gap_space) == n


def _one_per_pair(g: dict) -> list[int]:
    """dim R_φ for each orbit {χ, χ̄} of GAP's characters."""
    chars = [np.array([complex(*v) for v in row]) for row in g["characters"]]
    seen, out = [], []
    for chi, d, nu in zip(chars, g["degrees"], g["indicators"]):
        if any(np.allclose(chi, np.conj(s)) for s in seen):
            continue
        seen.append(chi)
        out.append(d * d * (2 if nu == 0 else 1))
    return out


# ---------------------------------------------------------------------------- fusion cover
_HYP_GROUPS = ["S3", "D4", "Q8", "A4", "Z6", "SL(2,3)"]
_letter = st.tuples(st.sampled_from("xy"), st.sampled_from([1, -1, 2, -2, 3, -3]))


def _text(letters) -> str:
    return "".join(v if e == 1 else v.upper() if e == -1 else f"{v}^{e}" for v, e in letters)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(_HYP_GROUPS), letters=st.lists(_letter, min_size=1, max_size=5))
def test_support_inside_fusion_cover(spec, letters):
    G = group(spec)
    w = Word.parse(_text(letters), variables="xy")
    dec = decompose(G, w)
    cov = fusion_cover(G, w)
    check_support_in_cover(dec, cov)  # raises on a violation
    assert set(dec.support) <= set(cov.triplets)
    assert cov.occurrences == (w.occurrences("x"), w.occurrences("y"))
    assert dec.norms.sum() == pytest.approx(G.order ** 2, rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(spec=st.sampled_from(_HYP_GROUPS), letters=st.lists(_letter, min_size=1, max_size=4))
def test_support_inside_fusion_cover_three_variables(spec, letters):
    """The cover is defined for any number of variables (here z occurs once)."""
    if spec in ("SL(2,3)",):
        spec = "Q8"  # keep n^4 small
    G = group(spec)
    w = Word.parse(_text(letters) + "z", variables="xyz")
    dec = decompose(G, w)
    check_support_in_cover(dec, fusion_cover(G, w))
    assert dec.norms.sum() == pytest.approx(G.order ** 3, rel=1e-10)


def test_cover_matches_hand_rule_and_violation_raises():
    G = group("S3")  # bscs: two 1-dim (trivial, sign) and the 2-dim real one
    cov = fusion_cover(G, "xyX")  # x twice, y once: φ ⊂ ζ⊗ζ, ψ = ζ
    assert cov.occurrences == (2, 1) and isinstance(cov, FusionCover)
    dims = [b.dim for b in bscs(G)]
    two = dims.index(2)
    # ζ = 2-dim: ζ⊗ζ = 1 + sgn + 2, so (any φ, 2, 2); ζ 1-dim: ζ⊗ζ = trivial
    assert sum(1 for t in cov.triplets if t[2] == two) == 3
    assert len(cov) == 5
    dec = decompose(G, "xyx")
    check_support_in_cover(dec, cov)
    tiny = FusionCover((1, 1), ((0, 0, 0),))
    with pytest.raises(RuntimeError, match="bug"):
        check_support_in_cover(dec, tiny)


def test_decomposition_is_cached_and_summarised():
    G = group("Q8")
    d1 = decompose(G, "xyX")
    assert decompose(G, "xyX") is d1 and isinstance(d1, TripletDecomposition)
    s = d1.summary()
    assert s["support"] == [list(t) for t in d1.support]
    assert sum(s["norms"]) == pytest.approx(64.0)


# ---------------------------------------------------------------------------- CLI
def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("spec,w", [("S3", "xy"), ("Q8", "xyXY"), ("SL(2,3)", "xyX")])
def test_cli_fusion_json(capsys, spec, w):
    code, out, err = _run(capsys, "fusion", spec, w, "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert {"bscs", "support", "cover", "norms"} <= set(d)
    G = group(spec)
    assert [(b["kind"], b["dim"]) for b in d["bscs"]] == [(b.kind, b.dim) for b in bscs(G)]
    sup = [tuple(t) for t in d["support"]]
    cov = {tuple(t) for t in d["cover"]}
    assert sup and set(sup) <= cov and all(len(t) == 3 for t in sup)
    assert sup == decompose(G, w).support
    assert len(d["norms"]) == len(sup) and sum(d["norms"]) == pytest.approx(G.order ** 2)
    if w == "xy":
        assert sup == [(i, i, i) for i in range(len(bscs(G)))]


def test_cli_fusion_text(capsys):
    code, out, _ = _run(capsys, "fusion", "S3", "xyX")
    assert code == 0 and "support 5 triplets" in out and "cover of 5" in out


@pytest.mark.parametrize("argv", [
    ["fusion", "S3", "x^"],
    ["fusion", "S3", "(xy"],
    ["fusion", "X3", "xy"],
    ["fusion", "S3", "xyx", "--tol", "-1"],
])
def test_cli_fusion_bad_input(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wordtensor: error") and "Traceback" not in err
