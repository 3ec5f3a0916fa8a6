"""Tests for fusion.algebras: multiplication tensors and known low-rank decompositions, and the
shipped data (named algorithms, the Fawzi et al. table, the 2025 records) verified exactly from
the files in the repository."""

from __future__ import annotations

import dataclasses
import doctest
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import tensorly as tl
from tensorly.cp_tensor import CPTensor

import fusion.algebras
from fusion.algebras import (
    KnownDecomposition,
    best,
    best_decomposition,
    combinators,
    decompositions,
    embeddings,
    known_matmul,
    matmul_record,
    matmul_tensor,
    multiplication_tensor,
    named,
    named_decomposition,
    published,
    published_decomposition,
    strassen,
    tensors,
)
from fusion.algebras.best import best_matmul, best_rank
from fusion.algebras.combinators import (
    cyclic_matmul,
    kronecker,
    kronecker_matmul,
    permute_modes,
    restrict_matmul,
    transpose_matmul,
)
from fusion.algebras.decompositions import verify, verify_rational
from fusion.algebras.embeddings import complex_embedding, pull_back, quaternion_embedding
from fusion.algebras.named import gauss_complex, laderman, quaternion_rank8, standard_matmul
from fusion.algebras.published import published_formats, record_formats
from fusion.algebras.tensors import ALGEBRAS, algebra_dim, kron_tensor

RNG = np.random.default_rng(20240521)

DATA = Path(fusion.algebras.__file__).resolve().parents[1] / "data"
FAWZI_NPZ = "matmul_factorizations.npz"
RECORDS_NPZ = "matmul_records.npz"

# best known ranks of M_d(R) = <d,d,d> from the literature, d = 1..6: Strassen (1969) 7,
# Laderman (1976) 23, Dumas-Pernet-Sedoglavic (2025) 48, Moosbauer-Poole (2025) 93 and 153;
# M_d(C) by Gauss's 3 times M_d(R), M_d(H) by the 8-product quaternion algorithm (Howell-Lafon
# 1975) times M_d(R): both beat the embeddings M_d(C) -> M_2d(R), M_d(H) -> M_2d(C) here
BEST_RANKS = {
    "R": [1, 7, 23, 48, 93, 153],
    "C": [3 * r for r in (1, 7, 23, 48, 93, 153)],
    "H": [8 * r for r in (1, 7, 23, 48, 93, 153)],
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
    assert verify(cp, T) < 1e-12


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
        T = matmul_tensor(n, m, p)
        assert T.shape == (n * m, m * p, n * p) and T.sum() == n * m * p
        A, B = ints(n, m), ints(m, p)
        np.testing.assert_array_equal(contract(T, A.ravel(), B.ravel()), (A @ B).ravel())


def test_real_matrix_algebra_is_matmul_tensor():
    for d in (1, 2, 3):
        np.testing.assert_array_equal(multiplication_tensor("R", d), matmul_tensor(d, d, d))


def test_quaternion_hamilton_rules():
    T = multiplication_tensor("H")
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
    T = multiplication_tensor("C")
    for _ in range(5):
        a, b = ints(2), ints(2)
        z = complex(*a) * complex(*b)
        np.testing.assert_array_equal(contract(T, a, b), [z.real, z.imag])


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_associativity_and_unit(algebra, d):
    T = multiplication_tensor(algebra, d)
    dim = algebra_dim(algebra, d)
    assert T.shape == (dim, dim, dim)
    a, b, c = ints(dim), ints(dim), ints(dim)
    np.testing.assert_array_equal(
        contract(T, contract(T, a, b), c), contract(T, a, contract(T, b, c))
    )
    unit = np.zeros(dim)
    unit[[(i * d + i) * ALGEBRAS[algebra] for i in range(d)]] = 1.0
    np.testing.assert_array_equal(contract(T, unit, a), a)
    np.testing.assert_array_equal(contract(T, a, unit), a)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_complex_matrix_tensor_matches_numpy(d):
    T = multiplication_tensor("C", d)
    x, y = ints(2 * d * d), ints(2 * d * d)
    expected = from_complex(to_complex(x, d) @ to_complex(y, d))
    np.testing.assert_array_equal(contract(T, x, y), expected)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_quaternion_matrix_tensor_matches_complex_model(d):
    T = multiplication_tensor("H", d)
    x, y = ints(4 * d * d), ints(4 * d * d)
    prod = quat_to_complex2(x, d) @ quat_to_complex2(y, d)
    got = contract(T, x, y)
    np.testing.assert_array_equal(quat_to_complex2(got, d), prod)  # the image is closed
    np.testing.assert_array_equal(complex2_to_quat(prod, d), got)


def test_kron_tensor_convention():
    T = kron_tensor(matmul_tensor(2, 2, 2), multiplication_tensor("C"))
    np.testing.assert_array_equal(T, multiplication_tensor("C", 2))
    A, B = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(5, 1, 2))
    K = kron_tensor(A, B)
    assert K[1 * 5 + 3, 2 * 1 + 0, 3 * 2 + 1] == A[1, 2, 3] * B[3, 0, 1]


# ------------------------------------------------------------------------------------------
# hand-written decompositions


@pytest.mark.parametrize(
    "make, tensor, expected_rank",
    [
        (gauss_complex, lambda: multiplication_tensor("C"), 3),
        (quaternion_rank8, lambda: multiplication_tensor("H"), 8),
        (strassen, lambda: matmul_tensor(2, 2, 2), 7),
        (laderman, lambda: matmul_tensor(3, 3, 3), 23),
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
    weights, (U, V, W) = quaternion_rank8()
    Fr = np.vectorize(Fraction)
    T = np.einsum("r,ar,br,cr->abc", Fr(weights), Fr(U), Fr(V), Fr(W))
    assert (T == Fr(multiplication_tensor("H"))).all()


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 3, 4), (3, 3, 3), (4, 1, 2)])
def test_standard_matmul(shape):
    cp = standard_matmul(*shape)
    assert rank(cp) == np.prod(shape)
    assert_exact(cp, matmul_tensor(*shape))


# ------------------------------------------------------------------------------------------
# combinators


def random_cp(shape, r):
    return CPTensor((RNG.normal(size=r), [RNG.normal(size=(s, r)) for s in shape]))


def test_kronecker_generic():
    cp1, cp2 = random_cp((2, 3, 4), 2), random_cp((3, 2, 2), 3)
    K = kronecker(cp1, cp2)
    assert rank(K) == 6
    expected = kron_tensor(tl.cp_to_tensor(cp1), tl.cp_to_tensor(cp2))
    assert verify(K, expected) < 1e-12


def test_kronecker_of_algebras():
    assert_exact(kronecker(gauss_complex(), gauss_complex()),
                 kron_tensor(multiplication_tensor("C"), multiplication_tensor("C")))
    cp = kronecker(strassen(), quaternion_rank8())
    assert rank(cp) == 56
    assert_exact(cp, multiplication_tensor("H", 2))


def test_strassen_squared_gives_444_rank_49():
    cp = kronecker_matmul(strassen(), (2, 2, 2), strassen(), (2, 2, 2))
    assert rank(cp) == 49
    assert_exact(cp, matmul_tensor(4, 4, 4))
    # without the permutation it decomposes M_2 (x) M_2 in the Kronecker basis instead
    raw = kronecker(strassen(), strassen())
    assert_exact(raw, kron_tensor(matmul_tensor(2, 2, 2), matmul_tensor(2, 2, 2)))
    assert verify(raw, matmul_tensor(4, 4, 4)) > 0.5


def test_kronecker_matmul_rectangular():
    s1, s2 = (2, 1, 3), (1, 2, 2)
    cp = kronecker_matmul(standard_matmul(*s1), s1, strassen(), (2, 2, 2))
    assert_exact(cp, matmul_tensor(4, 2, 6))
    cp = kronecker_matmul(standard_matmul(*s1), s1, standard_matmul(*s2), s2)
    assert_exact(cp, matmul_tensor(2, 2, 6))


def test_permute_modes_and_errors():
    cp = permute_modes(gauss_complex(), [[1, 0], None, [1, 0]])
    T = multiplication_tensor("C")[[1, 0]][:, :, [1, 0]]
    assert_exact(cp, T)
    with pytest.raises(ValueError, match="permutation"):
        permute_modes(gauss_complex(), [[0, 0], None, None])
    with pytest.raises(ValueError, match="3 permutations"):
        permute_modes(gauss_complex(), [None, None])


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 5), (3, 3, 2)])
def test_symmetries(shape):
    n, m, p = shape
    cp = known_matmul(*shape).cp
    assert_exact(cyclic_matmul(cp, shape), matmul_tensor(m, p, n))
    assert_exact(transpose_matmul(cp, shape), matmul_tensor(p, m, n))


def test_restrict_and_pull_back():
    cp = restrict_matmul(laderman(), (3, 3, 3), (2, 3, 2))
    assert rank(cp) <= 23
    assert_exact(cp, matmul_tensor(2, 3, 2))
    with pytest.raises(ValueError, match="larger"):
        restrict_matmul(strassen(), (2, 2, 2), (3, 2, 2))
    # realification: M_d(C) inside M_2d(R); quaternions: M_d(H) inside M_2d(C)
    for d in (1, 2):
        phi, psi = complex_embedding(d)
        np.testing.assert_array_equal(psi @ phi, np.eye(2 * d * d))
        cp = pull_back(best_matmul(2 * d), phi, psi)
        assert_exact(cp, multiplication_tensor("C", d))
        phi, psi = quaternion_embedding(d)
        np.testing.assert_array_equal(psi @ phi, np.eye(4 * d * d))
        cp = pull_back(best_decomposition("C", 2 * d).cp, phi, psi)
        assert_exact(cp, multiplication_tensor("H", d))
    with pytest.raises(ValueError, match="do not fit"):
        pull_back(strassen(), np.eye(3), np.eye(3))


# ------------------------------------------------------------------------------------------
# published table (Fawzi et al. 2022)


@pytest.mark.parametrize("file, count", [(FAWZI_NPZ, 93), (RECORDS_NPZ, 3)])
def test_packaged_file_is_plain_int8(file, count):
    assert (DATA / "ATTRIBUTION.md").read_text().count("CC-BY 4.0") >= 1
    with np.load(DATA / file, allow_pickle=False) as z:
        assert len(z.files) == 4 * count
        for key in z.files:
            assert z[key].dtype == np.int8, key
        assert {k.rsplit("/", 1)[1] for k in z.files} == {"u", "v", "w", "denominator"}


def test_published_formats_all_verify():
    """Every packaged format reproduces A @ B exactly on random integer matrices."""
    formats = published_formats()
    assert len(formats) == 93
    for n, m, p in formats:
        cp = published_decomposition(n, m, p)
        U, V, W = cp.factors
        assert (U.shape[0], V.shape[0], W.shape[0]) == (n * m, m * p, n * p)
        assert rank(cp) < n * m * p
        A, B = ints(n, m), ints(m, p)
        # entries are multiples of 1/8, inputs small integers: exact in float64
        np.testing.assert_array_equal(apply_bilinear(cp, A.ravel(), B.ravel()), (A @ B).ravel())


@pytest.mark.parametrize("d, r", [(2, 7), (3, 23), (4, 49), (5, 98)])
def test_published_square_exact(d, r):
    cp = published_decomposition(d, d, d)
    assert rank(cp) == r
    assert_exact(cp, matmul_tensor(d, d, d))


@pytest.mark.parametrize("shape", [(2, 2, 3), (2, 3, 4), (3, 4, 5), (2, 5, 5)])
def test_published_rectangular_exact(shape):
    assert_exact(published_decomposition(*shape), matmul_tensor(*shape))


def trace_form_tensor(n: int, m: int, p: int, scale: int = 1) -> np.ndarray:
    """``T[(i, j), (j, k), (k, i)] = scale``: the tensor of tr(A B C), from its definition."""
    T = np.zeros((n, m, m, p, p, n))
    i, j, k = np.meshgrid(np.arange(n), np.arange(m), np.arange(p), indexing="ij")
    T[i, j, j, k, k, i] = scale
    return T.reshape(n * m, m * p, p * n)


def exact_in_integers(u, v, w, den: int, n: int, m: int, p: int) -> bool:
    """Σ_r u_r ⊗ v_r ⊗ w_r = den³ · T exactly, for integer numerators in the trace form. Every
    partial sum is bounded by max|u| max|v| max|w| · rank < 2^53, so the float64 products and
    sums below are exact integers."""
    bound = int(np.abs(u).max()) * int(np.abs(v).max()) * int(np.abs(w).max()) * u.shape[1]
    assert bound < 2**53 and den**3 < 2**53
    T = trace_form_tensor(n, m, p, den**3)
    uf, vf, wf = (np.asarray(x, dtype=np.float64) for x in (u, v, w))
    return all(np.array_equal((uf * vf[b]) @ wf.T, T[:, b]) for b in range(m * p))


def read_table(file: str) -> dict:
    """{(n, m, p): (u, v, w, denominator)} read straight from a shipped file."""
    with np.load(DATA / file, allow_pickle=False) as z:
        keys = sorted({k.rsplit("/", 1)[0] for k in z.files})
        return {tuple(int(x) for x in key.split(",")):
                tuple(z[f"{key}/{x}"].astype(np.int64) for x in "uvw")
                + (int(z[f"{key}/denominator"]),) for key in keys}


@pytest.mark.parametrize("file, count", [(FAWZI_NPZ, 93), (RECORDS_NPZ, 3)])
def test_every_shipped_decomposition_is_exact(file, count):
    """Every format of the shipped files, read without fusion.algebras, reconstructs the tensor
    of tr(A B C) in exact integer arithmetic."""
    table = read_table(file)
    assert len(table) == count
    for (n, m, p), (u, v, w, den) in table.items():
        assert u.shape[1] == v.shape[1] == w.shape[1] < n * m * p
        assert exact_in_integers(u, v, w, den, n, m, p), (n, m, p)


def test_exact_check_can_fail():
    (u, v, w, den), = [read_table(RECORDS_NPZ)[(5, 5, 5)]]
    assert exact_in_integers(u, v, w, den, 5, 5, 5)
    for F in (u, v, w):
        bad = F.copy()
        bad[3, 7] += 1
        args = [bad if G is F else G for G in (u, v, w)]
        assert not exact_in_integers(*args, den, 5, 5, 5)
    assert not verify_rational([u, v, w], den, matmul_tensor(5, 5, 5))  # w still in trace form


def test_published_table_is_the_file():
    """published_decomposition returns the file's factors, w moved from (k, i) to (i, k)."""
    for (n, m, p), (u, v, w, den) in read_table(FAWZI_NPZ).items():
        cp = published_decomposition(n, m, p)
        np.testing.assert_array_equal(cp.factors[0] * den, u)
        np.testing.assert_array_equal(cp.factors[1] * den, v)
        np.testing.assert_array_equal(
            cp.factors[2] * den, w.reshape(p, n, -1).transpose(1, 0, 2).reshape(n * p, -1))


# ------------------------------------------------------------------------------------------
# the 2025 records


@pytest.mark.parametrize("n, r, tag, author", [(4, 48, "dps2025", "Dumas"),
                                               (5, 93, "moosbauer-poole2025", "Moosbauer"),
                                               (6, 153, "moosbauer-poole2025", "Moosbauer")])
def test_records(n, r, tag, author):
    kd = matmul_record(n)
    assert isinstance(kd, KnownDecomposition) and isinstance(kd.cp, CPTensor)
    assert kd.rank == rank(kd.cp) == r and kd.method == f"{tag}<{n},{n},{n}>"
    assert author in kd.reference
    assert_exact(kd.cp, matmul_tensor(n, n, n))
    u, v, w, den = read_table(RECORDS_NPZ)[(n, n, n)]
    np.testing.assert_array_equal(kd.cp.factors[0] * den, u)
    np.testing.assert_array_equal(
        kd.cp.factors[2] * den, w.reshape(n, n, -1).transpose(1, 0, 2).reshape(n * n, -1))
    # the planner takes the record (the 2022 constructions had 49, 98, 160)
    assert (known_matmul(n, n, n).rank, known_matmul(n, n, n).method) == (r, kd.method)
    assert author in known_matmul(n, n, n).reference
    kd.cp.factors[0][:] = 0  # a fresh copy each time
    assert verify(matmul_record(n).cp, matmul_tensor(n, n, n)) < 1e-12


def test_records_refusals_and_formats():
    assert record_formats() == [(4, 4, 4), (5, 5, 5), (6, 6, 6)]
    with pytest.raises(ValueError, match="record_formats"):
        matmul_record(3)
    with pytest.raises(ValueError, match="record_formats"):
        matmul_record(4, 4, 5)


def test_planner_uses_the_records_for_group_algebras():
    """A5 (1, 3, 3, 4, 5) and S5 (1, 1, 4, 4, 5, 5, 6): the block sums of best known ranks."""
    assert sum(best_rank("R", d) for d in (1, 3, 3, 4, 5)) == 1 + 23 + 23 + 48 + 93 == 188
    assert sum(best_rank("R", d) for d in (1, 1, 4, 4, 5, 5, 6)) == 437
    kd = best_decomposition("R", 6)
    assert kd.method == "moosbauer-poole2025<6,6,6>" and "Moosbauer" in kd.reference
    # restricted records reach rectangular formats: <5,5,6> from <6,6,6> or better
    assert known_matmul(5, 5, 6).rank <= 153
    # Kronecker products of records: <8,8,8> = <2,2,2> x <4,4,4> in 7 * 48
    kd = known_matmul(8, 8, 8)
    assert kd.rank == 336 and "Strassen" in kd.reference and "Dumas" in kd.reference


def test_verify_rational():
    w, F = strassen()
    ints = [f.astype(np.int64) for f in F]
    assert verify_rational(ints, 1, matmul_tensor(2, 2, 2))
    assert verify_rational([3 * f for f in ints], 3, matmul_tensor(2, 2, 2))
    assert not verify_rational(ints, 2, matmul_tensor(2, 2, 2))
    assert not verify_rational(ints, 1, matmul_tensor(2, 2, 2)[:, :, [1, 0, 2, 3]])
    assert not verify_rational(ints[:2], 1, matmul_tensor(2, 2, 2))  # wrong number of modes
    # past 2^53 the check runs in Python integers and stays exact
    big = 2**40
    assert verify_rational([f * big for f in ints], big, matmul_tensor(2, 2, 2))
    with pytest.raises(ValueError, match="denominator"):
        verify_rational(ints, 0, matmul_tensor(2, 2, 2))
    with pytest.raises(ValueError, match="integer"):
        verify_rational([f.astype(float) for f in F], 1, matmul_tensor(2, 2, 2))


def test_attribution_is_kept():
    text = (DATA / "ATTRIBUTION.md").read_text()
    for must in ("CC-BY 4.0", "Fawzi", "CeCILL-B", "Dumas", "Pernet", "Sedoglavic", "Moosbauer",
                 "Poole", "matmul_records.npz", "named_algorithms.json"):
        assert must in text, must
    assert "shared/" not in text


# ------------------------------------------------------------------------------------------
# the named algorithms (fusion/data/named_algorithms.json)


def test_named_algorithms_come_from_the_data_file():
    with open(DATA / "named_algorithms.json") as fh:
        data = {k: v for k, v in json.load(fh).items() if isinstance(v, dict)}
    assert set(data) == {"gauss", "quat8", "strassen", "laderman"}
    for name, entry in data.items():
        kd = named_decomposition(name)
        assert kd.method == name and kd.rank == entry["rank"] == len(entry["products"])
        assert kd.reference == entry["reference"]
    with pytest.raises(ValueError, match="no named algorithm"):
        named_decomposition("winograd")


def test_a_damaged_named_algorithm_is_refused():
    """The loader verifies every algorithm exactly: one wrong sign in Strassen's first product,
    or a wrong rank, and the file is refused."""
    from fusion.algebras.named import _parse

    text = (DATA / "named_algorithms.json").read_text()
    assert set(_parse(text)) == {"gauss", "quat8", "strassen", "laderman"}
    assert text.count('["a11 + a22", "b11 + b22"]') == 1
    with pytest.raises(RuntimeError, match="strassen does not reconstruct"):
        _parse(text.replace('["a11 + a22", "b11 + b22"]', '["a11 - a22", "b11 + b22"]'))
    with pytest.raises(RuntimeError, match="laderman does not reconstruct"):
        _parse(text.replace('"rank": 23', '"rank": 22'))


def test_linear_forms_of_the_data_file():
    from fusion.algebras.named import _linear_form

    assert _linear_form("a11 - 1/2*a22 + 3*a12", ["a11", "a12", "a22"]) == [1, 3, Fraction(-1, 2)]
    with pytest.raises(RuntimeError, match="uses 'b1'"):
        _linear_form("a1 + b1", ["a1"])
    with pytest.raises(RuntimeError, match="cannot read"):
        _linear_form("a1 + * a1", ["a1"])


def test_published_missing_format():
    with pytest.raises(ValueError, match="no published decomposition"):
        published_decomposition(2, 2, 13)


# ------------------------------------------------------------------------------------------
# best known decompositions


@pytest.mark.parametrize("d", range(1, 7))
def test_best_matmul(d):
    cp = best_matmul(d)
    assert rank(cp) == BEST_RANKS["R"][d - 1] <= d**3
    assert_exact(cp, matmul_tensor(d, d, d))


def test_known_matmul_small_formats():
    for n in range(1, 5):
        for m in range(1, 5):
            for p in range(1, 5):
                kd = known_matmul(n, m, p)
                assert kd.rank == rank(kd.cp) <= n * m * p
                # rank is invariant under the six symmetries of <n, m, p>
                assert kd.rank == known_matmul(m, p, n).rank == known_matmul(p, m, n).rank
                assert verify(kd.cp, matmul_tensor(n, m, p)) == 0.0
    assert known_matmul(2, 2, 2).method == "strassen"
    assert known_matmul(3, 3, 3).method == "laderman"
    assert known_matmul(2, 2, 3).rank == 11


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
def test_best_decomposition_ranks(algebra):
    got = [best_rank(algebra, d) for d in range(1, 7)]
    assert got == BEST_RANKS[algebra]
    factor = {"R": 1, "C": 3, "H": 8}[algebra]
    assert got == [factor * r for r in BEST_RANKS["R"]]


@pytest.mark.parametrize("algebra", ["R", "C", "H"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_best_decomposition_exact(algebra, d):
    kd = best_decomposition(algebra, d)
    assert isinstance(kd, KnownDecomposition)
    assert kd.rank == rank(kd.cp) == BEST_RANKS[algebra][d - 1]
    assert isinstance(kd.method, str) and kd.method
    assert_exact(kd.cp, multiplication_tensor(algebra, d))


def test_best_decomposition_methods():
    assert best_decomposition("R", 2).method == "strassen"
    assert best_decomposition("C", 1).method == "gauss"
    assert best_decomposition("H", 1).method == "quat8"
    assert best_decomposition("C", 2).method == "kron(strassen, gauss)"
    assert best_decomposition("H", 3).method == "kron(laderman, quat8)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        best_decomposition("R", 1).rank = 0


@pytest.mark.parametrize("d", [4, 5, 6])
def test_best_decomposition_large_against_independent_products(d):
    """Evaluate the bilinear maps on random integer inputs (exact) for bigger d."""
    kd = best_decomposition("R", d)
    assert verify(kd.cp, matmul_tensor(d, d, d)) == 0.0
    A, B = ints(d, d), ints(d, d)
    np.testing.assert_array_equal(apply_bilinear(kd.cp, A.ravel(), B.ravel()), (A @ B).ravel())

    kd = best_decomposition("C", d)
    assert kd.rank == rank(kd.cp) == BEST_RANKS["C"][d - 1]
    x, y = ints(2 * d * d), ints(2 * d * d)
    expected = from_complex(to_complex(x, d) @ to_complex(y, d))
    np.testing.assert_array_equal(apply_bilinear(kd.cp, x, y), expected)

    kd = best_decomposition("H", d)
    assert kd.rank == rank(kd.cp) == BEST_RANKS["H"][d - 1]
    x, y = ints(4 * d * d), ints(4 * d * d)
    expected = complex2_to_quat(quat_to_complex2(x, d) @ quat_to_complex2(y, d), d)
    np.testing.assert_array_equal(apply_bilinear(kd.cp, x, y), expected)


def test_results_are_fresh_copies():
    cp = best_matmul(2)
    cp.factors[0][:] = 0.0
    assert verify(best_matmul(2), matmul_tensor(2, 2, 2)) == 0.0


# ------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda: multiplication_tensor("Q"),
        lambda: multiplication_tensor("r"),
        lambda: multiplication_tensor("C", 0),
        lambda: multiplication_tensor("C", 1.5),
        lambda: multiplication_tensor("C", True),
        lambda: matmul_tensor(2, -1, 2),
        lambda: best_decomposition("O", 2),
        lambda: best_matmul(0),
        lambda: known_matmul(2, 2, "3"),
        lambda: verify(strassen(), matmul_tensor(3, 3, 3)),
        lambda: kronecker(strassen(), CPTensor((np.ones(1), [np.ones((2, 1))] * 2))),
        lambda: kronecker_matmul(strassen(), (2, 2, 3), strassen(), (2, 2, 2)),
        lambda: cyclic_matmul(strassen(), (2, 2)),
        lambda: kronecker("not a cp", strassen()),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_too_large_dense_tensor_refused():
    with pytest.raises(MemoryError):
        multiplication_tensor("H", 40)


@pytest.mark.parametrize("module", [tensors, decompositions, named, combinators, embeddings,
                                    published, best])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
