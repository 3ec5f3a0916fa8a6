"""The named bilinear algorithms (standard, Gauss, quaternion-8, Strassen, Laderman), from data.

The coefficients are read from ``fusion/data/named_algorithms.json`` and verified exactly when
first loaded; only the standard algorithm is computed.

The data file writes each algorithm as in its paper: products m_r = (linear form in the entries
of a) · (linear form in the entries of b), and each output coordinate as a linear form in the
m_r; the factors of the decomposition are the coefficient vectors.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from fractions import Fraction
from importlib import resources
from math import lcm

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import WordTensorError

from .decompositions import KnownDecomposition, copy_cp, make_cp, verify_rational
from .tensors import check_dense_size, matmul_tensor, multiplication_tensor, positive_int

__all__ = ["named_decomposition", "strassen"]

_FILE = "named_algorithms.json"

_TERM = re.compile(r"([+-])(?:(\d+(?:/\d+)?)\*)?([a-z]+\d*)")


def _linear_form(expr: str, names: Sequence[str]) -> list[Fraction]:
    """Coefficients of a linear form like ``"a11 - 1/2*a22"`` over ``names`` (a typo in the data
    file is an error that names the form)."""
    text = expr.replace(" ", "")
    if not text.startswith(("+", "-")):
        text = "+" + text
    coeffs = [Fraction(0)] * len(names)
    pos = 0
    for match in _TERM.finditer(text):
        if match.start() != pos:
            break
        sign, coef, name = match.groups()
        c = Fraction(coef) if coef else Fraction(1)
        if name not in names:
            raise RuntimeError(f"{_FILE}: the linear form {expr!r} uses {name!r}, not one of "
                               f"{list(names)}")
        coeffs[names.index(name)] += -c if sign == "-" else c
        pos = match.end()
    if pos != len(text):
        raise RuntimeError(f"{_FILE}: cannot read the linear form {expr!r}")
    return coeffs



def _tensor(spec: dict) -> np.ndarray:
    if "algebra" in spec:
        return multiplication_tensor(spec["algebra"])
    return matmul_tensor(*spec["matmul"])


@functools.cache
def _table() -> dict[str, tuple[KnownDecomposition, dict]]:
    """Every algorithm of the data file (see :func:`_parse`)."""
    return _parse(resources.files("fusion").joinpath("data", _FILE).read_text(encoding="utf-8"))


def _parse(text: str) -> dict[str, tuple[KnownDecomposition, dict]]:
    """The algorithms of a data file's text as read-only decompositions, each verified in exact
    rational arithmetic against its tensor (a wrong coefficient is an error here)."""
    out = {}
    for name, entry in json.loads(text).items():
        if not isinstance(entry, dict):
            continue  # the "about" note
        m_names = [f"m{r + 1}" for r in range(len(entry["products"]))]
        forms = [[_linear_form(f, entry["a"]) for f, _ in entry["products"]],
                 [_linear_form(g, entry["b"]) for _, g in entry["products"]],
                 [_linear_form(o, m_names) for o in entry["outputs"]]]
        fr = [np.array(forms[0], dtype=object).T, np.array(forms[1], dtype=object).T,
              np.array(forms[2], dtype=object)]
        den = lcm(*(int(x.denominator) for F in fr for x in F.ravel()))
        T = _tensor(entry["tensor"])
        if len(m_names) != entry["rank"] or not verify_rational(
                [np.array([[int(x * den) for x in row] for row in F], dtype=np.int64) for F in fr],
                den, T):
            raise RuntimeError(f"{_FILE}: {name} does not reconstruct its tensor exactly; the "
                               "data file is damaged (reinstall the package)")
        cp = make_cp([np.array(F, dtype=np.float64) for F in fr])
        for f in (*cp.factors, cp.weights):
            f.setflags(write=False)
        out[name] = (KnownDecomposition(cp, name, len(m_names), entry["reference"]), entry)
    return out


def named_decomposition(name: str) -> KnownDecomposition:
    """A named algorithm of the data file (``"gauss"``, ``"quat8"``, ``"strassen"``,
    ``"laderman"``) with its rank and reference; the factors are a fresh writable copy.

    >>> kd = named_decomposition("laderman")
    >>> kd.rank, kd.method, kd.reference.split(",")[0]
    (23, 'laderman', 'J. D. Laderman')
    >>> named_decomposition("winograd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordTensorError: no named algorithm 'winograd'; the named algorithms are ...
    """
    table = _table()
    if name not in table:
        raise WordTensorError(f"no named algorithm {name!r}; the named algorithms are "
                              f"{', '.join(table)}")
    kd = table[name][0]
    return KnownDecomposition(copy_cp(kd.cp), kd.method, kd.rank, kd.reference)


@functools.cache
def algorithm_index() -> dict[tuple, str]:
    """The name of the named algorithm for each tensor it decomposes: keys ``("matmul", n, m,
    p)`` for ⟨n, m, p⟩ and ``("algebra", K)`` for a division algebra K.

    >>> algorithm_index()[("matmul", 2, 2, 2)], algorithm_index()[("algebra", "H")]
    ('strassen', 'quat8')
    """
    out = {}
    for name, (_, entry) in _table().items():
        spec = entry["tensor"]
        key = ("algebra", spec["algebra"]) if "algebra" in spec else ("matmul", *spec["matmul"])
        out[key] = name
    return out


def gauss_complex() -> CPTensor:
    """Rank-3 decomposition of complex multiplication over ``R`` (Gauss's trick; 3 is optimal):
    ``(a + bi)(c + di)`` with ``m1 = c(a + b)``, ``m2 = a(d - c)``, ``m3 = b(c + d)``; the real
    part is ``m1 - m3`` and the imaginary part ``m1 + m2``.

    >>> from fusion.algebras.decompositions import verify
    >>> verify(gauss_complex(), multiplication_tensor("C"))
    0.0
    """
    return named_decomposition("gauss").cp


def quaternion_rank8() -> CPTensor:
    """Rank-8 decomposition of quaternion multiplication over ``R`` (optimal: ``rank(H) = 8``,
    Howell & Lafon 1975); the eight products, with coefficients 1 and 1/2, are in the data file.

    >>> from fusion.algebras.decompositions import verify
    >>> verify(quaternion_rank8(), multiplication_tensor("H"))
    0.0
    """
    return named_decomposition("quat8").cp


def standard_matmul(n: int, m: int, p: int) -> CPTensor:
    """The standard algorithm for ``<n, m, p>``: one term ``E_ij (x) E_jk (x) E_ik`` per triple.

    >>> from fusion.algebras.decompositions import verify
    >>> cp = standard_matmul(2, 3, 4)
    >>> cp.factors[0].shape[1], verify(cp, matmul_tensor(2, 3, 4))
    (24, 0.0)
    """
    n, m, p = positive_int("n", n), positive_int("m", m), positive_int("p", p)
    check_dense_size((max(n * m, m * p, n * p), n * m * p))
    i, j, k = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(m), np.arange(p),
                                             indexing="ij"))
    r = np.arange(n * m * p)
    U, V, W = np.zeros((n * m, r.size)), np.zeros((m * p, r.size)), np.zeros((n * p, r.size))
    U[i * m + j, r] = V[j * p + k, r] = W[i * p + k, r] = 1.0
    return make_cp([U, V, W])


def strassen() -> CPTensor:
    """Strassen's rank-7 decomposition of ``<2, 2, 2>`` (Strassen 1969; 7 is optimal).

    >>> from fusion.algebras.decompositions import verify
    >>> cp = strassen()
    >>> cp.factors[0].shape[1], verify(cp, matmul_tensor(2, 2, 2))
    (7, 0.0)
    """
    return named_decomposition("strassen").cp


def laderman() -> CPTensor:
    """Laderman's rank-23 decomposition of ``<3, 3, 3>`` (Bull. AMS 82, 1976, 126-128).

    >>> from fusion.algebras.decompositions import verify
    >>> cp = laderman()
    >>> cp.factors[0].shape[1], verify(cp, matmul_tensor(3, 3, 3))
    (23, 0.0)
    """
    return named_decomposition("laderman").cp
