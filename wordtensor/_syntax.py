"""The syntax of words: the tree a word string parses into, the parser, and the printer.

The grammar is that of :mod:`wordtensor.words` (which builds :class:`~wordtensor.Word` on
these trees): single-letter variables, uppercase for inverses, ``u^k``, ``u^v`` (v⁻¹ u v),
products, parentheses, commutators ``[u,v]`` = u⁻¹ v⁻¹ u v nested to the left, ``1``/``e``.

>>> tree = parse("[x,y]^2")
>>> tree
Pow(base=Comm(left=Var(name='x'), right=Var(name='y')), k=2)
>>> to_str(tree)
'[x,y]^2'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import WordSyntaxError

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

    >>> parse("1") == parse("e") == Identity()
    True
    >>> from wordtensor import Group, Word
    >>> Word(Identity(), ("x",)).table(Group.from_spec("Z4")).tolist()   # the constant map
    [0, 0, 0, 0]
    """

    pass


@dataclass(frozen=True)
class Var:
    """A variable (a single lowercase letter) in a word's syntax tree.

    >>> parse("x")
    Var(name='x')
    >>> from wordtensor import Group, Word
    >>> Word(Var("x"), ("x",)).table(Group.from_spec("Z4")).tolist()   # the identity map
    [0, 1, 2, 3]
    """

    name: str


@dataclass(frozen=True)
class Mul:
    """The product of ``factors`` (juxtaposition or ``*``) in a word's syntax tree.

    >>> parse("x*y*z")
    Mul(factors=(Var(name='x'), Var(name='y'), Var(name='z')))
    >>> to_str(Mul((Var("x"), Pow(Var("y"), 2))))
    'xy^2'
    """

    factors: tuple[Node, ...]


@dataclass(frozen=True)
class Pow:
    """``base^k`` for an integer k in a word's syntax tree; ``X`` is ``Pow(Var('x'), -1)``.

    >>> parse("X")
    Pow(base=Var(name='x'), k=-1)
    >>> from wordtensor import parse_word
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

    >>> parse("[x,y,z]") == Comm(Comm(Var("x"), Var("y")), Var("z"))
    True
    >>> from wordtensor import Group, Word
    >>> Word(Comm(Var("x"), Var("y")), ("x", "y")).reduced()
    'XYxy'
    >>> w = Word(Comm(Var("x"), Var("y")), ("x", "y"))
    >>> int(w.table(Group.from_spec("Z4")).max())   # Z4 is abelian: every commutator is 1
    0
    """

    left: Node
    right: Node


@dataclass(frozen=True)
class Conj:
    """The conjugate ``base^by`` = by⁻¹ base by in a word's syntax tree.

    >>> from wordtensor import parse_word
    >>> w = parse_word("x^y")
    >>> w.tree
    Conj(base=Var(name='x'), by=Var(name='y'))
    >>> w.reduced(), str(w)
    ('Yxy', 'x^y')
    """

    base: Node
    by: Node


Node = Union[Identity, Var, Mul, Pow, Comm, Conj]


def parse(text: str) -> Node:
    """The syntax tree of a word string; :class:`WordSyntaxError` points at what is wrong.

    >>> parse("x*y*X")
    Mul(factors=(Var(name='x'), Var(name='y'), Pow(base=Var(name='x'), k=-1)))
    """
    return _Parser(text).parse()


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


def to_str(node: Node, ctx: str = "top") -> str:
    """The canonical text of a syntax tree (it parses back to the same tree).

    >>> to_str(Mul((Var("x"), Pow(Var("y"), 3), Pow(Var("x"), -1))))
    'xy^3 X'
    """
    if isinstance(node, Identity):
        return "1"
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Pow):
        if isinstance(node.base, Var) and node.k == -1:
            return node.base.name.upper()
        return f"{to_str(node.base, 'base')}^{node.k}"
    if isinstance(node, Conj):
        return f"{to_str(node.base, 'base')}^{to_str(node.by, 'base')}"
    if isinstance(node, Comm):
        return f"[{to_str(node.left)},{to_str(node.right)}]"
    if isinstance(node, Mul):
        parts = [to_str(f, "factor") for f in node.factors]
        out = parts[0]
        for p in parts[1:]:
            out += (" " if out[-1].isdigit() else "") + p
        return out if ctx == "top" else f"({out})"
    raise TypeError(node)
