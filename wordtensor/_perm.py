"""Permutations in GAP cycle notation (points 1..d), stored as 0-based image arrays.

Convention (GAP's): permutations act on the right, so the product p*q first applies p, then q:
``i^(p*q) = (i^p)^q``. As image arrays, ``(p*q)[i] = q[p[i]]``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np

from ._cayley import ElementIndex, closure, table_from_elements, table_from_tree
from .errors import GroupSpecError, ParameterError
from .validate import positive_int

_CYCLE = re.compile(r"\(([^()]*)\)")

#: Largest point a permutation may move (elements are stored as image arrays of that length).
MAX_POINT = 100_000


def parse_permutation(text: str, degree: int | None = None) -> np.ndarray:
    """Parse one permutation such as ``"(1,2,3)(4,5)"`` or ``"()"`` into a 0-based image array.

    >>> parse_permutation("(1,3)").tolist()
    [2, 1, 0]
    """
    s = text.replace(" ", "")
    if not s:
        raise GroupSpecError("empty permutation: write the identity as '()'")
    pos = 0
    cycles: list[list[int]] = []
    while pos < len(s):
        m = _CYCLE.match(s, pos)
        if m is None:
            raise GroupSpecError(
                f"malformed permutation {_short(text)} at character {pos + 1}: expected '(' starting a cycle"
            )
        body = m.group(1)
        if body:
            try:
                pts = [int(t) for t in body.split(",")]
            except ValueError:
                raise GroupSpecError(
                    f"malformed cycle ({_cut(body)}) in {_short(text)}: points must be positive integers"
                ) from None
            if any(p < 1 for p in pts):
                raise GroupSpecError(f"cycle ({_cut(body)}) in {_short(text)}: points are numbered from 1")
            if any(p > MAX_POINT for p in pts):
                raise GroupSpecError(
                    f"cycle ({_cut(body)}) in {_short(text)}: points are numbered up to {MAX_POINT}")
            if len(set(pts)) != len(pts):
                raise GroupSpecError(f"cycle ({_cut(body)}) in {_short(text)} repeats a point")
            cycles.append([p - 1 for p in pts])
        pos = m.end()
    seen: set[int] = set()
    for c in cycles:
        if seen & set(c):
            raise GroupSpecError(
                f"permutation {_short(text)}: cycles are not disjoint (point {min(seen & set(c)) + 1})"
            )
        seen |= set(c)
    d = max([max(c) + 1 for c in cycles], default=1)
    if degree is not None:
        if degree < d:
            raise GroupSpecError(f"permutation {_short(text)} moves point {d}, beyond degree {degree}")
        d = degree
    img = np.arange(d, dtype=np.int64)
    for c in cycles:
        for a, b in zip(c, c[1:] + c[:1]):
            img[a] = b
    return img


def image_list(images) -> np.ndarray:
    """A 0-based image list (``[1, 2, 0]`` is (1,2,3)) checked to be a permutation of
    0..d-1, as an int64 array.

    >>> image_list([1, 0, 2]).tolist()
    [1, 0, 2]
    >>> image_list([1, 1])
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: [1, 1] is not a 0-based permutation image list (each of 0..1 once)
    """
    try:
        arr = np.asarray(images)
    except (TypeError, ValueError):
        arr = np.asarray([], dtype=object)
    if arr.ndim != 1 or arr.size == 0 or arr.size > MAX_POINT or not (
            np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_):
        raise GroupSpecError(f"{_short(images)} is not a permutation: give a cycle string such as "
                             "'(1,2,3)' or a 0-based image list such as [1, 2, 0]")
    p = arr.astype(np.int64)
    if not np.array_equal(np.sort(p), np.arange(len(p))):
        raise GroupSpecError(f"{_short(p.tolist())} is not a 0-based permutation image list (each "
                             f"of 0..{len(p) - 1} once)")
    return p


def generator_images(generators, degree: int | None = None) -> np.ndarray:
    """The image arrays (k, d) of permutation generators: GAP cycle strings, one
    comma-separated string of them, or 0-based image lists, padded to ``degree`` points (default:
    the largest point moved).

    >>> generator_images("(1,2,3),(1,2)").tolist()
    [[1, 2, 0], [1, 0, 2]]
    >>> generator_images(["(1,2)", [0, 2, 1]], degree=4).tolist()
    [[1, 0, 2, 3], [0, 2, 1, 3]]
    """
    if isinstance(generators, str):
        generators = split_generators(generators)
    elif not isinstance(generators, Sequence) and not hasattr(generators, "__array__"):
        raise GroupSpecError(
            "permutation generators must be a string such as '(1,2,3),(1,2)', a list of "
            f"cycle strings or a list of 0-based image lists, got {type(generators).__name__}")
    generators = list(generators)
    if not generators:
        raise GroupSpecError("no permutation generators given")
    imgs = [parse_permutation(g) if isinstance(g, str) else image_list(g) for g in generators]
    moved = max(len(p) for p in imgs)
    if degree is not None:
        degree = positive_int(degree, "degree", maximum=MAX_POINT)
        if degree < moved:
            raise ParameterError(f"degree {degree} is smaller than the largest point moved "
                                 f"({moved}); pass degree >= {moved} or leave it out")
    d = max(moved, degree or 0)
    return np.stack([np.concatenate([p, np.arange(len(p), d)]) for p in imgs])


def _cut(body: str) -> str:
    return body if len(body) <= 40 else body[:37] + "..."


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "...'"


def split_generators(text: str) -> list[str]:
    """Split ``"(1,2,3),(1,2)(3,4)"`` into generator strings at top-level commas."""
    gens, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise GroupSpecError(f"unbalanced ')' in permutation list {_short(text)}")
        if ch == "," and depth == 0:
            gens.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0:
        raise GroupSpecError(f"unbalanced '(' in permutation list {_short(text)}")
    gens.append("".join(cur))
    gens = [g.strip() for g in gens]
    if any(not g for g in gens):
        raise GroupSpecError(f"empty generator in permutation list {_short(text)}")
    return gens


def cycle_string(img: np.ndarray) -> str:
    """GAP cycle notation of a 0-based image array (``"()"`` for the identity)."""
    img = np.asarray(img)
    seen = np.zeros(len(img), dtype=bool)
    out = []
    for start in range(len(img)):
        if seen[start] or img[start] == start:
            seen[start] = True
            continue
        cyc, i = [], start
        while not seen[i]:
            seen[i] = True
            cyc.append(i + 1)
            i = int(img[i])
        out.append("(" + ",".join(map(str, cyc)) + ")")
    return "".join(out) or "()"


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched GAP product a*b of image arrays of shape (k, d): apply a, then b."""
    return np.take_along_axis(b, a, axis=1)


def parity(perms: np.ndarray) -> np.ndarray:
    """0 for the even and 1 for the odd rows of a (k, d) array of image arrays.

    >>> parity(np.array([[0, 1, 2], [1, 0, 2], [1, 2, 0]])).tolist()
    [0, 1, 0]
    """
    n = perms.shape[1]
    inv = np.zeros(len(perms), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            inv += perms[:, i] > perms[:, j]
    return inv % 2


def all_permutations(n: int) -> np.ndarray:
    """The n! image arrays of degree n, in lexicographic order.

    >>> all_permutations(3)[:3].tolist()
    [[0, 1, 2], [0, 2, 1], [1, 0, 2]]
    """
    return np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)


def table(perms: np.ndarray) -> np.ndarray:
    """The Cayley table of a set of image arrays closed under :func:`compose`.

    >>> table(all_permutations(2)).tolist()
    [[0, 1], [1, 0]]
    """
    return table_from_elements(perms, compose, ElementIndex(max(perms.shape[1], 2), perms.shape[1]))


def generate(gens: np.ndarray, max_order: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The elements (identity first) and Cayley table of the group that the image arrays
    ``gens`` (one degree) generate; :class:`GroupTooLargeError` past ``max_order``.

    >>> elems, mul = generate(np.array([[1, 2, 0]]), 10, "Z3")
    >>> [cycle_string(p) for p in elems], int(mul[1, 1])
    (['()', '(1,2,3)', '(1,3,2)'], 2)
    """
    d = gens.shape[1]
    index = ElementIndex(max(d, 2), d)
    elems, parent, gen_of = closure(gens, np.arange(d), compose, index, max_order, what)
    return elems, table_from_tree(elems, parent, gen_of, gens, compose, index)
