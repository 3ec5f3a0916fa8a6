"""fusion: representations, fusion rules, triplet decomposition and rank bounds of word tensors.

>>> from wordtensor import Group
>>> from fusion import bscs
>>> [b.kind for b in bscs(Group.from_spec("Q8"))]
['real', 'real', 'real', 'real', 'quaternionic']
"""

from .characters import CharacterTable, character_table, class_structure_constants
from .checks import (
    RepresentationError,
    check_character_table,
    homomorphism_residual,
    unitarity_residual,
    verify_representations,
)
from .fourier import (
    FourierBasis,
    fourier_basis,
    fourier_transform,
    inverse_fourier_transform,
    plancherel_weights,
)
from .fusion_rules import (
    bsc_fusion_rules,
    bsc_tensor_power,
    decompose_character,
    decompose_real_character,
    fusion_rules,
)
from .irreps import BSC, KINDS, Irrep, bsc_projector, bscs, irreps

__all__ = [
    "CharacterTable", "character_table", "class_structure_constants",
    "RepresentationError", "check_character_table", "homomorphism_residual",
    "unitarity_residual", "verify_representations",
    "FourierBasis", "fourier_basis", "fourier_transform", "inverse_fourier_transform",
    "plancherel_weights",
    "bsc_fusion_rules", "bsc_tensor_power", "decompose_character", "decompose_real_character",
    "fusion_rules",
    "BSC", "KINDS", "Irrep", "bsc_projector", "bscs", "irreps",
]
