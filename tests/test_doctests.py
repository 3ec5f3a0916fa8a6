"""The runnable examples in wordtensor's docstrings."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import wordtensor

MODULES = ["wordtensor"] + [f"wordtensor.{m.name}" for m in pkgutil.iter_modules(wordtensor.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
