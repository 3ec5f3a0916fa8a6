"""Spec strings that name groups on the command line and in scripts.

Grammar (case-insensitive family names; no spaces needed):

    spec    := factor ('x' factor)*            direct product, left to right
    factor  := base ('^' k)?                   k-fold direct power, e.g. Z2^3
    base    := Zn | Cn | Dn | Sn | An | Q8 | Q4m | Dicn | V4
             | SL(n,q) | GL(n,q) | PSL(n,q) | PGL(n,q)
             | perm:(1,2,3),(1,2)              generators in GAP cycle notation
             | SmallGroup(n,i)                 GAP's small groups library, n <= 100
             | (spec)
    spec    := gap:<GAP expression>            any finite group, with the gap extra

``Dn`` has order 2n, ``Dicn`` order 4n, ``Q4m`` is Dic_m (``Q8`` = Dic_2, ``Q16`` = Dic_4).
"""

from __future__ import annotations

import math
import re

from .errors import GroupSpecError, GroupTooLargeError
from .groups import DEFAULT_MAX_ORDER, Group

__all__ = ["parse_spec"]

_SIMPLE = re.compile(r"^(Z|C|D|S|A|Q|DIC|V)(\d+)$", re.IGNORECASE)
_LINEAR = re.compile(r"^(SL|GL|PSL|PGL)\((\d+),(\d+)\)$", re.IGNORECASE)


def parse_spec(spec: str, *, max_order: int = DEFAULT_MAX_ORDER) -> Group:
    """Build the group a spec string names; raise :class:`GroupSpecError` if it names none.

    >>> parse_spec("D4").order, parse_spec("Z2^3").order, parse_spec("PSL(2,7)").order
    (8, 8, 168)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise GroupSpecError("empty group spec: try e.g. S3, D4, Q8, Z3xS3, SL(2,3)")
    text = spec.strip()
    if text.lower().startswith("perm:"):
        return Group.from_permutations(text[5:], name=text, max_order=max_order)
    if text.lower().startswith("gap:"):
        return Group.from_gap(text[4:], max_order=max_order)
    parts = _split_top(text, "x")
    groups = [_factor(p, spec, max_order) for p in parts]
    G = groups[0]
    for H in groups[1:]:
        G = G.direct_product(H, max_order=max_order)
    if len(groups) > 1:
        G.name = text
    return G


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch.lower() == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    if depth != 0:
        raise GroupSpecError(f"unbalanced parentheses in group spec {text!r}")
    if any(not p for p in parts):
        if len(parts) == 2 and not parts[0] and text[:1].lower() == sep:
            raise GroupSpecError(f"unknown group spec {text!r}: no family starts with "
                                 f"{text[:1]!r} ('x' separates the factors of a direct product;"
                                 " families: Zn, Cn, Dn, Sn, An, Q8, Dicn, V4, SL/GL/PSL/PGL(n,q),"
                                 " perm:...)")
        raise GroupSpecError(f"empty factor in direct product {text!r}")
    return parts


def _int(digits: str, spec: str) -> int:
    """A number from the spec; one with more digits than any group here could need is refused
    (``int`` itself refuses more than 4300)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > 18:
        raise GroupTooLargeError(f"the number {digits[:12]}... in group spec {spec!r} is far too large")
    return int(digits)


def _factor(text: str, spec: str, max_order: int) -> Group:
    base, power = text, 1
    m = re.match(r"^(.*)\^(\d+)$", text)
    if m:
        base, power = m.group(1).strip(), _int(m.group(2), spec)
        if power < 1:
            raise GroupSpecError(f"direct power must be >= 1 in {spec!r}")
    G = _base(base, spec, max_order)
    if G.order == 1:
        power = 1  # any power of the trivial group is trivial
    elif power * math.log2(G.order) > math.log2(max(max_order, 1)) + 1 or G.order**power > max_order:
        raise GroupTooLargeError(
            f"{text} has {G.order}^{power} elements, more than the limit {max_order}; "
            "pass a larger max_order if its Cayley table will fit in memory")
    out = G
    for _ in range(power - 1):
        out = out.direct_product(G, max_order=max_order)
    if power > 1:
        out.name = text
    return out


def _base(text: str, spec: str, max_order: int) -> Group:
    t = text.replace(" ", "")
    if t.startswith("(") and t.endswith(")"):
        return parse_spec(t[1:-1], max_order=max_order)
    if t.lower().startswith("perm:"):
        return Group.from_permutations(t[5:], name=t, max_order=max_order)
    m = _SIMPLE.match(t)
    if m:
        fam, n = m.group(1).upper(), _int(m.group(2), spec)
        if fam in ("Z", "C"):
            return Group.cyclic(n, max_order=max_order)
        if fam == "D":
            return Group.dihedral(n, max_order=max_order)
        if fam == "S":
            return Group.symmetric(n, max_order=max_order)
        if fam == "A":
            return Group.alternating(n, max_order=max_order)
        if fam == "DIC":
            return Group.dicyclic(n, max_order=max_order)
        if fam == "Q":
            if n < 4 or n % 4:
                raise GroupSpecError(
                    f"Q{n}: the (generalised) quaternion/dicyclic group Q_m needs m divisible "
                    "by 4, e.g. Q8 or Q16")
            return Group.dicyclic(n // 4, max_order=max_order)
        if fam == "V" and n == 4:
            G = Group.cyclic(2).direct_product(Group.cyclic(2))
            G.name = "V4"
            return G
    if t.lower().startswith("smallgroup"):
        from .smallgroups import parse_small_group

        return parse_small_group(t, max_order=max_order)
    m = _LINEAR.match(t)
    if m:
        fam, n, q = m.group(1).upper(), _int(m.group(2), spec), _int(m.group(3), spec)
        ctor = {"SL": Group.special_linear, "GL": Group.general_linear,
                "PSL": Group.projective_special_linear,
                "PGL": Group.projective_general_linear}[fam]
        return ctor(n, q, max_order=max_order)
    raise GroupSpecError(
        f"{text!r} in spec {spec!r} names no group: use Zn, Cn, Dn, Sn, An, Q8, Dicn, V4, "
        "SL(n,q), GL(n,q), PSL(n,q), PGL(n,q), perm:(1,2,3),(1,2), SmallGroup(n,i), "
        "gap:<GAP expression>, or products like Z3xS3")
