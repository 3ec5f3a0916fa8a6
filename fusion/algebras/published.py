"""The published decompositions shipped in fusion/data/: Fawzi et al. (2022) and the 2025 records.

``matmul_tables.json`` says which file holds which table and whom to cite; ``ATTRIBUTION.md``
gives the licences.

Both files store the trace form of tr(A B C): the third factor is indexed by ``(k, i)``; the
functions here return the toolkit's convention ``T[(i, j), (j, k), (i, k)]``. The records are
verified in exact rational arithmetic when first loaded.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor.errors import WordTensorError

from .combinators import transpose_rows
from .decompositions import KnownDecomposition, copy_cp, make_cp, verify_rational
from .tensors import matmul_tensor, positive_int

__all__ = ["published_decomposition", "matmul_record"]

#: The tag of the Fawzi et al. table in method strings.
FAWZI = "fawzi2022"


Shape = tuple[int, int, int]


@functools.cache
def _sources() -> dict:
    text = resources.files("fusion").joinpath("data", "matmul_tables.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _numerators(file: str) -> dict[Shape, tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """Every format of one packaged file: (u, v, w numerators in the trace form, denominator)."""
    ref = resources.files("fusion").joinpath("data", file)
    out = {}
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        for key in sorted({k.rsplit("/", 1)[0] for k in z.files}):
            shape = tuple(int(x) for x in key.split(","))
            u, v, w = (z[f"{key}/{x}"].astype(np.int64) for x in "uvw")
            out[shape] = (u, v, w, int(z[f"{key}/denominator"]))
    return out


@functools.cache
def published_table() -> dict[Shape, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The Fawzi et al. table as read-only float64 factors in the trace form (numerators /
    denominator), by format; :func:`published_decomposition` gives one in our convention.

    >>> u, v, w = published_table()[(2, 2, 2)]
    >>> u.shape, v.shape, w.shape
    ((4, 7), (4, 7), (4, 7))
    """
    out = {}
    for shape, (u, v, w, den) in _numerators(_sources()[FAWZI]["file"]).items():
        factors = tuple(x.astype(np.float64) / den for x in (u, v, w))
        for f in factors:
            f.setflags(write=False)
        out[shape] = factors
    return out


def source_reference(tag: str, shape: Shape | None = None) -> str:
    """Whom to cite for a table (``"fawzi2022"``) or a record format (its tag and shape), as
    written in ``fusion/data/matmul_tables.json``.

    >>> source_reference("fawzi2022").split(",")[0]
    'A. Fawzi'
    >>> source_reference("moosbauer-poole2025", (5, 5, 5)).split(",")[0]
    'J. Moosbauer'
    """
    src = _sources()
    if tag == FAWZI:
        return src[FAWZI]["reference"]
    for key, meta in src["records"]["formats"].items():
        if meta["tag"] == tag and (shape is None or key == ",".join(map(str, shape))):
            return meta["reference"]
    raise WordTensorError(f"no published source {tag!r} {shape or ''}")


@functools.cache
def record_table() -> dict[Shape, tuple[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The 2025 records in the layout of :func:`published_table` (read-only float64 factors in the
    trace form), each with its tag; the planner restricts them like the 2022 table. They are
    verified exactly the first time (:func:`matmul_record`).

    >>> tag, (u, v, w) = record_table()[(4, 4, 4)]
    >>> tag, u.shape
    ('dps2025', (16, 48))
    """
    records = _records()  # verifies every record exactly once
    meta = _sources()["records"]
    out = {}
    for shape, (u, v, w, den) in _numerators(meta["file"]).items():
        factors = tuple(x.astype(np.float64) / den for x in (u, v, w))
        for f in factors:
            f.setflags(write=False)
        out[shape] = (records[shape].method.split("<")[0], factors)
    return out


def published_formats() -> list[Shape]:
    """Formats ``(n, m, p)`` of the packaged table of Fawzi et al. (2022), sorted.

    >>> (4, 4, 4) in published_formats(), len(published_formats())
    (True, 93)
    """
    return sorted(published_table())


def published_decomposition(n: int, m: int, p: int) -> CPTensor:
    """The decomposition of ``<n, m, p>`` from Fawzi et al., *Nature* 610 (2022), CC-BY 4.0.

    The table stores ``tr(A B C)`` (third factor indexed by ``(k, i)``); this returns our
    convention ``T[(i, j), (j, k), (i, k)]``.  Entries are integers or multiples of 1/8.

    >>> from fusion.algebras import matmul_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> cp = published_decomposition(4, 4, 4)
    >>> cp.factors[0].shape[1], verify(cp, matmul_tensor(4, 4, 4))
    (49, 0.0)
    """
    shape = (positive_int("n", n), positive_int("m", m), positive_int("p", p))
    table = published_table()
    if shape not in table:
        raise WordTensorError(
            f"no published decomposition of <{n},{m},{p}>; see published_formats()"
        )
    u, v, w = table[shape]
    return make_cp([u.copy(), v.copy(), transpose_rows(w, p, n)])


@functools.cache
def _records() -> dict[Shape, KnownDecomposition]:
    """The records as read-only decompositions, each verified exactly against ⟨n, m, p⟩."""
    src = _sources()["records"]
    out = {}
    for shape, (u, v, w, den) in _numerators(src["file"]).items():
        n, m, p = shape
        w = transpose_rows(w, p, n)
        if not verify_rational([u, v, w], den, matmul_tensor(n, m, p)):
            raise RuntimeError(f"the record for <{n},{m},{p}> in {src['file']} does not reconstruct "
                               "the tensor exactly; the data file is damaged (reinstall the package)")
        cp = make_cp([u / den, v / den, w / den])
        for f in (*cp.factors, cp.weights):
            f.setflags(write=False)
        meta = src["formats"][",".join(map(str, shape))]
        out[shape] = KnownDecomposition(cp, f"{meta['tag']}<{n},{m},{p}>", int(u.shape[1]),
                                        meta["reference"])
    return out


def record_formats() -> list[Shape]:
    """Formats ``(n, m, p)`` of the packaged 2025 records, sorted.

    >>> record_formats()
    [(4, 4, 4), (5, 5, 5), (6, 6, 6)]
    """
    return sorted(_records())


def matmul_record(n: int, m: int | None = None, p: int | None = None) -> KnownDecomposition:
    """The 2025 record decomposition of ``<n, m, p>`` (``<n, n, n>`` when only ``n`` is given),
    verified in exact rational arithmetic when the records are first loaded, with its method
    tag and reference; the factors are a fresh writable copy.

    ⟨4,4,4⟩: rank 48 with rational coefficients (Dumas, Pernet & Sedoglavic 2025); ⟨5,5,5⟩: 93
    and ⟨6,6,6⟩: 153 with coefficients in {−1, 0, 1} (Moosbauer & Poole 2025).

    >>> from fusion.algebras import matmul_tensor
    >>> from fusion.algebras.decompositions import verify
    >>> [(kd.rank, kd.method) for kd in map(matmul_record, (4, 5, 6))]
    [(48, 'dps2025<4,4,4>'), (93, 'moosbauer-poole2025<5,5,5>'), (153, 'moosbauer-poole2025<6,6,6>')]
    >>> verify(matmul_record(4).cp, matmul_tensor(4, 4, 4)) < 1e-12
    True
    >>> matmul_record(3)
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordTensorError: no record decomposition of <3,3,3> is shipped; see record_formats()
    """
    n = positive_int("n", n)
    shape = (n, n if m is None else positive_int("m", m), n if p is None else positive_int("p", p))
    records = _records()
    if shape not in records:
        raise WordTensorError(f"no record decomposition of <{shape[0]},{shape[1]},{shape[2]}> is "
                              "shipped; see record_formats()")
    kd = records[shape]
    return KnownDecomposition(copy_cp(kd.cp), kd.method, kd.rank, kd.reference)
