"""Fusion rules: tensor-product multiplicities of irreps and of bscs, and decompositions of characters.

Decompositions of characters (e.g. ζ^{⊗n}) into irreps or bscs give the fusion cover."""

from __future__ import annotations

import numpy as np

from wordtensor import Group
from wordtensor.errors import WordTensorError
from wordtensor.groups import as_group
from wordtensor.validate import integer

from .characters import character_table
from .irreps import bscs

__all__ = ["fusion_rules", "bsc_fusion_rules"]


def _int(x: np.ndarray, what: str) -> np.ndarray:
    r = np.round(x.real)
    if np.max(np.abs(x - r), initial=0) > 1e-6:
        raise WordTensorError(f"{what}: non-integral multiplicities (max deviation "
                              f"{np.max(np.abs(x - r)):.2e}); the input is not a character")
    return r.astype(np.int64)


def _triple(G: Group, chars: np.ndarray) -> np.ndarray:
    ct = character_table(G)
    h = ct.class_sizes
    return np.einsum("ir,jr,kr,r->ijk", chars, chars, chars.conj(), h) / G.order


def fusion_rules(G: Group) -> np.ndarray:
    """N[i, j, k] = ⟨χ_i χ_j, χ_k⟩ for the complex irreps in the order of ``irreps(G)``.

    >>> from wordtensor import Group
    >>> int(fusion_rules(Group.from_spec("S3"))[2, 2].sum())   # 2 ⊗ 2 = 1 + 1' + 2
    3
    """
    G = as_group(G)
    key = "fusion.fusion_rules"
    if key not in G.cache:
        G.cache[key] = _int(_triple(G, character_table(G).values), "fusion rules")
    return G.cache[key]


def bsc_fusion_rules(G: Group) -> np.ndarray:
    """N[φ, ψ, ζ] = ⟨χ_φ χ_ψ, χ_ζ⟩ with the bsc characters χ_φ of docs/design.md (χ for ν = ±1,
    χ + χ̄ for ν = 0), in the order of ``bscs(G)``.

    >>> from wordtensor import Group
    >>> N = bsc_fusion_rules(Group.from_spec("S3"))   # bscs 1, 1', 2
    >>> N[2, 2].tolist()                               # 2 ⊗ 2 = 1 + 1' + 2
    [1, 1, 1]
    >>> N[1, 1].tolist(), N[1, 2].tolist()             # 1' ⊗ 1' = 1, 1' ⊗ 2 = 2
    ([1, 0, 0], [0, 0, 1])
    >>> N = bsc_fusion_rules(Group.from_spec("Z4"))   # bscs 1a, 1b, 1c+1d (complex type)
    >>> N[2, 2].tolist()                               # χ_φ = χ + χ̄ squared: 2·1a + 2·1b
    [2, 2, 0]
    """
    G = as_group(G)
    key = "fusion.bsc_fusion_rules"
    if key not in G.cache:
        chars = np.array([b.fusion_character for b in bscs(G)])
        G.cache[key] = _int(_triple(G, chars), "bsc fusion rules")
    return G.cache[key]


def decompose_character(G: Group, chi: np.ndarray) -> np.ndarray:
    """Multiplicities of each complex irrep in a character (values on classes, or on all n
    elements).

    >>> from wordtensor import Group
    >>> G = Group.from_spec("S3")
    >>> decompose_character(G, [6, 0, 0]).tolist()        # the regular character: d copies
    [1, 1, 2]
    >>> decompose_character(G, [3, 1, 1, 0, 0, 1]).tolist()   # S3 permuting 3 points
    [1, 0, 1]
    """
    G = as_group(G)
    ct = character_table(G)
    try:
        chi = np.asarray(chi, dtype=complex)
    except (TypeError, ValueError):
        raise WordTensorError(f"a character is a list of numbers (one per class or per "
                              f"element), got {type(chi).__name__}") from None
    if chi.shape == (G.order,):
        chi = chi[[c[0] for c in G.conjugacy_classes]]
    return ct.decompose(chi)


def decompose_real_character(G: Group, chi: np.ndarray) -> np.ndarray:
    """Multiplicities of each bsc (real irreducible representation) in the character of a real
    representation: m_φ = ⟨ψ, χ⟩ / ⟨tr R_φ, χ⟩ for χ ∈ φ (the divisor is 2 for quaternionic
    type). Raises if the character is not that of a real representation.

    >>> from wordtensor import Group
    >>> Q8 = Group.from_spec("Q8")
    >>> decompose_character(Q8, [8] + [0] * 7).tolist()       # complex irreps: 2a twice
    [1, 1, 1, 1, 2]
    >>> decompose_real_character(Q8, [8] + [0] * 7).tolist()  # R[Q8] = 4 lines + H once
    [1, 1, 1, 1, 1]
    >>> Z4 = Group.from_spec("Z4")
    >>> decompose_real_character(Z4, [1, 1j, -1, -1j])      # a complex character
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordTensorError: not the character of a real representation (irrep
    multiplicities [0, 0, 1, 0]); use decompose_character for complex characters
    """
    G = as_group(G)
    m = decompose_character(G, chi)
    out = []
    for b in bscs(G):
        i = b.irreps[0]
        div = 2 if b.kind == "quaternionic" else 1
        if m[i] % div or any(m[j] != m[i] for j in b.irreps):
            raise WordTensorError("not the character of a real representation (irrep "
                                  f"multiplicities {m.tolist()}); use decompose_character for "
                                  "complex characters")
        out.append(m[i] // div)
    return np.array(out, dtype=np.int64)


def _times_zeta(G: Group, zeta: int) -> np.ndarray:
    """b[φ, ψ] = ⟨χ_φ χ_ζ, χ_i⟩ for the first irrep i of ψ: χ_φ χ_ζ = Σ_ψ b[φ, ψ] χ_ψ (the
    product is real, so both irreps of a complex pair occur equally often)."""
    bl = bscs(G)
    ct = character_table(G)
    chars = np.array([b.fusion_character for b in bl])
    first = np.array([ct.values[b.irreps[0]] for b in bl])
    prod = chars * chars[zeta]
    return _int((prod * ct.class_sizes) @ first.conj().T / G.order, "bsc products")


def _power_arguments(G, zeta, power, maximum):
    G = as_group(G)
    power = integer(power, "the tensor power", minimum=0, maximum=maximum)
    bl = bscs(G)
    zeta = integer(zeta, "the bsc index zeta", minimum=0, maximum=len(bl) - 1)
    trivial = np.zeros(len(bl), dtype=object)
    trivial[0] = 1  # the trivial bsc comes first
    return G, zeta, power, bl, trivial


def bsc_tensor_power(G: Group, zeta: int, power: int) -> np.ndarray:
    """⟨χ_ζ^power, χ_φ⟩ for every bsc φ (docs/design.md's "φ ⊂ ζ^{⊗n}" means this is > 0); the
    zeroth power is the trivial character. Exact: the multiplicities are built up one factor
    χ_ζ at a time in integers (they grow like dim^power; a power up to 1000 is taken).

    >>> from wordtensor import Group
    >>> G = Group.from_spec("S3")                      # bscs 1, 1', 2
    >>> [bsc_tensor_power(G, 2, k).tolist() for k in range(4)]
    [[1, 0, 0], [0, 0, 1], [1, 1, 1], [1, 1, 3]]
    >>> int(bsc_tensor_power(G, 2, 80)[2]) == (2**80 - 1) // 3   # exact past 2^53
    True
    """
    G, zeta, power, bl, a = _power_arguments(G, zeta, power, 1000)
    b = _times_zeta(G, zeta).astype(object)
    for _ in range(power):
        a = a.dot(b)  # coefficients of χ_ζ^m on the bsc characters χ_φ (Python integers)
    twice = np.array([2 if x.kind == "complex" else 1 for x in bl], dtype=object)
    out = a * twice
    return out.astype(np.int64) if max(out, default=0) < 2**62 else out


def bsc_power_support(G: Group, zeta: int, power: int) -> np.ndarray:
    """Whether φ ⊂ ζ^{⊗power} (⟨χ_ζ^power, χ_φ⟩ > 0) for every bsc φ, exactly and for any
    power: the set of bscs in ζ^{⊗(m+1)} is the set fused with ζ from those in ζ^{⊗m}, and that
    sequence of sets repeats after a few steps.

    >>> from wordtensor import Group
    >>> G = Group.from_spec("S3")
    >>> bsc_power_support(G, 1, 10**18).tolist(), bsc_power_support(G, 1, 10**18 + 1).tolist()
    ([True, False, False], [False, True, False])
    """
    G, zeta, power, _, state = _power_arguments(G, zeta, power, None)
    step = _times_zeta(G, zeta) > 0
    state = state.astype(bool)
    seen: dict[bytes, int] = {}
    m = 0
    while m < power:
        key = state.tobytes()
        if key in seen:  # a cycle of length m - seen[key]: skip whole turns
            power = m + (power - m) % (m - seen[key])
            seen = {}
            if m == power:
                break
        seen[key] = m
        state = (state.astype(np.int64) @ step) > 0
        m += 1
    return state
