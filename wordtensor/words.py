"""Words in a group: parsing, printing, free reduction and evaluation on all tuples at once
(the syntax tree and its parser are in :mod:`wordtensor._syntax`).

Syntax (docs/design.md): variables are single lowercase letters other than ``e``; an uppercase letter
is the inverse of its lowercase (``X`` = x⁻¹); ``u^k`` with any integer k; ``u^v`` is conjugation
v⁻¹ u v (GAP's convention) for a variable v; juxtaposition or ``*`` is the product; parentheses
group; ``[u,v]`` = u⁻¹ v⁻¹ u v (GAP's convention) and ``[u,v,w]`` = ``[[u,v],w]``; ``1`` or ``e``
is the identity. Spaces are ignored. Variables are ordered alphabetically unless given.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._syntax import Comm, Conj, Identity, Mul, Node, Pow, Var, parse, to_str
from .errors import WordTensorError
from .groups import Group, as_group

__all__ = ["Word", "parse_word", "Var", "Identity", "Mul", "Pow", "Comm", "Conj"]

#: Longest free-reduced expansion :meth:`Word.letters` will build.
MAX_LETTERS = 1_000_000


class Word:
    """A word in variables; ``str(word)`` prints a canonical form that parses back to it.

    >>> w = Word.parse("[x,y]")
    >>> w.variables, str(w), w.reduced()
    (('x', 'y'), '[x,y]', 'XYxy')
    >>> Word.parse("(xy)^2").equivalent(Word.parse("xyxy"))
    True
    """

    def __init__(self, tree: Node, variables: tuple[str, ...], text: str | None = None):
        if not isinstance(tree, (Identity, Var, Mul, Pow, Comm, Conj)):
            raise WordTensorError(f"Word(tree, variables) takes a parsed tree, got "
                                  f"{type(tree).__name__}; make a word from text with "
                                  "Word.parse(text) or parse_word(text)")
        if (not isinstance(variables, tuple)
                or not all(isinstance(v, str) and v for v in variables)):
            raise WordTensorError(f"the variables of a word must be a tuple of names, got "
                                  f"{variables!r}")
        self.tree = tree
        self.variables = variables
        self.text = text if text is not None else to_str(tree)

    @classmethod
    def parse(cls, text: str, variables: str | tuple[str, ...] | None = None) -> Word:
        """Parse a word; ``variables`` fixes the variable order (default: alphabetical)."""
        if isinstance(text, Word):
            return text if variables is None else cls(text.tree, _check_vars(text, variables))
        if not isinstance(text, str):
            raise WordTensorError(f"a word must be a string, got {type(text).__name__}")
        tree = parse(text)
        used = sorted(_collect_vars(tree))
        w = cls(tree, tuple(used), text)
        if variables is not None:
            w.variables = _check_vars(w, variables)
        return w

    def __str__(self) -> str:
        return to_str(self.tree)

    @property
    def notes(self) -> list[str]:
        """What a reader of the word might not expect; today: an ``e`` or ``E`` in the text,
        which is the identity, not a variable.

        >>> Word.parse("abcdefghij").notes
        ["'e' is the identity in a word, not a variable: abcdefghij has the 9 variables a, b, c,
        d, f, g, h, i, j (write 1 for the identity, or use another letter)"]
        >>> Word.parse("xy").notes
        []
        """
        if not any(ch in "eE" for ch in self.text):
            return []
        return [f"'e' is the identity in a word, not a variable: {self.text} has the "
                f"{self.arity} variable{'s' if self.arity != 1 else ''} "
                f"{', '.join(self.variables) or '(none)'} (write 1 for the identity, or use "
                "another letter)"]

    def __repr__(self) -> str:
        return f"Word({str(self)!r}, variables={self.variables})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Word) and self.tree == other.tree and \
            self.variables == other.variables

    def __hash__(self) -> int:
        return hash((self.tree, self.variables))

    @property
    def arity(self) -> int:
        """Number of variables k (the word tensor is (k+1)-way)."""
        return len(self.variables)

    def letters(self) -> list[tuple[str, int]]:
        """The freely reduced word as a list of (variable, ±1)."""
        out: list[tuple[str, int]] = []

        def push(letter):
            if out and out[-1][0] == letter[0] and out[-1][1] == -letter[1]:
                out.pop()
            else:
                out.append(letter)
                if len(out) > MAX_LETTERS:
                    raise WordTensorError(f"the word expands to more than {MAX_LETTERS} letters")

        def emit(node, sign):
            if isinstance(node, Identity):
                return
            if isinstance(node, Var):
                push((node.name, sign))
                return
            if isinstance(node, Mul):
                seq = node.factors if sign > 0 else reversed(node.factors)
                for f in seq:
                    emit(f, sign)
                return
            if isinstance(node, Pow):
                k = node.k * sign
                if abs(k) * max(1, _size(node.base)) > 4 * MAX_LETTERS:
                    raise WordTensorError(f"the word expands to more than {MAX_LETTERS} letters")
                for _ in range(abs(k)):
                    emit(node.base, 1 if k > 0 else -1)
                return
            if isinstance(node, Comm):
                a, b = node.left, node.right
                seq = [(a, -1), (b, -1), (a, 1), (b, 1)]
            elif isinstance(node, Conj):
                seq = [(node.by, -1), (node.base, 1), (node.by, 1)]
            else:
                raise TypeError(node)
            if sign < 0:
                seq = [(n, -s) for n, s in reversed(seq)]
            for n, s in seq:
                emit(n, s)

        emit(self.tree, 1)
        return out

    def reduced(self) -> str:
        """The freely reduced word as a string of letters (``'1'`` if empty)."""
        s = "".join(v if e > 0 else v.upper() for v, e in self.letters())
        return s or "1"

    def equivalent(self, other: Word | str) -> bool:
        """Equal as elements of the free group (same freely reduced form)."""
        return self.letters() == Word.parse(other).letters()

    def occurrences(self, var: str, reduced: bool = True) -> int:
        """n_var(w): occurrences of var^{±1}, x^k counting |k| — in the freely reduced word by
        default, else in the word as written.

        >>> Word.parse("x^3 X y").occurrences("x"), Word.parse("x^3 X y").occurrences("x", False)
        (2, 4)
        """
        if not (isinstance(var, str) and len(var) == 1 and var.islower() and var != "e"):
            raise WordTensorError(f"a variable is a single lowercase letter other than e, got "
                                  f"{var!r}")
        if reduced:
            return sum(1 for v, _ in self.letters() if v == var)
        return _count(self.tree, var)

    def separated(self) -> tuple[Word, Word, bool] | None:
        """For a two-variable word whose free reduction is u(x)·v(y) — one block of x-letters,
        then one block of y-letters — or v(y)·u(x), the one-variable words u (in the first
        variable) and v (in the second) and whether v comes first; None otherwise. Then
        w(a, b) = u(a)·v(b) (or v(b)·u(a)): δ_w is the multiplication tensor pulled back along
        a ↦ u(a), b ↦ v(b) (inputs swapped when v comes first).

        >>> u, v, swapped = Word.parse("x^2 y^2").separated()
        >>> u.reduced(), v.reduced(), swapped
        ('xx', 'yy', False)
        >>> u, v, swapped = Word.parse("yX").separated()
        >>> u.reduced(), v.reduced(), swapped
        ('X', 'y', True)
        >>> Word.parse("xyx").separated() is None, Word.parse("[x,y]").separated() is None
        (True, True)
        """
        if self.arity != 2:
            return None
        x, y = self.variables
        letters = self.letters()
        names = [v for v, _ in letters]
        blocks = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
        if len(blocks) > 2 or len(set(blocks)) != len(blocks):
            return None
        swapped = bool(blocks) and blocks[0] == y and len(blocks) == 2

        def part(var: str) -> Word:
            text = "".join(v if e > 0 else v.upper() for v, e in letters if v == var)
            return Word.parse(text or "1", variables=(var,))

        return part(x), part(y), swapped

    def evaluate(self, G: Group, *args: ArrayLike) -> np.ndarray:
        """w(g_a1, ..., g_ak) for index arrays a1..ak (broadcast together), as an index array.

        >>> from wordtensor import Group
        >>> G = Group.from_spec("Z5")
        >>> parse_word("x^2 y").evaluate(G, [1, 2], 3).tolist()   # 2x + y mod 5
        [0, 2]
        """
        G = as_group(G)
        if len(args) != self.arity:
            raise WordTensorError(f"{self} takes {self.arity} arguments, got {len(args)}")
        env = {v: G.elements(a, f"arguments of {self}") for v, a in zip(self.variables, args)}
        shape = np.broadcast_shapes(*[np.shape(a) for a in args]) if args else ()
        return np.array(np.broadcast_to(_eval(self.tree, G, env), shape))

    def table(self, G: Group) -> np.ndarray:
        """w on all k-tuples: an index array of shape (n,)*k, the word map's value table.

        >>> from wordtensor import Group
        >>> parse_word("xX").table(Group.from_spec("Z3")).tolist()
        [0, 0, 0]
        """
        G = as_group(G)
        n = G.order
        grids = np.meshgrid(*[np.arange(n)] * self.arity, indexing="ij", sparse=True)
        return self.evaluate(G, *grids)


def parse_word(text: str, variables: str | tuple[str, ...] | None = None) -> Word:
    """Parse a word string (see :class:`Word`).

    >>> str(parse_word("x*y*x^-1"))
    'xyX'
    """
    return Word.parse(text, variables)


def _check_vars(w: Word, variables) -> tuple[str, ...]:
    if not isinstance(variables, (str, tuple, list)):
        raise WordTensorError(f"variables must be a string of letters such as 'xy' or a tuple "
                              f"of them, got {type(variables).__name__}")
    vs = tuple(variables)
    if any(not (isinstance(v, str) and len(v) == 1 and v.islower() and v != "e") for v in vs):
        raise WordTensorError(f"variables must be single lowercase letters other than e: {vs}")
    if len(set(vs)) != len(vs):
        raise WordTensorError(f"variables repeat: {vs}")
    missing = set(_collect_vars(w.tree)) - set(vs)
    if missing:
        raise WordTensorError(f"word {w} uses {sorted(missing)} not among variables {vs}")
    return vs


def _collect_vars(node) -> set[str]:
    if isinstance(node, Var):
        return {node.name}
    if isinstance(node, Identity):
        return set()
    if isinstance(node, Mul):
        return set().union(*[_collect_vars(f) for f in node.factors])
    if isinstance(node, Pow):
        return _collect_vars(node.base)
    if isinstance(node, Comm):
        return _collect_vars(node.left) | _collect_vars(node.right)
    if isinstance(node, Conj):
        return _collect_vars(node.base) | _collect_vars(node.by)
    raise TypeError(node)


def _count(node, var) -> int:
    if isinstance(node, Var):
        return int(node.name == var)
    if isinstance(node, Identity):
        return 0
    if isinstance(node, Mul):
        return sum(_count(f, var) for f in node.factors)
    if isinstance(node, Pow):
        return abs(node.k) * _count(node.base, var)
    if isinstance(node, Comm):
        return 2 * (_count(node.left, var) + _count(node.right, var))
    if isinstance(node, Conj):
        return _count(node.base, var) + 2 * _count(node.by, var)
    raise TypeError(node)


def _size(node) -> int:
    return sum(_count(node, v) for v in _collect_vars(node))


def _eval(node, G, env) -> np.ndarray:
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Identity):
        return np.zeros((), dtype=np.int64)
    if isinstance(node, Mul):
        out = _eval(node.factors[0], G, env)
        for f in node.factors[1:]:
            out = G.mul[out, _eval(f, G, env)]
        return out
    if isinstance(node, Pow):
        return G.power(_eval(node.base, G, env), node.k)
    if isinstance(node, Comm):
        a, b = _eval(node.left, G, env), _eval(node.right, G, env)
        return G.mul[G.mul[G.inv[a], G.inv[b]], G.mul[a, b]]
    if isinstance(node, Conj):
        a, b = _eval(node.base, G, env), _eval(node.by, G, env)
        return G.mul[G.mul[G.inv[b], a], b]
    raise TypeError(node)
