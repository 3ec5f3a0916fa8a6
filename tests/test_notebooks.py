"""The committed notebooks read as documentation: each was executed top to bottom in its full
configuration (scripts/execute_notebooks.py), with its outputs kept. The suite runs them again
in the small configuration (nbmake, conftest.py) without writing them back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_the_notebooks_are_there():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_tensor_ranks.ipynb", "04_rank_atlas.ipynb", "05_claims.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom(path):
    counts = [c.get("execution_count") for c in _code_cells(path)]
    assert None not in counts, (f"{path.name}: code cell {counts.index(None) + 1} has no "
                                "execution count; run python scripts/execute_notebooks.py")
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, … in order; run "
        "python scripts/execute_notebooks.py")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_in_the_full_configuration_without_errors(path):
    cells = _code_cells(path)
    first = "".join("".join(o.get("text", "")) for o in cells[0].get("outputs", [])
                    if o.get("output_type") == "stream")
    assert "configuration: full" in first, (f"{path.name} was not executed in its full "
                                            "configuration (its first cell prints it)")
    errors = [i for i, c in enumerate(cells, 1)
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert not errors, f"{path.name}: code cells {errors} end in an error"
    assert any(c.get("outputs") for c in cells[1:]), f"{path.name} has no outputs kept"


def test_checks_could_fail(tmp_path):
    """The execution-count check rejects a notebook with a skipped or reordered cell."""
    nb = {"cells": [{"cell_type": "code", "execution_count": n, "outputs": [], "source": ""}
                    for n in (1, 3, 2)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "bad.ipynb"
    p.write_text(json.dumps(nb))
    with pytest.raises(AssertionError):
        test_executed_top_to_bottom(p)
    nb["cells"][1]["execution_count"] = None
    p.write_text(json.dumps(nb))
    with pytest.raises(AssertionError):
        test_executed_top_to_bottom(p)


def test_the_suite_does_not_write_the_notebooks_back():
    addopts = re.search(r'^addopts\s*=\s*"([^"]*)"', (ROOT / "pyproject.toml").read_text(),
                        re.MULTILINE).group(1)
    assert "--nbmake" in addopts and "--overwrite" not in addopts
