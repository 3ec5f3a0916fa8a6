"""The runnable examples in the docstrings of wordtensor, fusion and surrogate."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
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


ROOT = Path(__file__).resolve().parents[1]

#: The documents a reader of the repository starts from.
DOCUMENTS = ["README.md", "docs/design.md", "docs/phase.md", "notebooks/README.md"]


def _resolve(dotted: str) -> object:
    """The object a dotted name such as ``fusion.decompose.fusion_cover`` names: the longest
    importable module prefix, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_readme_names_exist():
    """Every ``wordtensor.…``, ``fusion.…`` or ``surrogate.…`` name that README.md cites (e.g.
    in the table of the tour) is a real module, function, class or constant."""
    text = (ROOT / "README.md").read_text()
    names = sorted(set(re.findall(r"`((?:wordtensor|fusion|surrogate)(?:\.\w+)+)", text)))
    assert len(names) > 5
    missing = []
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, f"README.md cites names that do not exist: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_point_inside_the_repository(document):
    """The project documents itself: every link of its documents that is not a web address
    leads to a file of the repository, and none points outside it (``../``, ``/work/``,
    ``shared/``)."""
    text = (ROOT / document).read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    outside = [t for t in targets if not re.match(r"https?://", t)
               and not (ROOT / document).parent.joinpath(t.split("#")[0]).resolve().is_relative_to(ROOT)]
    missing = [t for t in targets if not re.match(r"https?://", t)
               and not (ROOT / document).parent.joinpath(t.split("#")[0]).exists()]
    pointers = re.findall(r"(?:\.\./|/work/|\bshared/)[\w./-]*", text)
    assert not outside and not missing and not pointers, (outside, missing, pointers)


def test_every_public_function_has_an_example():
    """Every function and class in a module's ``__all__`` documents itself with a ``>>>``
    example (which test_docstring_examples runs)."""
    missing = [q for name in MODULES for q, obj in _public(name)
               if ">>>" not in (inspect.getdoc(obj) or "")]
    assert not missing, f"{len(missing)} public objects without a runnable example: {missing}"
