"""Training a batch of CP surrogates: the update (plain gradient descent or Adam, a pure
function that ``torch.compile`` can fuse), :class:`BatchedCP` (the training state of a batch)
and :func:`train` (the log schedule, metrics and the run folder).

A run is a function of its :class:`~surrogate.cp.config.SurrogateConfig`; on CPU it gives
bit-identical results for the same config, device and dtype, and a resumed run equals an
uninterrupted one bit for bit.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable

import numpy as np
import torch

from wordtensor import WordTensor, validate, word_tensor

from ..batching import AdamBatch, Device, DType, log_schedule, padded_index, run_steps, torch_dtype
from ..bsc import active_per_triplet
from .config import SurrogateConfig
from .metrics import Analyzer
from .model import init_factors, loss_and_grad
from .result import TrainResult
from .runs import DYNAMICS_KEYS, SurrogateRunFolder

__all__ = ["BatchedCP", "train"]


def train_step(theta, exp_avg, exp_avg_sq, alive, failed_at, t, onehot, weight, index, lr, wd,
               wmask, *, arity: int, loss: str, optimizer: str, betas=(0.9, 0.999),
               eps: float = 1e-8, decay: str = "l2"):
    """One update of a batch (a pure function, so that it can be ``torch.compile``d).

    Returns the new (theta, exp_avg, exp_avg_sq, alive, failed_at). An instance whose update is
    not finite keeps its previous parameters and moments, is marked not alive, and
    ``failed_at`` records step ``t``; it never moves again.
    """
    _, g = loss_and_grad(theta, arity, onehot, weight, loss, index)
    if decay == "l2":
        g = g + wd * theta
    g = g * wmask
    if optimizer == "adam":
        b1, b2 = betas
        m = torch.lerp(exp_avg, g, 1 - b1)
        v = torch.lerp(exp_avg_sq, g * g, 1 - b2)
        tf = t.to(theta.dtype)
        bc1, bc2 = 1 - b1 ** tf, 1 - b2 ** tf
        upd = (m / bc1) / ((v / bc2).sqrt() + eps)
    else:
        m, v, upd = exp_avg, exp_avg_sq, g
    new = theta - lr * upd if decay == "l2" else theta - lr * (upd + wd * theta)
    ok = alive & torch.isfinite(new).flatten(1).all(1)
    failed_at = torch.where(alive & ~ok, t, failed_at)
    keep = ok.view(-1, 1, 1, 1)
    return (torch.where(keep, new, theta), torch.where(keep, m, exp_avg),
            torch.where(keep, v, exp_avg_sq), ok, failed_at)


class BatchedCP(AdamBatch):
    """The training state of a batch: ``theta`` (B, k+1, n, M), optimiser moments, step ``t``,
    ``alive`` and ``failed_at`` per instance. ``step()`` does one full-batch update of every
    instance.

    >>> from surrogate.config import grid
    >>> cfg = SurrogateConfig("S3", "xy", grid(2, 9), steps=10, dtype="float64")
    >>> m = BatchedCP(cfg); m.step(); m.t
    1
    """

    def __init__(self, config: SurrogateConfig, tensor: WordTensor | None = None, *,
                 device: Device = "cpu", dtype: DType | None = None,
                 train_mask: np.ndarray | None = None, compile: bool = False):
        self._setup_batch(config, tensor, device, dtype, train_mask, compile)
        inst = config.instances
        n, k, N = self.n, self.arity, self.N
        kw = dict(device=self.device, dtype=self.dtype)
        target = torch.as_tensor(np.array(self.tensor.image), dtype=torch.long, device=self.device)
        if self.train_mask.all():  # every tuple: the dense path
            self.index = None
            self.onehot = torch.nn.functional.one_hot(target, n).to(self.dtype)
            self.weight = torch.full((self.B, N, 1), 1.0 / N, **kw)
        else:  # each instance's training tuples, padded with weight 0
            self.index, wt = padded_index(self.train_mask, self.device)
            self.onehot = torch.nn.functional.one_hot(target[self.index], n).to(self.dtype)
            self.weight = wt[..., None].to(self.dtype)
        widths = [i.width for i in inst]
        self._wmask = self.width_mask[:, None, None, :].to(self.dtype)
        col = dict(device=self.device, dtype=self.dtype)
        self.lr = torch.tensor([i.lr for i in inst], **col).view(-1, 1, 1, 1)
        self.wd = torch.tensor([i.weight_decay for i in inst], **col).view(-1, 1, 1, 1)
        self.theta = init_factors(n, k, [i.seed for i in inst], widths,
                                  [i.init_scale for i in inst], width=self.M, **kw)
        self.exp_avg = torch.zeros_like(self.theta)
        self.exp_avg_sq = torch.zeros_like(self.theta)

    # -- training ------------------------------------------------------------------------------
    def _step_fn(self):
        if getattr(self, "_fn", None) is None:
            cfg = self.config
            fn = functools.partial(
                train_step, arity=self.arity, loss=cfg.loss, optimizer=cfg.optimizer,
                betas=cfg.betas, eps=cfg.eps, decay=cfg.decay)
            if self.compile:
                fn = torch.compile(fn, dynamic=False)
            self._fn = fn
        return self._fn

    def step(self) -> None:
        """One full-batch update of every instance (frozen instances stay where they are)."""
        self.t += 1
        t = torch.tensor(self.t, device=self.device)
        self.theta, self.exp_avg, self.exp_avg_sq, self.alive, self.failed_at = self._step_fn()(
            self.theta, self.exp_avg, self.exp_avg_sq, self.alive, self.failed_at, t,
            self.onehot, self.weight, self.index, self.lr, self.wd, self._wmask)


def metric_rows(step: int, m: dict, status: list[str], config: SurrogateConfig,
                analyzer: Analyzer) -> list[dict]:
    """The metrics.csv rows of one log step."""
    rows = []
    for b, inst in enumerate(config.instances):
        counts, mixed = active_per_triplet(m["dominant"][b], m["purity"][b], m["active"][b],
                                           config.purity_tol)
        row = {"step": step, "instance": b, "seed": inst.seed, "width": inst.width,
               "train_fraction": inst.train_fraction,
               "train_loss": float(m["train_loss"][b]), "test_loss": float(m["test_loss"][b]),
               "train_acc": float(m["train_acc"][b]), "test_acc": float(m["test_acc"][b]),
               "residual": float(m["residual"][b]), "max_err": float(m["max_err"][b]),
               "active": int(m["active"][b].sum()), "mixed": mixed,
               "cross_overlap": float(m["cross_overlap"][b])}
        if "triplet_residual" in m:
            tr = m["triplet_residual"][b]
            for trip, name in zip(analyzer.support, analyzer.support_names):
                row[f"res:{name}"] = float(tr[trip])
            supp = np.zeros(tr.shape, dtype=bool)
            for trip in analyzer.support:
                supp[trip] = True
            row["res:off-support"] = float(np.sqrt((tr[~supp] ** 2).sum()))
        for trip, name in zip(analyzer.support, analyzer.support_names):
            row[f"act:{name}"] = counts.pop(trip, 0)
        row["act:other"] = sum(counts.values())
        row["status"] = status[b]
        rows.append(row)
    return rows



def train(config: SurrogateConfig, *, tensor: WordTensor | None = None, device: Device = "cpu",
          dtype: DType | None = None, run_dir: str | os.PathLike | None = None,
          resume: bool = False, progress: bool = True,
          callback: Callable[[int, BatchedCP], None] | None = None,
          state_every_s: float = 120.0, compile: bool = False) -> TrainResult:
    """Train the batch described by ``config``; metrics and checkpoints on the log schedule.

    ``tensor``: the word tensor, when the caller has it (default: built from the config's spec
    and word). With ``run_dir`` the run folder is locked while the run writes into it; at every
    log step the metrics rows are appended, one checkpoint file is written and the resume
    state replaced (and the state at least every ``state_every_s`` seconds in between);
    ``resume=True`` continues it exactly from its last saved state (only ``config.steps`` may
    differ from the saved configuration). ``callback(step, model)`` runs after every step
    (raise to stop). ``device``/``dtype`` default to CPU and the config's dtype.
    ``compile=True`` runs the update through ``torch.compile`` (fused kernels: several times
    faster for large batches, about 20 s of compilation first; results then differ from eager
    mode in the last bits, and are deterministic on CPU run to run).

    >>> from surrogate.config import grid
    >>> res = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=20), progress=False)
    >>> res.steps[-1], len(res.rows) == len(res.steps)
    (20, True)
    """
    validate.instance(config, "config", SurrogateConfig, "a SurrogateConfig",
                      hint="make one with SurrogateConfig(spec, word, ...)")
    if dtype is not None:
        config = config.replace(dtype=str(torch_dtype(dtype)).removeprefix("torch."))
    tensor = config.prepare(tensor)  # checked and estimated before a folder is touched
    if run_dir is None:
        return _train(config, tensor, None, None, device, dtype, progress, callback,
                      state_every_s, compile)
    folder = SurrogateRunFolder(run_dir)
    with folder.session(config, resume=resume) as saved:
        return _train(config, tensor, folder, saved, device, dtype, progress, callback,
                      state_every_s, compile)


def _train(config, tensor, folder, saved, device, dtype, progress, callback, state_every_s,
           compile) -> TrainResult:
    t0 = time.perf_counter()
    tensor = tensor if tensor is not None else word_tensor(config.spec, config.word)
    result = TrainResult(config)
    state = saved["state"] if saved else None
    model = BatchedCP(config, tensor, device=device, dtype=dtype,
                      train_mask=saved["split"] if state is not None else None, compile=compile)
    analyzer = Analyzer(tensor, device=model.device, active_tol=config.active_tol,
                        purity_tol=config.purity_tol)
    result.train_mask = model.train_mask
    result.bsc_names, result.support = analyzer.bsc_names, analyzer.support
    if folder is not None:
        folder.start(config, saved, device=str(model.device), train_mask=model.train_mask,
                     meta={"bsc_names": analyzer.bsc_names,
                           "support": [list(t) for t in analyzer.support]})
        if state is not None:
            model.load_state_dict(state)
            folder.load_into(result, upto=model.t)

    def log(step: int):
        m = analyzer.evaluate(model.theta, model.train_mask, config.loss, model.width_mask)
        status = model.status()
        rows = metric_rows(step, m, status, config, analyzer)
        factors = model.theta.cpu().numpy()
        dyn = {key: m[key] for key in DYNAMICS_KEYS if key in m}
        result.rows += rows
        result.steps.append(step)
        result.factors.append(factors)
        for key, v in dyn.items():
            result.dynamics.setdefault(key, []).append(v)
        result.status = status
        if folder is not None:
            folder.append_rows(rows)
            folder.write_checkpoint(step, {"factors": factors, **dyn})
            folder.write_state(model.state_dict())

    schedule = set(log_schedule(config.steps, config.log_per_decade))
    if model.t in schedule and (not result.steps or result.steps[-1] < model.t):
        log(model.t)
    run_steps(model, config.steps, schedule, log, folder, progress=progress,
              desc=f"{config.spec} {config.word}", callback=callback,
              state_every_s=state_every_s)
    result.status = model.status()
    result.seconds = time.perf_counter() - t0
    if folder is not None:
        result.run_dir = str(folder.path)
        result.judge(tensor)
        folder.write_summary(result.summary())
    return result
