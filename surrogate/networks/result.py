"""What a network run returns: :class:`NetworkResult` (metrics rows, parameter checkpoints,
grokking steps, final parameters, the JSON summary of ``wordtensor network --json``, and the
interaction part of a quadratic network as a tensorly ``CPTensor``) and :func:`grok_records`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tensorly.cp_tensor import CPTensor

from ..results import RunResult
from .bilinear import interaction_cp

__all__ = ["NetworkResult", "grok_records"]

#: Test-accuracy levels whose first crossing step is recorded for every instance.
TEST_THRESHOLDS = (0.5, 0.9, 0.95, 0.99)


def grok_records(step_train: np.ndarray, step_test: np.ndarray) -> list[dict]:
    """Per instance: ``step_train_100`` (first step with 100% train accuracy),
    ``step_test_<level>`` for each of :data:`TEST_THRESHOLDS` (None where never reached) and
    ``grok_ratio`` = step_test_99 / step_train_100 (step_train_100 taken as ≥ 1).

    >>> grok_records(np.array([100]), np.array([[50, 150, 200, 400]]))[0]["grok_ratio"]
    4.0
    """
    out = []
    for b in range(len(step_train)):
        d = {"step_train_100": None if step_train[b] < 0 else int(step_train[b])}
        for j, thr in enumerate(TEST_THRESHOLDS):
            s = step_test[b, j]
            d[f"step_test_{round(thr * 100)}"] = None if s < 0 else int(s)
        tr, te = d["step_train_100"], d["step_test_99"]
        d["grok_ratio"] = None if tr is None or te is None else te / max(tr, 1)
        out.append(d)
    return out


@dataclass
class NetworkResult(RunResult):
    """What a network run produced: metrics rows on the log schedule (the columns of the
    surrogate's, so :func:`surrogate.plots.plot_curves` draws them), parameter checkpoints
    (``checkpoint_steps``, ``checkpoints``: name → list of (B, …) arrays), the grokking steps
    per instance and the final parameters.

    A quadratic network at a higher learning rate fits all 36 pairs of S3 xy within 20 steps:

    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 16, 1.0, lr=3e-2), steps=20,
    ...                     eval_every=1, dtype="float64")
    >>> res = train_network(cfg, progress=False)
    >>> isinstance(res, NetworkResult), res.status, res.summary()["train_accuracy"]
    (True, ['ok', 'ok'], [1.0, 1.0])
    >>> [g["step_train_100"] for g in res.grok]  # first step at 100% train accuracy
    [17, 18]
    >>> sorted(res.params), res.params["E"].shape  # E: (instances, k, n, width)
    (['E', 'W', 'b1', 'b2'], (2, 2, 6, 16))
    >>> res.checkpoint_steps
    [0, 1, 2, 5, 10, 20]
    >>> [f.shape for f in res.cp_tensor(0).factors]   # its interaction part: 16 neuron terms
    [(6, 16), (6, 16), (6, 16)]
    """

    checkpoint_steps: list[int] = field(default_factory=list)
    checkpoints: dict[str, list[np.ndarray]] = field(default_factory=dict)
    grok: list[dict] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def cp_tensor(self, instance: int = 0) -> CPTensor:
        """The interaction part of instance ``instance``'s final logits as a ``CPTensor``: one
        rank-one term per neuron (quadratic activation, two-variable words; see
        :func:`surrogate.networks.bilinear.interaction_cp`)."""
        return interaction_cp(self.params, self.config.activation, instance,
                              self.config.instances[instance].width)

    def summary(self) -> dict:
        """JSON-ready summary (lists per instance, in instance order)."""
        cfg = self.config
        inst = cfg.instances
        last = self.steps[-1] if self.steps else 0
        rows = sorted((r for r in self.rows if r["step"] == last), key=lambda r: r["instance"])

        def col(key):
            return self.masked([r.get(key, float("nan")) for r in rows])

        neurons = []
        for r in rows:
            per = {k[4:]: v for k, v in r.items() if k.startswith("act:") and v}
            neurons.append({"per_triplet": per, "mixed": r.get("mixed", 0),
                            "active": r.get("active", 0)})
        grok = self.grok or [{} for _ in inst]
        return {
            "model": "network", "spec": cfg.spec, "word": cfg.word, "steps": last,
            "activation": cfg.activation, "loss": cfg.loss,
            "seeds": [i.seed for i in inst], "widths": [i.width for i in inst],
            "train_fractions": [i.train_fraction for i in inst],
            "lr": [i.lr for i in inst], "weight_decay": [i.weight_decay for i in inst],
            "init_scale": [i.init_scale for i in inst],
            "train_accuracy": col("train_acc"), "test_accuracy": col("test_acc"),
            "train_loss": col("train_loss"), "test_loss": col("test_loss"),
            "restricted_loss": col("restricted_loss"), "excluded_loss": col("excluded_loss"),
            "step_train_100": [g.get("step_train_100") for g in grok],
            "step_test_99": [g.get("step_test_99") for g in grok],
            "step_test_95": [g.get("step_test_95") for g in grok],
            "grok_ratio": [g.get("grok_ratio") for g in grok],
            "eval_every": cfg.eval_every,
            "neurons": neurons,
            "status": self.status, "errors": [None if s == "ok" else s for s in self.status],
            "notes": self.few_tuples_note(), "run_dir": self.run_dir, "seconds": self.seconds,
        }
