"""A bridge to GAP (optional): any GAP group expression as a :class:`Group`.

It needs the extra ``pip install 'wordtensor[gap]'``, which brings ``passagemath-gap`` (GAP as a
library with its SmallGroups and primitive-groups data, about 340 MB installed). Without it every
call raises :class:`GapUnavailableError`, which says how to install it; :func:`gap_available`
tells beforehand.

GAP evaluates the expression, so only pass expressions you trust (GAP can run programs and
write files). The group must be finite and of order at most ``max_order``. It is turned into
permutations inside GAP: a permutation group that moves at most 1000 points keeps its own
points (so element labels are the cycles you know), any other group goes through
``IsomorphismPermGroup`` and ``SmallerDegreePermutationRepresentation``. The
:class:`Group` is then built from a small generating set by the usual closure, identity first.

GAP's small groups library reaches beyond the shipped catalogue this way:
``gap:SmallGroup(120,5)``; the ``passagemath-gap`` wheel carries the SmallGroups and primitive
groups data, other GAP data libraries (transitive groups, ...) come with their own
``passagemath-gap-pkg-*-data`` wheels.

>>> from wordtensor import Group
>>> if gap_available():
...     G = Group.from_gap("PrimitiveGroup(10,3)")
...     print(G.order, G.name)
... else:
...     print(360, "PrimitiveGroup(10,3) = A6")
360 PrimitiveGroup(10,3) = A6
"""

from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec
from typing import Any

from ._cayley import DEFAULT_MAX_ORDER
from .errors import GroupSpecError, GroupTooLargeError, WordTensorError

__all__ = ["GapUnavailableError", "GapError", "gap_available", "libgap", "gap_generators"]

#: Groups up to this order get GAP's StructureDescription in their name.
NAME_MAX_ORDER = 2000

#: A permutation group moving at most this many points keeps its own points.
KEEP_DEGREE = 1000

# One GAP function does the conversion, so that no intermediate object crosses into Python.
_TO_PERMUTATIONS = """function(G, keep)
  local P, gens;
  if IsPermGroup(G) and LargestMovedPoint(G) <= keep then
    P := G;
  else
    P := Image(IsomorphismPermGroup(G));
    P := Image(SmallerDegreePermutationRepresentation(P));
    if not IsTrivial(P) then
      P := Image(ActionHomomorphism(P, MovedPoints(P)));
    fi;
  fi;
  gens := SmallGeneratingSet(P);
  if gens = [] then
    gens := [()];
  fi;
  return List(gens, g -> Filtered(String(g), c -> not c in " \\n\\\\"));
end"""


class GapUnavailableError(WordTensorError):
    """The GAP bridge was asked for, but ``passagemath-gap`` is not installed.

    >>> str(GapUnavailableError())
    "the GAP bridge needs passagemath-gap: pip install 'wordtensor[gap]'"
    """

    def __init__(self, message: str = ""):
        super().__init__(message or "the GAP bridge needs passagemath-gap: "
                                    "pip install 'wordtensor[gap]'")


class GapError(GroupSpecError):
    """GAP could not evaluate the expression, or its value is not a finite group.

    >>> issubclass(GapError, GroupSpecError)
    True
    """


def gap_available() -> bool:
    """Whether the GAP bridge can run (``passagemath-gap`` is installed); imports nothing.

    >>> isinstance(gap_available(), bool)
    True
    """
    try:
        return find_spec("sage.libs.gap") is not None
    except (ImportError, ValueError):  # no ``sage`` package at all
        return False


@lru_cache(maxsize=1)
def libgap() -> Any:
    """passagemath's ``libgap`` (GAP started in this process on the first call, in ~2 s).

    >>> if gap_available():
    ...     print(libgap().eval("Size(SymmetricGroup(5))"))
    ... else:
    ...     print(120)
    120
    """
    if not gap_available():
        raise GapUnavailableError()
    try:
        import sage.all__sagemath_gap  # noqa: F401  (sets up the Sage/GAP environment)
        from sage.libs.gap.libgap import libgap as gap
    except ImportError as exc:
        raise GapUnavailableError(
            f"the GAP bridge could not load passagemath-gap ({exc}); reinstall it: "
            "pip install --force-reinstall 'wordtensor[gap]'") from exc
    return gap


def gap_generators(expression: Any, *, name: str = "",
                   max_order: int = DEFAULT_MAX_ORDER) -> tuple[list[str], str]:
    """Permutation generators (GAP cycle notation) and a name for the finite group a GAP
    expression (a string, or a libgap object) evaluates to; :meth:`wordtensor.Group.from_gap`
    builds the group from them.

    The name is ``name`` if given, else the expression and, up to order 2000, GAP's
    StructureDescription.

    >>> if gap_available():
    ...     gens, name = gap_generators("SmallGroup(120,5)")
    ...     print(name)
    ... else:
    ...     print("SmallGroup(120,5) = SL(2,5)")
    SmallGroup(120,5) = SL(2,5)
    """
    gap = libgap()
    from sage.libs.gap.util import GAPError

    if isinstance(expression, str):
        text = expression.strip()
        if not text:
            raise GapError("empty GAP expression: try e.g. gap:SmallGroup(120,5)")
        try:
            G = gap.eval(text)
        except GAPError as exc:
            raise GapError(f"GAP could not evaluate {text!r}: {_one_line(exc)}") from None
    else:
        G, text = expression, ""
    try:
        if not bool(gap.IsGroup(G)):
            raise GapError(f"GAP expression {text or G!r} is not a group")
        if not bool(gap.IsFinite(G)):
            raise GapError(f"GAP group {text or G!r} is infinite")
        n = int(gap.Size(G))
        if n > max_order:
            raise GroupTooLargeError(
                f"GAP group {text or G!r} has {n} elements, more than the limit {max_order}; "
                "pass a larger max_order if its Cayley table will fit in memory")
        gens = [str(g) for g in _to_permutations()(G, KEEP_DEGREE)]
        if not name:
            label = text or (str(gap.Name(G)) if bool(gap.HasName(G)) else f"GAP group of order {n}")
            structure = str(gap.StructureDescription(G)) if n <= NAME_MAX_ORDER else label
            name = label if structure == label else f"{label} = {structure}"
    except GAPError as exc:
        raise GapError(f"GAP failed on {text or G!r}: {_one_line(exc)}") from None
    return gens, name


@lru_cache(maxsize=1)
def _to_permutations() -> Any:
    return libgap().eval(_TO_PERMUTATIONS)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
