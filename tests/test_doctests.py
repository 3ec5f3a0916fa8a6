"""The runnable examples in the docstrings of wordtensor, fusion and surrogate."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import fusion
import surrogate
import wordtensor

MODULES = [pkg.__name__ for pkg in (wordtensor, fusion, surrogate)] + [
    m.name for pkg in (wordtensor, fusion, surrogate)
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]


def _public(name):
    """(qualified name, object) of the functions and classes a module lists in ``__all__`` and
    defines itself."""
    module = importlib.import_module(name)
    for attr in getattr(module, "__all__", []):
        obj = getattr(module, attr, None)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name:
            yield f"{name}.{attr}", obj


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


def test_every_public_function_has_an_example():
    """Every function and class in a module's ``__all__`` documents itself with a ``>>>``
    example (which test_docstring_examples runs)."""
    missing = [q for name in MODULES for q, obj in _public(name)
               if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"{len(missing)} public objects without a runnable example: {missing}"
