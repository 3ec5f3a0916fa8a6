"""The shared validators (wordtensor.validate): each returns the value normalised or refuses it
with a ParameterError (or the error class it is given) that says what the value must be; and
the boundary checks that use them across the packages (groups, words, tensors, fusion,
surrogate configurations, the command-line option types)."""

from __future__ import annotations

import argparse
import math
import os

import numpy as np
import pytest

from wordtensor import Group, WordTensorError, parse_word, validate, word_tensor
from wordtensor.errors import GroupSpecError, ParameterError

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("value, expected", [
    (3, 3), (np.int64(7), 7), ("12", 12), (" 5 ", 5), ("1e3", 1000), ("-0", 0)])
def test_integer_accepts_whole_numbers(value, expected):
    out = validate.integer(value, "n")
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value", [True, False, 2.5, 3.0, NAN, INF, "2.5", "x", "", None, [1],
                                   "1e400", "nan", complex(1, 0)])
def test_integer_refuses_everything_else(value):
    with pytest.raises(ParameterError, match="^n must be a whole number"):
        validate.integer(value, "n")


def test_integer_bounds_and_error_class():
    assert validate.integer(5, "k", minimum=5, maximum=5) == 5
    with pytest.raises(ParameterError, match=r">= 1 and <= 4, got 5"):
        validate.integer(5, "k", minimum=1, maximum=4)

    class Mine(WordTensorError):
        pass

    with pytest.raises(Mine):
        validate.positive_int(0, "width", error=Mine)
    assert validate.nonnegative_int(0, "steps") == 0


@pytest.mark.parametrize("value", [NAN, INF, -INF, "nan", "inf", "-inf", True, None, "1,5", [0.1]])
def test_finite_float_refuses_non_finite_and_non_numbers(value):
    with pytest.raises(ParameterError, match="must be a finite number"):
        validate.finite_float(value, "lr")


def test_finite_float_bounds_open_and_closed():
    assert validate.finite_float("0.25", "x") == 0.25
    assert validate.finite_float(0, "x", minimum=0) == 0.0
    with pytest.raises(ParameterError, match="> 0"):
        validate.finite_float(0, "x", minimum=0, open_min=True)
    with pytest.raises(ParameterError, match="< 1"):
        validate.finite_float(1, "x", maximum=1, open_max=True)
    assert validate.positive_float(1e-300, "x") == 1e-300
    assert validate.probability(1, "p") == 1.0 and validate.probability(0, "p") == 0.0
    with pytest.raises(ParameterError):
        validate.probability(0, "p", allow_zero=False)
    with pytest.raises(ParameterError):
        validate.probability(1.0000001, "p")
    assert validate.tolerance(0, "tol", allow_zero=True) == 0.0
    for bad in (0, -1, NAN):
        with pytest.raises(ParameterError, match="tol must be a finite number > 0"):
            validate.tolerance(bad, "tol")


def test_choice_and_dtype():
    assert validate.choice("gd", "optimizer", ("adam", "gd")) == "gd"
    with pytest.raises(ParameterError, match="one of adam, gd, got 'sgd'"):
        validate.choice("sgd", "optimizer", ("adam", "gd"))
    with pytest.raises(ParameterError):
        validate.choice(None, "optimizer", ("adam", "gd"))
    assert validate.dtype(np.float64) == "float64" and validate.dtype("float32") == "float32"
    for bad in ("float16", "int8", None, np.int32, "torch.float32x"):
        with pytest.raises(ParameterError, match="dtype must be one of float32, float64"):
            validate.dtype(bad)


def test_device_refuses_unknown_and_unavailable():
    import torch

    assert validate.device("cpu") == torch.device("cpu")
    assert validate.device(torch.device("cpu")).type == "cpu"
    for bad in ("gpu", "cuda:x", "", "CPU ", 5, None, "cuda:-1"):
        with pytest.raises(ParameterError):
            validate.device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="no CUDA device here"):
            validate.device("cuda")
        with pytest.raises(ParameterError, match="no CUDA device"):
            validate.device("cuda:3")


def test_out_dir_and_out_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert validate.out_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # nothing is created
    with pytest.raises(ParameterError, match="is a file, not a folder"):
        validate.out_dir(f)
    with pytest.raises(ParameterError, match="notes.txt is a file"):
        validate.out_dir(f / "sub")
    with pytest.raises(ParameterError, match="is a folder"):
        validate.out_file(tmp_path)
    with pytest.raises(ParameterError, match="notes.txt is a file"):
        validate.out_file(f / "x.npz")
    for bad in ("", 5, None, b"bytes", "a\x00b"):
        with pytest.raises(ParameterError):
            validate.out_dir(bad)
    assert validate.out_file(tmp_path / "x.npz").name == "x.npz"
    if os.geteuid() == 0:
        return  # root may write anywhere
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ParameterError, match="permission denied"):
            validate.out_dir(ro / "run")
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("text, expected", [
    ("8G", 8 << 30), ("512M", 512 << 20), ("1.5TiB", int(1.5 * (1 << 40))), ("100", 100),
    (" 2 gb ", 2 << 30), (1000, 1000), ("1k", 1024)])
def test_byte_size(text, expected):
    assert validate.byte_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "-5G", "0", "G", "1e30", "5X", None, 1.5, True])
def test_byte_size_refuses(text):
    with pytest.raises(ParameterError, match="size in bytes"):
        validate.byte_size(text)


def test_cli_type_reports_through_argparse():
    p = argparse.ArgumentParser(prog="t", exit_on_error=False)
    p.add_argument("--lr", type=validate.cli_type(validate.positive_float))
    p.add_argument("--out", type=validate.cli_type(validate.path, then=str))
    assert p.parse_args(["--lr", "0.5", "--out", "x"]).lr == 0.5
    assert p.parse_args(["--out", "x"]).out == "x"
    with pytest.raises(argparse.ArgumentError, match="must be a finite number > 0, got 'inf'"):
        p.parse_args(["--lr", "inf"])


# ------------------------------------------------------------------ boundary checks that use them
def test_groups_take_specs_and_refuse_other_values():
    from fusion import bscs, character_table, fourier_basis, fusion_rules, irreps

    assert [r.dim for r in irreps("S3")] == [1, 1, 2]
    assert len(bscs("Q8")) == 5 and character_table("A4").num_classes == 4
    assert fourier_basis("Z3").matrix.shape == (3, 3) and fusion_rules("S3").shape == (3, 3, 3)
    assert word_tensor("S3", "xy").nnz == 36
    for fn in (irreps, bscs, character_table, fourier_basis, fusion_rules,
               lambda g: word_tensor(g, "xy")):
        for bad in (None, 5, ["S3"], 3.5):
            with pytest.raises(GroupSpecError, match="a Group or a spec string"):
                fn(bad)


def test_permutation_generators_and_degree():
    with pytest.raises(GroupSpecError, match="permutation generators must be a string"):
        Group.from_permutations(None)
    with pytest.raises(ParameterError, match=r"degree 1 is smaller than the largest point moved \(2\)"):
        Group.from_permutations("(1,2)", degree=1)
    with pytest.raises(ParameterError, match="degree must be a whole number >= 1"):
        Group.from_permutations("(1,2)", degree=-5)
    G = Group.from_permutations("(1,2)", degree=4)
    assert G.order == 2 and len(G.perm_images[0]) == 4  # the degree is used, not ignored
    with pytest.raises(GroupSpecError, match="not a 0-based permutation"):
        Group.from_permutations([[1, 1, 0]])


def test_nested_specs_are_refused_without_recursion():
    deep = "(" * 5000 + "S3" + ")" * 5000
    for build in (Group.from_spec, lambda s: word_tensor(s, "xy")):
        with pytest.raises(GroupSpecError, match="nests parentheses more than 50 levels"):
            build(deep)
    assert Group.from_spec("(" * 50 + "S3" + ")" * 50).order == 6


def test_matrix_and_table_inputs():
    with pytest.raises(GroupSpecError, match="whole numbers"):
        Group.from_matrices([[[1.5, 0], [0, 1]]], q=3)  # was truncated to 1 silently
    with pytest.raises(GroupSpecError, match="field order q"):
        Group.from_matrices([[[1, 1], [0, 1]]], q=NAN)
    with pytest.raises(GroupSpecError, match="matrix generators must be"):
        Group.from_matrices(None, q=3)
    from wordtensor.errors import GroupTableError

    with pytest.raises(GroupTableError, match="square array"):
        Group.from_table([[0, 1], [1]])
    with pytest.raises(GroupTableError, match="labels must be a list"):
        Group.from_table([[0, 1], [1, 0]], labels=5)


def test_words_and_tensors_check_their_arguments():
    G = Group.from_spec("Z5")
    w = parse_word("x^2 y")
    with pytest.raises(ParameterError, match="must be integers in 0..4"):
        w.evaluate(G, [7], [1])
    with pytest.raises(ParameterError, match="must be integers"):
        w.evaluate(G, [1.5], [1])
    assert w.evaluate("Z5", [1], [3]).tolist() == [0]  # 2 + 3 = 5 = 0
    with pytest.raises(WordTensorError, match="variables must be a string"):
        parse_word("xy", variables=5)
    with pytest.raises(WordTensorError, match="single lowercase letter"):
        w.occurrences(5)
    T = word_tensor("S3", "xy")
    for bad in (1.5, None, 3, -1):
        with pytest.raises(ParameterError, match="mode"):
            T.unfolding(bad)
    with pytest.raises(ParameterError, match="dtype"):
        T.dense("foo")
    with pytest.raises(ParameterError, match="max_bytes"):
        word_tensor("S3", "xy", max_bytes=NAN)
    with pytest.raises(ParameterError, match="device"):
        T.to_torch(device="foo")
    with pytest.raises(ParameterError, match="exponent k must be a whole number"):
        G.power([1], 2.5)


def test_e_is_the_identity_and_the_tensor_says_so():
    T = word_tensor("Z2", "abcdefghij")
    assert T.arity == 9 and T.nnz == 2**9
    assert T.stats()["notes"] and "'e' is the identity" in T.stats()["notes"][0]
    assert word_tensor("Z2", "xy").stats()["notes"] == []


@pytest.mark.parametrize("field, value", [
    ("eps", 0.0), ("eps", -1.0), ("eps", NAN), ("fit_tol", NAN), ("active_tol", -1.0),
    ("purity_tol", 2.0), ("steps", 10.5), ("steps", NAN), ("steps", True), ("betas", (0.9,)),
    ("betas", (0.9, 1.0)), ("log_per_decade", 0), ("optimizer", "sgd"), ("loss", None)])
def test_surrogate_config_refuses(field, value):
    from surrogate.config import ConfigError, grid
    from surrogate.cp import SurrogateConfig

    with pytest.raises(ConfigError, match=field.split("_")[0] if field != "betas" else "betas"):
        SurrogateConfig("S3", "xy", grid(1, 9), **{field: value})


@pytest.mark.parametrize("field, value", [
    ("eps", NAN), ("grokfast_lambda", NAN), ("grokfast_lambda", INF), ("grokfast_alpha", 1.0),
    ("eval_every", 2.5), ("output_scale", -1.0), ("orthograd", "yes"), ("active_tol", -1.0)])
def test_network_config_refuses(field, value):
    from surrogate.config import ConfigError
    from surrogate.networks import NetworkConfig, network_grid

    with pytest.raises(ConfigError):
        NetworkConfig("S3", "xy", network_grid(1, 8), **{field: value})


def test_a_given_tensor_must_be_the_configurations():
    from surrogate.config import ConfigError, grid
    from surrogate.cp import SurrogateConfig, train

    with pytest.raises(ConfigError, match="the word tensor given is xy on S4"):
        train(SurrogateConfig("S3", "xy", grid(1, 9), steps=1), tensor=word_tensor("S4", "xy"),
              progress=False)
    res = train(SurrogateConfig("C5", "xy", grid(1, 4), steps=1), tensor=word_tensor("Z5", "xy"),
                progress=False)  # C5 names the group Z5: the same table
    assert res.steps[-1] == 1


def test_fusion_arguments():
    from fusion import bsc_projector, decompose, verify_representations
    from fusion.reps.fusion_rules import bsc_tensor_power

    for tol in (NAN, -1, 1.0, INF):
        with pytest.raises(ParameterError, match="tol"):
            decompose("S3", "xy", tol=tol)
    with pytest.raises(ParameterError, match="tol"):
        verify_representations("S3", tol=0)
    with pytest.raises(ParameterError, match="bsc index"):
        bsc_projector("S3", 3)
    with pytest.raises(ParameterError, match="tensor power"):
        bsc_tensor_power("S3", 2, -1)
    with pytest.raises(WordTensorError, match="not on S3"):
        decompose("S3", word_tensor("S4", "xy"))
    assert math.isclose(float(decompose("S3", word_tensor("S3", "xy")).norms.sum()), 36.0)
