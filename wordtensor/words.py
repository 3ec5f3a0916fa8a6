"""Words in a group: parsing, printing, free reduction and evaluation on all tuples at once.

Syntax (DESIGN.md): variables are single lowercase letters other than ``e``; an uppercase letter
is the inverse of its lowercase (``X`` = x⁻¹); ``u^k`` with any integer k; ``u^v`` is conjugation
v⁻¹ u v (GAP's convention) for a variable v; juxtaposition or ``*`` is the product; parentheses
group; ``[u,v]`` = u⁻¹ v⁻¹ u v (GAP's convention) and ``[u,v,w]`` = ``[[u,v],w]``; ``1`` or ``e``
is the identity. Spaces are ignored. Variables are ordered alphabetically unless given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import numpy as np
from numpy.typing import ArrayLike

from .errors import WordSyntaxError, WordTensorError

if TYPE_CHECKING:
    from .groups import Group

__all__ = ["Word", "parse_word", "Var", "Identity", "Mul", "Pow", "Comm", "Conj"]

#: Longest free-reduced expansion :meth:`Word.letters` will build.
MAX_LETTERS = 1_000_000

#: Deepest nesting of brackets and of operators the parser accepts (the tree is walked
#: recursively, so a deeper word would overflow Python's stack).
MAX_DEPTH = 100

_DIGITS = "0123456789"


def _is_digit(ch: str) -> bool:
    """An ASCII digit (``str.isdigit`` also accepts '²', which ``int`` rejects)."""
    return len(ch) == 1 and ch in _DIGITS


@dataclass(frozen=True)
class Identity:
    """The identity ``1`` (also written ``e``) in a word's syntax tree.

    >>> parse_word("1").tree == parse_word("e").tree == Identity()
    True
    >>> from wordtensor import Group
    >>> Word(Identity(), ("x",)).table(Group.from_spec("Z4")).tolist()   # the constant map
    [0, 0, 0, 0]
    """

    pass


@dataclass(frozen=True)
class Var:
    """A variable (a single lowercase letter) in a word's syntax tree.

    >>> parse_word("x").tree
    Var(name='x')
    >>> from wordtensor import Group
    >>> Word(Var("x"), ("x",)).table(Group.from_spec("Z4")).tolist()   # the identity map
    [0, 1, 2, 3]
    """

    name: str


@dataclass(frozen=True)
class Mul:
    """The product of ``factors`` (juxtaposition or ``*``) in a word's syntax tree.

    >>> parse_word("x*y*z").tree
    Mul(factors=(Var(name='x'), Var(name='y'), Var(name='z')))
    >>> str(Word(Mul((Var("x"), Pow(Var("y"), 2))), ("x", "y")))
    'xy^2'
    """

    factors: tuple[Node, ...]


@dataclass(frozen=True)
class Pow:
    """``base^k`` for an integer k in a word's syntax tree; ``X`` is ``Pow(Var('x'), -1)``.

    >>> parse_word("X").tree
    Pow(base=Var(name='x'), k=-1)
    >>> w = parse_word("x^-2")
    >>> w.tree, w.reduced()
    (Pow(base=Var(name='x'), k=-2), 'XX')
    >>> from wordtensor import Group
    >>> w.table(Group.from_spec("Z4")).tolist()   # -2a mod 4
    [0, 2, 0, 2]
    """

    base: Node
    k: int


@dataclass(frozen=True)
class Comm:
    """The commutator ``[left,right]`` = left⁻¹ right⁻¹ left right in a word's syntax tree;
    ``[u,v,w]`` nests to the left.

    >>> parse_word("[x,y,z]").tree == Comm(Comm(Var("x"), Var("y")), Var("z"))
    True
    >>> Word(Comm(Var("x"), Var("y")), ("x", "y")).reduced()
    'XYxy'
    >>> from wordtensor import Group
    >>> w = Word(Comm(Var("x"), Var("y")), ("x", "y"))
    >>> int(w.table(Group.from_spec("Z4")).max())   # Z4 is abelian: every commutator is 1
    0
    """

    left: Node
    right: Node


@dataclass(frozen=True)
class Conj:
    """The conjugate ``base^by`` = by⁻¹ base by in a word's syntax tree.

    >>> w = parse_word("x^y")
    >>> w.tree
    Conj(base=Var(name='x'), by=Var(name='y'))
    >>> w.reduced(), str(w)
    ('Yxy', 'x^y')
    """

    base: Node
    by: Node


Node = Union[Identity, Var, Mul, Pow, Comm, Conj]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.nesting = 0  # open '(' and '[' around the current position
        self.depths: dict[int, tuple[Node, int]] = {}  # id(node) -> (node, depth of its tree)

    def made(self, node: Node, *children: Node, pos: int | None = None) -> Node:
        """Record the depth of a new node; refuse trees too deep to walk recursively."""
        d = 1 + max((self.depths[id(c)][1] for c in children), default=0)
        if d > MAX_DEPTH:
            self.error(f"the word nests more than {MAX_DEPTH} levels deep", pos)
        self.depths[id(node)] = (node, d)
        return node

    def error(self, msg: str, pos: int | None = None):
        raise WordSyntaxError(msg, self.text, self.pos if pos is None else pos)

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Node:
        if not self.text.strip():
            raise WordSyntaxError("empty word (write 1 for the identity)", self.text, 0)
        node = self.product(stop="")
        if self.peek():
            self.error(f"unexpected {self.peek()!r}")
        return node

    def product(self, stop: str) -> Node:
        factors = []
        while True:
            ch = self.peek()
            if ch == "" or ch in stop:
                break
            if ch == "*":
                if not factors:
                    self.error("'*' needs a factor on its left")
                self.pos += 1
                nxt = self.peek()
                if nxt == "" or nxt in stop or nxt == "*":
                    self.error("'*' needs a factor on its right")
                continue
            factors.append(self.factor())
        if not factors:
            self.error("expected a factor (a variable, 1, '(' or '[')")
        return factors[0] if len(factors) == 1 else self.made(Mul(tuple(factors)), *factors)

    def factor(self) -> Node:
        node = self.atom()
        while self.peek() == "^":
            self.pos += 1
            ch = self.peek()
            start = self.pos
            if ch.isascii() and ch.isalpha():
                if ch == "e" or ch == "E":
                    self.error("cannot conjugate by the identity 'e'")
                self.pos += 1
                by = self.made(Var(ch.lower()))
                if ch.isupper():
                    by = self.made(Pow(by, -1), by)
                node = self.made(Conj(node, by), node, by, pos=start)
                continue
            sign = 1
            if ch in "+-":
                sign = -1 if ch == "-" else 1
                self.pos += 1
                ch = self.peek()
            if not _is_digit(ch):
                self.error("expected an integer exponent or a variable after '^'",
                           self.pos if ch else start)
            j = self.pos
            while j < len(self.text) and _is_digit(self.text[j]):
                j += 1
            try:
                k = sign * int(self.text[self.pos:j])
            except ValueError:  # more digits than int() converts
                self.error("exponent too long", self.pos)
            self.pos = j
            node = self.made(Pow(node, k), node, pos=start)
        return node

    def atom(self) -> Node:
        ch = self.peek()
        start = self.pos
        if ch and ch in "([":
            self.nesting += 1
            if self.nesting > MAX_DEPTH:
                self.error(f"brackets nest more than {MAX_DEPTH} levels deep")
        if ch == "(":
            self.pos += 1
            node = self.product(stop=")")
            if self.peek() != ")":
                self.error("missing ')' to close the '(' opened", start)
            self.pos += 1
            self.nesting -= 1
            return node
        if ch == "[":
            self.pos += 1
            parts = [self.product(stop=",]")]
            while self.peek() == ",":
                self.pos += 1
                parts.append(self.product(stop=",]"))
            if self.peek() != "]":
                self.error("missing ']' to close the commutator opened", start)
            if len(parts) < 2:
                self.error("a commutator needs two entries: [u,v]", start)
            self.pos += 1
            self.nesting -= 1
            node = parts[0]
            for p in parts[1:]:
                node = self.made(Comm(node, p), node, p, pos=start)
            return node
        if ch == "1" or ch == "e":
            self.pos += 1
            if ch == "1" and self.pos < len(self.text) and _is_digit(self.text[self.pos]):
                self.error("a number is not a factor (only 1 means the identity)", start)
            return self.made(Identity())
        if ch.isascii() and ch.isalpha():
            self.pos += 1
            if ch.isupper():
                if ch == "E":
                    return self.made(Identity())
                v = self.made(Var(ch.lower()))
                return self.made(Pow(v, -1), v)
            return self.made(Var(ch))
        if ch == "":
            self.error("word ends where a factor was expected")
        if ch in ")]":
            self.error(f"unmatched {ch!r}")
        self.error(f"unexpected {ch!r}: a variable is a single letter")
        raise AssertionError  # unreachable


def _to_str(node: Node, ctx: str = "top") -> str:
    if isinstance(node, Identity):
        return "1"
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Pow):
        if isinstance(node.base, Var) and node.k == -1:
            return node.base.name.upper()
        return f"{_to_str(node.base, 'base')}^{node.k}"
    if isinstance(node, Conj):
        return f"{_to_str(node.base, 'base')}^{_to_str(node.by, 'base')}"
    if isinstance(node, Comm):
        return f"[{_to_str(node.left)},{_to_str(node.right)}]"
    if isinstance(node, Mul):
        parts = [_to_str(f, "factor") for f in node.factors]
        out = parts[0]
        for p in parts[1:]:
            out += (" " if out[-1].isdigit() else "") + p
        return out if ctx == "top" else f"({out})"
    raise TypeError(node)


class Word:
    """A word in variables; ``str(word)`` prints a canonical form that parses back to it.

    >>> w = Word.parse("[x,y]")
    >>> w.variables, str(w), w.reduced()
    (('x', 'y'), '[x,y]', 'XYxy')
    >>> Word.parse("(xy)^2").equivalent(Word.parse("xyxy"))
    True
    """

    def __init__(self, tree: Node, variables: tuple[str, ...], text: str | None = None):
        self.tree = tree
        self.variables = variables
        self.text = text if text is not None else _to_str(tree)

    @classmethod
    def parse(cls, text: str, variables: str | tuple[str, ...] | None = None) -> Word:
        """Parse a word; ``variables`` fixes the variable order (default: alphabetical)."""
        if isinstance(text, Word):
            return text if variables is None else cls(text.tree, _check_vars(text, variables))
        if not isinstance(text, str):
            raise WordTensorError(f"a word must be a string, got {type(text).__name__}")
        tree = _Parser(text).parse()
        used = sorted(_collect_vars(tree))
        w = cls(tree, tuple(used), text)
        if variables is not None:
            w.variables = _check_vars(w, variables)
        return w

    def __str__(self) -> str:
        return _to_str(self.tree)

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
        default, else in the word as written."""
        if reduced:
            return sum(1 for v, _ in self.letters() if v == var)
        return _count(self.tree, var)

    def evaluate(self, G: Group, *args: ArrayLike) -> np.ndarray:
        """w(g_a1, ..., g_ak) for index arrays a1..ak (broadcast together), as an index array.

        >>> from wordtensor import Group
        >>> G = Group.from_spec("Z5")
        >>> parse_word("x^2 y").evaluate(G, [1, 2], 3).tolist()   # 2x + y mod 5
        [0, 2]
        """
        if len(args) != self.arity:
            raise WordTensorError(f"{self} takes {self.arity} arguments, got {len(args)}")
        env = {v: np.asarray(a) for v, a in zip(self.variables, args)}
        shape = np.broadcast_shapes(*[np.shape(a) for a in args]) if args else ()
        return np.array(np.broadcast_to(_eval(self.tree, G, env), shape))

    def table(self, G: Group) -> np.ndarray:
        """w on all k-tuples: an index array of shape (n,)*k, the word map's value table.

        >>> from wordtensor import Group
        >>> parse_word("xX").table(Group.from_spec("Z3")).tolist()
        [0, 0, 0]
        """
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
