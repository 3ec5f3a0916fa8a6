"""Loader for the GAP ground truth in ``tests/fixtures/gap/groups.json`` (see its README)."""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "gap" / "groups.json"


@lru_cache(maxsize=1)
def gap_groups() -> tuple[dict, ...]:
    """Every group of the fixture, in the file's order."""
    with open(FIXTURE) as fh:
        return tuple(json.load(fh))


def gap_specs(max_order: int | None = None) -> list[str]:
    """Spec strings of the fixture's groups, optionally only those of order <= max_order."""
    return [g["spec"] for g in gap_groups() if max_order is None or g["order"] <= max_order]


def gap_group(spec: str) -> dict:
    for g in gap_groups():
        if g["spec"] == spec:
            return g
    raise KeyError(spec)


def weighted_class_counter(g: dict, per_class: list) -> Counter:
    """Multiset over the elements of a class function given per class (weights: class sizes)."""
    out: Counter = Counter()
    for value, size in zip(per_class, g["class_sizes"]):
        out[value] += size
    return out
