"""The layout rules of the three packages, read with ``ast`` by scripts/check_architecture.py:
no import cycles (module level, and none closed by function-local imports), no import backwards
along wordtensor ← fusion ← surrogate, no module over 500 lines, a docstring on every module.

One test per (check, package), so a failure names the rule and the package it breaks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_architecture",
                                                  ROOT / "scripts" / "check_architecture.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


checker = _load_checker()
CHECKS = ("cycles", "local_cycles", "backwards", "sizes", "docstrings")


@pytest.fixture(scope="module")
def report():
    return checker.analyse(ROOT)


@pytest.mark.parametrize("package", checker.PACKAGES)
@pytest.mark.parametrize("check", CHECKS)
def test_architecture(report, check, package):
    problems = report.problems(check, package)
    assert not problems, f"{check} in {package}:\n  " + "\n  ".join(problems)


def test_checker_sees_every_module(report):
    """The checker reads every module file of the three packages (so a rule cannot pass by
    missing one)."""
    on_disk = {p for pkg in checker.PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    assert set(report.modules.values()) == on_disk
    assert {"wordtensor", "fusion", "surrogate", "wordtensor.groups"} <= set(report.modules)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_finds_planted_problems(tmp_path):
    """Each rule fails on a tree built to break it (the checks can fail)."""
    doc = '"""doc"""\n'
    root = _write(tmp_path, {
        "wordtensor/__init__.py": doc,
        "wordtensor/a.py": doc + "from . import b\n",
        "wordtensor/b.py": doc + "from .a import thing\n",  # a <-> b at module level
        "wordtensor/c.py": doc + "def f():\n    from . import d\n",
        "wordtensor/d.py": doc + "from .c import f\n",  # c <-> d through a local import
        "wordtensor/e.py": "import fusion\n",  # backwards, and no docstring
        "fusion/__init__.py": doc + "from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    import surrogate\n",  # backwards all the same
        "fusion/f.py": doc + "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from .g import G\n",
        "fusion/g.py": doc + "from .f import F\n",  # f <-> g for the type checker only: no cycle
        "fusion/big.py": doc + "x = 1\n" * 501,
        "surrogate/__init__.py": doc + "from wordtensor import a\nimport fusion.big\n",
    })
    r = checker.analyse(root)
    assert r.problems("cycles", "wordtensor") == ["wordtensor.a -> wordtensor.b -> wordtensor.a"]
    assert r.problems("local_cycles", "wordtensor") == [
        "wordtensor.c -> wordtensor.d -> wordtensor.c"]
    assert r.problems("backwards", "wordtensor") == [
        "wordtensor.e:1 imports fusion (module-level)"]
    assert r.problems("backwards", "fusion") == ["fusion:4 imports surrogate (typing only)"]
    assert r.problems("backwards", "surrogate") == []
    assert r.problems("cycles", "fusion") == r.problems("local_cycles", "fusion") == []
    assert r.problems("sizes", "fusion") == ["fusion.big: 502 lines"]
    assert r.problems("docstrings", "wordtensor") == ["wordtensor.e: no module docstring"]
    assert checker.main(["--root", str(root), "--quiet"]) == 1


def test_checker_examples():
    """The ``>>>`` examples of the checker script run."""
    import doctest

    assert doctest.testmod(checker).failed == 0
