"""Batched full-batch training of CP surrogates: plain gradient descent or Adam, one tensor
program for a whole batch of seeds / widths / fractions / hyper-parameters.

Determinism: a run is a function of its :class:`~surrogate.config.SurrogateConfig` (and, on
CPU, gives bit-identical results for the same config, device and dtype); each instance's
initial factors and split depend only on its own seed, so batching does not change what an
instance computes beyond floating-point summation order.

A NaN/inf stops only the instance that produced it: its parameters and optimiser state stay at
the last finite values, it is reported as ``diverged`` with the step, and the rest of the batch
trains on.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from wordtensor import WordTensor, word_tensor

from .config import SurrogateConfig
from .metrics import Analyzer, active_per_triplet
from .model import init_factors, loss_and_grad

__all__ = ["log_schedule", "make_split", "BatchedCP", "train", "TrainResult", "torch_dtype",
           "grokking_steps", "padded_index"]


def torch_dtype(name: str | torch.dtype) -> torch.dtype:
    """The torch dtype named ``name`` ("float32" or "float64"); a torch dtype passes through.

    >>> torch_dtype("float64"), torch_dtype(torch.float32)
    (torch.float64, torch.float32)
    >>> torch_dtype("float16")
    Traceback (most recent call last):
    ...
    KeyError: 'float16'
    """
    if isinstance(name, torch.dtype):
        return name
    return {"float32": torch.float32, "float64": torch.float64}[name]


def log_schedule(steps: int, per_decade: int = 10) -> list[int]:
    """Log-spaced steps 0, 1, 2, …, ``steps`` with about ``per_decade`` points per decade.

    >>> log_schedule(100, 4)
    [0, 1, 2, 3, 6, 10, 18, 32, 56, 100]
    """
    pts = {0, steps}
    if steps >= 1:
        top = math.log10(steps)
        pts |= {int(round(10 ** (i / per_decade))) for i in range(int(top * per_decade) + 1)}
    return sorted(p for p in pts if 0 <= p <= steps)


def make_split(num_tuples: int, fraction: float, split_seed: int) -> np.ndarray:
    """Boolean training mask over the n^k input tuples: the first round(fraction · N) (at least
    one) of the permutation drawn by ``default_rng(split_seed)``; nested across fractions.

    >>> int(make_split(36, 0.5, 0).sum())
    18
    """
    count = min(num_tuples, max(1, int(round(fraction * num_tuples))))
    perm = np.random.default_rng(int(split_seed)).permutation(num_tuples)
    mask = np.zeros(num_tuples, dtype=bool)
    mask[perm[:count]] = True
    return mask


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


def padded_index(masks: np.ndarray, device) -> tuple[torch.Tensor, torch.Tensor]:
    """(index (B, S) of each row's True positions padded with 0, weight (B, S) = 1/count on
    them and 0 on the padding), S the largest count (at least 1).

    >>> idx, wt = padded_index(np.array([[True, False, True], [False, True, False]]), "cpu")
    >>> idx.tolist(), wt.tolist()
    ([[0, 2], [1, 0]], [[0.5, 0.5], [1.0, 0.0]])
    """
    counts = masks.sum(1)
    S = max(1, int(counts.max()))
    idx = np.zeros((len(masks), S), dtype=np.int64)
    wt = np.zeros((len(masks), S))
    for b in range(len(masks)):
        sel = np.flatnonzero(masks[b])
        idx[b, :sel.size] = sel
        if sel.size:
            wt[b, :sel.size] = 1.0 / sel.size
    return torch.as_tensor(idx, device=device), torch.as_tensor(wt, device=device)


class AdamBatch:
    """What the batched surrogate and the batched networks share: the setup of a batch
    (tensor, device, dtype, sizes, training split, width mask), flat parameters ``theta`` with
    Adam moments, step ``t``, per-instance ``alive`` / ``failed_at`` (the step of the first
    non-finite update), their one-line status and the resume state."""

    def _setup_batch(self, config, tensor, device, dtype, train_mask, compile) -> None:
        from .config import ConfigError

        self.config = config
        self.compile = bool(compile)
        self.tensor = tensor if tensor is not None else word_tensor(config.spec, config.word)
        if self.tensor.arity < 1:
            raise ConfigError(f"the word {self.tensor.word} has no variables; nothing to learn")
        self.device = torch.device(device)
        self.dtype = torch_dtype(dtype or config.dtype)
        inst = config.instances
        N = self.tensor.nnz
        self.n, self.arity, self.N, self.B, self.M = (self.tensor.n, self.tensor.arity, N,
                                                      len(inst), config.width)
        if train_mask is None:
            train_mask = np.stack([make_split(N, i.train_fraction, i.split) for i in inst])
        if train_mask.shape != (self.B, N):
            raise ValueError(f"train_mask has shape {train_mask.shape}, expected {(self.B, N)}")
        self.train_mask = np.asarray(train_mask, dtype=bool)
        self.width_mask = (torch.arange(self.M, device=self.device)[None, :]
                           < torch.tensor([i.width for i in inst], device=self.device)[:, None])
        self.t = 0
        self.alive = torch.ones(self.B, dtype=torch.bool, device=self.device)
        self.failed_at = torch.full((self.B,), -1, dtype=torch.long, device=self.device)

    def _diverged_details(self, inst) -> str:
        return f"lr {inst.lr:g}, init scale {inst.init_scale:g}"

    def status(self) -> list[str]:
        """"ok" or a one-line reason per instance."""
        out = []
        for b, s in enumerate(self.failed_at.tolist()):
            if s < 0:
                out.append("ok")
            else:
                out.append(f"diverged: non-finite parameters at step {s} "
                           f"({self._diverged_details(self.config.instances[b])}); stopped at "
                           f"step {s - 1}")
        return out

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return {"theta": self.theta.cpu().numpy(), "exp_avg": self.exp_avg.cpu().numpy(),
                "exp_avg_sq": self.exp_avg_sq.cpu().numpy(), "t": np.array(self.t),
                "alive": self.alive.cpu().numpy(), "failed_at": self.failed_at.cpu().numpy()}

    def load_state_dict(self, state: dict) -> None:
        kw = dict(device=self.device, dtype=self.dtype)
        theta = torch.as_tensor(np.asarray(state["theta"]), **kw)
        if theta.shape != self.theta.shape:
            raise ValueError(f"saved parameters have shape {tuple(theta.shape)}, expected "
                             f"{tuple(self.theta.shape)}")
        self.theta = theta
        self.exp_avg = torch.as_tensor(np.asarray(state["exp_avg"]), **kw)
        self.exp_avg_sq = torch.as_tensor(np.asarray(state["exp_avg_sq"]), **kw)
        self.t = int(state["t"])
        self.alive = torch.as_tensor(np.asarray(state["alive"]), device=self.device).bool()
        self.failed_at = torch.as_tensor(np.asarray(state["failed_at"]), device=self.device).long()


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
                 device="cpu", dtype=None, train_mask: np.ndarray | None = None,
                 compile: bool = False):
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


@dataclass
class TrainResult:
    """What a run produced: metrics rows (one per log step and instance), checkpoints of the
    factors and the dynamics arrays on the log schedule, and the final state.

    >>> from surrogate.config import grid
    >>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=5), progress=False)
    >>> isinstance(res, TrainResult), res.steps, res.status
    (True, [0, 1, 2, 3, 4, 5], ['ok', 'ok'])
    >>> len(res.rows), res.final("train_acc").shape  # a row per (log step, instance)
    (12, (2,))
    >>> res.final_factors.shape  # (instances, k+1 factors, n, width)
    (2, 3, 6, 9)
    >>> res.summary()["widths"]
    [9, 9]
    """

    config: SurrogateConfig
    rows: list[dict] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    factors: list[np.ndarray] = field(default_factory=list)
    dynamics: dict[str, list[np.ndarray]] = field(default_factory=dict)
    status: list[str] = field(default_factory=list)
    train_mask: np.ndarray | None = None
    bsc_names: list[str] = field(default_factory=list)
    support: list[tuple[int, ...]] = field(default_factory=list)
    run_dir: str | None = None
    seconds: float = 0.0

    @property
    def final_factors(self) -> np.ndarray:
        return self.factors[-1]

    def final(self, key: str) -> np.ndarray:
        """The last logged value of a scalar metric per instance."""
        last = self.steps[-1]
        rows = [r for r in self.rows if r["step"] == last]
        return np.array([r[key] for r in sorted(rows, key=lambda r: r["instance"])], dtype=float)

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
        ok = [s == "ok" for s in self.status]
        notes = []
        n_tuples = self.train_mask.shape[1] if self.train_mask is not None else None
        if n_tuples is not None and n_tuples <= 100 and any(i.train_fraction < 1 for i in inst):
            notes.append(f"{cfg.spec} {cfg.word} has only {n_tuples} input tuples: too few to "
                         "generalise from a fraction of them; expect poor test accuracy")

        def masked(vals):
            return [v if good and not (isinstance(v, float) and math.isnan(v)) else None
                    for v, good in zip(vals, ok)]

        return {
            "spec": cfg.spec, "word": cfg.word, "steps": self.steps[-1], "loss": cfg.loss,
            "optimizer": cfg.optimizer,
            "seeds": [i.seed for i in inst], "widths": [i.width for i in inst],
            "train_fractions": [i.train_fraction for i in inst],
            "train_accuracy": masked(final["train_acc"]),
            "test_accuracy": masked(final["test_acc"]),
            "final_loss": masked(final["train_loss"]),
            "test_loss": masked(final["test_loss"]),
            "residual": masked(final["residual"]),
            "max_abs_error": masked(final["max_err"]),
            "exact_fit": [bool(good and e < cfg.fit_tol) for e, good in zip(final["max_err"], ok)],
            "grok_step": [g["test"] for g in grok],
            "fit_step": [g["train"] for g in grok],
            "components": comps,
            "triplet_residual": per_triplet,
            "status": self.status,
            "errors": [None if s == "ok" else s for s in self.status],
            "notes": notes,
            "run_dir": self.run_dir,
            "seconds": self.seconds,
        }


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
    out = [{"train": None, "test": None} for _ in range(num_instances)]
    for r in sorted(rows, key=lambda r: r["step"]):
        o = out[r["instance"]]
        if o["train"] is None and r["train_acc"] >= 1.0:
            o["train"] = r["step"]
        if o["test"] is None and r["test_acc"] >= threshold:
            o["test"] = r["step"]
    return out


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


DYNAMICS_KEYS = ("triplet_residual", "box_mass", "strength", "dominant", "purity", "active")


def run_steps(model, steps: int, todo, log, writer, *, progress: bool, desc: str,
              callback=None, state_every_s: float = 120.0, postfix=None) -> None:
    """The training loop shared by the surrogate and the networks: ``model.step()`` until
    ``model.t == steps``, ``log(t)`` at the steps in ``todo``, the resume state written at
    least every ``state_every_s`` seconds in between, a tqdm bar (``postfix(model)`` → text
    shown every 100 steps), ``callback(t, model)`` after every step."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=model.t, desc=desc, unit="step", mininterval=0.5,
                   leave=False)
    last_save = time.monotonic()
    try:
        while model.t < steps:
            model.step()
            if model.t in todo:
                log(model.t)
                last_save = time.monotonic()
            elif writer is not None and time.monotonic() - last_save > state_every_s:
                writer.write_state(model.state_dict())
                last_save = time.monotonic()
            if bar is not None:
                bar.update(1)
                if postfix is not None and model.t % 100 == 0:
                    bar.set_postfix_str(postfix(model))
            if callback is not None:
                callback(model.t, model)
    finally:
        if bar is not None:
            bar.close()


def train(config: SurrogateConfig, *, tensor: WordTensor | None = None, device="cpu",
          dtype=None, run_dir=None, resume: bool = False, progress: bool = True,
          callback: Callable[[int, BatchedCP], None] | None = None,
          state_every_s: float = 120.0, compile: bool = False) -> TrainResult:
    """Train the batch described by ``config``; metrics and checkpoints on the log schedule.

    With ``run_dir`` the run folder is written atomically at every log step (and the resume
    state at least every ``state_every_s`` seconds); ``resume=True`` continues it exactly
    from its last saved state. ``callback(step, model)`` runs after every step (raise to
    stop). ``device``/``dtype`` default to CPU and the config's dtype. ``compile=True`` runs
    the update through ``torch.compile`` (fused kernels: several times faster for large
    batches, about 20 s of compilation first; results then differ from eager mode in the last
    bits, and are deterministic on CPU run to run).

    >>> from surrogate.config import grid
    >>> res = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=20), progress=False)
    >>> res.steps[-1], len(res.rows) == len(res.steps)
    (20, True)
    """
    from . import runs

    t0 = time.perf_counter()
    tensor = tensor if tensor is not None else word_tensor(config.spec, config.word)
    if dtype is not None:
        config = config.replace(dtype=str(torch_dtype(dtype)).removeprefix("torch."))
    result = TrainResult(config)
    writer = runs.RunFolder(run_dir) if run_dir is not None else None
    train_mask, state, saved = (writer.open_for(config, resume) if writer is not None
                                else (None, None, None))
    model = BatchedCP(config, tensor, device=device, dtype=dtype, train_mask=train_mask,
                      compile=compile)
    analyzer = Analyzer(tensor, device=model.device, active_tol=config.active_tol,
                        purity_tol=config.purity_tol)
    result.train_mask = model.train_mask
    result.bsc_names, result.support = analyzer.bsc_names, analyzer.support
    if writer is not None:
        writer.start(model, result, config, state, saved)

    schedule = log_schedule(config.steps, config.log_per_decade)
    todo = set(schedule)

    def log(step: int):
        m = analyzer.evaluate(model.theta, model.train_mask, config.loss, model.width_mask)
        status = model.status()
        result.rows += metric_rows(step, m, status, config, analyzer)
        result.steps.append(step)
        result.factors.append(model.theta.cpu().numpy())
        for key in DYNAMICS_KEYS:
            if key in m:
                result.dynamics.setdefault(key, []).append(m[key])
        result.status = status
        if writer is not None:
            writer.write_log(result, analyzer)
            writer.write_state(model.state_dict())

    if model.t == 0 and 0 in todo:
        log(0)
    run_steps(model, config.steps, todo, log, writer, progress=progress,
              desc=f"{config.spec} {config.word}", callback=callback,
              state_every_s=state_every_s)
    result.status = model.status()
    result.seconds = time.perf_counter() - t0
    if writer is not None:
        result.run_dir = str(writer.path)
        writer.write_summary(result.summary())
    return result
