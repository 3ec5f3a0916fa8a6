"""What a training run of either model returns, the shared part: :class:`RunResult` (the
configuration, the metrics rows on the log schedule, per-instance status, split and run
folder) and :func:`grokking_steps` read from those rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from wordtensor.validate import probability

__all__ = ["RunResult", "grokking_steps"]


@dataclass
class RunResult:
    """Metrics rows (one per log step and instance), the logged steps, each instance's status
    ("ok" or why it stopped), the training split, bsc names and δ's support, the run folder and
    the wall time. :class:`~surrogate.cp.TrainResult` and
    :class:`~surrogate.networks.NetworkResult` extend it with their parameters.

    >>> from surrogate.config import grid
    >>> from surrogate.cp import SurrogateConfig
    >>> rows = [{"step": s, "instance": b, "train_acc": a} for s, b, a in
    ...         [(0, 0, 0.1), (0, 1, 0.2), (5, 0, 0.9), (5, 1, 1.0)]]
    >>> r = RunResult(SurrogateConfig("S3", "xy", grid(2, 9)), rows=rows, steps=[0, 5])
    >>> r.final("train_acc").tolist()
    [0.9, 1.0]
    >>> steps, vals = r.series("train_acc"); steps.tolist(), vals.tolist()
    ([0, 5], [[0.1, 0.2], [0.9, 1.0]])
    """

    config: object
    rows: list[dict] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    train_mask: np.ndarray | None = None
    bsc_names: list[str] = field(default_factory=list)
    support: list[tuple[int, ...]] = field(default_factory=list)
    run_dir: str | None = None
    seconds: float = 0.0

    def final(self, key: str) -> np.ndarray:
        """The last logged value of a scalar metric per instance."""
        last = self.steps[-1]
        rows = [r for r in self.rows if r["step"] == last]
        return np.array([r[key] for r in sorted(rows, key=lambda r: r["instance"])], dtype=float)

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps (S,), values (S, B)) of a metrics column (NaN where a row lacks it)."""
        B = len(self.config.instances)
        steps = np.array(sorted({r["step"] for r in self.rows}))
        pos = {s: j for j, s in enumerate(steps)}
        out = np.full((len(steps), B), np.nan)
        for r in self.rows:
            if key in r:
                out[pos[r["step"]], r["instance"]] = r[key]
        return steps, out

    def few_tuples_note(self) -> list[str]:
        """A note when the group is too small to generalise from a fraction of its tuples."""
        inst = self.config.instances
        n = self.train_mask.shape[1] if self.train_mask is not None else None
        if n is not None and n <= 100 and any(i.train_fraction < 1 for i in inst):
            return [f"{self.config.spec} {self.config.word} has only {n} input tuples: too few "
                    "to generalise from a fraction of them; expect poor test accuracy"]
        return []

    def masked(self, values) -> list:
        """``values`` per instance with None for instances that did not end "ok" or are NaN."""
        ok = [s == "ok" for s in self.status] or [True] * len(values)
        return [v if good and v is not None and not (isinstance(v, float) and math.isnan(v))
                else None for v, good in zip(values, ok)]


def grokking_steps(rows: list[dict], num_instances: int, threshold: float = 0.99
                   ) -> list[dict[str, int | None]]:
    """Per instance the first logged step where train accuracy is 1 (``train``) and where test
    accuracy reaches ``threshold`` (``test``); None if never (resolution: the log schedule).

    >>> rows = [{"step": s, "instance": b, "train_acc": tr, "test_acc": te}
    ...         for s, b, tr, te in [(0, 0, 0.2, 0.1), (10, 0, 1.0, 0.5), (100, 0, 1.0, 0.995),
    ...                              (0, 1, 0.3, 0.2), (10, 1, 0.9, 0.4), (100, 1, 1.0, 0.9)]]
    >>> grokking_steps(rows, 2)
    [{'train': 10, 'test': 100}, {'train': 100, 'test': None}]
    >>> grokking_steps(rows, 2, threshold=0.9)[1]
    {'train': 100, 'test': 100}
    """
    threshold = probability(threshold, "threshold", allow_zero=False)
    out = [{"train": None, "test": None} for _ in range(num_instances)]
    for r in sorted(rows, key=lambda r: r["step"]):
        o = out[r["instance"]]
        if o["train"] is None and r["train_acc"] >= 1.0:
            o["train"] = r["step"]
        if o["test"] is None and r["test_acc"] >= threshold:
            o["test"] = r["step"]
    return out
