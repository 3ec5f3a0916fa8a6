"""SmallGroup(n,i): the shipped catalogue, its spec, the ``groups`` command and the GAP bridge.

Truth comes from GAP, never from the code under test: the catalogue's invariants are GAP's
(scripts/make_smallgroups.g), and tests/fixtures/gap/smallgroups_sample.json holds a sample of
groups and identifications computed by GAP on the library's own groups
(make_smallgroups_sample.g). What is compared with them is computed here from the Cayley table
that the catalogue's generators make.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from gap_fixtures import gap_groups

import wordtensor.gap as wgap
from fusion import character_table
from wordtensor import Group, GroupSpecError, GroupTooLargeError, WordTensorError
from wordtensor.cli import main
from wordtensor.smallgroups import (
    CATALOGUE_MAX_ORDER,
    number_small_groups,
    parse_orders,
    small_group_info,
    small_groups,
)

SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "gap" / "smallgroups_sample.json")
                    .read_text())
ORDERS = range(1, CATALOGUE_MAX_ORDER + 1)


@pytest.fixture(scope="module")
def catalogue():
    """Every group of the catalogue with its Cayley-table group, built once (about 1 s)."""
    return {info.id: (info, Group.small_group(*info.id)) for info in small_groups(ORDERS)}


# ---------------------------------------------------------------------- computed from the table
def _subgroup_order(G: Group, elements) -> int:
    return len(G.subgroup_generated(np.asarray(elements, dtype=np.int64)))


def _derived_series_ends_trivial(G: Group) -> bool:
    """Solvability: iterate H -> [H, H] (commutators of elements of H) until it stops."""
    H = np.arange(G.order)
    while len(H) > 1:
        x, y = H[:, None], H[None, :]
        comm = G.mul[G.mul[G.inv[x], G.inv[y]], G.mul[x, y]]
        K = G.subgroup_generated(np.unique(comm))
        if len(K) == len(H):
            return False
        H = K
    return True


def _is_nilpotent(G: Group) -> bool:
    """Nilpotent iff every Sylow subgroup is normal iff, for every prime p, the elements of
    p-power order are exactly |G|_p many (then they form the unique Sylow p-subgroup)."""
    n, orders = G.order, G.element_orders
    for p in {p for p in range(2, n + 1) if n % p == 0 and all(p % q for q in range(2, p))}:
        pa = p ** next(a for a in range(n) if n % p ** (a + 1))
        if np.count_nonzero(pa % orders == 0) != pa:
            return False
    return True


def _real_classes(G: Group) -> int:
    reps = np.array([c[0] for c in G.conjugacy_classes])
    return int(np.count_nonzero(G.class_of[G.inv[reps]] == G.class_of[reps]))


def _isomorphism(A: Group, B: Group) -> np.ndarray | None:
    """An isomorphism A -> B as an index array, or None: backtracking over images of A's
    generators (the first up to conjugacy in B), each partial map checked to be an injective
    homomorphism on the subgroup generated so far."""
    if A.order != B.order or Counter(A.element_orders.tolist()) != Counter(B.element_orders.tolist()):
        return None
    gens = [int(g) for g in A.generators]
    reps = {int(c[0]) for c in B.conjugacy_classes}

    def extend(k: int, images: list[int]) -> np.ndarray | None:
        f = np.full(A.order, -1, dtype=np.int64)
        f[0], todo = 0, [0]
        while todo:
            a = todo.pop()
            for s, t in zip(gens[:k], images):
                b, fb = A.mul[a, s], B.mul[f[a], t]
                if f[b] < 0:
                    f[b] = fb
                    todo.append(b)
                elif f[b] != fb:
                    return None
        hit = f[f >= 0]
        if len(np.unique(hit)) != len(hit):
            return None
        if k == len(gens):
            return f
        order = A.element_orders[gens[k]]
        for t in np.flatnonzero(B.element_orders == order):
            if k == 0 and int(t) not in reps:
                continue
            out = extend(k + 1, images + [int(t)])
            if out is not None:
                return out
        return None

    return extend(0, [])


# ---------------------------------------------------------------------- the catalogue
def test_catalogue_counts():
    # NumberSmallGroups (OEIS A000001)
    counts = {1: 1, 8: 5, 16: 14, 24: 15, 32: 51, 48: 52, 60: 13, 64: 267, 72: 50, 80: 52,
              81: 15, 96: 231, 100: 16}
    assert {n: number_small_groups(n) for n in counts} == counts
    assert sum(number_small_groups(n) for n in ORDERS) == len(small_groups(ORDERS)) == 1048


@pytest.mark.parametrize("n", ORDERS)
def test_every_group_against_catalogue(catalogue, n):
    """Order, classes, abelian, exponent and the rest of GAP's invariants, for all 1048."""
    for i in range(1, number_small_groups(n) + 1):
        info, G = catalogue[n, i]
        assert G.order == n and G.labels[0] == "()" and G.name == f"SmallGroup({n},{i}) = " + info.structure
        assert G.num_classes == info.num_classes, info.id
        assert G.is_abelian == info.abelian, info.id
        assert G.exponent == info.exponent, info.id
        assert sorted(len(c) for c in G.conjugacy_classes) == list(info.class_sizes), info.id
        assert sorted(Counter(G.element_orders.tolist()).items()) == list(info.element_orders)
        assert len(G.center) == info.center_order, info.id
        assert len(G.derived_subgroup) == info.derived_order, info.id
        assert _real_classes(G) == info.real_classes, info.id
        assert bool(np.any(G.element_orders == n)) == info.cyclic, info.id
        assert _is_nilpotent(G) == info.nilpotent, info.id
        assert _derived_series_ends_trivial(G) == info.solvable, info.id
        assert _degrees_and_indicators(G) == (list(info.character_degrees), info.indicators)


def _degrees_and_indicators(G: Group) -> tuple[list[int], tuple[int, int, int]]:
    """Sorted character degrees and (real, complex, quaternionic) counts of the irreducibles.
    An abelian group's characters are linear and form a group isomorphic to G, and the real ones
    are those of order <= 2, as many as the g with g² = 1 (this spares fusion's character table
    where it is slowest: n classes). Otherwise from fusion's character table."""
    if G.is_abelian:
        real = int(np.count_nonzero(G.inv == np.arange(G.order)))
        return [1] * G.order, (real, G.order - real, 0)
    ct = character_table(G)
    nu = Counter(ct.indicators.tolist())
    return sorted(ct.degrees.tolist()), (nu[1], nu[0], nu[-1])


def test_generators_are_small_permutations(catalogue):
    for info, G in catalogue.values():
        assert G.perm_images.shape[1] == max(info.degree, 1), info.id
        assert info.degree <= max(info.order, 1)
    # a faithful action on few points: S4 on 4, A5 on 5, C2^6 on 12
    assert [small_group_info(*i).degree for i in [(24, 12), (60, 5), (64, 267)]] == [4, 5, 12]


# ---------------------------------------------------------------------- GAP's sample
@pytest.mark.parametrize("g", SAMPLE["groups"], ids=lambda g: "SmallGroup({},{})".format(*g["id"]))
def test_sample_against_gap(catalogue, g):
    info, G = catalogue[tuple(g["id"])]
    assert info.structure == g["structure"]
    assert (G.order, G.exponent, G.is_abelian) == (g["order"], g["exponent"], g["abelian"])
    assert (len(G.center), len(G.derived_subgroup)) == (g["center_order"], g["derived_order"])
    ours = Counter((len(c), int(G.element_orders[c[0]])) for c in G.conjugacy_classes)
    assert ours == Counter(zip(g["class_sizes"], g["class_orders"]))
    ct = character_table(G)
    assert Counter(zip(ct.degrees.tolist(), ct.indicators.tolist())) == \
        Counter(zip(g["degrees"], g["indicators"]))


def test_known_identifications_are_gaps():
    """The famous ids (GAP's IdGroup in the fixture) and the catalogue's names for them."""
    ids = {e["spec"]: tuple(e["id"]) for e in SAMPLE["identifications"]}
    famous = {"S3": (6, 1), "Q8": (8, 4), "D4": (8, 3), "A4": (12, 3), "D8": (16, 7),
              "Q16": (16, 9), "Z2^4": (16, 14), "SL(2,3)": (24, 3), "S4": (24, 12),
              "GL(2,3)": (48, 29), "A5": (60, 5)}
    assert {s: ids[s] for s in famous} == famous
    names = {s: small_group_info(*i).structure for s, i in famous.items()}
    assert names == {"S3": "S3", "Q8": "Q8", "D4": "D8", "A4": "A4", "D8": "D16", "Q16": "Q16",
                     "Z2^4": "C2 x C2 x C2 x C2", "SL(2,3)": "SL(2,3)", "S4": "S4",
                     "GL(2,3)": "GL(2,3)", "A5": "A5"}


IDENTIFICATIONS = [(e["spec"], tuple(e["id"])) for e in SAMPLE["identifications"]] + [
    (g["spec"], tuple(g["small_group_id"])) for g in gap_groups() if g["order"] <= 100]


@pytest.mark.parametrize("spec,gid", IDENTIFICATIONS, ids=[s for s, _ in IDENTIFICATIONS])
def test_identification_is_an_isomorphism(catalogue, spec, gid):
    """The spec's group and SmallGroup(IdGroup) are isomorphic: an explicit isomorphism,
    checked on the whole Cayley table."""
    A, B = catalogue[gid][1], Group.from_spec(spec)
    f = _isomorphism(A, B)
    assert f is not None, (spec, gid)
    assert sorted(f.tolist()) == list(range(A.order))
    assert np.array_equal(f[A.mul], B.mul[f[:, None], f[None, :]])


def test_isomorphism_search_can_fail(catalogue):
    """The helper refutes non-isomorphic groups with equal element-order statistics:
    C4 x C4 and C2 x Q8 ... both have 1, 3, 12 elements of orders 1, 2, 4."""
    A, B = catalogue[16, 2][1], catalogue[16, 12][1]
    assert Counter(A.element_orders.tolist()) == Counter(B.element_orders.tolist())
    assert _isomorphism(A, B) is None


# ---------------------------------------------------------------------- the spec
def test_spec_forms():
    for text in ["SmallGroup(24,12)", "smallgroup(24,12)", "SMALLGROUP( 24 , 12 )",
                 " SmallGroup (24, 12) "]:
        G = Group.from_spec(text)
        assert (G.name, G.order) == ("SmallGroup(24,12) = S4", 24)
    assert Group.small_group(8, 4).name == "SmallGroup(8,4) = Q8"
    assert Group.small_group(1, 1).order == 1
    P = Group.from_spec("SmallGroup(8,3)xZ2")
    assert P.order == 16 and P.num_classes == 10
    assert Group.from_spec("(SmallGroup(6,1))^2").order == 36


@pytest.mark.parametrize("spec,message", [
    ("SmallGroup(24,16)", "SmallGroup(24,16): there are 15 groups of order 24, numbered 1 to 15"),
    ("SmallGroup(24,0)", "there are 15 groups of order 24"),
    ("SmallGroup(7,2)", "there is 1 group of order 7, SmallGroup(7,1)"),
    ("SmallGroup(120,5)", "SmallGroup(120,5) is beyond the shipped catalogue (orders <= 100); "
                          "install the gap extra (pip install 'wordtensor[gap]') and use "
                          "gap:SmallGroup(120,5)"),
    ("SmallGroup(0,1)", "the order must be a positive integer"),
    ("SmallGroup(24)", "malformed SmallGroup id 'SmallGroup(24)'"),
    ("SmallGroup(24,1,2)", "malformed SmallGroup id"),
    ("SmallGroup(a,b)", "malformed SmallGroup id"),
    ("SmallGroup24", "malformed SmallGroup id"),
    ("SmallGroup(99999999999999999999,1)", "malformed SmallGroup id"),
])
def test_spec_errors(spec, message):
    with pytest.raises(GroupSpecError) as exc:
        Group.from_spec(spec)
    assert message in str(exc.value)


def test_max_order_is_respected():
    with pytest.raises(GroupTooLargeError):
        Group.from_spec("SmallGroup(96,1)", max_order=50)
    assert Group.small_group(96, 1, max_order=96).order == 96


def test_parse_orders():
    assert parse_orders("24") == [24]
    assert parse_orders("1-32") == list(range(1, 33))
    assert parse_orders(" 8, 12,16-18 ,8") == [8, 12, 16, 17, 18]
    for bad in ["", "0", "101", "90-101", "5-3", "1-", "a", "1--3"]:
        with pytest.raises(GroupSpecError):
            parse_orders(bad)


# ---------------------------------------------------------------------- the groups command
def test_groups_command_text(capsys):
    assert main(["groups", "--order", "8"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["id", "classes", "abelian", "structure"]
    assert out[1:6] == [
        "SmallGroup(8,1)        8  yes      C8",
        "SmallGroup(8,2)        8  yes      C4 x C2",
        "SmallGroup(8,3)        5  no       D8",
        "SmallGroup(8,4)        5  no       Q8",
        "SmallGroup(8,5)        8  yes      C2 x C2 x C2",
    ]
    assert out[6] == "5 groups of order 8"


def test_groups_command_json(capsys):
    assert main(["groups", "--order", "1-32", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["orders"] == list(range(1, 33)) and d["count"] == len(d["groups"]) == 144
    assert set(d["groups"][0]) == {"id", "spec", "structure", "num_classes", "abelian", "exponent"}
    s4 = next(g for g in d["groups"] if g["id"] == [24, 12])
    assert s4 == {"id": [24, 12], "spec": "SmallGroup(24,12)", "structure": "S4",
                  "num_classes": 5, "abelian": False, "exponent": 12}


@pytest.mark.parametrize("argv", [["groups", "--order", "101"], ["groups", "--order", "x"],
                                  ["groups"], ["info", "SmallGroup(24,99)"]])
def test_groups_command_errors(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("wordtensor: error: ") and err.count("\n") == 1


# ---------------------------------------------------------------------- the GAP bridge
@pytest.fixture
def no_gap(monkeypatch):
    """The bridge as it is where passagemath-gap is not installed."""
    monkeypatch.setattr(wgap, "find_spec", lambda name: None)
    wgap.libgap.cache_clear()
    wgap._to_permutations.cache_clear()
    yield
    monkeypatch.undo()
    wgap.libgap.cache_clear()
    wgap._to_permutations.cache_clear()


def test_gap_refusal_says_how_to_install(no_gap, capsys):
    assert not wgap.gap_available()
    for call in [lambda: Group.from_gap("PrimitiveGroup(10,3)"),
                 lambda: Group.from_spec("gap:SmallGroup(120,5)")]:
        with pytest.raises(wgap.GapUnavailableError, match=r"pip install 'wordtensor\[gap\]'"):
            call()
    assert issubclass(wgap.GapUnavailableError, WordTensorError)
    assert main(["info", "gap:SymmetricGroup(3)"]) == 2
    assert "pip install 'wordtensor[gap]'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def libgap():
    pytest.importorskip("sage.libs.gap", reason="the gap extra (passagemath-gap) is not installed")
    return wgap.libgap()


def test_gap_primitive_group(libgap):
    G = Group.from_gap("PrimitiveGroup(10,3)")
    truth = libgap.eval("PrimitiveGroup(10,3)")
    assert G.order == int(truth.Size()) == 360
    assert G.num_classes == int(truth.NrConjugacyClasses())
    assert G.name == f"PrimitiveGroup(10,3) = {truth.StructureDescription()}"
    assert G.perm_images.shape[1] == 10  # a permutation group keeps its points


@pytest.mark.parametrize("gid", [(24, 12), (64, 138), (96, 204), (120, 5), (168, 42), (192, 1000)])
def test_gap_small_groups(libgap, catalogue, gid):
    """gap:SmallGroup(n,i), within the catalogue (isomorphic to the shipped group) and beyond
    (GAP's invariants)."""
    G = Group.from_spec("gap:SmallGroup({},{})".format(*gid))
    truth = libgap.SmallGroup(*gid)
    assert G.order == gid[0] and G.num_classes == int(truth.NrConjugacyClasses())
    assert G.exponent == int(truth.Exponent()) and G.is_abelian == bool(truth.IsAbelian())
    assert G.name == "SmallGroup({},{}) = ".format(*gid) + str(truth.StructureDescription())
    if gid in catalogue:
        assert _isomorphism(G, catalogue[gid][1]) is not None


def test_gap_objects_and_errors(libgap):
    assert Group.from_gap(libgap.AlternatingGroup(5)).order == 60
    assert Group.from_gap("GL(2,3)", name="GL23").name == "GL23"
    assert Group.from_spec("gap:TrivialGroup()").order == 1
    for expr, cls, message in [("3", wgap.GapError, "is not a group"),
                               ("FreeGroup(2)", wgap.GapError, "is infinite"),
                               ("1+", wgap.GapError, "GAP could not evaluate"),
                               ("", wgap.GapError, "empty GAP expression"),
                               ("SymmetricGroup(8)", GroupTooLargeError, "40320 elements")]:
        with pytest.raises(cls, match=message):
            Group.from_spec("gap:" + expr)
