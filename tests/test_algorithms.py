"""Tests for fusion.algorithms: multiplication tensors and known low-rank decompositions."""

from __future__ import annotations

import dataclasses
import doctest
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import tensorly as tl
from tensorly.cp_tensor import CPTensor

import fusion.algorithms as alg

RNG = np.random.default_rng(20240521)

SHARED_DATA = Path(__file__).resolve().parents[1] / "shared" / "data"
SOURCE_NPZ = "matmul_factorizations_r.npz"

BEST_RANKS = {
    "R": [1, 7, 23, 49, 98, 160],
    "C": [3, 21, 69, 147, 294, 480],
    "H": [8, 56, 184, 392, 784, 1280],
}


# ------------------------------------------------------------------------------------------
# helpers


def rank(cp: CPTensor) -> int:
    return cp.factors[0].shape[1]


def dyadic_ints(F: np.ndarray) -> tuple[np.ndarray, int]:
    """``F = N / 2**k`` with integer ``N``: return ``(N, 2**k)``; fail if not dyadic."""
    F = np.asarray(F, dtype=np.float64)
    for k in range(12):
        G = F * 2**k
        if np.array_equal(G, np.round(G)):
            return np.round(G).astype(np.int64), 2**k
    raise AssertionError("factor entries are not dyadic rationals")


def assert_exact(cp: CPTensor, T: np.ndarray) -> None:
    """Exact check in integer arithmetic (all factors dyadic, tensor integral), then max-abs."""
    weights, factors = cp
    assert all(f.dtype == np.float64 for f in factors)
    T_int, t_den = dyadic_ints(T)
    assert t_den == 1
    w, scale = dyadic_ints(weights)
    ints = []
    for F in factors:
        N, den = dyadic_ints(F)
        ints.append(N)
        scale *= den
    rec = np.einsum("r,ar,br,cr->abc", w, *ints)
    assert np.array_equal(rec, T_int * scale), "decomposition does not reconstruct the tensor"
    assert alg.verify(cp, T) < 1e-12


def apply_bilinear(cp: CPTensor, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sum_r w_r <U_r, x> <V_r, y> W_r`` without building the dense tensor."""
    weights, (U, V, W) = cp
    return W @ (weights * (x @ U) * (y @ V))


def contract(T: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("abc,a,b->c", T, x, y)


def to_complex(vec: np.ndarray, d: int) -> np.ndarray:
    """Our M_d(C) coordinates -> complex d x d matrix."""
    v = vec.reshape(d, d, 2)
    return v[..., 0] + 1j * v[..., 1]


def from_complex(M: np.ndarray) -> np.ndarray:
    return np.stack([M.real, M.imag], axis=-1).reshape(-1)


def quat_to_complex2(vec: np.ndarray, d: int) -> np.ndarray:
    """Our M_d(H) coordinates -> 2d x 2d complex matrix, q = z + w j -> [[z, w], [-conj w, conj z]]."""
    v = vec.reshape(d, d, 4)
    z = v[..., 0] + 1j * v[..., 1]
    w = v[..., 2] + 1j * v[..., 3]
    return np.block([[z, w], [-w.conj(), z.conj()]])


def complex2_to_quat(M: np.ndarray, d: int) -> np.ndarray:
    z, w = M[:d, :d], M[:d, d:]
    return np.stack([z.real, z.imag, w.real, w.imag], axis=-1).reshape(-1)


def ints(*shape: int) -> np.ndarray:
    return RNG.integers(-4, 5, size=shape).astype(np.float64)


# ------------------------------------------------------------------------------------------
# tensors


def test_matmul_tensor_matches_matrix_product():
    for n, m, p in [(1, 1, 1), (2, 3, 4), (3, 1, 2), (4, 4, 4)]:
        T = alg.matmul_tensor(n, m, p)
        assert T.shape == (n * m, m * p, n * p) and T.sum() == n * m * p
        A, B = ints(n, m), ints(m, p)
        np.testing.assert_array_equal(contract(T, A.ravel(), B.ravel()), (A @ B).ravel())


def test_real_matrix_algebra_is_matmul_tensor():
    for d in (1, 2, 3):
        np.testing.assert_array_equal(alg.multiplication_tensor("R", d), alg.matmul_tensor(d, d, d))


def test_quaternion_hamilton_rules():
    T = alg.multiplication_tensor("H")
    one, i, j, k = np.eye(4)

    def mul(x, y):
        return contract(T, x, y)

    for u in (i, j, k):
        np.testing.assert_array_equal(mul(u, u), -one)
        np.testing.assert_array_equal(mul(one, u), u)
        np.testing.assert_array_equal(mul(u, one), u)
    np.testing.assert_array_equal(mul(mul(i, j), k), -one)
    np.testing.assert_array_equal(mul(i, j), k)
    np.testing.assert_array_equal(mul(j, k), i)
    np.testing.assert_array_equal(mul(k, i), j)
    np.testing.assert_array_equal(mul(j, i), -k)
    np.testing.assert_array_equal(mul(k, j), -i)
    np.testing.assert_array_equal(mul(i, k), -j)


def test_complex_tensor_is_complex_multiplication():
    T = alg.multiplication_tensor("C")
    for _ in range(5):
        a, b = ints(2), ints(2)
        z = complex(*a) * complex(*b)
        np.testing.assert_array_equal(contract(T, a, b), [z.real, z.imag])


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_associativity_and_unit(algebra, d):
    T = alg.multiplication_tensor(algebra, d)
    dim = alg.algebra_dim(algebra, d)
    assert T.shape == (dim, dim, dim)
    a, b, c = ints(dim), ints(dim), ints(dim)
    np.testing.assert_array_equal(
        contract(T, contract(T, a, b), c), contract(T, a, contract(T, b, c))
    )
    unit = np.zeros(dim)
    unit[[(i * d + i) * alg.ALGEBRAS[algebra] for i in range(d)]] = 1.0
    np.testing.assert_array_equal(contract(T, unit, a), a)
    np.testing.assert_array_equal(contract(T, a, unit), a)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_complex_matrix_tensor_matches_numpy(d):
    T = alg.multiplication_tensor("C", d)
    x, y = ints(2 * d * d), ints(2 * d * d)
    expected = from_complex(to_complex(x, d) @ to_complex(y, d))
    np.testing.assert_array_equal(contract(T, x, y), expected)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_quaternion_matrix_tensor_matches_complex_model(d):
    T = alg.multiplication_tensor("H", d)
    x, y = ints(4 * d * d), ints(4 * d * d)
    prod = quat_to_complex2(x, d) @ quat_to_complex2(y, d)
    got = contract(T, x, y)
    np.testing.assert_array_equal(quat_to_complex2(got, d), prod)  # the image is closed
    np.testing.assert_array_equal(complex2_to_quat(prod, d), got)


def test_kron_tensor_convention():
    T = alg.kron_tensor(alg.matmul_tensor(2, 2, 2), alg.multiplication_tensor("C"))
    np.testing.assert_array_equal(T, alg.multiplication_tensor("C", 2))
    A, B = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(5, 1, 2))
    K = alg.kron_tensor(A, B)
    assert K[1 * 5 + 3, 2 * 1 + 0, 3 * 2 + 1] == A[1, 2, 3] * B[3, 0, 1]


# ------------------------------------------------------------------------------------------
# hand-written decompositions


@pytest.mark.parametrize(
    "make, tensor, expected_rank",
    [
        (alg.gauss_complex, lambda: alg.multiplication_tensor("C"), 3),
        (alg.quaternion_rank8, lambda: alg.multiplication_tensor("H"), 8),
        (alg.strassen, lambda: alg.matmul_tensor(2, 2, 2), 7),
        (alg.laderman, lambda: alg.matmul_tensor(3, 3, 3), 23),
    ],
    ids=["gauss", "quaternion", "strassen", "laderman"],
)
def test_named_decompositions_exact(make, tensor, expected_rank):
    cp = make()
    assert isinstance(cp, CPTensor)
    assert rank(cp) == expected_rank
    assert_exact(cp, tensor())
    np.testing.assert_array_equal(tl.cp_to_tensor(cp), tensor())


def test_quaternion_rank8_exact_in_fractions():
    # independent rational check of the 1/2 coefficients, term by term
    weights, (U, V, W) = alg.quaternion_rank8()
    Fr = np.vectorize(Fraction)
    T = np.einsum("r,ar,br,cr->abc", Fr(weights), Fr(U), Fr(V), Fr(W))
    assert (T == Fr(alg.multiplication_tensor("H"))).all()


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 4), (3, 3, 3), (4, 1, 2)])
def test_standard_matmul(shape):
    cp = alg.standard_matmul(*shape)
    assert rank(cp) == np.prod(shape)
    assert_exact(cp, alg.matmul_tensor(*shape))


# ------------------------------------------------------------------------------------------
# combinators


def random_cp(shape, r):
    return CPTensor((RNG.normal(size=r), [RNG.normal(size=(s, r)) for s in shape]))


def test_kronecker_generic():
    cp1, cp2 = random_cp((2, 3, 4), 2), random_cp((3, 2, 2), 3)
    K = alg.kronecker(cp1, cp2)
    assert rank(K) == 6
    expected = alg.kron_tensor(tl.cp_to_tensor(cp1), tl.cp_to_tensor(cp2))
    assert alg.verify(K, expected) < 1e-12


def test_kronecker_of_algebras():
    assert_exact(alg.kronecker(alg.gauss_complex(), alg.gauss_complex()),
                 alg.kron_tensor(alg.multiplication_tensor("C"), alg.multiplication_tensor("C")))
    cp = alg.kronecker(alg.strassen(), alg.quaternion_rank8())
    assert rank(cp) == 56
    assert_exact(cp, alg.multiplication_tensor("H", 2))


def test_strassen_squared_gives_444_rank_49():
    cp = alg.kronecker_matmul(alg.strassen(), (2, 2, 2), alg.strassen(), (2, 2, 2))
    assert rank(cp) == 49
    assert_exact(cp, alg.matmul_tensor(4, 4, 4))
    # without the permutation it decomposes M_2 (x) M_2 in the Kronecker basis instead
    raw = alg.kronecker(alg.strassen(), alg.strassen())
    assert_exact(raw, alg.kron_tensor(alg.matmul_tensor(2, 2, 2), alg.matmul_tensor(2, 2, 2)))
    assert alg.verify(raw, alg.matmul_tensor(4, 4, 4)) > 0.5


def test_kronecker_matmul_rectangular():
    s1, s2 = (2, 1, 3), (1, 2, 2)
    cp = alg.kronecker_matmul(alg.standard_matmul(*s1), s1, alg.strassen(), (2, 2, 2))
    assert_exact(cp, alg.matmul_tensor(4, 2, 6))
    cp = alg.kronecker_matmul(alg.standard_matmul(*s1), s1, alg.standard_matmul(*s2), s2)
    assert_exact(cp, alg.matmul_tensor(2, 2, 6))


def test_permute_modes_and_errors():
    cp = alg.permute_modes(alg.gauss_complex(), [[1, 0], None, [1, 0]])
    T = alg.multiplication_tensor("C")[[1, 0]][:, :, [1, 0]]
    assert_exact(cp, T)
    with pytest.raises(ValueError, match="permutation"):
        alg.permute_modes(alg.gauss_complex(), [[0, 0], None, None])
    with pytest.raises(ValueError, match="3 permutations"):
        alg.permute_modes(alg.gauss_complex(), [None, None])


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 5), (3, 3, 2)])
def test_symmetries(shape):
    n, m, p = shape
    cp = alg.known_matmul(*shape).cp
    assert_exact(alg.cyclic_matmul(cp, shape), alg.matmul_tensor(m, p, n))
    assert_exact(alg.transpose_matmul(cp, shape), alg.matmul_tensor(p, m, n))


def test_restrict_and_pull_back():
    cp = alg.restrict_matmul(alg.laderman(), (3, 3, 3), (2, 3, 2))
    assert rank(cp) <= 23
    assert_exact(cp, alg.matmul_tensor(2, 3, 2))
    with pytest.raises(ValueError, match="larger"):
        alg.restrict_matmul(alg.strassen(), (2, 2, 2), (3, 2, 2))
    # realification: M_d(C) inside M_2d(R); quaternions: M_d(H) inside M_2d(C)
    for d in (1, 2):
        phi, psi = alg.complex_embedding(d)
        np.testing.assert_array_equal(psi @ phi, np.eye(2 * d * d))
        cp = alg.pull_back(alg.best_matmul(2 * d), phi, psi)
        assert_exact(cp, alg.multiplication_tensor("C", d))
        phi, psi = alg.quaternion_embedding(d)
        np.testing.assert_array_equal(psi @ phi, np.eye(4 * d * d))
        cp = alg.pull_back(alg.best_decomposition("C", 2 * d).cp, phi, psi)
        assert_exact(cp, alg.multiplication_tensor("H", d))
    with pytest.raises(ValueError, match="do not fit"):
        alg.pull_back(alg.strassen(), np.eye(3), np.eye(3))


# ------------------------------------------------------------------------------------------
# published table (Fawzi et al. 2022)


def test_packaged_file_is_plain_int8():
    path = Path(alg.__file__).parent / "data" / "matmul_factorizations.npz"
    assert (path.parent / "ATTRIBUTION.md").read_text().count("CC-BY 4.0") >= 1
    with np.load(path, allow_pickle=False) as z:
        assert len(z.files) == 4 * 93
        for key in z.files:
            assert z[key].dtype == np.int8, key
        assert {k.rsplit("/", 1)[1] for k in z.files} == {"u", "v", "w", "denominator"}


def test_published_formats_all_verify():
    """Every packaged format reproduces A @ B exactly on random integer matrices."""
    formats = alg.published_formats()
    assert len(formats) == 93
    for n, m, p in formats:
        cp = alg.published_decomposition(n, m, p)
        U, V, W = cp.factors
        assert (U.shape[0], V.shape[0], W.shape[0]) == (n * m, m * p, n * p)
        assert rank(cp) < n * m * p
        A, B = ints(n, m), ints(m, p)
        # entries are multiples of 1/8, inputs small integers: exact in float64
        np.testing.assert_array_equal(apply_bilinear(cp, A.ravel(), B.ravel()), (A @ B).ravel())


@pytest.mark.parametrize("d, r", [(2, 7), (3, 23), (4, 49), (5, 98)])
def test_published_square_exact(d, r):
    cp = alg.published_decomposition(d, d, d)
    assert rank(cp) == r
    assert_exact(cp, alg.matmul_tensor(d, d, d))


@pytest.mark.parametrize("shape", [(2, 2, 3), (2, 3, 4), (3, 4, 5), (2, 5, 5)])
def test_published_rectangular_exact(shape):
    assert_exact(alg.published_decomposition(*shape), alg.matmul_tensor(*shape))


def test_packaged_table_matches_source():
    src = SHARED_DATA / SOURCE_NPZ
    if not src.exists():
        src = Path("/work/shared/data") / SOURCE_NPZ
    if not src.exists():
        pytest.skip("source table not available")
    with np.load(src, allow_pickle=True) as z:
        for key in z.files:
            n, m, p = (int(x) for x in key.split(","))
            u, v, w = (np.asarray(x, dtype=np.float64) for x in z[key])
            cp = alg.published_decomposition(n, m, p)
            np.testing.assert_array_equal(cp.factors[0], u)
            np.testing.assert_array_equal(cp.factors[1], v)
            # trace form: w is indexed by (k, i)
            np.testing.assert_array_equal(
                cp.factors[2], w.reshape(p, n, -1).transpose(1, 0, 2).reshape(n * p, -1)
            )


def test_published_missing_format():
    with pytest.raises(ValueError, match="no published decomposition"):
        alg.published_decomposition(2, 2, 13)


# ------------------------------------------------------------------------------------------
# best known decompositions


@pytest.mark.parametrize("d", range(1, 7))
def test_best_matmul(d):
    cp = alg.best_matmul(d)
    assert rank(cp) == BEST_RANKS["R"][d - 1] <= d**3
    assert_exact(cp, alg.matmul_tensor(d, d, d))


def test_known_matmul_small_formats():
    for n in range(1, 5):
        for m in range(1, 5):
            for p in range(1, 5):
                kd = alg.known_matmul(n, m, p)
                assert kd.rank == rank(kd.cp) <= n * m * p
                # rank is invariant under the six symmetries of <n, m, p>
                assert kd.rank == alg.known_matmul(m, p, n).rank == alg.known_matmul(p, m, n).rank
                assert alg.verify(kd.cp, alg.matmul_tensor(n, m, p)) == 0.0
    assert alg.known_matmul(2, 2, 2).method == "strassen"
    assert alg.known_matmul(3, 3, 3).method == "laderman"
    assert alg.known_matmul(2, 2, 3).rank == 11


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
def test_best_decomposition_ranks(algebra):
    got = [alg.best_rank(algebra, d) for d in range(1, 7)]
    assert got == BEST_RANKS[algebra]
    factor = {"R": 1, "C": 3, "H": 8}[algebra]
    assert got == [factor * r for r in BEST_RANKS["R"]]


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_best_decomposition_exact(algebra, d):
    kd = alg.best_decomposition(algebra, d)
    assert isinstance(kd, alg.KnownDecomposition)
    assert kd.rank == rank(kd.cp) == BEST_RANKS[algebra][d - 1]
    assert isinstance(kd.method, str) and kd.method
    assert_exact(kd.cp, alg.multiplication_tensor(algebra, d))


def test_best_decomposition_methods():
    assert alg.best_decomposition("R", 2).method == "strassen"
    assert alg.best_decomposition("C", 1).method == "gauss"
    assert alg.best_decomposition("H", 1).method == "quat8"
    assert alg.best_decomposition("C", 2).method == "kron(strassen, gauss)"
    assert alg.best_decomposition("H", 3).method == "kron(laderman, quat8)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        alg.best_decomposition("R", 1).rank = 0


@pytest.mark.parametrize("d", [4, 5, 6])
def test_best_decomposition_large_against_independent_products(d):
    """Evaluate the bilinear maps on random integer inputs (exact) for bigger d."""
    kd = alg.best_decomposition("R", d)
    assert alg.verify(kd.cp, alg.matmul_tensor(d, d, d)) == 0.0
    A, B = ints(d, d), ints(d, d)
    np.testing.assert_array_equal(apply_bilinear(kd.cp, A.ravel(), B.ravel()), (A @ B).ravel())

    kd = alg.best_decomposition("C", d)
    assert kd.rank == rank(kd.cp) == BEST_RANKS["C"][d - 1]
    x, y = ints(2 * d * d), ints(2 * d * d)
    expected = from_complex(to_complex(x, d) @ to_complex(y, d))
    np.testing.assert_array_equal(apply_bilinear(kd.cp, x, y), expected)

    kd = alg.best_decomposition("H", d)
    assert kd.rank == rank(kd.cp) == BEST_RANKS["H"][d - 1]
    x, y = ints(4 * d * d), ints(4 * d * d)
    expected = complex2_to_quat(quat_to_complex2(x, d) @ quat_to_complex2(y, d), d)
    np.testing.assert_array_equal(apply_bilinear(kd.cp, x, y), expected)


def test_results_are_fresh_copies():
    cp = alg.best_matmul(2)
    cp.factors[0][:] = 0.0
    assert alg.verify(alg.best_matmul(2), alg.matmul_tensor(2, 2, 2)) == 0.0


# ------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: alg.multiplication_tensor("Q"),
        lambda: alg.multiplication_tensor("r"),
        lambda: alg.multiplication_tensor("C", 0),
        lambda: alg.multiplication_tensor("C", 1.5),
        lambda: alg.multiplication_tensor("C", True),
        lambda: alg.matmul_tensor(2, -1, 2),
        lambda: alg.best_decomposition("O", 2),
        lambda: alg.best_matmul(0),
        lambda: alg.known_matmul(2, 2, "3"),
        lambda: alg.verify(alg.strassen(), alg.matmul_tensor(3, 3, 3)),
        lambda: alg.kronecker(alg.strassen(), CPTensor((np.ones(1), [np.ones((2, 1))] * 2))),
        lambda: alg.kronecker_matmul(alg.strassen(), (2, 2, 3), alg.strassen(), (2, 2, 2)),
        lambda: alg.cyclic_matmul(alg.strassen(), (2, 2)),
        lambda: alg.kronecker("not a cp", alg.strassen()),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_too_large_dense_tensor_refused():
    with pytest.raises(MemoryError):
        alg.multiplication_tensor("H", 40)


def test_doctests():
    result = doctest.testmod(alg, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20 and result.failed == 0
