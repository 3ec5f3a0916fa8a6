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
]


class WordTensorError(ValueError):
    """Base class of every error the toolkit raises for bad input."""


class GroupSpecError(WordTensorError):
    """A group spec string, permutation or matrix generator that names no group."""


class GroupTableError(WordTensorError):
    """A Cayley table that violates the group axioms."""


class GroupTooLargeError(WordTensorError, MemoryError):
    """Closure enumeration went past the size limit."""


class WordSyntaxError(WordTensorError):
    """A malformed word; ``column`` (0-based) points at the offending character."""

    def __init__(self, message: str, text: str, column: int):
        self.text = text
        self.column = column
        self.reason = message
        super().__init__(f"{message} at column {column + 1} of word {text!r}")

    def pointer(self) -> str:
        """The word with a caret under the offending column (for multi-line displays)."""
        return f"{self.text}\n{' ' * self.column}^"


class TensorTooLargeError(WordTensorError, MemoryError):
    """A dense (or index) array that would not fit within the allowed memory."""
