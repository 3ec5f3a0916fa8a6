"""The triplet decomposition of a word tensor along bscs, its support and boxes, and the fusion cover.

δ^{φψζ} = (P_φ ⊗ P_ψ ⊗ P_ζ) δ. In the real Fourier basis F (rows grouped by bsc) δ becomes
δ̃ = δ ×₁ F ×₂ F ×₃ F and the piece of (φ, ψ, ζ) is the block of rows (φ, ψ, ζ). Two paths:

* ``"algebra"`` — for the word ``xy`` the tensor is the structure tensor of R[G]: only diagonal
  blocks (φ, φ, φ) are non-zero, and each is c_φ tr(F̂_r^T F̂_p F̂_q) with F̂_p = Σ_x F_p(x) R_φ(x)
  (no n³ array is formed; work Σ_φ s_φ³ D_φ²).
* ``"dense"`` — any word: the output mode is a gather F[:, w(a, b)], then one mode product per
  input variable (n^{k+2} work, n^{k+1} memory), refused with its size when too large.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from wordtensor import Group, Word, WordTensor, sizes, validate, word_tensor
from wordtensor.errors import TensorTooLargeError, WordTensorError
from wordtensor.groups import as_group
from wordtensor.validate import choice, finite_float, positive_int

from .reps.fourier import FourierBasis, fourier_basis, plancherel_weights
from .reps.fusion_rules import bsc_power_support
from .reps.irreps import bsc_shapes, bscs, representation_estimate

__all__ = ["TripletDecomposition", "decompose", "FusionCover", "fusion_cover",
           "check_support_in_cover", "decomposition_estimate"]

#: Largest n^(k+1) entry count the dense path will build by default.
DENSE_LIMIT = 60_000_000


def is_multiplication(word: Word) -> bool:
    """True when the freely reduced word is the product of its two variables in order (``xy``).

    >>> [is_multiplication(Word.parse(w)) for w in ("xy", "yx", "[x,y]")]
    [True, False, False]
    >>> is_multiplication(Word.parse("xyxX"))   # freely reduces to xy
    True
    """
    return word.arity == 2 and word.letters() == [(word.variables[0], 1), (word.variables[1], 1)]


@dataclass(eq=False)
class TripletDecomposition:
    """The pieces of a word tensor along bsc tuples (φ_1, ..., φ_k, ζ), held in the Fourier basis.

    ``norms[idx]`` is ‖δ^{idx}‖² (they add up to n^k); ``support`` lists the tuples whose piece
    is non-zero (max-abs entry above ``tol``); ``block(*idx)`` is the piece in Fourier
    coordinates; ``piece(*idx)`` in the group basis; ``reconstruct()`` gives back δ.

    >>> d = decompose("S3", "xy")
    >>> d.method, d.support
    ('algebra', [(0, 0, 0), (1, 1, 1), (2, 2, 2)])
    >>> d.block(2, 2, 2).shape, d.block(0, 1, 2).shape   # the bsc 2a has a 4-dim block
    ((4, 4, 4), (1, 1, 4))
    >>> [round(float(d.norms[t]), 9) for t in d.support]  # ‖δ^{φφφ}‖² = n · dim of the block
    [6.0, 6.0, 24.0]
    >>> bool(np.allclose(d.reconstruct(), word_tensor("S3", "xy").dense()))
    True
    >>> bool(np.allclose(d.piece(0, 0, 0), 1 / 6))     # the trivial piece is constant 1/n
    True
    """

    tensor: WordTensor
    basis: FourierBasis = field(repr=False)
    blocks: dict = field(repr=False)
    norms: np.ndarray = field(repr=False)
    tol: float
    method: str

    @property
    def group(self) -> Group:
        return self.tensor.group

    @property
    def word(self) -> Word:
        return self.tensor.word

    @property
    def support(self) -> list[tuple[int, ...]]:
        return sorted(self.blocks)

    def block(self, *idx: int) -> np.ndarray:
        """The block of δ̃ for bscs idx = (φ, ψ, ζ) (zeros outside the support)."""
        idx = tuple(int(i) for i in idx)
        if len(idx) != self.tensor.ndim:
            raise WordTensorError(f"a block of {self.word} is named by {self.tensor.ndim} bsc "
                                  f"indices (one per mode), got {len(idx)}")
        if idx in self.blocks:
            return self.blocks[idx]
        return np.zeros(tuple(self.basis.slices[i].stop - self.basis.slices[i].start for i in idx))

    def box(self, sets: Sequence[Sequence[int]]) -> np.ndarray:
        """δ̃ restricted to the box A × B × C (× ...) of bsc sets ``sets``, in the Fourier
        coordinates of the box: the blocks of the sets' bscs side by side, in the order given
        (zeros outside the support).

        >>> d = decompose("S3", "xyX")
        >>> X = d.box(((0, 2), (2,), (0, 2)))            # 1 + 4 rows, 4 rows, 1 + 4 rows
        >>> X.shape, bool(np.array_equal(X[:1, :, :1], d.block(0, 2, 0)))
        ((5, 4, 5), True)
        """
        sets = tuple(tuple(int(i) for i in s) for s in sets)
        if len(sets) != self.tensor.ndim:
            raise WordTensorError(f"a box of {self.word} has {self.tensor.ndim} bsc sets (one per "
                                  f"mode), got {len(sets)}")
        F = self.basis
        sizes = [[F.slices[i].stop - F.slices[i].start for i in s] for s in sets]
        offs = [np.concatenate([[0], np.cumsum(z)]).astype(int) for z in sizes]
        out = np.zeros(tuple(int(sum(z)) for z in sizes))
        for combo in itertools.product(*[range(len(s)) for s in sets]):
            idx = tuple(sets[m][c] for m, c in enumerate(combo))
            if idx in self.blocks:
                out[tuple(slice(offs[m][c], offs[m][c + 1]) for m, c in enumerate(combo))] = \
                    self.blocks[idx]
        return out

    def piece(self, *idx: int) -> np.ndarray:
        """δ^{idx} in the group basis (dense n^{k+1})."""
        out = self.block(*idx)
        for m, i in enumerate(idx):
            out = np.moveaxis(np.tensordot(self.basis.rows(i).T, out, axes=(1, m)), 0, m)
        return out

    def reconstruct(self) -> np.ndarray:
        """Σ of all pieces, in the group basis (equals the dense word tensor)."""
        return sum((self.piece(*idx) for idx in self.blocks), np.zeros(self.tensor.shape))

    def summary(self) -> dict:
        return {
            "group": self.group.name,
            "word": str(self.word),
            "method": self.method,
            "tolerance": self.tol,
            "support": [list(t) for t in self.support],
            "norms": [float(self.norms[t]) for t in self.support],
            "total_norm2": float(self.norms.sum()),
        }


def decompose(group: Group | str, word: Word | str, *, tol: float = 1e-9,
              method: str = "auto", max_entries: int = DENSE_LIMIT) -> TripletDecomposition:
    """Split the word tensor along bsc tuples (cached per group and word).

    >>> d = decompose("S3", "xy")
    >>> d.support                       # the diagonal
    [(0, 0, 0), (1, 1, 1), (2, 2, 2)]
    >>> round(float(d.norms.sum()), 9)  # = n²
    36.0
    """
    G = as_group(group)
    method = choice(method, "method", ("auto", "algebra", "dense"))
    # a negative tolerance would put exact zeros in the support (and "leave" the cover)
    tol = finite_float(tol, "the support tolerance tol", minimum=0, maximum=1, open_max=True)
    max_entries = positive_int(max_entries, "max_entries")
    T = word if isinstance(word, WordTensor) else word_tensor(G, word)
    if T.group is not G:
        if T.group.order != G.order or not np.array_equal(T.group.mul, G.mul):
            raise WordTensorError(f"the word tensor is on {T.group.name}, not on {G.name}; pass "
                                  "the word, or the tensor with its own group")
        G = T.group
    key = ("fusion.decompose", str(T.word), T.word.variables, tol, method)
    if key in G.cache:
        return G.cache[key]
    if method == "auto":
        method = "algebra" if is_multiplication(T.word) else "dense"
    if method == "algebra" and not is_multiplication(T.word):
        raise WordTensorError(f"the algebra path needs the word xy, got {T.word}")
    if method == "dense" and T.n ** (T.arity + 1) > max_entries:
        _dense_refusal(T, max_entries)
    est = sizes.check(decomposition_estimate(G, T.word, method=method))
    F = fourier_basis(G)
    blocks = (_algebra_blocks if method == "algebra" else _dense_blocks)(T, F, max_entries,
                                                                         est.seconds)
    t = len(F.slices)
    norms = np.zeros((t,) * T.ndim)
    kept = {}
    for idx, B in blocks.items():
        flat = B.reshape(-1)
        norms[idx] = float(flat @ flat)  # no temporary of the block's size
        if B.size and max(float(B.max()), -float(B.min())) > tol:
            kept[idx] = B
    dec = TripletDecomposition(T, F, kept, norms, tol, method)
    G.cache[key] = dec
    return dec


def decomposition_estimate(group: Group | str, word: Word | str, *, method: str = "auto"
                           ) -> sizes.Estimate:
    """The size model's estimate of :func:`decompose` (the irreps, the Fourier basis and the
    blocks), computing the character table first.

    >>> est = decomposition_estimate("S4", "xy")
    >>> est.largest.name in ("irreps", "decomposition (algebra)"), est.bytes < 300 << 20
    (True, True)
    >>> decomposition_estimate("S4", "xyx").stages[-1].name
    'decomposition (dense)'
    """
    G = as_group(group)
    w = Word.parse(word)
    method = choice(method, "method", ("auto", "algebra", "dense"))
    if method == "auto":
        method = "algebra" if is_multiplication(w) else "dense"
    rep = representation_estimate(G)
    last = (sizes.algebra_stage(bsc_shapes(G)) if method == "algebra"
            else sizes.dense_decomposition_stage(G.order, w.arity))
    return sizes.Estimate(f"the triplet decomposition of {w} on {G.name}", (
        sizes.tensor_stage(G.order, w.arity), *rep.stages, sizes.fourier_stage(G.order), last))


def _dense_refusal(T: WordTensor, max_entries: int):
    n, k = T.n, T.arity
    raise TensorTooLargeError(
        f"the dense Fourier transform of {T.word} on {T.group.name} needs n^{k + 1} = "
        f"{n ** (k + 1)} entries (limit {max_entries}); only the word xy has a structured path")


def _algebra_blocks(T: WordTensor, F: FourierBasis, max_entries: int, seconds: float) -> dict:
    G = T.group
    out = {}
    items = list(enumerate(zip(bscs(G), plancherel_weights(G))))
    for phi, (b, c) in sizes.progress(items, desc=f"blocks of {G.name}", seconds=seconds,
                                      unit="bsc"):
        rows = F.rows(phi)
        s, D = rows.shape[0], b.dim
        if s * s * D * D > max_entries * 4:
            raise TensorTooLargeError(f"the block of bsc {b.name} needs {s * s * D * D} entries")
        Fh = np.tensordot(rows, b.matrices, axes=(1, 0))  # (s, D, D)
        X = np.matmul(Fh[:, None], Fh[None])  # X[p, q] = F̂_p F̂_q, batched BLAS
        block = np.tensordot(X, Fh, axes=([2, 3], [1, 2]))
        del X  # the largest array here (s² D² floats): free before the next bsc
        block *= c
        out[(phi,) * 3] = block
    return out


def _dense_blocks(T: WordTensor, F: FourierBasis, max_entries: int, seconds: float) -> dict:
    n, k = T.n, T.arity
    if n ** (k + 1) > max_entries:
        _dense_refusal(T, max_entries)
    M = F.matrix
    X = M[:, T.image].T.reshape((n,) * k + (n,))  # output mode already transformed
    for m in range(k):
        X = np.moveaxis(np.tensordot(M, X, axes=(1, m)), 0, m)
    t = len(F.slices)
    return {idx: X[tuple(F.slices[i] for i in idx)]
            for idx in itertools.product(range(t), repeat=k + 1)}


# ---------------------------------------------------------------------------- fusion cover
@dataclass(frozen=True)
class FusionCover:
    """The Combinatorial-Fusion-Cover: tuples (φ_1, ..., φ_k, ζ) with φ_i ⊂ ζ^{⊗ n_i}, where n_i
    counts the occurrences of the i-th variable (x^{±1}, x^m counting |m|) in the freely reduced
    word and "⊂" means ⟨χ_ζ^{n_i}, χ_φ⟩ > 0 (only the trivial bsc for n_i = 0).

    >>> c = fusion_cover("S3", "[x,y]")
    >>> c.occurrences                 # x and y each occur twice in the commutator
    (2, 2)
    >>> len(c), (0, 0, 0) in c, (2, 2, 0) in c
    (11, True, False)
    >>> decompose("S3", "[x,y]").support == list(c.triplets)   # here the cover is attained
    True
    """

    occurrences: tuple[int, ...]
    triplets: tuple[tuple[int, ...], ...]

    def __contains__(self, idx) -> bool:
        return tuple(idx) in set(self.triplets)

    def __len__(self) -> int:
        return len(self.triplets)


def fusion_cover(group: Group | str, word: Word | str) -> FusionCover:
    """The fusion cover of a word (see :class:`FusionCover`).

    >>> fusion_cover("S3", "xy").triplets
    ((0, 0, 0), (1, 1, 1), (2, 2, 2))
    """
    G = as_group(group)
    w = Word.parse(word)
    occ = tuple(w.occurrences(v) for v in w.variables)
    t = len(bscs(G))
    out = []
    for zeta in range(t):
        allowed = [np.flatnonzero(bsc_power_support(G, zeta, m)).tolist() for m in occ]
        out += [(*phis, zeta) for phis in itertools.product(*allowed)]
    return FusionCover(occ, tuple(sorted(out)))


def check_support_in_cover(dec: TripletDecomposition, cover: FusionCover) -> None:
    """Raise if a support tuple lies outside the fusion cover (that would be a bug).

    >>> check_support_in_cover(decompose("S3", "xy"), fusion_cover("S3", "xy"))  # silent: inside
    >>> check_support_in_cover(decompose("S3", "[x,y]"), fusion_cover("S3", "xy"))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: support of [x,y] on S3 leaves the fusion cover at [(0, 0, 1), ...): this is ...
    """
    validate.instance(dec, "dec", TripletDecomposition, "a TripletDecomposition",
                      hint="make one with decompose(spec, word)")
    validate.instance(cover, "cover", FusionCover, "a FusionCover",
                      hint="make one with fusion_cover(spec, word)")
    bad = [t for t in dec.support if t not in cover]
    if bad:
        raise RuntimeError(f"support of {dec.word} on {dec.group.name} leaves the fusion cover at "
                           f"{bad[:5]} (norms {[float(dec.norms[t]) for t in bad[:5]]}): "
                           "this is a bug, please report it")


