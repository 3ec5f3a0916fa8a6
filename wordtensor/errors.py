"""Exceptions raised for bad input.

Every user-facing error derives from :class:`WordTensorError` (a ``ValueError``), so scripts can
catch one type and the CLI can print it as a single line. Memory refusals derive from
``MemoryError`` as well.
"""

from __future__ import annotations

__all__ = [
    "WordTensorError",
    "GroupSpecError",
    "GroupTableError",
    "GroupTooLargeError",
    "WordSyntaxError",
    "TensorTooLargeError",
    "UsageError",
    "ParameterError",
    "ResourceLimitError",
]


class WordTensorError(ValueError):
    """Base class of every error the toolkit raises for bad input.

    One ``except`` clause catches them all, whatever went wrong:

    >>> from wordtensor import word_tensor
    >>> for group, word in [("Q7", "xy"), ("S3", "x^"), ("S3", "xy")]:
    ...     try:
    ...         print(word_tensor(group, word).nnz)
    ...     except WordTensorError as exc:
    ...         print(type(exc).__name__)
    GroupSpecError
    WordSyntaxError
    36
    >>> issubclass(WordTensorError, ValueError)
    True
    """


class GroupSpecError(WordTensorError):
    """A group spec string, permutation or matrix generator that names no group.

    >>> from wordtensor import Group
    >>> Group.from_spec("Z0")
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: Z_n needs n >= 1, got 0
    >>> Group.from_spec("perm:(1,2),(3")
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupSpecError: unbalanced '(' in permutation list '(1,2),(3'
    """


class GroupTableError(WordTensorError):
    """A Cayley table that violates the group axioms.

    >>> from wordtensor import Group
    >>> Group.from_table([[0, 1], [1, 0]]).order   # Z2
    2
    >>> Group.from_table([[0, 1], [1, 1]])         # 1·1 = 1 = 0·1: cancellation fails
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupTableError: not a group: some row or column of the table repeats an
    element (cancellation fails)
    """


class GroupTooLargeError(WordTensorError, MemoryError):
    """Closure enumeration went past the size limit.

    It is also a ``MemoryError``; the limit is the ``max_order`` argument.

    >>> from wordtensor import Group
    >>> Group.from_spec("S4", max_order=20)
    Traceback (most recent call last):
    ...
    wordtensor.errors.GroupTooLargeError: S4 has 4! elements, more than the limit 20; pass a
    larger max_order if its Cayley table will fit in memory
    >>> Group.from_spec("S4", max_order=24).order
    24
    >>> issubclass(GroupTooLargeError, MemoryError)
    True
    """


class WordSyntaxError(WordTensorError):
    """A malformed word; ``column`` (0-based) points at the offending character.

    >>> from wordtensor import parse_word
    >>> parse_word("xy)")
    Traceback (most recent call last):
    ...
    wordtensor.errors.WordSyntaxError: unmatched ')' at column 3 of word 'xy)'
    >>> try:
    ...     parse_word("[x]")
    ... except WordSyntaxError as exc:
    ...     print(exc.column, exc.reason)
    ...     print(exc.pointer())
    0 a commutator needs two entries: [u,v]
    [x]
    ^
    """

    def __init__(self, message: str, text: str, column: int):
        self.text = text
        self.column = column
        self.reason = message
        super().__init__(f"{message} at column {column + 1} of word {text!r}")

    def pointer(self) -> str:
        """The word with a caret under the offending column (for multi-line displays)."""
        return f"{self.text}\n{' ' * self.column}^"


class TensorTooLargeError(WordTensorError, MemoryError):
    """A dense (or index) array that would not fit within the allowed memory.

    It is also a ``MemoryError``; the message gives the size that was refused.

    >>> from wordtensor import word_tensor
    >>> T = word_tensor("S3", "xy")
    >>> T.dense(max_bytes=1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.TensorTooLargeError: the dense word tensor xy on S3 (6, 6, 6) needs 1.7 KiB,
    more than the 1000.0 B allowed ...
    >>> T.dense(max_bytes=2000).shape    # 6³ float64 entries = 1728 bytes
    (6, 6, 6)
    """


class UsageError(WordTensorError):
    """A bad command-line argument.

    The ``wordtensor`` parser raises it instead of printing usage and exiting; the command line
    turns it into one line on stderr and exit code 2.

    >>> from wordtensor.cli import build_parser
    >>> build_parser().parse_args(["info"])
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: wordtensor info: the following arguments are required: spec
    >>> isinstance(UsageError("x"), WordTensorError)
    True
    """


class ParameterError(WordTensorError):
    """An argument of the wrong type, not finite, or out of its range; raised by the validators
    of :mod:`wordtensor.validate`, and its message says what the argument must be.

    >>> from wordtensor import Group
    >>> Group.from_permutations("(1,2)", degree=1)
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: degree 1 is smaller than the largest point moved (2); pass
    degree >= 2 or leave it out
    >>> isinstance(ParameterError("x"), WordTensorError)
    True
    """


class ResourceLimitError(WordTensorError, MemoryError):
    """A job that the size model (:mod:`wordtensor.sizes`) estimates to need more memory or
    time than allowed; raised before the job starts, with the estimate and the setting that
    lifts the limit (``--max-memory`` / ``WORDTENSOR_MAX_MEMORY``, ``--max-seconds`` /
    ``WORDTENSOR_MAX_SECONDS``).

    >>> from wordtensor.sizes import Estimate, Stage, check
    >>> check(Estimate("irreps of a big group", (Stage("irreps", 1 << 50),)))
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ResourceLimitError: irreps of a big group needs about 1.2 PiB of memory ...
    >>> issubclass(ResourceLimitError, MemoryError)
    True
    """
