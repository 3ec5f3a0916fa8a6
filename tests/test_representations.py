"""Representations (``fusion``): character tables against GAP, explicit irreps and bscs against the
axioms, and the ``irreps`` / ``characters`` sub-commands.

Expected values come from GAP (``tests/fixtures/gap/groups.json``, see its README) or from
mathematics: homomorphism and orthogonality residuals, Schur orthogonality, Frobenius–Schur
indicators recomputed from the explicit matrices, irreducibility over R via ⟨χ_R, χ_R⟩, and the
kinds of real irreducible representations worked out by hand. Nothing is copied from the code
under test.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import fusion
import wordtensor
from fusion.reps import (
    RepresentationError,
    bsc_projector,
    bscs,
    character_table,
    check_representations,
    fusion_rules,
    irreps,
    verify_representations,
)
from fusion.reps.checks import homomorphism_residual
from wordtensor import Group
from wordtensor._perm import parse_permutation
from wordtensor.cli import main

TOL = 1e-9
FIXTURE = Path(__file__).parent / "fixtures" / "gap" / "groups.json"


@cache
def gap_groups() -> tuple[dict, ...]:
    with open(FIXTURE) as fh:
        return tuple(json.load(fh))


def gap_params(max_order: int) -> list:
    return [pytest.param(g, id=g["spec"]) for g in gap_groups() if g["order"] <= max_order]


# ---------------------------------------------------------------------------- group zoo
def _relabelled_table(G: Group, seed: int) -> Group:
    """The same group given by a Cayley table under a random relabelling that moves the
    identity away from index 0 (``from_table`` must put it back)."""
    rng = np.random.default_rng(seed)
    n = G.order
    sigma = rng.permutation(n)
    if sigma[0] == 0:
        sigma = np.roll(sigma, 1)
    T = np.empty((n, n), dtype=np.int64)
    T[np.ix_(sigma, sigma)] = sigma[np.asarray(G.mul, dtype=np.int64)]
    return Group.from_table(T, name=f"table:{G.name}")


#: One or more groups from every constructor family: family constructors, spec strings, direct
#: products, matrix groups over prime and prime-power fields, permutation generators, and a
#: Cayley table.
BUILDERS = {
    "Z1": lambda: Group.cyclic(1),
    "Z5": lambda: Group.cyclic(5),
    "Z6": lambda: Group.from_spec("Z6"),
    "D4": lambda: Group.dihedral(4),
    "D5": lambda: Group.dihedral(5),
    "S3": lambda: Group.symmetric(3),
    "S4": lambda: Group.symmetric(4),
    "A4": lambda: Group.alternating(4),
    "A5": lambda: Group.alternating(5),
    "Q8": lambda: Group.from_spec("Q8"),
    "Dic3": lambda: Group.dicyclic(3),
    "Q16": lambda: Group.from_spec("Q16"),
    "Z2^3": lambda: Group.from_spec("Z2^3"),
    "Z3xS3": lambda: Group.from_spec("Z3xS3"),
    "Q8xZ3": lambda: Group.dicyclic(2).direct_product(Group.cyclic(3)),
    "SL(2,3)": lambda: Group.from_spec("SL(2,3)"),
    "GL(2,3)": lambda: Group.from_spec("GL(2,3)"),
    "SL(2,5)": lambda: Group.special_linear(2, 5),
    "PSL(2,7)": lambda: Group.from_spec("PSL(2,7)"),
    "GL(2,4)": lambda: Group.general_linear(2, 4),
    "PSL(2,4)": lambda: Group.projective_special_linear(2, 4),
    "matrices:SL(2,3)": lambda: Group.from_matrices([[[1, 1], [0, 1]], [[0, 1], [2, 0]]], q=3),
    "perm:C7:C3": lambda: Group.from_spec("perm:(1,2,3,4,5,6,7),(2,3,5)(4,7,6)"),
    "perm:Q8": lambda: Group.from_permutations(["(1,2,3,4)(5,6,7,8)", "(1,5,3,7)(2,8,4,6)"]),
    "table:SL(2,3)": lambda: _relabelled_table(Group.from_spec("SL(2,3)"), seed=1),
    "table:Dic3": lambda: _relabelled_table(Group.dicyclic(3), seed=2),
}


@cache
def zoo(name: str) -> Group:
    return BUILDERS[name]()


ZOO = list(BUILDERS)

#: Number of real irreducible representations (bscs) of each kind, worked out by hand:
#: a complex pair {χ, χ̄} gives one complex bsc; Q8, SL(2,3), Dic_n have the quaternionic
#: 2-dim faithful irreps; a linear character of order > 2 is complex.
EXPECTED_KINDS = {
    "Z1": dict(real=1),
    "Z5": dict(real=1, complex=2),
    "Z6": dict(real=2, complex=2),
    "S3": dict(real=3),
    "S4": dict(real=5),
    "A4": dict(real=2, complex=1),  # 1, 3 and the pair of cube-root-of-unity characters
    "A5": dict(real=5),
    "Q8": dict(real=4, quaternionic=1),
    "perm:Q8": dict(real=4, quaternionic=1),
    "Dic3": dict(real=3, complex=1, quaternionic=1),  # Z4 quotient gives ±i; S3 quotient a 2
    "table:Dic3": dict(real=3, complex=1, quaternionic=1),
    "Q16": dict(real=5, quaternionic=2),  # 4 linear, the D4-quotient 2, two faithful 2s
    "Z2^3": dict(real=8),
    "Q8xZ3": dict(real=4, complex=5, quaternionic=1),
    "SL(2,3)": dict(real=2, complex=2, quaternionic=1),  # 1, 3 | 1b+1c, 2b+2c | 2a
    "matrices:SL(2,3)": dict(real=2, complex=2, quaternionic=1),
    "table:SL(2,3)": dict(real=2, complex=2, quaternionic=1),
    "perm:C7:C3": dict(real=1, complex=2),
}


def realify(rho: np.ndarray) -> np.ndarray:
    """[[Re ρ, −Im ρ], [Im ρ, Re ρ]] for a stack of complex matrices."""
    A, B = rho.real, rho.imag
    return np.block([[A, -B], [B, A]])


# ---------------------------------------------------------------------------- GAP fixtures
def gap_table(g: dict) -> np.ndarray:
    return np.array([[complex(re, im) for re, im in row] for row in g["characters"]])


def gap_class_map(G: Group, g: dict) -> tuple[np.ndarray, np.ndarray]:
    """(element index, our class) of each of GAP's class representatives, for G built from the
    fixture's permutation generators."""
    perms = np.asarray(G.perm_images)
    where = {p.tobytes(): i for i, p in enumerate(perms)}
    idx = np.array([where[parse_permutation(r, degree=perms.shape[1]).tobytes()]
                    for r in g["class_representatives"]])
    return idx, np.asarray(G.class_of)[idx]


def match_rows(ours: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """perm[i] = the row of ``ours`` equal (within TOL) to GAP's row i; asserts it is unique."""
    perm = []
    for i, row in enumerate(gap):
        hits = np.flatnonzero(np.max(np.abs(ours - row), axis=1) < TOL)
        assert len(hits) == 1, f"GAP character {i} matches {len(hits)} of our characters"
        perm.append(int(hits[0]))
    assert sorted(perm) == list(range(len(gap)))
    return np.array(perm)


@pytest.mark.parametrize("g", gap_params(720))
def test_character_table_matches_gap(g):
    G = Group.from_permutations(g["perm_generators"])
    assert G.order == g["order"]
    ct = character_table(G)
    idx, cls = gap_class_map(G, g)
    assert sorted(cls.tolist()) == list(range(g["num_classes"])), "classes map bijectively"
    assert ct.class_sizes[cls].tolist() == g["class_sizes"]
    assert G.element_orders[idx].tolist() == g["class_element_orders"]
    gap = gap_table(g)
    perm = match_rows(ct.values[:, cls], gap)
    assert ct.degrees[perm].tolist() == g["degrees"]
    assert ct.indicators[perm].tolist() == g["indicators"]
    assert (ct.conjugate[perm] == perm).tolist() == g["is_real_character"]
    N = fusion_rules(G)
    assert np.array_equal(N[np.ix_(perm, perm, perm)], np.array(g["tensor_multiplicities"]))


@pytest.mark.parametrize("g", gap_params(720))
def test_irrep_traces_match_gap(g):
    """The explicit matrices (not just the table) have GAP's characters."""
    G = Group.from_permutations(g["perm_generators"])
    idx, _ = gap_class_map(G, g)
    traces = np.array([np.trace(r.matrices[idx], axis1=1, axis2=2) for r in irreps(G)])
    perm = match_rows(traces, gap_table(g))
    assert [irreps(G)[p].dim for p in perm] == g["degrees"]
    assert [irreps(G)[p].indicator for p in perm] == g["indicators"]
    # bscs: one per orbit {χ, χ̄}, of the kind GAP's indicator says
    expected = Counter()
    for d, nu, real in zip(g["degrees"], g["indicators"], g["is_real_character"]):
        kind = {1: "real", 0: "complex", -1: "quaternionic"}[nu]
        assert real == (nu != 0)
        expected[(d, kind)] += 1 if nu else 0.5
    assert Counter((b.irrep_dim, b.kind) for b in bscs(G)) == expected


def _signature(values: np.ndarray, sizes, orders) -> tuple:
    """Invariant of a character under group isomorphism: the multiset of
    (element order, class size, value) over classes."""
    return tuple(sorted((int(o), int(h), round(v.real, 6) + 0.0, round(v.imag, 6) + 0.0)
                        for v, h, o in zip(values, sizes, orders)))


def fusion_isomorphism(N1, labels1, N2, labels2):
    """A bijection p with N2[p[i], p[j], p[k]] = N1[i, j, k] and labels2[p[i]] = labels1[i], by
    backtracking (None if there is none)."""
    m = len(labels1)
    cands = [[j for j in range(m) if labels2[j] == labels1[i]] for i in range(m)]
    order = sorted(range(m), key=lambda i: len(cands[i]))
    assign: dict[int, int] = {}

    def extend(t: int) -> bool:
        if t == m:
            return True
        i = order[t]
        for c in cands[i]:
            if c in assign.values():
                continue
            assign[i] = c
            A = list(assign)
            P = [assign[a] for a in A]
            if np.array_equal(N1[np.ix_(A, A, A)], N2[np.ix_(P, P, P)]) and extend(t + 1):
                return True
            del assign[i]
        return False

    return [assign[i] for i in range(m)] if extend(0) else None


@pytest.mark.parametrize("g", gap_params(720))
def test_spec_group_matches_gap_up_to_isomorphism(g):
    """The group a spec names (not GAP's permutations): same (degree, indicator) multiset and the
    same fusion rules after a relabelling that respects degree, indicator and character values."""
    G = Group.from_spec(g["spec"])
    assert G.order == g["order"]
    ct = character_table(G)
    assert Counter(zip(ct.degrees.tolist(), ct.indicators.tolist())) == Counter(
        zip(g["degrees"], g["indicators"]))
    reps = [c[0] for c in G.conjugacy_classes]
    ours = [(int(d), int(nu), _signature(v, ct.class_sizes, G.element_orders[reps]))
            for d, nu, v in zip(ct.degrees, ct.indicators, ct.values)]
    gap = [(d, nu, _signature(v, g["class_sizes"], g["class_element_orders"]))
           for d, nu, v in zip(g["degrees"], g["indicators"], gap_table(g))]
    assert Counter(ours) == Counter(gap)
    p = fusion_isomorphism(np.array(g["tensor_multiplicities"]), gap, fusion_rules(G), ours)
    assert p is not None, "no relabelling carries GAP's fusion rules to ours"


def test_fusion_isomorphism_can_fail():
    """The relabelling search rejects a wrong tensor (so the test above could fail)."""
    g = next(x for x in gap_groups() if x["spec"] == "S4")
    N = np.array(g["tensor_multiplicities"])
    labels = list(zip(g["degrees"], g["indicators"]))
    assert fusion_isomorphism(N, labels, N, labels) is not None
    bad = N.copy()
    i = g["degrees"].index(3)
    bad[i, i] = bad[i, i][::-1]
    assert fusion_isomorphism(N, labels, bad, labels) is None


# ---------------------------------------------------------------------------- residuals, kinds
@pytest.mark.parametrize("name", ZOO)
def test_verify_representations_residuals(name):
    G = zoo(name)
    res = verify_representations(G)
    assert res, "no checks reported"
    assert all(v < TOL for v in res.values()), res


def test_check_representations_of_given_objects():
    """The checks take the objects they check: broken irreps or bscs fail them."""
    G = zoo("SL(2,3)")
    irr, bl = irreps(G), bscs(G)
    assert check_representations(G, irr, bl) == verify_representations(G)
    # one irrep missing: Σ d² = 24 − 3² = 15
    assert check_representations(G, irr[:-1], bl)["sum_of_squared_degrees"] == 9.0
    # g ↦ ρ(g⁻¹) is not a homomorphism (ρ is non-abelian); a scaled ρ is not unitary
    r = irr[-1]
    flipped = dataclasses.replace(r, matrices=r.matrices[G.inv])
    assert check_representations(G, [flipped], [])["irrep_homomorphism"] > 0.5
    scaled = dataclasses.replace(r, matrices=2 * r.matrices)
    assert check_representations(G, [scaled], [])["irrep_unitarity"] > 1
    with pytest.raises(RepresentationError, match="checks failed"):
        check_representations(G, [flipped] + list(irr[:-1]), bl, raise_on_failure=True)


def test_representations_that_fail_their_checks_are_not_cached(monkeypatch):
    irreps_module = importlib.import_module("fusion.reps.irreps")  # the name is also a function

    def failing(*args, **kwargs):
        raise RepresentationError("injected failure")

    G = Group.from_spec("S3")
    monkeypatch.setattr(irreps_module, "check_representations", failing)
    with pytest.raises(RepresentationError, match="injected"):
        irreps(G)
    assert "fusion.irreps" not in G.cache  # a second call builds and checks again
    monkeypatch.undo()
    assert [r.dim for r in irreps(G)] == [1, 1, 2]


def test_import_fusion_is_light_and_the_rank_names_load_on_use():
    """``import fusion`` (done by the CLI for every command) loads neither tensorly nor torch;
    the rank and algebra names of its namespace import them on first use."""
    code = ("import sys, fusion; light = not {'tensorly', 'torch'} & set(sys.modules); "
            "r = fusion.rank_bounds('S3', 'xy'); "
            "print(light, r.upper, fusion.matmul_tensor(2, 2, 2).shape, 'torch' in sys.modules, "
            "'rank_bounds' in dir(fusion))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "9", "(4,", "4,", "4)", "False", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        fusion.nonexistent  # noqa: B018
    assert set(fusion.__all__) <= set(dir(fusion)) and len(fusion.__all__) <= 35


@pytest.mark.parametrize("name", ZOO)
def test_exhaustive_homomorphism_and_orthogonality(name):
    G = zoo(name)
    for M in [r.matrices for r in irreps(G)] + [b.matrices for b in bscs(G)]:
        assert homomorphism_residual(G, M, exhaustive=True) < TOL
        # also directly, for all pairs at once
        prod = np.einsum("aij,bjk->abik", M, M)
        assert np.max(np.abs(prod - M[np.asarray(G.mul)])) < TOL
        d = M.shape[1]
        gram = np.einsum("gji,gjk->gik", M.conj(), M)
        assert np.max(np.abs(gram - np.eye(d))) < TOL


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_bsc_kinds_by_hand(name):
    assert Counter(b.kind for b in bscs(zoo(name))) == Counter(EXPECTED_KINDS[name])


def test_all_three_kinds_appear():
    assert {b.kind for b in bscs(zoo("SL(2,3)"))} == {"real", "complex", "quaternionic"}
    assert {b.kind for b in bscs(zoo("S4"))} == {"real"}


@pytest.mark.parametrize("name", ZOO)
def test_bsc_structure(name):
    G = zoo(name)
    n = G.order
    irr = irreps(G)
    bl = bscs(G)
    covered = sorted(i for b in bl for i in b.irreps)
    assert covered == list(range(len(irr))), "each complex irrep lies in exactly one bsc"
    for b in bl:
        d = b.irrep_dim
        R = b.matrices
        assert not np.iscomplexobj(R), "bsc matrices are real"
        assert R.shape == (n, b.dim, b.dim)
        assert np.max(np.abs(np.einsum("gij,gkj->gik", R, R) - np.eye(b.dim))) < TOL
        rho = irr[b.irreps[0]].matrices
        assert rho.shape[1] == d
        if b.kind == "real":
            assert b.dim == d and b.space_dim == d * d and len(b.irreps) == 1
            assert np.max(np.abs(rho.imag)) < TOL, "real type: the irrep itself is real"
            assert np.max(np.abs(R - rho.real)) < TOL
        elif b.kind == "complex":
            i, j = b.irreps
            assert b.dim == 2 * d and b.space_dim == 2 * d * d
            assert irr[i].indicator == irr[j].indicator == 0
            assert np.max(np.abs(irr[i].character - irr[j].character.conj())) < TOL
            assert np.max(np.abs(R - realify(rho))) < TOL
        else:
            assert b.kind == "quaternionic" and len(b.irreps) == 1
            assert b.dim == 2 * d and b.space_dim == d * d and d % 2 == 0
            m = d // 2
            alpha, beta = rho[:, :m, :m], rho[:, m:, :m]
            assert np.max(np.abs(rho[:, m:, m:] - alpha.conj())) < TOL, "symplectic form"
            assert np.max(np.abs(rho[:, :m, m:] + beta.conj())) < TOL, "symplectic form"
            assert np.max(np.abs(R - realify(rho))) < TOL
        # irreducible over R: ⟨χ_R, χ_R⟩ = dim of the commutant = 1, 2, 4
        tr = np.trace(R, axis1=1, axis2=2)
        assert abs(tr @ tr / n - {"real": 1, "complex": 2, "quaternionic": 4}[b.kind]) < TOL
    # pairwise inequivalent over R
    chars = np.array([np.trace(b.matrices, axis1=1, axis2=2) for b in bl])
    gram = chars @ chars.T / n
    assert np.max(np.abs(gram - np.diag(np.diag(gram)))) < TOL
    assert sum(b.space_dim for b in bl) == n


@pytest.mark.parametrize("name", ZOO)
def test_bsc_projectors(name):
    G = zoo(name)
    n = G.order
    bl = bscs(G)
    Ps = [bsc_projector(G, b.index) for b in bl]
    total = np.zeros((n, n))
    for b, P in zip(bl, Ps):
        assert np.max(np.abs(P - P.T)) < TOL
        assert np.max(np.abs(P @ P - P)) < TOL
        assert np.linalg.matrix_rank(P, tol=1e-6) == b.space_dim
        assert np.array_equal(P, b.projector)
        # R_φ = span of the matrix coefficients x -> R_φ(x)[a, c]: P fixes them, and they span
        # a space of dimension space_dim = rank P
        coeffs = b.matrices.reshape(n, -1)
        assert np.max(np.abs(P @ coeffs - coeffs)) < TOL
        assert np.linalg.matrix_rank(coeffs, tol=1e-6) == b.space_dim
        total += P
    for a in range(len(Ps)):
        for c in range(a + 1, len(Ps)):
            assert np.max(np.abs(Ps[a] @ Ps[c])) < TOL
    assert np.max(np.abs(total - np.eye(n))) < TOL


# ---------------------------------------------------------------------------- characters
@pytest.mark.parametrize("name", ZOO)
def test_character_orthogonality_first_principles(name):
    G = zoo(name)
    n = G.order
    ct = character_table(G)
    classes = G.conjugacy_classes
    h = np.array([len(c) for c in classes])
    assert h.sum() == n and len(ct.values) == len(classes)
    V = ct.values
    # the values are class functions: recompute on every element from explicit traces
    for r in irreps(G):
        tr = np.trace(r.matrices, axis1=1, axis2=2)
        assert np.max(np.abs(tr - V[r.index][np.asarray(G.class_of)])) < TOL
    rows = np.einsum("ir,jr,r->ij", V, V.conj(), h) / n
    assert np.max(np.abs(rows - np.eye(len(h)))) < TOL
    cols = np.einsum("ir,is->rs", V.conj(), V)
    assert np.max(np.abs(cols - np.diag(n / h))) < TOL
    assert int(np.sum(ct.degrees**2)) == n
    assert np.allclose(V[:, 0], ct.degrees) and np.all(V[0] == 1), "trivial character first"


@pytest.mark.parametrize("name", ZOO)
def test_indicators_from_matrices(name):
    G = zoo(name)
    n = G.order
    sq = np.asarray(G.mul)[np.arange(n), np.arange(n)]
    ct = character_table(G)
    for r in irreps(G):
        nu = np.trace(r.matrices[sq], axis1=1, axis2=2).sum() / n
        assert abs(nu - r.indicator) < TOL
        assert r.indicator == ct.indicators[r.index]
        assert r.kind == {1: "real", 0: "complex", -1: "quaternionic"}[r.indicator]


@pytest.mark.parametrize("name", ZOO)
def test_schur_orthogonality(name):
    """Σ_g ρ_i(g)_ab conj ρ_j(g)_cd = (n/d) δ_ij δ_ac δ_bd: the scaled matrix coefficients of all
    irreps form a unitary n × n matrix (across different irreps as well as within one)."""
    G = zoo(name)
    n = G.order
    C = np.concatenate([np.sqrt(r.dim / n) * r.matrices.reshape(n, -1) for r in irreps(G)], axis=1)
    assert C.shape == (n, n)
    assert np.max(np.abs(C.conj().T @ C - np.eye(n))) < TOL


# ---------------------------------------------------------------------------- CLI
def test_cli_irreps_json(capsys):
    assert main(["irreps", "S3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"group", "order", "irreps", "bscs", "checks"} <= set(data)
    assert data["order"] == 6
    assert sorted(r["dim"] for r in data["irreps"]) == [1, 1, 2]
    assert {r["kind"] for r in data["irreps"]} == {"real"}
    assert {b["kind"] for b in data["bscs"]} == {"real"}
    assert sum(b["space_dim"] for b in data["bscs"]) == 6
    for r in data["irreps"]:
        assert {"index", "name", "dim", "indicator", "kind"} <= set(r)
    for b in data["bscs"]:
        assert {"index", "name", "kind", "dim", "irrep_dim", "space_dim", "irreps"} <= set(b)
    assert all(v < TOL for v in data["checks"].values())


def test_cli_irreps_all_kinds(capsys):
    assert main(["irreps", "SL(2,3)", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Counter(b["kind"] for b in data["bscs"]) == Counter(EXPECTED_KINDS["SL(2,3)"])
    assert Counter(r["indicator"] for r in data["irreps"]) == Counter({1: 2, 0: 4, -1: 1})
    assert main(["irreps", "SL(2,3)"]) == 0
    out = capsys.readouterr().out
    assert "quaternionic" in out and "complex" in out


def test_cli_characters_text(capsys):
    assert main(["characters", "Q8"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    rows = [ln.split() for ln in lines if ln[:2] in {"1a", "1b", "1c", "1d", "2a"}]
    assert len(rows) == 5
    # Q8's 2-dimensional character: quaternionic, 2 at 1, -2 at -1, 0 on the other 3 classes
    two = next(r for r in rows if r[0] == "2a")
    assert two[1] == "-"
    assert sorted(two[2:]) == sorted(["2", "-2", "0", "0", "0"])


def test_cli_characters_json_matches_gap(capsys):
    g = next(x for x in gap_groups() if x["spec"] == "A5")
    assert main(["characters", "A5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    got = Counter((c["degree"], c["indicator"]) for c in data["characters"])
    assert got == Counter(zip(g["degrees"], g["indicators"]))
    assert sorted(c["size"] for c in data["classes"]) == sorted(g["class_sizes"])


@pytest.mark.parametrize("cmd", ["irreps", "characters"])
@pytest.mark.parametrize("spec", ["S0x", "GL(2,6)", "perm:(1,2", "nonsense"])
def test_cli_bad_spec(cmd, spec, capsys):
    assert main([cmd, spec]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert len(cap.err.strip().splitlines()) == 1 and "error" in cap.err


# ---------------------------------------------------------------------------- caching
def _snapshot(*dirs: Path) -> dict:
    return {p: p.stat().st_mtime_ns for d in dirs for p in d.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_cached_in_memory_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pkg_dirs = [Path(fusion.__file__).parent, Path(wordtensor.__file__).parent]
    before = _snapshot(*pkg_dirs)
    G = Group.from_spec("SL(2,3)")
    irr, bl, ct = irreps(G), bscs(G), character_table(G)
    again = irreps(G)
    assert again is irr or all(a is b for a, b in zip(again, irr))
    assert all(a is b for a, b in zip(bscs(G), bl))
    assert character_table(G) is ct
    assert all(a.matrices is b.matrices for a, b in zip(irreps(G), irr))
    H = Group.from_spec("SL(2,3)")  # a fresh group computes afresh
    assert irreps(H)[0] is not irr[0]
    assert list(tmp_path.iterdir()) == []
    assert _snapshot(*pkg_dirs) == before


def test_results_are_read_only():
    G = zoo("Q8")
    with pytest.raises(ValueError):
        irreps(G)[1].matrices[0, 0, 0] = 7
    with pytest.raises(ValueError):
        bscs(G)[1].matrices[0, 0, 0] = 7
