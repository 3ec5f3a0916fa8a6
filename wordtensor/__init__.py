"""wordtensor: word tensors of finite groups, their ranks, and the networks that learn them.

This package holds the groups (:class:`Group`), the words (:func:`parse_word`), their tensors
(:func:`word_tensor`) and the numerical CP engine (:func:`cp_search`, :func:`cp_rank`,
:func:`exactify`); every error it raises for bad input is a :class:`WordTensorError`.

>>> from wordtensor import Group, word_tensor
>>> word_tensor(Group.from_spec("S3"), "[x,y]").image_elements().size  # the image is A3
3

The CP engine (:mod:`wordtensor.cp`) is imported on first use of one of its names: it needs
torch and tensorly, which nothing else here does, so ``import wordtensor`` stays fast.

>>> from wordtensor import cp_search
>>> cp_search(word_tensor("Z2", "xy"), 2, restarts=2, random_state=0).success   # R x R
True
"""

from .errors import (
    GroupSpecError,
    GroupTableError,
    GroupTooLargeError,
    TensorTooLargeError,
    WordSyntaxError,
    WordTensorError,
)
from .groups import Group
from .tensors import WordTensor, word_tensor
from .words import Word, parse_word

__version__ = "0.1.0"

__all__ = [
    "Group",
    "Word",
    "parse_word",
    "WordTensor",
    "word_tensor",
    "cp_search",
    "cp_rank",
    "exactify",
    "WordTensorError",
    "GroupSpecError",
    "GroupTableError",
    "GroupTooLargeError",
    "WordSyntaxError",
    "TensorTooLargeError",
]

#: Names served by :mod:`wordtensor.cp`, imported on first access.
_CP = ("cp_search", "cp_rank", "exactify")


def __getattr__(name: str):
    if name in _CP:
        from . import cp  # the CP engine: kept out of ``import wordtensor`` for a fast start

        return getattr(cp, name)
    raise AttributeError(f"module 'wordtensor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CP))
