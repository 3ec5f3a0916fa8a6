"""fusion: representations, fusion rules, triplet decomposition and rank bounds of word tensors.

Sub-packages: :mod:`fusion.reps` (characters, irreps and bscs, their checks, the Fourier basis,
fusion rules), :mod:`fusion.decompose` (the triplet decomposition, its support and the fusion
cover), :mod:`fusion.ranks` (lower and certified upper bounds) and :mod:`fusion.algebras`
(decompositions of the simple algebras of R[G]). This namespace holds what a user needs; the
sub-packages hold the rest.

>>> from wordtensor import Group
>>> from fusion import bscs
>>> [b.kind for b in bscs(Group.from_spec("Q8"))]
['real', 'real', 'real', 'real', 'quaternionic']
>>> from fusion import rank_bounds
>>> r = rank_bounds("S3", "xy")
>>> r.lower, r.upper
(9, 9)
"""

import importlib

from .decompose import FusionCover, TripletDecomposition, check_support_in_cover, decompose, fusion_cover
from .reps import (
    BSC,
    CharacterTable,
    FourierBasis,
    Irrep,
    RepresentationError,
    bsc_fusion_rules,
    bsc_projector,
    bscs,
    character_table,
    fourier_basis,
    fourier_transform,
    fusion_rules,
    inverse_fourier_transform,
    irreps,
    verify_representations,
)

# The rank bounds and the algebra decompositions need tensorly (~0.5 s to import). The CLI loads
# this package to register its commands for every ``wordtensor`` command, so these names are
# imported on first use (PEP 562) rather than here.
_LAZY = {
    "rank_bounds": "fusion.ranks", "RankReport": "fusion.ranks", "BoxCover": "fusion.ranks",
    "box_cover": "fusion.ranks",
    "multiplication_tensor": "fusion.algebras", "matmul_tensor": "fusion.algebras",
    "KnownDecomposition": "fusion.algebras", "known_matmul": "fusion.algebras",
    "best_decomposition": "fusion.algebras",
}

__all__ = [
    "CharacterTable", "character_table", "Irrep", "BSC", "irreps", "bscs", "bsc_projector",
    "verify_representations", "RepresentationError",
    "FourierBasis", "fourier_basis", "fourier_transform", "inverse_fourier_transform",
    "fusion_rules", "bsc_fusion_rules",
    "TripletDecomposition", "decompose", "FusionCover", "fusion_cover", "check_support_in_cover",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in ("ranks", "algebras"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"ranks", "algebras"})
