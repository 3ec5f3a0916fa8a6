"""The size model (wordtensor.sizes): its estimates against what the computations allocate
(the arrays they return, tracemalloc's peak), the refusals before anything big is allocated,
the limits (options, environment, context) and the progress bars of long stages."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from fusion.decompose import decompose, decomposition_estimate
from fusion.reps.irreps import bsc_shapes, bscs, irreps, representation_estimate
from wordtensor import Group, sizes
from wordtensor.cli import main
from wordtensor.errors import ParameterError, ResourceLimitError


@pytest.mark.parametrize("spec", ["S4", "Q8", "Z5", "SL(2,3)", "A5", "Dic3", "Z3xS3"])
def test_bsc_shapes_from_the_character_table_match_the_bscs(spec):
    G = Group.from_spec(spec)
    assert bsc_shapes(G) == [(b.space_dim, b.dim) for b in bscs(G)]


@pytest.mark.parametrize("spec", ["S4", "Q8", "Z6", "SL(2,3)"])
def test_held_bytes_are_the_arrays_returned(spec):
    """What the irreps stage says it keeps is the size of the matrices it returns, and what the
    algebra stage keeps is the size of the blocks."""
    G = Group.from_spec(spec)
    est = representation_estimate(G)
    kept = sum(r.matrices.nbytes for r in irreps(G)) + sum(b.matrices.nbytes for b in bscs(G))
    assert next(s for s in est.stages if s.name == "irreps").held == kept
    dec = decompose(G, "xy")
    stage = decomposition_estimate(G, "xy").stages[-1]
    assert stage.name == "decomposition (algebra)"
    assert stage.held == sum(b.nbytes for b in dec.blocks.values())


@pytest.mark.parametrize("spec", ["A5", "SL(2,5)"])
def test_peak_of_the_decomposition_within_a_third(spec):
    """tracemalloc's peak while a fresh group is decomposed against the estimate's arrays
    (the stages' peaks, before the allocator margin and the baseline)."""
    G = Group.from_spec(spec)
    est = decomposition_estimate(G, "xy")
    arrays = (est.bytes - est.baseline) / sizes.MARGIN
    tracemalloc.start()
    try:
        decompose(G, "xy")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.67 < arrays / peak < 1.5, (arrays, peak)


def test_a_large_abelian_group_is_refused_before_anything_is_allocated():
    G = Group.cyclic(600)  # Burnside's method on 600 classes: 600³ floats, 1.6 GiB
    t = time.perf_counter()
    with sizes.limits(max_memory="1G"), pytest.raises(
            ResourceLimitError, match=r"character table of Z600 needs about .* GiB"):
        irreps(G)
    assert time.perf_counter() - t < 5 and "fusion.irreps" not in G.cache
    assert isinstance(ResourceLimitError("x"), MemoryError)


def test_limits_context_environment_and_errors(monkeypatch):
    G = Group.from_spec("S4")
    est = representation_estimate(G)
    with sizes.limits(max_memory=est.bytes - 1), pytest.raises(ResourceLimitError,
                                                                match="--max-memory"):
        sizes.check(est)
    with sizes.limits(max_memory=est.bytes):
        sizes.check(est)
    with sizes.limits(max_seconds=est.seconds / 2), pytest.raises(ResourceLimitError,
                                                                   match="--max-seconds"):
        sizes.check(est)
    monkeypatch.setenv("WORDTENSOR_MAX_MEMORY", "50%")
    assert abs(sizes.memory_limit() - sizes.available_memory() / 2) < sizes.available_memory() / 20
    monkeypatch.setenv("WORDTENSOR_MAX_MEMORY", "3G")
    assert sizes.memory_limit() == 3 << 30
    with sizes.limits(max_memory="1G"):  # an option beats the environment
        assert sizes.memory_limit() == 1 << 30
    monkeypatch.setenv("WORDTENSOR_MAX_MEMORY", "plenty")
    with pytest.raises(ParameterError, match="WORDTENSOR_MAX_MEMORY"):
        sizes.memory_limit()
    monkeypatch.setenv("WORDTENSOR_MAX_SECONDS", "-1")
    with pytest.raises(ParameterError, match="WORDTENSOR_MAX_SECONDS"):
        sizes.seconds_limit()


def test_estimate_totals():
    e = sizes.Estimate("demo", (sizes.Stage("a", 100, 40), sizes.Stage("b", 100, 0)), baseline=0)
    assert e.bytes == int(sizes.MARGIN * 140) and e.largest.name == "b"
    assert sizes.Estimate("empty", ()).bytes == sizes.BASELINE


@pytest.mark.parametrize("argv, needle", [
    (["irreps", "Z9973"], "character table of Z9973"),
    (["characters", "S4", "--max-memory", "1M"], "--max-memory"),
    (["fusion", "S4", "xy", "--max-seconds", "1e-6"], "--max-seconds"),
    (["fusion", "S7", "xy"], "triplet decomposition of xy on S7"),
    (["surrogate", "S7", "xy", "--no-progress"], "surrogate run of xy on S7"),
    (["network", "PSL(2,13)", "xy", "--no-progress"], "network run of xy on PSL(2,13)"),
    (["study", "S7", "xy", "--quick"], "study of xy on S7"),
    (["tensor", "S4", "abcdfghij"], "9.6 TiB"),
])
def test_cli_refuses_up_front_in_one_line(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    t = time.perf_counter()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wordtensor: error:") and needle in err
    assert time.perf_counter() - t < 60
    assert not list(tmp_path.iterdir())  # nothing written


def test_the_limit_is_lifted_by_the_option(capsys):
    assert main(["characters", "S4", "--max-memory", "1G", "--json"]) == 0
    assert '"order": 24' in capsys.readouterr().out


def test_progress_bar_for_a_long_stage(monkeypatch, capsys):
    monkeypatch.setenv("WORDTENSOR_PROGRESS", "1")
    monkeypatch.setattr(sizes, "PROGRESS_AFTER", 0.0)
    irreps(Group.from_spec("S4"))
    assert "irreps of S4" in capsys.readouterr().err
    monkeypatch.setenv("WORDTENSOR_PROGRESS", "0")
    irreps(Group.from_spec("S4"))
    assert capsys.readouterr().err == ""


def test_training_estimate_grows_with_the_batch():
    from surrogate.config import grid
    from surrogate.cp import SurrogateConfig
    from wordtensor import word_tensor

    T = word_tensor("S4", "xy")
    small = SurrogateConfig("S4", "xy", grid(1, 8), steps=10).estimate(T)
    big = SurrogateConfig("S4", "xy", grid(16, 64), steps=1000).estimate(T)
    assert big.stages[-1].peak > 8 * small.stages[-1].peak
    assert big.seconds > 50 * small.stages[-1].seconds > 0
    assert np.isfinite(big.bytes) and big.baseline == sizes.TORCH_BASELINE
