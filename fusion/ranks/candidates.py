"""Every upper-bound candidate of a word tensor, with the memory estimate that guards the big groups.

:func:`upper_candidates` gathers, as :class:`~fusion.ranks.certificates.UpperBound` records:

* the slices (exact 0/1 factors, any number of variables), and for two variables the slices
  in the cheapest basis of coset indicators (:mod:`fusion.ranks.coset_slices`, exact rational);
* for ``xy`` the block-by-block construction; for a word whose table is xy with relabelled
  inputs the same factors, rows permuted;
* composition: a word u1(x1)·…·uk(xk) from the product tensor of the subgroup its images
  generate (or of G), and a power v^m from v (push-forward);
* the conjugation module for u(x)·v(y)·u(x)⁻¹;
* the same forms after a relabelling of the word (power maps prime to the exponent, inversion
  of the output, the swap of the variables);
* the box cover of the support (two-variable words), each box bounded by its multilinear rank or
  the known block decomposition;
* a catalogued exact certificate (:mod:`fusion.ranks.catalogue`), verified in integers.

Factors are built on demand: only the winner's are formed and verified.
"""

from __future__ import annotations

from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor, word_tensor
from wordtensor.errors import TensorTooLargeError
from wordtensor.tensors import available_memory

from ..decompose import DENSE_LIMIT, decompose, is_multiplication
from .box_cover import box_cover, box_cover_cp
from .catalogue import catalogued_bound
from .certificates import UpperBound
from .compose import product_form, pull_back_bounds
from .coset_slices import coset_slice_bound
from .module import conjugation_bound, conjugation_form
from .relabel import multiplication_equivalence, relabel_factors, relabelled_words
from .sandwich import SANDWICH, sandwich_boxes
from .slices import slice_bound
from .upper import block_factors, block_references, constructive_xy, product_bound, relabelled_xy

__all__ = ["upper_candidates", "estimate_memory", "guard_memory", "check_factor_memory"]

TUCKER = ("multilinear rank (Tucker / HOSVD): rank(X) <= min(r1 r2, r1 r3, r2 r3) for a "
          "3-way array of multilinear rank (r1, r2, r3); box cover: rank(delta) <= the sum of the "
          "ranks of the boxes of a partition of the support")
#: Past this order the box cover of xy (its diagonal blocks, the same bound as the
#: construction) is skipped.
XY_COVER_MAX = 256

RELABEL = ("relabelling: power maps prime to the exponent, inversion and the swap of inputs are "
           "bijections of the modes and keep the rank")


def estimate_memory(T: WordTensor) -> int:
    """Bytes the rank bounds of T need at least: the irreps (their construction holds L(g)V for
    every g, n² d complex numbers with d ≤ √n: 16 n^2.5 bytes) and the Fourier basis; for
    ``xy`` the block factors (Σ of the best known block ranks ≲ 16 n), about 420 n² bytes; for
    any other word the value table and the slice counts, 3 n^k words (the dense Fourier
    transform of the box cover is skipped when it does not fit, and the winner's factors are
    checked before they are built: :func:`check_factor_memory`).

    >>> from wordtensor import word_tensor
    >>> round(estimate_memory(word_tensor("S6", "xy")) / 2**20)      # MiB
    418
    """
    n, k = T.n, T.arity
    irreps = int(16 * n ** 2.5) + 8 * 4 * n * n
    if is_multiplication(T.word):
        return irreps + 8 * 3 * n * 16 * n
    return irreps + 8 * 3 * n ** k


def _limit() -> int:
    return available_memory() // 2


def guard_memory(T: WordTensor) -> None:
    """Refuse up front, with the estimate of :func:`estimate_memory`, a word tensor whose rank
    bounds would not fit in half the available memory.

    >>> from wordtensor import word_tensor
    >>> guard_memory(word_tensor("S3", "xy"))            # fits: silent
    """
    need, limit = estimate_memory(T), _limit()
    if need > limit:
        raise TensorTooLargeError(
            f"the rank bounds of {T.word} on {T.group.name} need about {need / 2**30:.1f} GiB, "
            f"more than the {limit / 2**30:.1f} GiB allowed (half the available memory)")


def check_factor_memory(ub: UpperBound, T: WordTensor) -> None:
    """Refuse (:class:`~wordtensor.errors.TensorTooLargeError`, with the estimate) to build the
    factors of an upper bound that would not fit: rank × n × (k+1) float64 entries, twice.

    >>> from wordtensor import word_tensor
    >>> from fusion.ranks.slices import slice_bound
    >>> T = word_tensor("S3", "xy")
    >>> check_factor_memory(slice_bound(T), T)          # 36 terms: fine
    """
    need, limit = 16 * ub.rank * T.n * T.ndim, _limit()
    if need > limit:
        raise TensorTooLargeError(
            f"the factors of the best upper bound of {T.word} on {T.group.name} ({ub.method}, "
            f"{ub.rank} terms) need about {need / 2**30:.1f} GiB, more than the "
            f"{limit / 2**30:.1f} GiB allowed (half the available memory)")


def form_bounds(T: WordTensor) -> list[UpperBound]:
    """The bounds that read the form of the word: composition / push-forward and the
    conjugation module (see :mod:`fusion.ranks.compose` and :mod:`fusion.ranks.module`).

    >>> from wordtensor import word_tensor
    >>> [(u.rank, u.method) for u in form_bounds(word_tensor("S4", "xxyy"))][:1]
    [(27, 'composition (xy of a subgroup of order 12)')]
    """
    out = pull_back_bounds(T, lambda K, k: [product_bound(K, k)])
    cb = conjugation_bound(T)
    if cb is not None:
        out.append(cb)
    return out


def relabelled_bounds(T: WordTensor, limit: int = 2) -> list[UpperBound]:
    """:func:`form_bounds` of the relabelled words (:func:`~fusion.ranks.relabel.relabelled_words`)
    that have a recognised form, mapped back to T; at most ``limit`` words are tried.

    >>> from wordtensor import word_tensor
    >>> T = word_tensor("SmallGroup(27,3)", "x y x^2")    # exponent 3: x y x^2 = x y X
    >>> ub = relabelled_bounds(T)[0]
    >>> ub.method, ub.rank
    ('conjugation module (relabelled: exponents mod e)', 35)
    """
    G, out, tried = T.group, [], 0
    for rel in relabelled_words(T.word, G):
        if rel.word.letters() == T.word.letters():
            continue
        if product_form(rel.word) is None and conjugation_form(rel.word) is None:
            continue
        tried += 1
        if tried > limit:
            break
        for ub in form_bounds(word_tensor(G, rel.word)):
            w, fs = ub.cp
            new = CPTensor((w, relabel_factors(list(fs), rel, G)))
            out.append(UpperBound(ub.rank, f"{ub.method} (relabelled: {rel.describe()})",
                                  ub.certificate, (RELABEL, *ub.reference), lambda new=new: new,
                                  {**ub.details, "relabelled_word": rel.word.reduced()},
                                  _cp=new))
    return out


def upper_candidates(T: WordTensor, *, cover: bool = True) -> tuple[list[UpperBound], object, object]:
    """(candidates, triplet decomposition or None, box cover or None) for δ_T, in a fixed order
    (the earliest of the smallest exact ones wins ties).

    >>> from wordtensor import word_tensor
    >>> cands, dec, bc = upper_candidates(word_tensor("S3", "xy"))
    >>> [(c.method, c.rank, c.certificate) for c in cands]  # doctest: +NORMALIZE_WHITESPACE
    [('slices(mode 0)', 36, 'exact'), ('constructive', 9, 'constructive'),
     ('box cover', 9, 'constructive')]
    """
    G = T.group
    guard_memory(T)
    cands = [slice_bound(T)]
    coset = coset_slice_bound(T) if not is_multiplication(T.word) else None
    if coset is not None and coset.rank < cands[0].rank:
        cands.append(coset)
    catalogued = catalogued_bound(T)
    if catalogued is not None:
        cands.append(catalogued)
    known = None
    if is_multiplication(T.word):
        cp, recs = constructive_xy(G)
        cands.append(UpperBound(int(cp.factors[0].shape[1]), "constructive", "constructive",
                                block_references(recs), lambda: cp, {"blocks": recs}, _cp=cp))
        known = block_factors(G, cp, recs)
    else:
        equiv = multiplication_equivalence(T)
        if equiv is not None:
            cp, recs = relabelled_xy(G, equiv)
            cands.append(UpperBound(int(cp.factors[0].shape[1]), "constructive (relabelled xy)",
                                    "constructive", (RELABEL, *block_references(recs)),
                                    lambda: cp, {"blocks": recs, "equivalent_to_xy":
                                                 {"swap": bool(equiv[0])}}, _cp=cp))
        forms = form_bounds(T)
        cands += forms
        if not forms:  # a relabelling may reveal a form the word itself does not show
            cands += relabelled_bounds(T)
    dec = bc = None
    if is_multiplication(T.word) and T.n > XY_COVER_MAX:
        cover = False  # the diagonal blocks are the cover: it would only repeat the construction
    if cover and T.ndim == 3:
        try:
            dec = decompose(G, T.word, max_entries=DENSE_LIMIT)
        except TensorTooLargeError:
            dec = None
        if dec is not None:
            boxes = sandwich_boxes(dec)
            if boxes:
                known = {**(known or {}), **boxes}
            bc = box_cover(dec, known=known)
            refs = [TUCKER]
            if is_multiplication(T.word):
                xy = next(c for c in cands if c.method == "constructive")
                refs += block_references(xy.details["blocks"])[1:]
            if any(b.method.startswith("sandwich") for b in bc.boxes):
                refs.append(SANDWICH)
            cands.append(UpperBound(bc.bound, "box cover", "constructive", tuple(refs),
                                    lambda: box_cover_cp(dec, bc), {}))
    return cands, dec, bc
