"""The checks of representations and character tables, run on the objects they are given.

Every representation the package returns passes them, and users can run them on their own.

Each check returns a dict of residuals (max-abs errors) and, with ``raise_on_failure``, raises
:class:`RepresentationError` when one exceeds ``tol``. The checks take the objects they check
(matrices, tables, irreps and bscs), so they sit below the modules that build those objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from wordtensor import Group


class CharacterTableLike(Protocol):
    """What :func:`check_character_table` reads of a table (a
    :class:`~fusion.reps.characters.CharacterTable`, which is built above this module)."""

    group: Group
    values: np.ndarray
    class_sizes: np.ndarray
    degrees: np.ndarray


__all__ = ["RepresentationError", "check_representations"]


class RepresentationError(RuntimeError):
    """A representation or table failed a mathematical check (a bug: please report).

    Raised by the checks with ``raise_on_failure=True``; here a character table of S3 with
    wrong class sizes:

    >>> import dataclasses
    >>> from fusion import character_table
    >>> ct = character_table(Group.from_spec("S3"))
    >>> bad = dataclasses.replace(ct, class_sizes=np.array([1, 2, 3]))
    >>> check_character_table(bad, raise_on_failure=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fusion.reps.checks.RepresentationError: character table of S3: checks failed ...
    """


def homomorphism_residual(G: Group, matrices: np.ndarray, *, exhaustive: bool = False) -> float:
    """max |ρ(a)ρ(s) − ρ(as)| over all a and the generators s of ``G.generators``, together with
    |ρ(e) − I|: by induction on word length this proves ρ(a)ρ(b) = ρ(ab) for all a, b (up to
    rounding). With ``exhaustive=True`` every pair (a, b) is checked (n² products).

    >>> from fusion import irreps
    >>> G = Group.from_spec("S3")
    >>> all(homomorphism_residual(G, r.matrices, exhaustive=True) < 1e-12 for r in irreps(G))
    True
    >>> rho = irreps(G)[2].matrices                    # the 2-dim irrep
    >>> homomorphism_residual(G, rho[G.inv]) > 0.5     # g ↦ ρ(g⁻¹) is an anti-homomorphism
    True
    """
    n, d = matrices.shape[0], matrices.shape[1]
    worst = float(np.max(np.abs(matrices[0] - np.eye(d))))
    right = np.arange(n) if exhaustive else G.generators
    for b in right:
        prod = matrices @ matrices[b]
        worst = max(worst, float(np.max(np.abs(prod - matrices[G.mul[:, b]]))))
    return worst


def unitarity_residual(matrices: np.ndarray) -> float:
    """max_g |ρ(g)* ρ(g) − I|.

    >>> from fusion import irreps
    >>> rho = irreps(Group.from_spec("Q8"))[4].matrices   # the quaternionic 2-dim irrep
    >>> bool(unitarity_residual(rho) < 1e-12), round(unitarity_residual(2 * rho))
    (True, 3)
    """
    d = matrices.shape[1]
    gram = np.einsum("gji,gjk->gik", matrices.conj(), matrices)
    return float(np.max(np.abs(gram - np.eye(d))))


def _report(res: dict, tol: float, raise_on_failure: bool, what: str) -> dict:
    bad = {k: v for k, v in res.items() if isinstance(v, float) and v > tol}
    if bad and raise_on_failure:
        raise RepresentationError(f"{what}: checks failed {bad} (tolerance {tol})")
    return res


def check_character_table(table: CharacterTableLike, *, tol: float = 1e-8,
                          raise_on_failure: bool = False) -> dict:
    """Row and column orthogonality of a character table, Σ d² = |G|, integral degrees.

    >>> from fusion import character_table
    >>> res = check_character_table(character_table(Group.from_spec("A4")))
    >>> sorted(res)
    ['column_orthogonality', 'num_irreps_minus_classes', 'row_orthogonality',
     'sum_of_squared_degrees']
    >>> max(res.values()) < 1e-12
    True
    """
    G = table.group
    V, h = table.values, table.class_sizes
    n = G.order
    rows = (V * h) @ V.conj().T / n
    cols = V.conj().T @ V * h[:, None] / n
    res = {
        "row_orthogonality": float(np.max(np.abs(rows - np.eye(len(h))))),
        "column_orthogonality": float(np.max(np.abs(cols - np.eye(len(h))))),
        "sum_of_squared_degrees": float(abs(np.sum(table.degrees**2) - n)),
        "num_irreps_minus_classes": float(abs(len(table.degrees) - len(h))),
    }
    return _report(res, tol, raise_on_failure, f"character table of {G.name}")


def check_representations(G: Group, irreps: Sequence, bscs: Sequence, *, tol: float = 1e-9,
                          raise_on_failure: bool = False) -> dict:
    """Residuals of the given complex irreps and bscs of G: homomorphism, unitarity/orthogonality,
    characters (trace vs ``character``), Σ d² = |G|, and the bsc projectors (idempotent,
    symmetric, complete, mutually orthogonal, of the right rank). ``irreps`` and ``bscs`` are
    sequences of :class:`~fusion.reps.irreps.Irrep` and :class:`~fusion.reps.irreps.BSC`
    (anything with their attributes); :func:`fusion.verify_representations` runs this on the
    package's own representations.

    >>> from fusion import bscs, irreps
    >>> G = Group.from_spec("Q8")
    >>> res = check_representations(G, irreps(G), bscs(G))
    >>> len(res), max(res.values()) < 1e-9
    (12, True)
    >>> check_representations(G, irreps(G)[:4], bscs(G))["sum_of_squared_degrees"]  # 2² missing
    4.0
    """
    irr, bl = list(irreps), list(bscs)
    res = {"sum_of_squared_degrees": float(abs(sum(r.dim**2 for r in irr) - G.order))}
    hom = uni = trace = 0.0
    for r in irr:
        hom = max(hom, homomorphism_residual(G, r.matrices))
        uni = max(uni, unitarity_residual(r.matrices))
        tr = np.trace(r.matrices, axis1=1, axis2=2)
        trace = max(trace, float(np.max(np.abs(tr - r.character[G.class_of]))))
    res.update(irrep_homomorphism=hom, irrep_unitarity=uni, irrep_character=trace)
    hom = uni = trace = real = 0.0
    for b in bl:
        hom = max(hom, homomorphism_residual(G, b.matrices))
        uni = max(uni, unitarity_residual(b.matrices))
        tr = np.trace(b.matrices, axis1=1, axis2=2)
        trace = max(trace, float(np.max(np.abs(tr - b.character[G.class_of]))))
        real = max(real, float(np.max(np.abs(np.imag(b.matrices))))) if np.iscomplexobj(
            b.matrices) else real
    res.update(bsc_homomorphism=hom, bsc_orthogonality=uni, bsc_character=trace, bsc_real=real)
    total = np.zeros((G.order, G.order))
    xyinv = G.mul[:, G.inv]  # x·y⁻¹: a right-invariant kernel P[x, y] = f(x y⁻¹)
    idem = sym = rank = conv = 0.0
    for b in bl:
        # P is a convolution by f = P[:, e], so P P = P iff P f = f: n² work instead of n³
        P = np.asarray(b.projector)
        f = P[:, 0]
        conv = max(conv, float(np.max(np.abs(P - f[xyinv]))))
        idem = max(idem, float(np.max(np.abs(P @ f - f))))
        sym = max(sym, float(np.max(np.abs(P - P.T))))
        rank = max(rank, abs(float(np.trace(P)) - b.space_dim))
        total += P
    res.update(projector_idempotence=max(idem, conv), projector_symmetry=sym,
               projector_rank=rank,
               projector_completeness=float(np.max(np.abs(total - np.eye(G.order)))))
    return _report(res, tol * max(1, G.order) ** 0.5, raise_on_failure,
                   f"representations of {G.name}")
