"""Rank-preserving relabellings: a word whose tensor is another's with its modes relabelled by bijections.

A bijection of the elements on any mode (an input or the output) permutes the rows of the
factors and keeps the rank. Two kinds are used:

* on the value table (:func:`multiplication_equivalence`): δ_w[a, b, c] = δ_xy[α(a), β(b), c]
  for bijections α, β (or with a and b swapped) — ``yx``, ``XY``, ``x^2 y`` on a group of odd
  exponent, any automorphism in place of α or β; then every bound of xy holds for w;
* on the word (:func:`relabelled_words`): the substitutions x ↦ x^k (k prime to the exponent
  e of G: a bijection of that input), the output map g ↦ g^m (m prime to e), the swap of the
  variables, and the exponents reduced modulo e (an identity in G). They turn a word into one
  whose form the other bounds recognise, e.g. ``x y x^2`` on a group of exponent 3 into the
  conjugation ``x y X``, or ``x^2 y x^-2`` into ``x y X`` on a group of odd exponent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wordtensor import Group, Word, WordTensor

__all__: list[str] = []

#: How many substituted words :func:`relabelled_words` tries at most.
MAX_VARIANTS = 400


@dataclass(frozen=True)
class Relabelling:
    """w'(y) = w(y_{perm[0]}^{powers[0]}, …, y_{perm[k-1]}^{powers[k-1]})^{output}: δ_w is δ_{w'}
    with its modes relabelled (:func:`relabel_factors`)."""

    word: Word
    powers: tuple[int, ...]
    output: int
    perm: tuple[int, ...]

    def describe(self) -> str:
        parts = [f"{v}->{v}^{k}" for v, k in zip("xyzuvw", self.powers) if k != 1]
        if self.output != 1:
            parts.append(f"output^{self.output}")
        if self.perm != tuple(range(len(self.perm))):
            parts.append("swap")
        return ", ".join(parts) or "exponents mod e"


def reduce_exponents(letters: list[tuple[str, int]], e: int) -> list[tuple[str, int]]:
    """Merge runs of one variable, take their exponent modulo e into (−e/2, e/2] and drop the
    empty ones, until nothing changes (an identity in any group of exponent e).

    >>> reduce_exponents([("x", 1), ("y", 1), ("x", 1), ("x", 1)], 3)
    [('x', 1), ('y', 1), ('x', -1)]
    """
    runs: list[list] = []
    changed = True
    cur = [(v, s) for v, s in letters]
    while changed:
        runs = []
        for v, s in cur:
            if runs and runs[-1][0] == v:
                runs[-1][1] += s
            else:
                runs.append([v, s])
        new = []
        for v, s in runs:
            s %= e
            if s > e // 2:
                s -= e
            if s:
                new.append((v, s))
        changed = new != [(v, s) for v, s in runs]
        cur = new
    return [(v, 1 if s > 0 else -1) for v, s in cur for _ in range(abs(s))]


def _text(letters) -> str:
    return "".join(v if e > 0 else v.upper() for v, e in letters) or "1"


def relabelled_words(word: Word, G: Group) -> list[Relabelling]:
    """Words whose tensor on G is that of ``word`` with its modes relabelled by bijections
    (power maps prime to the exponent on the inputs and the output, the swap of two variables,
    exponents reduced modulo the exponent), shortest first; the word itself (reduced modulo the
    exponent) comes first.

    >>> G = Group.from_spec("Z3^2")                       # exponent 3
    >>> [r.word.reduced() for r in relabelled_words(Word.parse("x y x^2"), G)][:2]
    ['xyX', 'xYX']
    >>> r = relabelled_words(Word.parse("x^2 y x^-2"), Group.from_spec("A5"))
    >>> r[0].word.reduced()                               # A5 has exponent 30: no reduction
    'xxyXX'
    """
    e = int(G.exponent)
    k = word.arity
    units = [u for u in range(1, e) if math.gcd(u, e) == 1] or [1]
    out: dict[str, Relabelling] = {}
    combos = [()]
    for _ in range(k):
        combos = [c + (u,) for c in combos for u in units]
    letters = word.letters()
    for perm in ([tuple(range(k))] + ([(1, 0)] if k == 2 else [])):
        for powers in combos[:MAX_VARIANTS]:
            for m in ((1, -1) if e > 2 else (1,)):
                sub = []
                for v, s in letters:
                    i = word.variables.index(v)
                    sub += [(word.variables[perm[i]], 1 if s * powers[i] > 0 else -1)] * abs(powers[i])
                if m == -1:
                    sub = [(v, -s) for v, s in reversed(sub)]
                red = reduce_exponents(sub, e)
                text = _text(red)
                if text not in out:
                    out[text] = Relabelling(Word.parse(text, variables=word.variables), powers,
                                            m, perm)
    first = _text(reduce_exponents(letters, e))
    ordered = sorted(out.values(), key=lambda r: (r.word.reduced() != first,
                                                  len(r.word.letters())))
    return ordered


def relabel_factors(factors: list[np.ndarray], rel: Relabelling, G: Group) -> list[np.ndarray]:
    """Factors of δ_w from factors of δ_{w'} (``rel.word``): since w(a_1, …, a_k) = c iff
    w'(b) = c^{output} with b_{perm[i]} = a_i^{q_i}, q_i the inverse of powers[i] modulo the
    exponent, input i of w reads input perm[i] of w' at a^{q_i} and the output reads
    c^{output}.

    >>> from wordtensor import word_tensor
    >>> G = Group.from_spec("Z5")
    >>> rel = next(r for r in relabelled_words(Word.parse("x^2 y"), G) if r.word.reduced() == "xy")
    >>> rel.powers                                    # x ↦ x³: x⁶ = x in Z5
    (3, 1)
    >>> from tensorly.cp_tensor import CPTensor
    >>> from fusion.ranks.slices import slice_bound
    >>> from fusion.ranks.certificates import cp_error
    >>> w, F = slice_bound(word_tensor(G, "xy")).cp            # factors of xy ...
    >>> cp = CPTensor((w, relabel_factors(list(F), rel, G)))    # ... become factors of x^2 y
    >>> cp_error(cp, word_tensor(G, "x^2 y"))
    (0.0, 'group basis')
    """
    n, k, e = G.order, len(rel.powers), int(G.exponent)
    a = np.arange(n)
    out = [None] * (k + 1)
    for i in range(k):
        q = pow(rel.powers[i], -1, e) if e > 1 else 1
        out[i] = factors[rel.perm[i]][G.power(a, q)]
    out[k] = factors[k][G.power(a, rel.output)]
    return out


def multiplication_equivalence(T: WordTensor) -> tuple[bool, np.ndarray, np.ndarray] | None:
    """Detect a two-variable word whose tensor is the multiplication tensor with relabelled
    inputs: w(a, b) = α(a)·β(b) (returns (False, α, β)) or w(a, b) = β(b)·α(a) (returns
    (True, α, β), inputs swapped) with bijections α, β — e.g. ``yx``, ``XY``, ``x^2 y`` on a
    group of odd exponent, ``xyx`` on an abelian group of odd order. Then
    δ_w[a, b, c] = δ_xy[α(a), β(b), c] (or with a and b swapped), so both tensors have the same
    rank. Returns None otherwise.

    >>> from wordtensor import Group, word_tensor
    >>> multiplication_equivalence(word_tensor("S3", "xy"))[0]    # xy itself, inputs in order
    False
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "yx"))
    >>> swap, bool((alpha == np.arange(6)).all())                  # yx: xy with inputs swapped
    (True, True)
    >>> swap, alpha, beta = multiplication_equivalence(word_tensor("S3", "XY"))
    >>> G = Group.from_spec("S3")           # XY = x⁻¹y⁻¹: α = β = inversion
    >>> swap, bool((alpha == G.inv).all() and (beta == G.inv).all())
    (False, True)
    >>> multiplication_equivalence(word_tensor("S3", "[x,y]")) is None
    True
    """
    if T.ndim != 3:
        return None
    G, n = T.group, T.n
    img = T.image.reshape(n, n)
    for swap in (False, True):
        if not swap:
            alpha = img[:, 0]
            beta = G.mul[G.inv[img[0, 0]], img[0, :]]
            ok = np.array_equal(img, G.mul[alpha[:, None], beta[None, :]])
        else:
            beta = img[0, :]
            alpha = G.mul[G.inv[img[0, 0]], img[:, 0]]
            ok = np.array_equal(img, G.mul[beta[None, :], alpha[:, None]])
        if ok and len(np.unique(alpha)) == n and len(np.unique(beta)) == n:
            return swap, alpha, beta
    return None
