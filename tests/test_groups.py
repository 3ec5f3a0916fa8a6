"""Groups: axioms for every constructor and spec family, known orders and structure, GAP fixtures,
Cayley-table validation, size limits and spec errors.

Expected values come from mathematics (axioms, order formulas, classical facts) or from GAP
(``tests/fixtures/gap/groups.json``), never from the code under test.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import galois
import numpy as np
import pytest
from gap_fixtures import gap_group, gap_groups, weighted_class_counter
from hypothesis import given, settings
from hypothesis import strategies as st

from wordtensor import Group, GroupSpecError, GroupTableError, GroupTooLargeError, WordTensorError

# ---------------------------------------------------------------------------- axioms


def brute_force_is_group(table) -> bool:
    """Independent check of the group axioms on a small table (O(n^3))."""
    t = np.asarray(table)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.size == 0:
        return False
    n = t.shape[0]
    if t.min() < 0 or t.max() >= n:
        return False
    ar = np.arange(n)
    ids = [e for e in range(n) if np.array_equal(t[e], ar) and np.array_equal(t[:, e], ar)]
    if not ids or not all((t[a] == ids[0]).any() and (t[:, a] == ids[0]).any() for a in range(n)):
        return False
    a, b, c = ar[:, None, None], ar[None, :, None], ar[None, None, :]
    return bool(np.array_equal(t[t[a, b], c], t[a, t[b, c]]))


def assert_group_axioms(G: Group, *, seed: int = 0, brute_force_up_to: int = 100,
                        triples: int = 50_000) -> None:
    """Closure, identity at index 0, inverses, Latin square, associativity (all triples on small
    groups, random triples on large ones), labels."""
    n = G.order
    mul, inv = np.asarray(G.mul), np.asarray(G.inv)
    ar = np.arange(n)
    assert mul.shape == (n, n) and np.issubdtype(mul.dtype, np.integer)
    assert mul.min() >= 0 and mul.max() < n, "closure: entries must be element indices"
    assert np.array_equal(mul[0], ar) and np.array_equal(mul[:, 0], ar), "identity is index 0"
    assert inv.shape == (n,)
    assert np.all(mul[ar, inv] == 0) and np.all(mul[inv, ar] == 0), "inv[a] is a two-sided inverse"
    assert np.all(np.sort(mul, axis=1) == ar), "each row is a permutation (Latin square)"
    assert np.all(np.sort(mul, axis=0) == ar[:, None]), "each column is a permutation"
    if n <= brute_force_up_to:
        a, b, c = ar[:, None, None], ar[None, :, None], ar[None, None, :]
        assert np.array_equal(mul[mul[a, b], c], mul[a, mul[b, c]]), "associativity"
    else:
        rng = np.random.default_rng(seed)
        a, b, c = rng.integers(0, n, size=(3, triples))
        assert np.array_equal(mul[mul[a, b], c], mul[a, mul[b, c]]), "associativity (random)"
    assert len(G.labels) == n and len(set(G.labels)) == n, "labels name distinct elements"
    assert G.order == len(G) == n


def assert_perm_table(G: Group, *, seed: int = 0, pairs: int = 20_000) -> None:
    """The table is the composition of the permutations it labels (GAP: apply a, then b)."""
    P = G.perm_images
    assert len({tuple(p) for p in P.tolist()}) == G.order, "distinct permutations"
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, G.order, size=(2, min(pairs, G.order**2)))
    prod = np.take_along_axis(P[b], P[a], axis=1)  # (a*b)[i] = b[a[i]]
    assert np.array_equal(P[G.mul[a, b]], prod)


def gf_matmul(A, B):
    """Batched product of stacks of galois matrices with elementwise field operations only
    (galois' own matmul JIT-compiles for seconds per field)."""
    out = A[:, :, 0, None] * B[:, None, 0, :]
    for k in range(1, A.shape[-1]):
        out = out + A[:, :, k, None] * B[:, None, k, :]
    return out


def assert_matrix_table(G: Group, *, projective: bool, seed: int = 0, pairs: int = 2000) -> None:
    """The table is matrix multiplication over GF(q) (field arithmetic by galois), up to scalars
    for projective groups."""
    GF = galois.GF(G.field_order)
    M = GF(G.matrices)
    assert len({tuple(m) for m in G.matrices.reshape(G.order, -1).tolist()}) == G.order
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, G.order, size=(2, pairs))
    prod, c = gf_matmul(M[a], M[b]), M[G.mul[a, b]]
    if projective:
        flat = c.reshape(pairs, -1)
        k = np.argmax(np.asarray(flat) != 0, axis=1)
        assert np.all(flat[np.arange(pairs), k] == 1), "projective elements are normalised"
        scale = prod.reshape(pairs, -1)[np.arange(pairs), k]
        assert np.all(scale != 0)
        c = c * scale[:, None, None]
    assert np.array_equal(prod, c)


def gf_det(M) -> np.ndarray:
    """Determinants of a stack of galois matrices (galois' det is not batched)."""
    if M.shape[-1] == 2:
        return M[:, 0, 0] * M[:, 1, 1] - M[:, 0, 1] * M[:, 1, 0]
    return type(M)([int(np.linalg.det(m)) for m in M])


# ---------------------------------------------------------------------------- families

def partitions(n: int) -> int:
    """Number of partitions of n (= number of conjugacy classes of S_n)."""
    p = [1] + [0] * n
    for k in range(1, n + 1):
        for m in range(k, n + 1):
            p[m] += p[m - k]
    return p[n]


def gl_order(n: int, q: int) -> int:
    return math.prod(q**n - q**i for i in range(n))


def linear_order(family: str, n: int, q: int) -> int:
    gl = gl_order(n, q)
    return {"GL": gl, "SL": gl // (q - 1), "PGL": gl // (q - 1),
            "PSL": gl // (q - 1) // math.gcd(n, q - 1)}[family]


def expected_order(family: str, n: int) -> int:
    return {"Z": n, "C": n, "D": 2 * n, "S": math.factorial(n),
            "A": max(1, math.factorial(n) // 2), "Dic": 4 * n, "Q": n}[family]


@cache
def spec_group(spec: str) -> Group:
    return Group.from_spec(spec)


simple_specs = st.one_of(
    st.tuples(st.sampled_from(["Z", "C"]), st.integers(1, 60)),
    st.tuples(st.just("D"), st.integers(1, 40)),
    st.tuples(st.just("S"), st.integers(1, 5)),
    st.tuples(st.just("A"), st.integers(1, 5)),
    st.tuples(st.just("Dic"), st.integers(1, 20)),
    st.tuples(st.just("Q"), st.integers(1, 12).map(lambda m: 4 * m)),
)

# (family, n, q) with orders up to about a thousand
LINEAR = [(f, n, q) for f in ("GL", "SL", "PSL", "PGL")
          for n, q in [(1, 2), (1, 5), (2, 2), (2, 3), (2, 4), (2, 5), (2, 7), (2, 8), (2, 9),
                       (3, 2)]]
LINEAR = [t for t in LINEAR if linear_order(*t) <= 1100]


@settings(max_examples=60, deadline=None)
@given(simple_specs)
def test_simple_family_axioms_and_order(fam_n):
    fam, n = fam_n
    G = spec_group(f"{fam}{n}")
    assert G.order == expected_order(fam, n)
    assert_group_axioms(G)


@pytest.mark.parametrize("fam, n, q", LINEAR)
def test_linear_family_axioms_and_order(fam, n, q):
    spec = f"{fam}({n},{q})"
    G = Group.from_spec(spec.lower() if n == 2 else spec)  # family names are case-insensitive
    assert G.order == linear_order(fam, n, q)
    assert_group_axioms(G)
    assert_matrix_table(G, projective=fam.startswith("P"))


small_specs = st.one_of(
    st.tuples(st.sampled_from(["Z", "C"]), st.integers(1, 12)),
    st.tuples(st.just("D"), st.integers(1, 8)),
    st.tuples(st.sampled_from(["S", "A"]), st.integers(1, 4)),
    st.tuples(st.just("Dic"), st.integers(1, 5)),
)


@settings(max_examples=30, deadline=None)
@given(small_specs, small_specs)
def test_direct_product_spec(a, b):
    sa, sb = f"{a[0]}{a[1]}", f"{b[0]}{b[1]}"
    A, B = spec_group(sa), spec_group(sb)
    G = Group.from_spec(f"{sa}x{sb}")
    assert G.order == A.order * B.order
    assert_group_axioms(G, brute_force_up_to=60)
    assert G.is_abelian == (A.is_abelian and B.is_abelian)
    assert len(G.center) == len(A.center) * len(B.center)
    assert len(G.derived_subgroup) == len(A.derived_subgroup) * len(B.derived_subgroup)
    assert G.exponent == math.lcm(A.exponent, B.exponent)
    assert G.num_classes == A.num_classes * B.num_classes


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_elementary_abelian_power(k):
    G = Group.from_spec(f"Z2^{k}")
    assert G.order == 2**k and G.is_abelian and G.exponent == 2
    assert_group_axioms(G)


def test_v4_is_klein():
    G = Group.from_spec("V4")
    assert G.order == 4 and G.is_abelian and G.exponent == 2
    assert_group_axioms(G)


def test_spec_syntax_variants_agree():
    assert Group.from_spec("(Z2xZ3)xS3").order == 36
    assert Group.from_spec(" s3 x z2 ").order == 12
    assert Group.from_spec("Z3xS3^2").order == 3 * 36
    assert Group.from_spec("gl(2,3)").order == 48


KNOWN_ORDERS = {
    "GL(2,3)": 48, "PSL(2,7)": 168, "SL(2,5)": 120, "SL(2,3)": 24, "GL(2,5)": 480,
    "PSL(2,11)": 660, "S6": 720, "GL(2,4)": 180, "A6": 360, "PGL(2,5)": 120, "PSL(3,2)": 168,
    "Q8": 8, "Q16": 16, "Dic3": 12, "D7": 14, "V4": 4, "Z2^3": 8, "Z3xS3": 18,
}


@pytest.mark.parametrize("spec", sorted(KNOWN_ORDERS))
def test_known_orders(spec):
    G = spec_group(spec)
    assert G.order == KNOWN_ORDERS[spec]
    assert_group_axioms(G)


@pytest.mark.parametrize("n", range(1, 7))
def test_symmetric_groups(n):
    G = spec_group(f"S{n}")
    assert G.order == math.factorial(n)
    assert G.num_classes == partitions(n)
    assert len(G.derived_subgroup) == max(1, math.factorial(n) // 2)  # [S_n, S_n] = A_n
    assert len(G.center) == (1 if n >= 3 else G.order)
    assert_perm_table(G)
    assert_group_axioms(G)


@pytest.mark.parametrize("n", range(1, 7))
def test_alternating_groups(n):
    G = spec_group(f"A{n}")
    assert G.order == max(1, math.factorial(n) // 2)
    # A_n is perfect for n >= 5; [A4, A4] = V4; A1, A2, A3 are abelian
    expected = {4: 4}.get(n, G.order if n >= 5 else 1)
    assert len(G.derived_subgroup) == expected
    even = [p for p in G.perm_images.tolist() if _parity(p) == 0]
    assert len(even) == G.order, "A_n consists of even permutations"
    assert_perm_table(G)
    assert_group_axioms(G)


def _parity(p) -> int:
    return sum(p[i] > p[j] for i in range(len(p)) for j in range(i + 1, len(p))) % 2


@pytest.mark.parametrize("n", range(3, 13))
def test_dihedral_structure(n):
    G = Group.dihedral(n)
    assert G.order == 2 * n and not G.is_abelian
    involutions = int(np.sum(G.element_orders == 2))
    assert involutions == n + (1 if n % 2 == 0 else 0)
    assert len(G.center) == (2 if n % 2 == 0 else 1)
    assert G.exponent == math.lcm(2, n)
    assert_group_axioms(G)


@pytest.mark.parametrize("n", range(1, 10))
def test_dicyclic_structure(n):
    G = Group.dicyclic(n)
    assert G.order == 4 * n
    assert int(np.sum(G.element_orders == 2)) == 1, "Dic_n has a unique involution"
    assert G.is_abelian == (n == 1)  # Dic_1 = Z4
    assert G.exponent == math.lcm(4, 2 * n)
    assert_group_axioms(G)


def test_q8_and_q16():
    Q8, Q16 = Group.from_spec("Q8"), Group.from_spec("Q16")
    assert Counter(Q8.element_orders.tolist()) == {1: 1, 2: 1, 4: 6}
    assert len(Q8.center) == 2 and len(Q8.derived_subgroup) == 2
    assert Counter(Q16.element_orders.tolist()) == {1: 1, 2: 1, 4: 10, 8: 4}
    for G in (Q8, Q16):
        assert_group_axioms(G)


@pytest.mark.parametrize("n", range(1, 25))
def test_cyclic_structure(n):
    G = Group.cyclic(n)
    assert G.order == n and G.is_abelian and G.exponent == n  # some element generates
    assert int(np.sum(G.element_orders == n)) == sum(math.gcd(k, n) == 1 for k in range(n))
    assert_group_axioms(G)


# ---------------------------------------------------------------------------- linear groups

def _all_matrices(q: int, d: int = 2):
    GF = galois.GF(q)
    entries = np.array(np.meshgrid(*[np.arange(q)] * (d * d), indexing="ij")).reshape(d * d, -1).T
    return GF(entries.reshape(-1, d, d))


@pytest.mark.parametrize("q", [2, 3, 4, 5])
def test_gl2_and_sl2_are_all_invertible_matrices(q):
    """GL(2,q) = all invertible 2×2 matrices over GF(q), SL(2,q) those of determinant 1 (by
    enumerating every matrix with galois)."""
    allm = _all_matrices(q)
    det = gf_det(allm)
    key = lambda ms: {tuple(np.asarray(m, dtype=np.int64).ravel()) for m in ms}  # noqa: E731
    GL, SL = Group.from_spec(f"GL(2,{q})"), Group.from_spec(f"SL(2,{q})")
    assert key(GL.matrices) == key(allm[det != 0])
    assert key(SL.matrices) == key(allm[det == 1])
    assert GL.order == gl_order(2, q) and SL.order == gl_order(2, q) // (q - 1)


@pytest.mark.parametrize("q", [3, 4, 5, 7])
def test_linear_group_structure(q):
    GL, SL, PSL = (Group.from_spec(f"{f}(2,{q})") for f in ("GL", "SL", "PSL"))
    assert len(GL.center) == q - 1, "the centre of GL(n,q) is the scalars"
    assert len(SL.center) == math.gcd(2, q - 1)
    assert len(GL.derived_subgroup) == SL.order, "[GL, GL] = SL (n = 2, q > 2)"
    if q >= 4:
        assert len(PSL.derived_subgroup) == PSL.order and len(PSL.center) == 1, "PSL(2,q) simple"


@pytest.mark.parametrize("spec, gap_spec", [
    ("PSL(2,4)", "A5"), ("SL(2,4)", "A5"), ("PSL(2,5)", "A5"), ("PGL(2,5)", "S5"),
    ("PSL(3,2)", "PSL(2,7)"), ("GL(2,2)", "S3"), ("PSL(2,9)", "A6"), ("PSL(2,3)", "A4"),
])
def test_exceptional_isomorphisms(spec, gap_spec):
    """Isomorphism invariants of classical coincidences against GAP's data for the other side."""
    G, g = Group.from_spec(spec), gap_group(gap_spec)
    assert G.order == g["order"] and G.num_classes == g["num_classes"]
    assert sorted(len(c) for c in G.conjugacy_classes) == sorted(g["class_sizes"])
    assert Counter(G.element_orders.tolist()) == weighted_class_counter(g, g["class_element_orders"])


def test_gl24_over_prime_power_field():
    G = Group.from_spec("GL(2,4)")
    assert G.order == 180 and G.field_order == 4
    assert_group_axioms(G)
    assert_matrix_table(G, projective=False)
    assert np.all(gf_det(galois.GF(4)(G.matrices)) != 0)


# ---------------------------------------------------------------------------- from_permutations

def test_from_permutations_forms_agree():
    forms = [["(1,2,3)", "(1,2)"], "(1,2,3),(1,2)", [[1, 2, 0], [1, 0, 2]], ("(1,2,3)", [1, 0, 2])]
    groups = [Group.from_permutations(f) for f in forms]
    for G in groups:
        assert G.order == 6 and not G.is_abelian
        assert G.labels[0] == "()"
        assert_group_axioms(G)
        assert_perm_table(G)
        assert set(G.labels) == set(groups[0].labels)


def test_from_permutations_gap_product_convention():
    """GAP multiplies left to right: (1,2)*(2,3) = (1,3,2)."""
    G = Group.from_permutations(["(1,2)", "(2,3)"])
    assert G.label(G.mul[G.index("(1,2)"), G.index("(2,3)")]) == "(1,3,2)"
    assert G.label(G.mul[G.index("(2,3)"), G.index("(1,2)")]) == "(1,2,3)"


def test_from_permutations_degree_and_identity():
    assert Group.from_permutations(["()"]).order == 1
    G = Group.from_permutations(["(1,2)"], degree=5)
    assert G.order == 2 and G.perm_images.shape == (2, 5)


perm_generators = st.integers(1, 6).flatmap(
    lambda d: st.lists(st.permutations(range(d)), min_size=1, max_size=3))


@settings(max_examples=40, deadline=None)
@given(perm_generators)
def test_from_permutations_random_generators(gens):
    """Random generators: the result is a group of permutations whose order divides d!
    (Lagrange) and whose elements are those of a plain closure computed here."""
    d = len(gens[0])
    G = Group.from_permutations(gens, degree=d)
    assert_group_axioms(G, brute_force_up_to=60)
    assert_perm_table(G)
    assert math.factorial(d) % G.order == 0
    # independent closure by breadth-first search on tuples
    seen, frontier = {tuple(range(d))}, [tuple(range(d))]
    while frontier:
        nxt = []
        for p in frontier:
            for g in gens:
                r = tuple(g[i] for i in p)  # p then g
                if r not in seen:
                    seen.add(r)
                    nxt.append(r)
        frontier = nxt
    assert {tuple(p) for p in G.perm_images.tolist()} == seen


@pytest.mark.parametrize("gens", ["(1,2", "(1,1)", "(a,b)", "(1,2)(2,3)", "(0,1)", "1,2", "",
                                  "(1,2),,(3,4)", "(1,2))", "(1,-2)", "(1,2.5)"])
def test_from_permutations_rejects_broken_permutations(gens):
    with pytest.raises(GroupSpecError):
        Group.from_permutations(gens)
    with pytest.raises(GroupSpecError):
        Group.from_spec("perm:" + gens)


@pytest.mark.parametrize("spec, says", [("X9", "unknown group spec 'X9'"),
                                        ("S3x", "empty factor"), ("xS3", "unknown group spec"),
                                        ("S3xxZ2", "empty factor")])
def test_spec_errors_say_what_is_wrong(spec, says):
    with pytest.raises(GroupSpecError, match=says):
        Group.from_spec(spec)


def test_from_permutations_rejects_bad_image_lists():
    with pytest.raises(GroupSpecError):
        Group.from_permutations([[0, 0, 1]])
    with pytest.raises(GroupSpecError):
        Group.from_permutations([])


# ---------------------------------------------------------------------------- from_matrices

def test_from_matrices_int_and_galois_agree():
    gens = [[[1, 1], [0, 1]], [[0, 1], [2, 0]]]
    G = Group.from_matrices(gens, q=3)
    assert G.order == 24  # these generate SL(2,3)
    GF3 = galois.GF(3)
    H = Group.from_matrices([GF3(g) for g in gens])
    H3 = Group.from_matrices(GF3(gens))
    for K in (G, H, H3):
        assert K.order == 24 and K.field_order == 3
        assert_group_axioms(K)
        assert_matrix_table(K, projective=False)
        assert np.all(gf_det(GF3(K.matrices)) == 1)
    assert set(G.labels) == set(H.labels) == set(H3.labels)


def test_from_matrices_prime_power_field():
    GF4 = galois.GF(4)
    w = int(GF4.primitive_element)
    gens = [[[1, 1], [0, 1]], [[1, w], [0, 1]], [[0, 1], [1, 0]], [[w, 0], [0, 1]]]
    G = Group.from_matrices([GF4(g) for g in gens])
    assert G.order == 180  # all of GL(2,4)
    assert_group_axioms(G)
    assert_matrix_table(G, projective=False)
    P = Group.from_matrices(gens, q=4, projective=True)
    assert P.order == 60  # PGL(2,4) = PSL(2,4) = A5
    assert_group_axioms(P)
    assert_matrix_table(P, projective=True)


@pytest.mark.parametrize("kwargs", [
    dict(generators=[[[1, 0], [0, 0]]], q=3),  # singular
    dict(generators=[[[1, 3], [0, 1]]], q=3),  # entry not in GF(3)
    dict(generators=[[[1, 1], [0, 1]]], q=6),  # no field of order 6
    dict(generators=[[[1, 1], [0, 1]]]),  # integers without q
    dict(generators=[[[1, 1, 0], [0, 1, 0]]], q=3),  # not square
    dict(generators=[], q=3),
])
def test_from_matrices_rejects_bad_generators(kwargs):
    with pytest.raises(GroupSpecError):
        Group.from_matrices(**kwargs)


# ---------------------------------------------------------------------------- from_table

def _relabel(table: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The table of the same group with element a renamed sigma[a]."""
    n = len(sigma)
    out = np.empty_like(table)
    out[np.ix_(sigma, sigma)] = sigma[table]
    assert out.shape == (n, n)
    return out


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["S3", "Q8", "D5", "Z6", "A4", "Z2xZ2", "Dic3"]), st.randoms(use_true_random=False))
def test_from_table_accepts_shuffled_group(spec, rnd):
    G = spec_group(spec)
    sigma = np.array(rnd.sample(range(G.order), G.order))
    T = _relabel(np.asarray(G.mul, dtype=np.int64), sigma)
    labels = [None] * G.order
    for a in range(G.order):
        labels[sigma[a]] = G.labels[a]
    H = Group.from_table(T, labels=labels)
    assert_group_axioms(H)
    assert H.labels[0] == G.labels[0], "the identity moves to index 0 with its label"
    for a in range(G.order):  # same multiplication, read through labels
        for b in range(G.order):
            ha, hb = H.index(G.labels[a]), H.index(G.labels[b])
            assert H.labels[H.mul[ha, hb]] == G.labels[G.mul[a, b]]


def test_from_table_accepts_float_integers_and_lists():
    H = Group.from_table([[0.0, 1.0], [1.0, 0.0]])
    assert H.order == 2
    assert_group_axioms(H)


LOOP5 = np.array([[0, 1, 2, 3, 4],
                  [1, 0, 3, 4, 2],
                  [2, 4, 0, 1, 3],
                  [3, 2, 4, 0, 1],
                  [4, 3, 1, 2, 0]])


def test_loop_of_order_5_is_rejected():
    t = LOOP5
    ar = np.arange(5)
    # premises, checked here: a Latin square with identity 0 that is not associative
    assert np.all(np.sort(t, axis=0) == ar[:, None]) and np.all(np.sort(t, axis=1) == ar)
    assert np.array_equal(t[0], ar) and np.array_equal(t[:, 0], ar)
    assert not brute_force_is_group(t)
    with pytest.raises(GroupTableError, match="associativ"):
        Group.from_table(t)


@pytest.mark.parametrize("table, match", [
    (np.zeros((2, 3), dtype=int), "square"),
    (np.zeros((0, 0), dtype=int), "square"),
    (np.array([[0, 1], [1, 2]]), "0..1"),
    (np.array([[0, 1], [1, -1]]), "0..1"),
    (np.array([[0, 1, 2], [1, 1, 0], [2, 0, 1]]), "repeats"),
    (np.array([[(2 * a + b) % 5 for b in range(5)] for a in range(5)]), "identity"),
    (np.array([[0.5, 1], [1, 0]]), "integer"),
])
def test_from_table_rejects_non_groups(table, match):
    with pytest.raises(GroupTableError, match=match):
        Group.from_table(table)


def _random_loop(n: int, rnd) -> np.ndarray:
    """A random Latin square with identity 0 (a loop), by randomised backtracking."""
    t = -np.ones((n, n), dtype=np.int64)
    t[0], t[:, 0] = np.arange(n), np.arange(n)
    cells = [(i, j) for i in range(1, n) for j in range(1, n)]

    def fill(k):
        if k == len(cells):
            return True
        i, j = cells[k]
        vals = [v for v in range(n) if v not in t[i] and v not in t[:, j]]
        rnd.shuffle(vals)
        for v in vals:
            t[i, j] = v
            if fill(k + 1):
                return True
        t[i, j] = -1
        return False

    assert fill(0)
    return t


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_from_table_agrees_with_brute_force_on_random_loops(n, rnd, rnd2):
    """Random loops (mostly non-associative for n >= 5), randomly relabelled: from_table accepts
    exactly the groups."""
    t = _random_loop(n, rnd)
    sigma = np.array(rnd2.sample(range(n), n))
    t = _relabel(t, sigma)
    if brute_force_is_group(t):
        G = Group.from_table(t)
        assert_group_axioms(G)
    else:
        with pytest.raises(GroupTableError):
            Group.from_table(t)


# ---------------------------------------------------------------------------- GAP fixtures

GAP_SPECS = [g["spec"] for g in gap_groups()]


def _check_against_gap(G: Group, g: dict) -> None:
    assert G.order == g["order"]
    assert G.num_classes == g["num_classes"]
    assert G.exponent == g["exponent"]
    assert G.is_abelian == g["is_abelian"]
    assert len(G.center) == g["center_order"]
    assert len(G.derived_subgroup) == g["derived_subgroup_order"]
    assert sorted(len(c) for c in G.conjugacy_classes) == sorted(g["class_sizes"])
    assert Counter(G.element_orders.tolist()) == weighted_class_counter(g, g["class_element_orders"])


@pytest.mark.parametrize("spec", GAP_SPECS)
def test_gap_fixture_from_spec(spec):
    G = spec_group(spec)
    _check_against_gap(G, gap_group(spec))
    assert_group_axioms(G)


@pytest.mark.parametrize("spec", GAP_SPECS)
def test_gap_fixture_from_permutations(spec):
    g = gap_group(spec)
    G = Group.from_permutations(g["perm_generators"])
    _check_against_gap(G, g)
    assert_group_axioms(G)
    assert_perm_table(G)
    # class by class: GAP's representatives (same cycle notation) lie in distinct classes of the
    # given sizes and element orders
    reps = [G.index(r) for r in g["class_representatives"]]
    assert reps[0] == 0
    assert len({int(G.class_of[r]) for r in reps}) == len(reps)
    for r, size, order in zip(reps, g["class_sizes"], g["class_element_orders"]):
        assert int(np.sum(G.class_of == G.class_of[r])) == size
        assert int(G.element_orders[r]) == order


# ---------------------------------------------------------------------------- limits and errors

@pytest.mark.parametrize("build", [
    lambda: Group.from_spec("S7", max_order=1000),
    lambda: Group.from_spec("A8"),  # 20160 > 10000
    lambda: Group.from_spec("GL(3,3)"),  # 11232
    lambda: Group.from_spec("Z20000"),
    lambda: Group.from_spec("D6000"),
    lambda: Group.from_spec("Dic3000"),
    lambda: Group.from_spec("Q12000"),
    lambda: Group.from_spec("Z2^14"),
    lambda: Group.from_spec("S5xS5", max_order=1000),
    lambda: Group.from_spec("GL(50,2)"),
    lambda: Group.from_spec("PSL(2,1000003)"),
    lambda: Group.from_spec("S" + "9" * 5000),
    lambda: Group.from_permutations(["(1,2,3,4,5,6,7)", "(1,2)"], max_order=1000),
    lambda: Group.from_matrices([[[1, 1], [0, 1]], [[0, 1], [2, 0]]], q=3, max_order=20),
    lambda: Group.symmetric(7, max_order=1000),
])
def test_too_large(build):
    with pytest.raises(GroupTooLargeError) as info:
        build()
    assert isinstance(info.value, MemoryError) and isinstance(info.value, WordTensorError)
    assert "limit" in str(info.value) or "too large" in str(info.value)


def test_max_order_is_inclusive_and_can_be_lowered():
    assert Group.from_spec("S5", max_order=120).order == 120
    assert Group.from_spec("GL(2,3)", max_order=48).order == 48
    assert Group.from_permutations("(1,2,3,4,5),(1,2)", max_order=120).order == 120
    with pytest.raises(GroupTooLargeError):
        Group.from_spec("S5", max_order=119)
    with pytest.raises(GroupTooLargeError):
        Group.from_permutations("(1,2,3,4,5),(1,2)", max_order=119)


@pytest.mark.parametrize("spec", ["", "  ", "S", "X3", "V5", "Q6", "Q0", "D0", "Z0", "S3xx", "x",
                                  "S3^0", "GL(2,6)", "GL(2,1)", "SL(0,3)", "GL(2)", "SL(2,3",
                                  "(S3", "S3)", "perm:", "perm:(1,2", "hello", "S-3", "A5.2"])
def test_junk_specs(spec):
    with pytest.raises(GroupSpecError) as info:
        Group.from_spec(spec)
    assert str(info.value) and "\n" not in str(info.value)


SPEC_ALPHABET = "ZCDSAQVicxLGPperm:(),^0123456789 -"
SPEC_TOKENS = ["Z", "C", "D", "S", "A", "Q", "Dic", "V", "GL", "SL", "PSL", "PGL", "perm:", "(",
               ")", ",", "x", "^", "0", "1", "2", "3", "4", "5", "8", "9", " ", "(1,2)", "(1,2,3)",
               "(2,3)", "(1,2)(3,4)"]
_factor = st.one_of(
    st.builds("{}{}".format, st.sampled_from(["Z", "C", "D", "S", "A", "Q", "Dic", "V"]),
              st.integers(0, 12)),
    st.builds("{}({},{})".format, st.sampled_from(["GL", "SL", "PSL", "PGL"]), st.integers(0, 3),
              st.integers(0, 10)),
    st.lists(st.sampled_from(["(1,2)", "(1,2,3)", "(2,3)", "()", "(1,2)(3,4)", "(1,4)"]),
             min_size=1, max_size=3).map(lambda g: "(perm:" + ",".join(g) + ")"),
)
_powered = st.tuples(_factor, st.integers(0, 3)).map(lambda t: t[0] + (f"^{t[1]}" if t[1] else ""))
_specs = st.lists(_powered, min_size=1, max_size=3).map("x".join)


@st.composite
def _mutated(draw):
    """A spec that is often valid, with a random token inserted or a character deleted."""
    spec = draw(_specs)
    i = draw(st.integers(0, len(spec)))
    how = draw(st.sampled_from(["keep", "insert", "delete"]))
    if how == "insert":
        return spec[:i] + draw(st.sampled_from(SPEC_TOKENS)) + spec[i:]
    if how == "delete":
        return spec[:i] + spec[i + 1:]
    return spec


spec_strings = st.one_of(
    _mutated(),
    st.lists(st.sampled_from(SPEC_TOKENS), max_size=8).map("".join),
    st.text(alphabet=SPEC_ALPHABET, max_size=14),
    st.text(max_size=10),
)


@settings(max_examples=400, deadline=None)
@given(spec_strings)
def test_random_specs_give_a_group_or_a_clear_error(spec):
    try:
        G = Group.from_spec(spec, max_order=500)
    except (GroupSpecError, GroupTooLargeError) as exc:
        assert str(exc)
        return
    assert 1 <= G.order <= 500
    assert_group_axioms(G, brute_force_up_to=40, triples=2000)
