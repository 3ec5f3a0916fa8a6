"""Representations of a finite group: characters, irreps and bscs, checks, Fourier basis, fusion rules.

Modules, lowest first: ``checks`` (residuals of given objects), ``characters``, ``irreps``
(built once per group, checked, cached), ``fourier``, ``fusion_rules``.

>>> from wordtensor import Group
>>> from fusion.reps import bscs, fusion_rules
>>> G = Group.from_spec("S3")
>>> [(b.name, b.kind, b.dim) for b in bscs(G)]
[('1a', 'real', 1), ('1b', 'real', 1), ('2a', 'real', 2)]
>>> fusion_rules(G)[2, 2].tolist()            # 2a ⊗ 2a = 1a + 1b + 2a
[1, 1, 1]
"""

from .characters import CharacterTable, character_table
from .checks import RepresentationError, check_representations
from .fourier import FourierBasis, fourier_basis, fourier_transform, inverse_fourier_transform
from .fusion_rules import bsc_fusion_rules, fusion_rules
from .irreps import BSC, Irrep, bsc_projector, bscs, irreps, verify_representations

__all__ = [
    "CharacterTable", "character_table", "Irrep", "BSC", "irreps", "bscs", "bsc_projector",
    "verify_representations", "check_representations", "RepresentationError",
    "FourierBasis", "fourier_basis", "fourier_transform", "inverse_fourier_transform",
    "fusion_rules", "bsc_fusion_rules",
]
