"""Words: parser round trips and errors (hypothesis), free-group identities, evaluation checked
against permutation arithmetic done here, word maps against GAP's fibre counts."""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

import numpy as np
import pytest
from gap_fixtures import gap_group, gap_groups, weighted_class_counter
from hypothesis import given, settings
from hypothesis import strategies as st

from wordtensor import Group, Word, WordSyntaxError, WordTensorError, parse_word, word_tensor
from wordtensor.words import Comm, Conj, Identity, Mul, Pow, Var


@cache
def group(spec: str) -> Group:
    return Group.from_spec(spec)


# ---------------------------------------------------------------------------- strategies

VARIABLES = "abcdxyz"  # single lowercase letters other than e
var_names = st.sampled_from(VARIABLES)
leaves = st.one_of(st.builds(Var, var_names), st.just(Identity()),
                   var_names.map(lambda v: Pow(Var(v), -1)))


def _extend(children):
    return st.one_of(
        st.builds(lambda fs: Mul(tuple(fs)), st.lists(children, min_size=2, max_size=4)),
        st.builds(Pow, children, st.integers(-5, 5)),
        st.builds(Comm, children, children),
        st.builds(Conj, children, st.one_of(st.builds(Var, var_names),
                                            var_names.map(lambda v: Pow(Var(v), -1)))),
    )


#: Word trees in the parser's canonical form (what parsing a word can produce).
trees = st.recursive(leaves, _extend, max_leaves=10)

#: Word strings written by hand: spaces, '*', '1'/'e'/'E', signs on exponents, [u,v,w] commutators.
_atoms = st.sampled_from(list("xyzXYZ") + ["1", "e", "E"])


@st.composite
def handwritten(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 5 if depth < 2 else 1))
        if kind <= 1:
            s = draw(_atoms)
        elif kind == 2:
            s = "(" + draw(handwritten(depth + 1)) + ")"
        elif kind == 3:
            n = draw(st.integers(2, 3))
            s = "[" + ",".join(draw(handwritten(depth + 1)) for _ in range(n)) + "]"
        else:
            s = draw(_atoms)
        if draw(st.booleans()):
            s += "^" + draw(st.sampled_from(["", "+", "-"])) + str(draw(st.integers(0, 12)))
        elif draw(st.integers(0, 4)) == 0:
            s += "^" + draw(st.sampled_from("xyYz"))
        parts.append(s)
    seps = [draw(st.sampled_from(["", " ", "*", " * "])) for _ in parts[1:]]
    out = parts[0]
    for sep, p in zip(seps, parts[1:]):
        out += (" " if sep == "" and out[-1].isdigit() and p[0] in "1" else sep) + p
    return out


JUNK_ALPHABET = "xyzXYZe1^*()[], -+0123456789.$é²\t#"


# ---------------------------------------------------------------------------- round trips

@settings(max_examples=300, deadline=None)
@given(trees)
def test_printed_tree_parses_back(tree):
    w = Word.parse(str(Word(tree, ())))
    assert w.tree == tree
    assert Word.parse(str(w)) == w


@settings(max_examples=200, deadline=None)
@given(handwritten())
def test_handwritten_words_round_trip(text):
    w = Word.parse(text)
    assert Word.parse(str(w)) == w
    assert Word.parse(w.reduced()).letters() == w.letters()
    assert set(w.variables) <= set("xyz") and list(w.variables) == sorted(w.variables)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=JUNK_ALPHABET, max_size=16), st.text(max_size=12)))
def test_junk_raises_only_word_syntax_error(text):
    try:
        w = Word.parse(text)
    except WordSyntaxError as exc:
        assert 0 <= exc.column <= len(text)
        assert exc.text == text
        assert f"column {exc.column + 1}" in str(exc)
        assert exc.pointer().splitlines()[-1] == " " * exc.column + "^"
        return
    assert Word.parse(str(w)) == w  # whatever parses, round trips


@pytest.mark.parametrize("text, column", [
    ("", 0), ("x^", 2), ("x^^2", 2), ("(x", 0), ("x)", 1), ("[x]", 0), ("[x,", 3), ("xy*", 3),
    ("*x", 0), ("x**y", 2), ("2", 0), ("12", 0), ("x$y", 1), ("é", 0), ("x^²", 2),
    ("x^1.5", 3), ("[,]", 1), ("x^e", 2), ("x^-", 2), ("x y z ^", 7), ("ab c^2 d)", 8),
])
def test_syntax_error_columns(text, column):
    with pytest.raises(WordSyntaxError) as info:
        Word.parse(text)
    assert info.value.column == column, str(info.value)
    assert isinstance(info.value, WordTensorError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["(" * 150 + "x" + ")" * 150, "x" + "^2" * 300, "x" + "^y" * 300,
                                  "[" * 150 + "x" + ",y]" * 150, "x^" + "9" * 5000])
def test_pathological_words_are_refused_cleanly(text):
    with pytest.raises(WordSyntaxError):
        Word.parse(text)


def test_moderately_nested_words_and_huge_powers():
    w = Word.parse("(" * 40 + "xy" + ")^2" * 40)  # (xy)^(2^40)
    assert w.occurrences("x", reduced=False) == 2**40
    with pytest.raises(WordTensorError):
        w.letters()  # 2^41 letters are refused, not built
    # every element of S3 has order dividing 6 and 2^40 = 4 (mod 6)
    assert tables_equal(str(w), "(xy)^4", "S3")
    assert tables_equal("x^1000000000000000000000001", "x", "Q8")  # 10^24 = 0 (mod 4)


def test_non_string_word():
    with pytest.raises(WordTensorError):
        Word.parse(42)


# ---------------------------------------------------------------------------- identities

GROUPS = ["S3", "Q8", "D5", "A4", "SL(2,3)", "Z6", "S4"]


def tables_equal(u: str, v: str, spec: str, variables=None) -> bool:
    G = group(spec)
    return np.array_equal(Word.parse(u, variables).table(G), Word.parse(v, variables).table(G))


@pytest.mark.parametrize("spec", GROUPS)
@pytest.mark.parametrize("u, v", [
    ("(xy)^2", "xyxy"), ("[x,y]", "XYxy"), ("x^y", "Yxy"), ("x^Y", "yxY"), ("x^-1", "X"),
    ("(xy)^-1", "YX"), ("x^3 y^-2", "xxxYY"), ("[x,y]^-1", "[y,x]"), ("x*y*x^-1", "xyX"),
    ("x e y 1", "xy"), ("xX", "1"), ("x^0", "1"), ("[x,y,x]", "[[x,y],x]"), ("x^+2", "xx"),
])
def test_identities_in_groups(u, v, spec):
    variables = "xy"
    assert tables_equal(u, v, spec, variables)


@pytest.mark.parametrize("spec", GROUPS)
def test_xy_is_the_cayley_table(spec):
    G = group(spec)
    t = Word.parse("xy").table(G)
    assert np.array_equal(t, G.mul)
    n = G.order
    assert np.all(np.sort(t, axis=0) == np.arange(n)[:, None])
    assert np.all(np.sort(t, axis=1) == np.arange(n))


@pytest.mark.parametrize("spec", GROUPS)
def test_power_and_order(spec):
    """x^|x| = 1 and x^k != 1 for 0 < k < |x|, with |x| from the group's element orders, and
    x^exponent = 1 for every x."""
    G = group(spec)
    x = np.arange(G.order)
    assert np.all(Word.parse(f"x^{G.exponent}").evaluate(G, x) == 0)
    for k in range(1, G.exponent):
        hit = Word.parse(f"x^{k}").evaluate(G, x) == 0
        assert np.array_equal(hit, k % G.element_orders == 0)


def test_commutator_image_on_s3_is_a3():
    G = group("S3")
    T = word_tensor(G, "[x,y]")
    image = set(T.image_elements().tolist())
    assert len(image) == 3
    assert image == set(G.derived_subgroup.tolist())
    even = {a for a in range(G.order) if _parity(G.perm_images[a]) == 0}
    assert image == even, "the image is A3, the even permutations"
    assert {G.label(a) for a in image} == {"()", "(1,2,3)", "(1,3,2)"}


def _parity(p) -> int:
    p = list(p)
    return sum(p[i] > p[j] for i in range(len(p)) for j in range(i + 1, len(p))) % 2


# ---------------------------------------------------------------------------- evaluation

def _compose(p, q):
    """GAP's product p*q of image tuples: apply p, then q."""
    return tuple(q[i] for i in p)


def _inverse(p):
    out = [0] * len(p)
    for i, j in enumerate(p):
        out[j] = i
    return tuple(out)


def _perm_eval(node, env, identity):
    """The word's value on permutations, by the mathematical definitions (independent of
    wordtensor's evaluator and Cayley table)."""
    if isinstance(node, Identity):
        return identity
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Mul):
        out = identity
        for f in node.factors:
            out = _compose(out, _perm_eval(f, env, identity))
        return out
    if isinstance(node, Pow):
        b = _perm_eval(node.base, env, identity)
        if node.k < 0:
            b = _inverse(b)
        out = identity
        for _ in range(abs(node.k)):
            out = _compose(out, b)
        return out
    if isinstance(node, Comm):  # u^-1 v^-1 u v
        u, v = _perm_eval(node.left, env, identity), _perm_eval(node.right, env, identity)
        return _compose(_compose(_inverse(u), _inverse(v)), _compose(u, v))
    if isinstance(node, Conj):  # v^-1 u v
        u, v = _perm_eval(node.base, env, identity), _perm_eval(node.by, env, identity)
        return _compose(_compose(_inverse(v), u), v)
    raise TypeError(node)


@settings(max_examples=150, deadline=None)
@given(trees, st.randoms(use_true_random=False))
def test_evaluation_matches_permutation_arithmetic(tree, rnd):
    G = group("S4")
    w = Word.parse(str(Word(tree, ())))
    P = G.perm_images
    args = [np.array([rnd.randrange(G.order) for _ in range(20)]) for _ in w.variables]
    got = w.evaluate(G, *args) if args else np.broadcast_to(w.evaluate(G), (20,))
    identity = tuple(range(4))
    for i in range(20):
        env = {v: tuple(P[a[i]]) for v, a in zip(w.variables, args)}
        assert tuple(P[got[i]]) == _perm_eval(tree, env, identity)


@settings(max_examples=100, deadline=None)
@given(trees)
def test_free_reduction_preserves_the_word_map(tree):
    G = group("Q8")
    w = Word.parse(str(Word(tree, ())))
    r = Word.parse(w.reduced(), variables=w.variables)
    assert np.array_equal(w.table(G), r.table(G))
    assert w.equivalent(r)


def _exponent_sum(node, var) -> int:
    """Exponent sum of var (the word's image in the abelianisation Z^k)."""
    if isinstance(node, Var):
        return int(node.name == var)
    if isinstance(node, Identity):
        return 0
    if isinstance(node, Mul):
        return sum(_exponent_sum(f, var) for f in node.factors)
    if isinstance(node, Pow):
        return node.k * _exponent_sum(node.base, var)
    if isinstance(node, Comm):
        return 0
    if isinstance(node, Conj):
        return _exponent_sum(node.base, var)
    raise TypeError(node)


@settings(max_examples=100, deadline=None)
@given(trees, st.integers(2, 9))
def test_abelian_evaluation_is_the_exponent_sum(tree, m):
    """On Z_m a word is the linear form sum_v e_v(w) v (mod m)."""
    G = group(f"Z{m}")
    w = Word.parse(str(Word(tree, ())))
    t = w.table(G)
    grids = np.meshgrid(*[np.arange(m)] * w.arity, indexing="ij")
    expected = sum((_exponent_sum(tree, v) * g for v, g in zip(w.variables, grids)),
                   np.zeros((m,) * w.arity, dtype=np.int64)) % m
    assert np.array_equal(t, expected)
    # occurrence counts: free reduction removes letters in pairs x x^-1
    for v in w.variables:
        red, written = w.occurrences(v), w.occurrences(v, reduced=False)
        assert red <= written and (written - red) % 2 == 0
        assert red % 2 == abs(_exponent_sum(tree, v)) % 2


@pytest.mark.parametrize("text, nx, ny", [
    ("xy", 1, 1), ("[x,y]", 2, 2), ("x^2y^2", 2, 2), ("xyX", 2, 1), ("x^3 y^-2", 3, 2),
    ("(xy)^2", 2, 2), ("x^y", 1, 2), ("[x,y]^2", 4, 4), ("xXy", 0, 1), ("x^2", 2, 0),
])
def test_occurrence_counts(text, nx, ny):
    w = Word.parse(text)
    assert (w.occurrences("x"), w.occurrences("y")) == (nx, ny)


def test_occurrences_as_written():
    w = Word.parse("xXy")
    assert w.occurrences("x", reduced=False) == 2 and w.occurrences("x") == 0


# ---------------------------------------------------------------------------- variables

def test_variables_alphabetical_by_default():
    assert Word.parse("yx").variables == ("x", "y")
    assert Word.parse("zab").variables == ("a", "b", "z")
    assert Word.parse("1").variables == ()


def test_variable_order_option():
    G = group("S3")
    mul = np.asarray(G.mul)
    assert np.array_equal(Word.parse("yx").table(G), mul.T)  # w(x, y) = y x
    assert np.array_equal(Word.parse("yx", variables="yx").table(G), mul)  # w(y, x) = y x
    assert np.array_equal(parse_word("yx", variables=("y", "x")).table(G), mul)
    w = Word.parse("x", variables="xy")  # an unused variable: constant along its axis
    t = w.table(G)
    assert t.shape == (6, 6) and np.all(t == np.arange(6)[:, None])
    assert Word.parse(Word.parse("yx"), variables="yx").variables == ("y", "x")


@pytest.mark.parametrize("variables", ["x", "xx", "xY", "ex", "x1", ("x", "yz")])
def test_bad_variable_lists(variables):
    with pytest.raises(WordTensorError):
        Word.parse("xy", variables=variables)


def test_three_variable_word_table():
    G = group("S3")
    t = Word.parse("[x,y,z]").table(G)
    assert t.shape == (6, 6, 6)
    u = Word.parse("[[x,y],z]").table(G)
    assert np.array_equal(t, u)


def test_wrong_number_of_arguments():
    with pytest.raises(WordTensorError):
        Word.parse("xy").evaluate(group("S3"), np.arange(6))


# ---------------------------------------------------------------------------- GAP word maps

GAP_WORDS = ["[x,y]", "x^2", "xyX", "xy", "x^2y^2"]
GAP_SMALL = [g["spec"] for g in gap_groups() if g["order"] <= 200]


@pytest.mark.parametrize("spec", GAP_SMALL)
@pytest.mark.parametrize("word", GAP_WORDS)
def test_word_fibres_match_gap(spec, word):
    g = gap_group(spec)
    data = g["word_images"][word]
    # the permutation group GAP used: fibres element by element at GAP's class representatives
    G = Group.from_permutations(g["perm_generators"])
    T = word_tensor(G, word)
    assert T.arity == data["num_variables"]
    fib = T.fibre_sizes()
    assert fib.sum() == G.order ** T.arity
    assert T.stats()["image_size"] == data["image_size"] == len(T.image_elements())
    for rep, expected in zip(g["class_representatives"], data["fibre_sizes_by_class"]):
        assert fib[G.index(rep)] == expected
    assert Counter(fib.tolist()) == weighted_class_counter(g, data["fibre_sizes_by_class"])
    if "fibre_sizes_sorted" in data:
        assert sorted(fib.tolist()) == data["fibre_sizes_sorted"]
    # the group built from its spec has the same fibre multiset
    H = group(spec)
    assert sorted(word_tensor(H, word).fibre_sizes().tolist()) == sorted(fib.tolist())


def test_identity_word_and_constants():
    G = group("D4")
    T = word_tensor(G, "1")
    assert T.shape == (G.order,) and T.nnz == 1 and T.image_elements().tolist() == [0]
    assert math.prod(word_tensor(G, "xX").shape) == G.order**2
    assert word_tensor(G, "xX").image_elements().tolist() == [0]

