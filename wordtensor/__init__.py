"""wordtensor: word tensors of finite groups, their ranks, and the networks that learn them.

>>> from wordtensor import Group, word_tensor
>>> word_tensor(Group.from_spec("S3"), "[x,y]").image_elements().size  # the image is A3
3
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

__all__ = [
    "Group",
    "Word",
    "parse_word",
    "WordTensor",
    "word_tensor",
    "WordTensorError",
    "GroupSpecError",
    "GroupTableError",
    "GroupTooLargeError",
    "WordSyntaxError",
    "TensorTooLargeError",
]

__version__ = "0.1.0"

# Numerical CP engine (torch and tensorly load on first call).
from .cp import cp_rank, cp_search, exactify  # noqa: E402

__all__ += ["cp_search", "cp_rank", "exactify"]
