"""The runnable examples in the docstrings of wordtensor, fusion and surrogate."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import fusion
import surrogate
import wordtensor

MODULES = [pkg.__name__ for pkg in (wordtensor, fusion, surrogate)] + [
    f"{pkg.__name__}.{m.name}" for pkg in (wordtensor, fusion, surrogate)
    for m in pkgutil.iter_modules(pkg.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_readme_examples():
    """The ``>>>`` examples in README.md run and print what the README shows."""
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
