"""The verdict on a fit (surrogate.fits): exact only when a polish from the given factors reaches
relative error 1e-10, approximate (with its error) otherwise; and the surrogate summaries,
the study report and the comparison say so.

Truth: a known exact decomposition (the certified rank-9 factors of S3 xy, Strassen's seven
products), the same factors perturbed, and tensors that no decomposition of the given size
reaches (too few terms; the W state, of rank 3 and border rank 2)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorly as tl

from fusion.algebras import matmul_tensor, strassen
from fusion.ranks import rank_bounds
from surrogate import SurrogateConfig, grid, train
from surrogate.fits import EXACT_TOL, judge_fit, judge_fits
from surrogate.report import report_markdown
from wordtensor import Group, word_tensor


@pytest.fixture(scope="module")
def s3():
    G = Group.from_spec("S3")
    return word_tensor(G, "xy"), rank_bounds(G, "xy").cp


def _perturbed(cp, scale, seed=0):
    rng = np.random.default_rng(seed)
    w, F = cp
    return w, [f + scale * rng.standard_normal(f.shape) for f in F]


def test_known_exact_factorisation_is_exact(s3):
    T, cp = s3
    j = judge_fit(cp, T)
    assert j.fit == "exact" and j.exact
    assert j.relative_error < EXACT_TOL and j.max_abs_error < 1e-12
    assert not j.polished  # nothing to polish


def test_perturbed_factorisation_is_exact_only_after_the_polish(s3):
    T, cp = s3
    near = _perturbed(cp, 1e-4)
    assert judge_fit(near, T, polish_below=0).fit == "approximate"  # as trained: 1e-4 off
    j = judge_fit(near, T)
    assert 1e-6 < j.trained_relative_error < 1e-2
    assert j.polished and j.method == "lm"
    assert j.fit == "exact" and j.relative_error < EXACT_TOL
    # the polished factors it returns reconstruct δ
    assert np.abs(tl.cp_to_tensor(j.cp) - T.dense()).max() < 1e-9


def test_far_fit_is_approximate_with_its_error(s3):
    T, (w, F) = s3
    j = judge_fit((w[:8], [f[:, :8] for f in F]), T)  # a rank-9 tensor from 8 of its terms
    assert j.fit == "approximate" and not j.polished
    err = np.linalg.norm(tl.cp_to_tensor((w[:8], [f[:, :8] for f in F])) - T.dense()) / 6
    assert j.relative_error == pytest.approx(err)
    assert "approximate (relative error" in j.describe()


def test_border_rank_approximation_stays_approximate_after_the_polish():
    a, b = np.eye(2)
    W = sum(np.einsum("i,j,k->ijk", *t) for t in ((a, a, b), (a, b, a), (b, a, a)))
    eps = 1e-3
    u = np.stack([a + eps * b, a], axis=1)
    j = judge_fit(([1 / eps, -1 / eps], [u, u, u]), W)
    assert j.polished and j.fit == "approximate"
    assert EXACT_TOL < j.relative_error < j.trained_relative_error


def test_strassen_and_its_perturbations_in_one_call():
    T = matmul_tensor(2, 2, 2)
    w, F = strassen()
    fits = judge_fits([(w, F), _perturbed((w, F), 1e-5), _perturbed((w, F), 1.0)], T)
    assert [f.fit for f in fits[:2]] == ["exact", "exact"]
    assert fits[2].fit == "approximate"


def test_surrogate_summary_judges_fits_not_max_abs_error(s3):
    T, cp = s3
    res = train(SurrogateConfig("S3", "xy", grid(3, 9), steps=3, dtype="float64"), tensor=T,
                progress=False)
    # instance 0: the certified factors; 1: them perturbed by ~1e-3 (max-abs error ~1e-3,
    # what the old rule called exact); 2: as trained (3 steps: far from a fit)
    w, F = cp
    theta = res.factors[-1].copy()
    theta[0] = np.stack([F[0] * w, F[1], F[2]])
    wp, Fp = _perturbed(cp, 1e-3)
    theta[1] = np.stack([Fp[0] * wp, Fp[1], Fp[2]])
    res.factors[-1] = theta
    s = res.summary()
    assert s["fit"][0] == "exact" and s["exact_fit"][0]
    assert s["fit"][1] == "exact" and s["fit_polish"][1] == "lm"  # a near fit, polished
    assert s["fit"][2] == "approximate" and not s["exact_fit"][2]
    assert s["fit_relative_error"][2] > 1e-2
    assert set(s) >= {"exact_fit", "max_abs_error", "fit", "fit_relative_error"}


def test_report_says_approximate_with_the_error():
    surrogate = {"width": 9, "train_fraction": 1.0, "steps": 10, "optimizer": "adam",
                 "loss": "mse", "seeds": [0, 1], "train_accuracy": [1.0, 1.0],
                 "test_accuracy": [None, None], "max_abs_error": [1e-15, 1.4e-3],
                 "exact_fit": [True, False], "fit": ["exact", "approximate"],
                 "fit_relative_error": [1e-16, 2.1e-3],
                 "components": [{"per_triplet": {}, "active": 9}] * 2, "figures": []}
    res = {"tensor": {"group": {"name": "S3", "order": 6, "num_classes": 3, "exponent": 6,
                                "abelian": False},
                      "tensor": {"shape": [6, 6, 6], "nnz": 36, "image_size": 6,
                                 "fibre_min": 6, "fibre_max": 6}},
           "fusion": {"bscs": [], "support": [], "norms": [], "cover": [], "occurrences": [1, 1],
                      "figure": "f.png"},
           "rank": {"lower": 9, "upper": 9, "exact": True, "lower_method": "a",
                    "upper_method": "b", "max_abs_error": 0.0, "verified_in": "group basis",
                    "factors_file": "factors.npz"},
           "surrogate": surrogate}
    md = report_markdown({"spec": "S3", "word": "xy"}, res)
    assert "| exact (1.0e-16) |" in md and "| approximate (2.1e-03) |" in md
    assert "True" not in md.split("## CP surrogate")[1]
