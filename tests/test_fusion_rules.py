"""Fusion rules of complex irreps and of bscs, and decompositions of characters
(``fusion.reps.fusion_rules``).

Expected values come from GAP (``tests/fixtures/gap/groups.json``: see also
``test_representations.py``, which compares the full tensors) or from mathematics: symmetry,
the trivial irrep as unit, dimension counting, the regular representation worked out by hand.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from fusion.reps import bsc_fusion_rules, bscs, character_table, fusion_rules, irreps
from fusion.reps.fusion_rules import bsc_tensor_power, decompose_character, decompose_real_character
from wordtensor import Group

FIXTURE = Path(__file__).parent / "fixtures" / "gap" / "groups.json"

SPECS = ["Z1", "Z5", "Z6", "S3", "D4", "Q8", "Dic3", "A4", "S4", "SL(2,3)", "GL(2,3)", "Z3xS3",
         "perm:(1,2,3,4,5,6,7),(2,3,5)(4,7,6)", "A5", "SL(2,5)", "PSL(2,7)", "Q8xZ3"]


@cache
def group(spec: str) -> Group:
    return Group.from_spec(spec)


@cache
def gap(spec: str) -> dict:
    with open(FIXTURE) as fh:
        return next(g for g in json.load(fh) if g["spec"] == spec)


@pytest.mark.parametrize("spec", SPECS)
def test_fusion_rules_axioms(spec):
    G = group(spec)
    N = fusion_rules(G)
    ct = character_table(G)
    d = ct.degrees
    m = len(d)
    assert N.shape == (m, m, m) and np.issubdtype(N.dtype, np.integer) and N.min() >= 0
    assert np.array_equal(N, N.transpose(1, 0, 2)), "χ_i χ_j = χ_j χ_i"
    assert np.array_equal(N[:, 0, :], np.eye(m, dtype=N.dtype)), "trivial irrep is the unit"
    assert np.array_equal(N @ d, np.outer(d, d)), "Σ_k N_ijk d_k = d_i d_j"
    conj = ct.conjugate
    # χ_i χ_j contains the trivial character once iff χ_j = conj χ_i
    assert np.array_equal(N[:, :, 0], (conj[:, None] == np.arange(m)[None, :]).astype(N.dtype))
    # ⟨χ_i χ_j, χ_k⟩ = ⟨χ_i χ̄_k, χ̄_j⟩
    assert np.array_equal(N, N[:, conj][:, :, conj].transpose(0, 2, 1))


def fusion_invariant(N: np.ndarray, d: list[int]) -> list:
    """Relabelling-invariant summary: sorted over i of the sorted multiset of
    (d_j, d_k, N_ijk) over j, k, with d_i attached."""
    m = len(d)
    return sorted((d[i], sorted((d[j], d[k], int(N[i, j, k])) for j in range(m) for k in range(m)))
                  for i in range(m))


@pytest.mark.parametrize("spec", ["S4", "SL(2,3)", "A5", "GL(2,3)", "Dic3", "Z3xS3"])
def test_fusion_rules_agree_with_gap_as_multisets(spec):
    """Coarse but free of any labelling (the full relabelled comparison is in
    test_representations.py)."""
    G, g = group(spec), gap(spec)
    ours = fusion_invariant(fusion_rules(G), character_table(G).degrees.tolist())
    assert ours == fusion_invariant(np.array(g["tensor_multiplicities"]), g["degrees"])


def test_fusion_invariant_can_fail():
    g = gap("S4")
    N = np.array(g["tensor_multiplicities"])
    bad = N.copy()
    i = g["degrees"].index(2)
    bad[i, i] = np.roll(bad[i, i], 1)
    assert fusion_invariant(bad, g["degrees"]) != fusion_invariant(N, g["degrees"])


@pytest.mark.parametrize("spec", SPECS)
def test_bsc_fusion_rules_from_complex_ones(spec):
    """χ_φ is χ (ν = ±1) or χ + χ̄ (ν = 0), so N_bsc[φ, ψ, ζ] = Σ_{i∈φ, j∈ψ, k∈ζ} N[i, j, k]."""
    G = group(spec)
    N = fusion_rules(G)
    bl = bscs(G)
    Nb = bsc_fusion_rules(G)
    t = len(bl)
    member = np.zeros((t, N.shape[0]), dtype=np.int64)
    for b in bl:
        member[b.index, list(b.irreps)] = 1
        assert len(b.irreps) == (2 if b.kind == "complex" else 1)
    expected = np.einsum("ai,bj,ck,ijk->abc", member, member, member, N)
    assert np.array_equal(Nb, expected)
    assert np.array_equal(Nb, Nb.transpose(1, 0, 2))
    # χ_φ χ_ψ = Σ_ζ N_bsc[φ, ψ, ζ] χ_ζ / ⟨χ_ζ, χ_ζ⟩ with ⟨χ_ζ, χ_ζ⟩ = 2 for complex type;
    # evaluated at the identity:
    dims = np.array([member[b.index] @ character_table(G).degrees for b in bl])
    norms = member.sum(axis=1)
    assert np.array_equal(Nb @ (dims // norms), np.outer(dims, dims))


@pytest.mark.parametrize("spec", SPECS)
def test_decompose_regular_character(spec):
    """The regular representation contains every complex irrep d times; as a real
    representation it contains a real bsc d times (character χ), a complex one d times
    (character χ + χ̄, and χ, χ̄ each occur d times) and a quaternionic one d/2 times (its
    character is 2χ)."""
    G = group(spec)
    n = G.order
    reg = np.zeros(n)
    reg[0] = n
    d = np.array([r.dim for r in irreps(G)])
    assert np.array_equal(decompose_character(G, reg), d)
    k = G.num_classes
    assert np.array_equal(decompose_character(G, np.eye(k)[0] * n), d)  # given on classes
    m = decompose_real_character(G, reg)
    by_hand = [b.irrep_dim // 2 if b.kind == "quaternionic" else b.irrep_dim for b in bscs(G)]
    assert m.tolist() == by_hand
    assert sum(mm * b.dim for mm, b in zip(m, bscs(G))) == n


@pytest.mark.parametrize("spec", ["Z5", "Q8", "SL(2,3)", "S4"])
def test_decompose_real_character_of_each_bsc(spec):
    G = group(spec)
    bl = bscs(G)
    for b in bl:
        tr = np.trace(b.matrices, axis1=1, axis2=2)
        assert decompose_real_character(G, tr).tolist() == np.eye(len(bl), dtype=int)[b.index].tolist()
        if b.kind != "real":
            # a single complex-type χ, or a quaternionic χ once, is not a real representation
            chi = irreps(G)[b.irreps[0]].character
            with pytest.raises(ValueError, match="real representation"):
                decompose_real_character(G, chi)


def test_decompose_rejects_non_characters():
    G = group("S3")
    with pytest.raises(ValueError):
        decompose_character(G, np.array([1.0, 0.5, 0.0]))
    with pytest.raises(ValueError):
        decompose_character(G, np.array([1.0, 0.0]))


@pytest.mark.parametrize("spec", SPECS)
def test_bsc_tensor_power(spec):
    G = group(spec)
    bl = bscs(G)
    t = len(bl)
    Nb = bsc_fusion_rules(G)
    ct = character_table(G)
    h = ct.class_sizes
    chars = np.array([sum(ct.values[i] for i in b.irreps) for b in bl])  # χ_φ, from the table
    for z in range(t):
        p0 = bsc_tensor_power(G, z, 0)
        assert p0.tolist() == [1] + [0] * (t - 1), "the zeroth power is trivial only"
        p1 = bsc_tensor_power(G, z, 1)
        assert np.flatnonzero(p1).tolist() == [z]
        assert np.array_equal(bsc_tensor_power(G, z, 2), Nb[z, z])
        p3 = np.einsum("r,fr,r->f", chars[z] ** 3, chars.conj(), h) / G.order
        assert np.allclose(bsc_tensor_power(G, z, 3), p3.real, atol=1e-9)
    with pytest.raises(ValueError):
        bsc_tensor_power(G, 0, -1)
