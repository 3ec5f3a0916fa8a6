"""Hostile input for the API and the command line, as a new user would type it (a list of
cases) and as hypothesis draws it: words, specs, numbers, paths, interrupted and concurrent
runs.

Every case must end in one of two ways: a clean refusal (a WordTensorError from the API; exit
2 and exactly one line ``wordtensor: error: …`` on stderr from the CLI), or an answer that
passes a mathematical check made here (the group axioms, n^k non-zeros and an independent
evaluation of the word, Σ d² = |G|, squared norms adding up to n^k, the support inside the
cover, ...). A traceback, a raw exception, a hang (every command runs under --max-seconds and
small sizes) or an answer that fails its check fails the test.

Hypothesis runs derandomised with a fixed number of examples (WORDTENSOR_FUZZ_EXAMPLES scales
it; the default keeps the file well under a minute). WORDTENSOR_FUZZ_REPORT=FILE writes the
counts of cases, clean errors and checked answers as JSON when the module ends.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wordtensor import Group, Word, WordTensorError, parse_word, validate, word_tensor
from wordtensor.cli import main

SCALE = float(os.environ.get("WORDTENSOR_FUZZ_EXAMPLES", "1"))
FUZZ = settings(max_examples=int(60 * SCALE), deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
FEW = settings(FUZZ, max_examples=int(15 * SCALE))
#: Every fuzzed command runs under these limits: nothing big is computed.
LIMITS = ["--max-seconds", "20", "--max-memory", "3G"]
OUTCOMES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    path = os.environ.get("WORDTENSOR_FUZZ_REPORT")
    if path:
        Path(path).write_text(json.dumps(dict(OUTCOMES), indent=2))


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("WORDTENSOR_PROGRESS", "0")


# ------------------------------------------------------------------------------ checks
def cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``wordtensor argv`` in this process; an exception escaping ``main`` is a traceback
    for the user, so it fails the test."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    except BaseException as exc:  # noqa: BLE001 - any escape is the failure under test
        pytest.fail(f"traceback from wordtensor {argv[:6]}: {type(exc).__name__}: {exc}")
    OUTCOMES["cases"] += 1
    return rc, out.getvalue(), err.getvalue()


def clean_or_answer(rc: int, err: str, argv) -> bool:
    """True for an answer (exit 0), False for a clean one-line refusal (exit 2)."""
    if rc == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("wordtensor: error: "), (argv, err)
        assert "Traceback" not in err and len(lines[0]) > 25, (argv, err)
        OUTCOMES["clean errors"] += 1
        return False
    assert rc == 0, (argv, rc, err)
    OUTCOMES["correct answers"] += 1
    return True


def api(fn, *args, **kw):
    """``fn(*args, **kw)``, or None when it refuses with a WordTensorError (counted); any other
    exception fails the test."""
    OUTCOMES["cases"] += 1
    try:
        out = fn(*args, **kw)
    except WordTensorError as exc:
        assert str(exc).strip(), "an error without a message"
        OUTCOMES["clean errors"] += 1
        return None
    OUTCOMES["correct answers"] += 1
    return out


def assert_group(G: Group) -> None:
    """The group axioms, read from the table: a Latin square with identity 0, inverses, and
    associativity (all triples up to order 40, 2000 random ones above)."""
    n, mul = G.order, np.asarray(G.mul, dtype=np.int64)
    ar = np.arange(n)
    assert mul.shape == (n, n) and (mul[0] == ar).all() and (mul[:, 0] == ar).all()
    assert (np.sort(mul, axis=1) == ar).all() and (np.sort(mul, axis=0) == ar[:, None]).all()
    assert (mul[ar, G.inv] == 0).all()
    if n <= 40:
        a, b, c = np.meshgrid(ar, ar, ar, indexing="ij")
    else:
        a, b, c = np.random.default_rng(0).integers(0, n, (3, 2000))
    assert (mul[mul[a, b], c] == mul[a, mul[b, c]]).all()


def assert_word_tensor(G: Group, w: Word) -> None:
    """n^k non-zeros, one per input tuple, and the value at sampled tuples equal to the product
    of the freely reduced letters, multiplied out here from the table."""
    T = word_tensor(G, w)
    n, k = G.order, w.arity
    assert T.nnz == n**k and T.image.min() >= 0 and T.image.max() < n
    assert int(T.fibre_sizes().sum()) == n**k
    letters = w.letters()
    rng = np.random.default_rng(1)
    for flat in rng.integers(0, n**k, 20) if k else [0]:
        digits = np.unravel_index(flat, (n,) * k) if k else ()
        env = {v: int(d) for v, d in zip(w.variables, digits)}
        g = 0
        for v, e in letters:
            g = int(G.mul[g, env[v] if e > 0 else G.inv[env[v]]])
        assert g == int(T.image[flat])


# ------------------------------------------------------------------------------ strategies
SMALL_FAMILIES = st.one_of(
    st.builds("Z{}".format, st.integers(-2, 60)), st.builds("S{}".format, st.integers(-1, 6)),
    st.builds("D{}".format, st.integers(-1, 30)), st.builds("A{}".format, st.integers(0, 6)),
    st.builds("Q{}".format, st.integers(0, 40)), st.builds("Dic{}".format, st.integers(0, 10)),
    st.sampled_from(["V4", "V5", "Q8", "SL(2,3)", "GL(2,2)", "GL(2,3)", "PSL(2,5)", "SL(2,4)",
                     "GL(2,6)", "PGL(2,3)", "SmallGroup(24,12)", "SmallGroup(8,6)",
                     "SmallGroup(0,1)", "gap:Foo", "Z2^3", "Z2^0", "S3^2"]))
PERMS = st.lists(st.lists(st.integers(-1, 7), min_size=0, max_size=4), min_size=0, max_size=3)
SPECS = st.one_of(
    SMALL_FAMILIES,
    st.builds(lambda a, b: f"{a}x{b}", SMALL_FAMILIES, SMALL_FAMILIES),
    st.builds(lambda cs: "perm:" + ",".join("(" + ",".join(map(str, c)) + ")" for c in cs), PERMS),
    st.builds(lambda k, s: "(" * k + s + ")" * k, st.integers(0, 120), SMALL_FAMILIES),
    st.text(alphabet="SZDAQVxcPLG^()0123456789,: perm", max_size=14))
ATOMS = st.sampled_from(["x", "y", "z", "X", "Y", "1", "e", "a"])
WORDS = st.recursive(ATOMS, lambda inner: st.one_of(
    st.builds(lambda a, b: a + b, inner, inner),
    st.builds(lambda a, k: f"({a})^{k}", inner, st.integers(-7, 7)),
    st.builds(lambda a, b: f"[{a},{b}]", inner, inner),
    st.builds(lambda a, v: f"({a})^{v}", inner, st.sampled_from("xyY"))), max_leaves=6)
RAW_WORDS = st.text(alphabet="xyzXYe1^-0123456789()[],* ", max_size=14)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "1_000", "", " ", "١٢", "1e3",
                     "-0", "2.5", "1,5", "true", "None"]),
    st.text(max_size=6), st.booleans(), st.none())


# ------------------------------------------------------------------------------ the API
@FUZZ
@given(SPECS)
def test_specs_build_groups_or_refuse(spec):
    G = api(Group.from_spec, spec, max_order=2000)
    if G is not None:
        assert_group(G)


@FUZZ
@given(st.one_of(WORDS, RAW_WORDS), st.sampled_from(["S3", "Q8", "Z4", "Z1", "D4"]))
def test_words_give_their_tensor_or_refuse(text, spec):
    G = Group.from_spec(spec)
    w = api(parse_word, text)
    if w is not None and G.order ** w.arity <= 10**5:
        assert_word_tensor(G, w)
        assert Word.parse(str(w)).letters() == w.letters()  # the printed form reads back


@FUZZ
@given(PERMS, st.one_of(st.none(), st.integers(-3, 9), st.floats(allow_nan=True)))
def test_permutation_generators_or_refuse(cycles, degree):
    gens = ["".join("(" + ",".join(map(str, c)) + ")" for c in [cyc]) for cyc in cycles]
    G = api(Group.from_permutations, gens, degree=degree, max_order=5040)
    if G is not None:
        assert_group(G)
        d = len(G.perm_images[0])
        assert math.factorial(d) % G.order == 0  # a subgroup of S_d (Lagrange)
        assert degree is None or d == degree


@FUZZ
@given(NUMBERS)
def test_validators_refuse_or_satisfy_their_rule(value):
    checks = [
        (validate.positive_int, lambda v: type(v) is int and v >= 1),
        (validate.nonnegative_int, lambda v: type(v) is int and v >= 0),
        (validate.positive_float, lambda v: type(v) is float and math.isfinite(v) and v > 0),
        (validate.probability, lambda v: type(v) is float and 0 <= v <= 1),
        (validate.tolerance, lambda v: type(v) is float and math.isfinite(v) and v > 0),
        (validate.byte_size, lambda v: type(v) is int and v >= 1),
    ]
    for fn, rule in checks:
        out = api(fn, value, "value")
        assert out is None or rule(out), (fn.__name__, value, out)


@FEW
@given(st.sampled_from(["eps", "fit_tol", "active_tol", "purity_tol", "steps", "log_per_decade"]),
       NUMBERS)
def test_surrogate_configs_refuse_or_hold_sane_values(field, value):
    from surrogate.config import grid
    from surrogate.cp import SurrogateConfig

    cfg = api(SurrogateConfig, "S3", "xy", grid(1, 4), **{field: value})
    if cfg is not None:
        v = getattr(cfg, field)
        assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        assert v >= 0 and (field not in ("steps", "log_per_decade") or float(v).is_integer())


HOSTILE_VALUES = st.one_of(st.none(), st.text(max_size=5), st.floats(allow_nan=True),
                           st.integers(-10**13, 10**13), st.lists(st.integers(), max_size=2),
                           st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


def _object_takers():
    """Public callables whose first argument is an object the toolkit made (a configuration, a
    result, a decomposition, a tensor): each must refuse anything else with a WordTensorError."""
    import fusion
    import surrogate
    from surrogate.phase_sweep import phase_cell
    from wordtensor import Word
    from wordtensor.cp import exactify, relative_error

    return {
        "Word": lambda v: Word(v, ("x",)),
        "Word variables": lambda v: Word(Word.parse("xy").tree, v),
        "relative_error": lambda v: relative_error((np.ones(1), [np.ones((2, 1))] * 3), v),
        "exactify": lambda v: exactify((np.ones(1), [np.ones((2, 1))] * 3), v),
        "box_cover": lambda v: fusion.box_cover(v),
        "check_support_in_cover": lambda v: fusion.check_support_in_cover(v, v),
        "inverse_fourier_transform": lambda v: fusion.inverse_fourier_transform("S3", v),
        "train": lambda v: surrogate.train(v),
        "train_network": lambda v: surrogate.train_network(v),
        "BatchedCP": lambda v: surrogate.BatchedCP(v),
        "BatchedNetwork": lambda v: surrogate.BatchedNetwork(v),
        "Analyzer": lambda v: surrogate.Analyzer(v),
        "plot_phase": lambda v: surrogate.plot_phase(v, "p.png"),
        "plot_network_run": lambda v: surrogate.plot_network_run(v),
        "compare_text": lambda v: surrogate.compare_text(v),
        "plot_compare": lambda v: surrogate.plot_compare(v, "c.png"),
        "phase_cell": lambda v: phase_cell(v),
        "SurrogateConfig.from_dict": lambda v: surrogate.SurrogateConfig.from_dict(v),
    }


@FEW
@given(st.sampled_from(sorted(_object_takers())), HOSTILE_VALUES)
def test_api_refuses_objects_it_did_not_make(which, value):
    assert api(_object_takers()[which], value) is None, (which, value)


@FEW
@given(st.sampled_from(["widths", "fractions", "seeds"]), HOSTILE_VALUES)
def test_grid_axes_refuse_or_build_a_valid_grid(axis, value):
    from surrogate.config import grid

    axes = {"seeds": 1, "widths": [4], "fractions": [1.0]} | {axis: value}
    out = api(grid, axes["seeds"], axes["widths"], axes["fractions"])
    if out is not None:  # every instance holds a checked width, fraction and seed
        assert out and all(type(i.width) is int and i.width >= 1 and 0 < i.train_fraction <= 1
                           and type(i.seed) is int and i.seed >= 0 for i in out)


# ------------------------------------------------------------------------------ the CLI
def check_answer(argv: list[str], out: str) -> None:
    """The mathematical check of a command's JSON answer."""
    d = json.loads(out)
    command = argv[0]
    if command == "info":
        n = d["order"]
        assert sum(d["class_sizes"]) == n and sum(d["element_orders"].values()) == n
        assert all(d["exponent"] % int(o) == 0 for o in d["element_orders"])
        assert n % d["center_order"] == 0 and n % d["derived_subgroup_order"] == 0
    elif command == "tensor":
        n, k = d["order"], len(d["variables"])
        assert d["nnz"] == n**k == sum(int(s) * c for s, c in d["fibre_size_counts"].items())
        assert sum(d["fibre_size_counts"].values()) == n
    elif command == "characters":
        n = d["order"]
        assert len(d["characters"]) == len(d["classes"]) and sum(c["size"] for c in d["classes"]) == n
        assert sum(ch["degree"] ** 2 for ch in d["characters"]) == n
        V = np.array([[complex(*v) for v in ch["values"]] for ch in d["characters"]])
        h = np.array([c["size"] for c in d["classes"]])
        assert np.allclose((V * h) @ V.conj().T / n, np.eye(len(h)), atol=1e-6)
    elif command == "irreps":
        n = d["order"]
        assert sum(r["dim"] ** 2 for r in d["irreps"]) == n
        assert sum(b["space_dim"] for b in d["bscs"]) == n and max(d["checks"].values()) < 1e-6
    elif command == "fusion":
        k = len(d["occurrences"])
        assert math.isclose(d["total_norm2"], d["order"] ** k, rel_tol=1e-9)
        assert {tuple(t) for t in d["support"]} <= {tuple(t) for t in d["cover"]}
    elif command == "groups":
        assert d["count"] == len(d["groups"]) and all(g["id"][0] in d["orders"] for g in d["groups"])


@FUZZ
@given(st.sampled_from(["info", "characters", "irreps"]), SPECS)
def test_cli_group_commands(command, spec):
    argv = [command, spec, "--json", *LIMITS]
    rc, out, err = cli(argv)
    if clean_or_answer(rc, err, argv):
        check_answer(argv, out)


@FUZZ
@given(st.sampled_from(["tensor", "fusion"]), st.one_of(WORDS, RAW_WORDS),
       st.sampled_from(["S3", "Q8", "Z5", "A4", "Z2xZ2", "Z1"]))
def test_cli_word_commands(command, word, spec):
    argv = [command, spec, word, "--json", *LIMITS]
    rc, out, err = cli(argv)
    if clean_or_answer(rc, err, argv):
        check_answer(argv, out)


OPTIONS = [  # (argv before the value, option, what an accepted value must satisfy)
    (["characters", "S3", "--json"], "--digits",
     lambda v: float(v).is_integer() and 0 <= float(v) <= 15),
    (["fusion", "S3", "xy", "--json"], "--tol", lambda v: 0 <= float(v) < 1),
    (["irreps", "Z3", "--json"], "--max-memory", lambda v: validate.byte_size(v) > 0),
    (["irreps", "Z3", "--json"], "--max-seconds", lambda v: 0 < float(v) < math.inf),
    (["groups", "--json"], "--order", lambda v: True),
    (["rank", "Z2", "xy", "--json", "--search"], "--search-seconds",
     lambda v: 0 < float(v) < math.inf),
]


@FUZZ
@given(st.sampled_from(range(len(OPTIONS))), NUMBERS)
def test_cli_numeric_options(which, value):
    head, option, accepted = OPTIONS[which]
    if option == "--search-seconds" and isinstance(value, (int, float)) and not isinstance(
            value, bool) and math.isfinite(value) and value > 0:
        value = min(value, 0.2)  # a valid budget: keep the search short
    text = str(value)
    argv = [*head, f"{option}={text}"]
    rc, out, err = cli(argv)
    if clean_or_answer(rc, err, argv):
        assert accepted(text), f"{option} {text!r} accepted"
        check_answer(argv, out)


@FEW
@given(option=st.sampled_from(["lr", "init-scale", "weight-decay", "train-fraction", "steps",
                               "seeds", "width", "threads", "log-per-decade", "device"]),
       value=NUMBERS)
def test_cli_training_options(option, value, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("run") / "r"
    argv = ["surrogate", "S3", "xy", "--width", "4", "--seeds", "1", "--steps", "3",
            "--no-progress", "--no-plots", "--json", "--out", str(out_dir), *LIMITS,
            f"--{option}={value}"]
    rc, out, err = cli(argv)
    if rc == 3:  # every instance diverged (a huge learning rate): said on stderr, results kept
        assert "diverged" in err and (out_dir / "summary.json").is_file()
        OUTCOMES["correct answers"] += 1
        return
    if clean_or_answer(rc, err, argv):
        d = json.loads(out)
        assert (out_dir / "config.json").is_file() and len(d["status"]) == d["seeds"].__len__()
    else:
        assert not (out_dir / "config.json").exists()  # a refusal writes no run


# ------------------------------------------------------------------------------ hostile cases
HOSTILE = [
    # specs
    ["info", "(" * 5000 + "S3" + ")" * 5000], ["info", ""], ["info", "S3x"], ["info", "xS3"],
    ["info", "Z0"], ["info", "Z-1"], ["info", "Z1.5"], ["info", "S3^-1"], ["info", "S3^0"],
    ["info", "S3^99999999999999999999"], ["info", "Z2^14"], ["info", "Z10001"], ["info", "S8"],
    ["info", "GL(2,6)"], ["info", "GL(3,5)"], ["info", "PSL(2,1)"], ["info", "SmallGroup(8,99)"],
    ["info", "SmallGroup(-8,1)"], ["info", "perm:"], ["info", "perm:(1,2"], ["info", "perm:(0,1)"],
    ["info", "perm:(1,2)(2,3)"], ["info", "perm:(1,100001)"], ["info", "\x00"], ["info", "Q12x"],
    ["info", "perm:" + "(" * 3000], ["info", "S3 S4"], ["info", "S3", "S4"], ["info", "V5"],
    # words
    ["tensor", "S3", ""], ["tensor", "S3", "x^"], ["tensor", "S3", "x^^2"], ["tensor", "S3", "x^e"],
    ["tensor", "S3", "[x]"], ["tensor", "S3", "((x)"], ["tensor", "S3", "x**y"], ["tensor", "S3", "x2"],
    ["tensor", "S3", "x^1.5"], ["tensor", "S3", "x^²"], ["tensor", "S3", "é"], ["tensor", "S3", "12"],
    ["tensor", "S3", "x^" + "9" * 5000], ["tensor", "S3", "(" * 200 + "x" + ")" * 200],
    ["tensor", "S3", "abcdefghij"], ["tensor", "S4", "abcdfghij"], ["tensor", "S3", "e"],
    ["fusion", "S5", "x^60y"], ["fusion", "S5", "x^" + "9" * 30 + "y"], ["fusion", "S3", "xyz"],
    ["rank", "S3", "xyz"], ["rank", "S3", "x"],
    # numbers
    ["characters", "S3", "--digits", "100000"], ["characters", "S3", "--digits", "-1"],
    ["rank", "S3", "xy", "--search", "--search-seconds", "-1"],
    ["rank", "S3", "xy", "--search", "--search-seconds", "nan"],
    ["fusion", "S3", "xy", "--tol", "nan"], ["fusion", "S3", "xy", "--tol", "1e300"],
    ["irreps", "S3", "--max-memory", "0"], ["irreps", "S3", "--max-seconds", "inf"],
    ["groups", "--order", "0"], ["groups", "--order", "5-3"], ["groups", "--order", "1-1000000000"],
    ["surrogate", "S3", "xy", "--steps", "10.5"], ["surrogate", "S3", "xy", "--steps", "1e40"],
    ["surrogate", "S3", "xy", "--lr", "inf"], ["surrogate", "S3", "xy", "--init-scale", "inf"],
    ["surrogate", "S3", "xy", "--threads", "0"],
    ["surrogate", "S3", "xy", "--threads", "100000"],  # libgomp could not allocate them: exit 1
    ["surrogate", "S3", "xy", "--device", "cuda:99"],
    ["surrogate", "S3", "xy", "--device", "gpu"], ["network", "S3", "xy", "--grokfast", "nan"],
    ["phase", "S3", "xy", "--widths", "4", "--fractions", "1", "--rank-bounds", "10", "5"],
    ["compare", "/nonexistent", "--instance", "99"],
    # sizes (the large groups' refusals are in test_sizes.py)
    ["characters", "Z5000"], ["network", "GL(2,7)", "xy", "--no-progress"],
    ["study", "S3", "xyz", "--quick"], ["surrogate", "S3", "xy", "--seeds", "35083410"],
    # no command, unknown command
    [], ["bogus"], ["--bogus"],
]


#: The hostile cases that have a right answer, and what the answer must say.
ANSWERED = {
    "tensor S3 abcdefghij": ["variables a, b, c, d, f, g, h, i, j", "non-zeros        10077696",
                             "'e' is the identity"],
    "tensor S3 e": ["variables )", "non-zeros        1", "'e' is the identity"],
    "fusion S5 x^60y": ["support 7 triplets"],  # x^60 = 1 on S5: the support of y
    "fusion S3 xyz": ["squared norms add up to 216"],
    # the (x, z | y, out) flattening of the 4-way tensor has rank sum_rho d_rho^4 = 1 + 1 + 16
    "rank S3 xyz": ["18 <= R <= 18"],
    "rank S3 x": ["6 <= R <= 6"],  # the tensor of x is the 6 x 6 identity matrix
}


@pytest.mark.parametrize("argv", HOSTILE, ids=lambda a: " ".join(a)[:40] or "(nothing)")
def test_hostile_cases(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(argv)
    if clean_or_answer(rc, err, argv):  # only the ones with a right answer get here
        key = " ".join(argv)
        assert key in ANSWERED, f"{argv} accepted"
        assert all(s in out for s in ANSWERED[key]), out
    else:
        assert out == "" and not list(tmp_path.iterdir())  # a refusal prints and writes nothing


@pytest.mark.parametrize("make", ["file", "under-file", "proc", "fifo", "nul", "long",
                                  "other-kind", "empty"])
def test_hostile_paths(make, tmp_path, monkeypatch):
    """Paths that can hold neither a run nor a factors file. (A device is represented by a
    FIFO made here: never point a test at /dev/null, which a bug would replace for everyone.)"""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("mine")
    other = tmp_path / "study"
    other.mkdir()
    (other / "study.json").write_text('{"spec": "S3", "word": "xy"}')
    os.mkfifo(tmp_path / "pipe")
    path = {"file": "f", "under-file": "f/run", "proc": "/proc/x/run", "fifo": "pipe",
            "nul": "a\x00b", "long": "a" * 300, "other-kind": "study", "empty": ""}[make]
    for argv in (["surrogate", "S3", "xy", "--steps", "2", "--width", "4", "--seeds", "1",
                  "--no-progress", "--no-plots", "--out", path],
                 ["rank", "Z2", "xy", "--save", path]):
        rc, out, err = cli(argv)
        assert not clean_or_answer(rc, err, argv), f"{argv} accepted {path!r}"
    assert (tmp_path / "f").read_text() == "mine" and (tmp_path / "pipe").is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "pipe", "study"]


def test_interrupt_and_system_errors_are_one_line(monkeypatch):
    import wordtensor.commands as commands

    def interrupted(args):
        raise KeyboardInterrupt

    def disk_full(args):
        raise OSError(28, "No space left on device", "runs/x/metrics.csv")

    for fake, code, needle in ((interrupted, 130, "interrupted"), (disk_full, 2, "No space left")):
        monkeypatch.setattr(commands, "cmd_info", fake)
        rc, out, err = cli(["info", "S3"])
        assert rc == code and len(err.splitlines()) == 1 and needle in err
        OUTCOMES["clean errors"] += 1


# ------------------------------------------------------------------------------ subprocesses
def _wordtensor(*args: str, **kw) -> subprocess.Popen:
    code = "import sys; from wordtensor.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "WORDTENSOR_PROGRESS": "0"}, **kw)


def test_subprocess_refusals_print_no_traceback():
    p = _wordtensor("info", "(" * 5000 + "S3" + ")" * 5000)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 2 and out == "" and len(err.splitlines()) == 1
    assert "Traceback" not in err and "nests parentheses" in err
    OUTCOMES["cases"] += 1
    OUTCOMES["clean errors"] += 1


def test_interrupted_run_exits_130_and_resumes(tmp_path):
    """Ctrl-C in a training run: exit 130 with one line, the folder unlocked and readable, and
    a resume continues from the saved step."""
    run = tmp_path / "run"
    p = _wordtensor("surrogate", "S3", "xy", "--width", "6", "--seeds", "1", "--steps",
                    "1000000", "--log-per-decade", "40", "--no-progress", "--no-plots",
                    "--out", str(run), "--max-seconds", "1e6")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and p.poll() is None and not (run / "state.npz").is_file():
        time.sleep(0.2)
    assert p.poll() is None, p.communicate()
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("wordtensor: interrupted")
    assert "Traceback" not in err and not (run / "lock").exists()
    t = int(np.load(run / "state.npz")["t"])
    rc, out, err = cli(["surrogate", "S3", "xy", "--width", "6", "--seeds", "1", "--steps",
                        str(t + 3), "--log-per-decade", "40", "--no-progress", "--no-plots",
                        "--out", str(run), "--resume", "--json"])
    assert clean_or_answer(rc, err, "resume") and json.loads(out)["steps"] == t + 3
    OUTCOMES["cases"] += 1
    OUTCOMES["clean errors"] += 1


def test_concurrent_run_is_refused_while_another_holds_the_folder(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom surrogate.folders import RunLock\n"
         f"RunLock({str(run)!r}).acquire()\nprint('held', flush=True)\ntime.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        rc, out, err = cli(["surrogate", "S3", "xy", "--steps", "2", "--width", "4", "--seeds",
                            "1", "--no-progress", "--no-plots", "--out", str(run)])
        assert not clean_or_answer(rc, err, "concurrent") and "in use by process" in err
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("argv", [
    ["surrogate", "S3", "xy", "--width", "9", "--seeds", "2", "--steps", "20", "--lr", "1e6",
     "--no-plots"],
    ["network", "S3", "xy", "--width", "8", "--seeds", "2", "--steps", "20", "--lr", "1e12",
     "--init-scale", "1e3", "--no-plots"],
    ["phase", "S3", "xy", "--widths", "4", "9", "--fractions", "1", "--seeds", "1", "--steps",
     "20", "--lr", "1e6", "--rank-bounds", "9", "9", "--workers", "1"],
], ids=lambda a: a[0])
def test_every_instance_diverged_exits_3_with_the_results_written(argv, tmp_path):
    out = tmp_path / "run"
    rc, text, err = cli([*argv, "--no-progress", "--out", str(out), "--json"])
    assert rc == 3, err
    assert len(err.splitlines()) == 1 and "every instance" in err and str(out) in err
    written = "phase.json" if argv[0] == "phase" else "config.json"
    assert (out / written).is_file() and json.loads(text)  # the results are written
    OUTCOMES["correct answers"] += 1
