"""What a surrogate run returns: :class:`TrainResult` — the metrics rows, the factor and
dynamics checkpoints on the log schedule, each instance's factors as a tensorly ``CPTensor``,
the verdict on each fit (exact or approximate, after a polish: :mod:`surrogate.fits`) and the
JSON summary that ``wordtensor surrogate --json`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tensorly.cp_tensor import CPTensor

from wordtensor import WordTensor, word_tensor

from ..bsc import active_per_triplet
from ..fits import FitJudgement, judge_fits
from ..results import RunResult, grokking_steps
from .model import to_cp_tensor

__all__ = ["TrainResult"]


@dataclass
class TrainResult(RunResult):
    """What a surrogate run produced: metrics rows (one per log step and instance),
    checkpoints of the factors (``factors``: one (B, k+1, n, M) array per logged step) and the
    dynamics arrays on the log schedule, and the final state.

    >>> from surrogate.config import grid
    >>> from surrogate.cp import SurrogateConfig, train
    >>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), progress=False)
    >>> isinstance(res, TrainResult), res.steps, res.status
    (True, [0, 1, 2, 3, 4, 5], ['ok', 'ok'])
    >>> len(res.rows), res.final("train_acc").shape  # a row per (log step, instance)
    (12, (2,))
    >>> res.final_factors.shape  # (instances, k+1 factors, n, width)
    (2, 3, 6, 9)
    >>> res.summary()["widths"]
    [9, 9]
    >>> [f.shape for f in res.cp_tensor(1).factors]   # instance 1 as a tensorly CPTensor
    [(6, 9), (6, 9), (6, 9)]
    >>> res.summary()["fit"], res.summary()["exact_fit"]  # 5 steps: far from a fit
    (['approximate', 'approximate'], [False, False])
    """

    factors: list[np.ndarray] = field(default_factory=list)
    dynamics: dict[str, list[np.ndarray]] = field(default_factory=dict)
    #: the verdict on each instance's final fit (None for an instance that did not end "ok"),
    #: filled by :meth:`judge`
    fits: list[FitJudgement | None] | None = field(default=None, repr=False)

    def judge(self, tensor: WordTensor | None = None) -> list[FitJudgement | None]:
        """The verdict on each instance's final factors (:func:`surrogate.fits.judge_fits`:
        polished by LM from the trained factors, exact below relative error 1e-10, else
        approximate), computed once and kept in :attr:`fits`. ``tensor``: the word tensor
        when the caller has it (default: built from the configuration)."""
        if self.fits is None:
            cfg = self.config
            tensor = tensor if tensor is not None else word_tensor(cfg.spec, cfg.word)
            ok = [s == "ok" for s in self.status] or [True] * len(cfg.instances)
            good = [b for b in range(len(cfg.instances)) if ok[b]]
            judged = dict(zip(good, judge_fits([self.cp_tensor(b) for b in good], tensor)))
            self.fits = [judged.get(b) for b in range(len(cfg.instances))]
        return self.fits

    @property
    def final_factors(self) -> np.ndarray:
        return self.factors[-1]

    def cp_tensor(self, instance: int = 0, step: int | None = None) -> CPTensor:
        """The factors of one instance at a logged ``step`` (default: the last) as a tensorly
        ``CPTensor`` of its own width (unit weights; ``tl.cp_to_tensor`` gives its tensor)."""
        j = -1 if step is None else self.steps.index(step)
        return to_cp_tensor(self.factors[j], instance, self.config.instances[instance].width)

    def summary(self) -> dict:
        """JSON-ready summary (lists per instance, in instance order)."""
        cfg = self.config
        inst = cfg.instances
        grok = grokking_steps(self.rows, len(inst))
        final = {k: self.final(k).tolist() for k in
                 ("train_acc", "test_acc", "train_loss", "test_loss", "residual", "max_err")}
        dom, pur, act = (self.dynamics[k][-1] for k in ("dominant", "purity", "active"))
        comps = []
        for b in range(len(inst)):
            counts, mixed = active_per_triplet(dom[b], pur[b], act[b], cfg.purity_tol)
            named = {",".join(self.bsc_names[x] for x in key): c for key, c in counts.items()}
            comps.append({"per_triplet": named, "mixed": mixed, "active": int(act[b].sum())})
        res = self.dynamics.get("triplet_residual")
        per_triplet = None
        if res is not None:
            per_triplet = [{",".join(self.bsc_names[x] for x in tr): float(res[-1][b][tr])
                            for tr in self.support} for b in range(len(inst))]
        fits = self.judge()
        return {
            "spec": cfg.spec, "word": cfg.word, "steps": self.steps[-1], "loss": cfg.loss,
            "optimizer": cfg.optimizer,
            "seeds": [i.seed for i in inst], "widths": [i.width for i in inst],
            "train_fractions": [i.train_fraction for i in inst],
            "train_accuracy": self.masked(final["train_acc"]),
            "test_accuracy": self.masked(final["test_acc"]),
            "final_loss": self.masked(final["train_loss"]),
            "test_loss": self.masked(final["test_loss"]),
            "residual": self.masked(final["residual"]),
            "max_abs_error": self.masked(final["max_err"]),
            "exact_fit": [bool(j is not None and j.exact) for j in fits],
            "fit": [None if j is None else j.fit for j in fits],
            "fit_relative_error": [None if j is None else j.relative_error for j in fits],
            "fit_polish": [None if j is None else j.method for j in fits],
            "grok_step": [g["test"] for g in grok],
            "fit_step": [g["train"] for g in grok],
            "components": comps,
            "triplet_residual": per_triplet,
            "status": self.status,
            "errors": [None if s == "ok" else s for s in self.status],
            "notes": self.few_tuples_note(),
            "run_dir": self.run_dir,
            "seconds": self.seconds,
        }
