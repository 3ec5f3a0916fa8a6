"""Training a batch of two-layer networks on a word: :class:`BatchedNetwork` (the training
state: flat parameter rows, AdamW moments, Grokfast EMAs, grokking steps) and
:func:`train_network` (the log schedule, the metrics and the run folder).

Training: full batch on each instance's training tuples (a random fraction of the n^k input
tuples, :func:`surrogate.batching.make_split`), cross-entropy (or MSE against the one-hot
rows), AdamW with decoupled weight decay on every parameter, optionally the Grokfast EMA
filter. Train accuracy is known at every step (it comes with the training forward pass) and
test accuracy is evaluated every ``eval_every`` steps, so the grokking steps (first step with
100% train accuracy, first step with ≥ 99% test accuracy) are exact to that resolution, not to
the log schedule. Losses, accuracies, neuron counts per bsc triplet and the excluded /
restricted losses (:mod:`surrogate.networks.analysis`) are logged on a log-spaced schedule.

Determinism: an instance's initial weights depend only on its seed, width and initial scale
(drawn in float64 by numpy, then cast), its split only on its split seed; on CPU a run is
bit-for-bit reproducible, and a batched instance equals the same instance trained alone up to
floating-point summation order. A NaN/inf in an update freezes only that instance (last finite
parameters kept, status ``diverged: … at step s``); the run folder is still written.

>>> from surrogate.networks import NetworkConfig, network_grid
>>> cfg = NetworkConfig("S3", "xy", network_grid(2, 16, 1.0), steps=20)
>>> res = train_network(cfg, progress=False)
>>> {"test_accuracy", "train_accuracy", "step_train_100", "step_test_99", "run_dir"} <= set(res.summary())
True
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable

import numpy as np
import torch

from wordtensor import WordTensor, validate, word_tensor

from ..batching import AdamBatch, Device, DType, log_schedule, padded_index, run_steps, torch_dtype
from .adamw import adamw_update, orthogonal_gradient
from .analysis import NetworkAnalyzer, evaluate_all
from .config import NetworkConfig
from .model import PARAMS, forward, init_params, per_instance_loss
from .result import TEST_THRESHOLDS, NetworkResult, grok_records
from .runs import NetworkRunFolder

__all__ = ["BatchedNetwork", "train_network"]


class BatchedNetwork(AdamBatch):
    """The training state of a batch of networks: all parameters of instance b in one flat row
    ``theta[b]`` (``params`` gives the named views E, b1, W, b2), the AdamW moments and Grokfast
    EMA of the same shape, step ``t``, ``alive`` / ``failed_at``, and the first steps at which
    train accuracy reached 1 (``step_train``) and test accuracy each level of
    :data:`TEST_THRESHOLDS` (``step_test``), per instance.

    >>> from surrogate.networks import network_grid
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 8), steps=5, dtype="float64")
    >>> net = BatchedNetwork(cfg); net.step(); net.t
    1
    """

    def __init__(self, config: NetworkConfig, tensor: WordTensor | None = None, *,
                 device: Device = "cpu", dtype: DType | None = None,
                 train_mask: np.ndarray | None = None, compile: bool = False):
        self._setup_batch(config, tensor, device, dtype, train_mask, compile)
        self._loss_fn = self._update_fn = None
        inst = config.instances
        n, k = self.n, self.arity
        self.target = torch.as_tensor(np.array(self.tensor.image), dtype=torch.long,
                                      device=self.device)
        self.train_index, tw = padded_index(self.train_mask, self.device)
        self.train_weight = tw.to(self.dtype)
        self.train_target = self.target[self.train_index]
        self.train_valid = tw > 0
        self.train_count = self.train_valid.sum(1).clamp_min(1).to(torch.float64)
        self.test_index, tw = padded_index(~self.train_mask, self.device)
        self.test_target = self.target[self.test_index]
        self.test_valid = tw > 0
        self.has_test = (~self.train_mask).any(1)
        widths = [i.width for i in inst]
        col = dict(device=self.device, dtype=self.dtype)
        init = init_params(n, k, [i.seed for i in inst], widths, [i.init_scale for i in inst],
                           width=self.M, output_scale=config.output_scale, **col)
        self.shapes = {p: tuple(init[p].shape[1:]) for p in PARAMS}
        self.theta = torch.cat([init[p].reshape(self.B, -1) for p in PARAMS], dim=1)
        wm = self.width_mask.to(self.dtype)
        self.grad_mask = torch.cat([
            wm[:, None, None, :].expand(self.B, k, n, self.M).reshape(self.B, -1), wm,
            wm[:, :, None].expand(self.B, self.M, n).reshape(self.B, -1),
            torch.ones((self.B, n), **col)], dim=1)
        self.lr = torch.tensor([i.lr for i in inst], **col)[:, None]
        self.wd = torch.tensor([i.weight_decay for i in inst], **col)[:, None]
        self.exp_avg = torch.zeros_like(self.theta)
        self.exp_avg_sq = torch.zeros_like(self.theta)
        self.grad_ema = torch.zeros_like(self.theta) if config.grokfast_lambda > 0 else None
        self.step_train = np.full(self.B, -1, dtype=np.int64)
        self.step_test = np.full((self.B, len(TEST_THRESHOLDS)), -1, dtype=np.int64)
        self.last_train_acc = np.full(self.B, np.nan)
        self.last_test_acc = np.full(self.B, np.nan)

    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named views E (B, k, n, M), b1 (B, M), W (B, M, n), b2 (B, n) of flat rows."""
        out, at = {}, 0
        for p in PARAMS:
            size = math.prod(self.shapes[p])
            out[p] = theta[:, at:at + size].view((theta.shape[0],) + self.shapes[p])
            at += size
        return out

    def _loss(self):
        """(summed training loss, logits) of flat parameters; through ``torch.compile`` (forward
        and backward fused) when the batch was made with ``compile=True``."""
        if self._loss_fn is None:
            cfg = self.config

            def fn(theta, index, target, weight):
                logits = forward(self.unflatten(theta), cfg.activation, index)
                return per_instance_loss(logits, target, weight, cfg.loss).sum(), logits

            self._loss_fn = torch.compile(fn, dynamic=False) if self.compile else fn
        return self._loss_fn

    @property
    def params(self) -> dict[str, torch.Tensor]:
        return self.unflatten(self.theta)

    # -- training ------------------------------------------------------------------------------
    def step(self) -> None:
        """One full-batch AdamW update of every instance (frozen instances stay put). The
        training forward pass also gives the train accuracy of the parameters before it."""
        cfg = self.config
        theta = self.theta.detach().requires_grad_(True)
        loss, logits = self._loss()(theta, self.train_index, self.train_target,
                                    self.train_weight)
        (grad,) = torch.autograd.grad(loss, [theta])
        with torch.no_grad():
            hits = ((logits.argmax(-1) == self.train_target) & self.train_valid).sum(1)
            self._note_train((hits / self.train_count).cpu().numpy(), self.t)
            self.t += 1
            self._update(grad)
            if self.t % cfg.eval_every == 0:
                self.evaluate_test()

    def _note_train(self, acc: np.ndarray, step: int) -> None:
        alive = self.alive.cpu().numpy()
        self.last_train_acc = np.where(alive, acc, self.last_train_acc)
        new = alive & (self.step_train < 0) & (acc >= 1.0)
        self.step_train[new] = step

    @torch.no_grad()
    def train_accuracy(self) -> np.ndarray:
        """Train accuracy of the current parameters (recorded like the one of a step)."""
        logits = forward(self.params, self.config.activation, self.train_index)
        hits = ((logits.argmax(-1) == self.train_target) & self.train_valid).sum(1)
        acc = (hits / self.train_count).cpu().numpy()
        self._note_train(acc, self.t)
        return acc

    @torch.no_grad()
    def evaluate_test(self) -> np.ndarray:
        """Test accuracy of the current parameters (NaN without held-out tuples); records the
        first step at which each of :data:`TEST_THRESHOLDS` is reached."""
        logits = forward(self.params, self.config.activation, self.test_index)
        hits = ((logits.argmax(-1) == self.test_target) & self.test_valid).sum(1)
        acc = (hits.to(torch.float64) / self.test_valid.sum(1).clamp_min(1)).cpu().numpy()
        acc = np.where(self.has_test, acc, np.nan)
        alive = self.alive.cpu().numpy()
        self.last_test_acc = np.where(alive, acc, self.last_test_acc)
        for j, thr in enumerate(TEST_THRESHOLDS):
            new = alive & (self.step_test[:, j] < 0) & (acc >= thr)
            self.step_test[new, j] = self.t
        return acc

    def _update(self, g: torch.Tensor) -> None:
        cfg = self.config
        g = g * self.grad_mask
        if cfg.orthograd:
            g = orthogonal_gradient(g, self.theta, [math.prod(self.shapes[p]) for p in PARAMS])
        if self._update_fn is None:
            fn = functools.partial(adamw_update, betas=cfg.betas, eps=cfg.eps,
                                   grokfast_alpha=cfg.grokfast_alpha,
                                   grokfast_lambda=cfg.grokfast_lambda)
            self._update_fn = torch.compile(fn, dynamic=False) if self.compile else fn
        b1, b2 = cfg.betas
        bc = torch.tensor([1 - b1 ** self.t, 1 - b2 ** self.t], dtype=torch.float64,
                          device=self.device)
        t = torch.tensor(self.t, device=self.device)
        (self.theta, self.exp_avg, self.exp_avg_sq, ema, self.alive,
         self.failed_at) = self._update_fn(self.theta, self.exp_avg, self.exp_avg_sq,
                                           self.grad_ema, g, self.lr, self.wd, bc, t,
                                           self.alive, self.failed_at)
        if self.grad_ema is not None:
            self.grad_ema = ema

    def _diverged_details(self, inst) -> str:
        return (f"lr {inst.lr:g}, weight decay {inst.weight_decay:g}, init scale "
                f"{inst.init_scale:g}")

    def grok_steps(self) -> list[dict]:
        """Per instance: step_train_100, step_test_<level> and grok_ratio (see
        :func:`grok_records`)."""
        return grok_records(self.step_train, self.step_test)

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        st = super().state_dict() | {f"param_{p}": v.cpu().numpy() for p, v in self.params.items()}
        if self.grad_ema is not None:
            st["grad_ema"] = self.grad_ema.cpu().numpy()
        return st | {"step_train": self.step_train, "step_test": self.step_test,
                     "last_train_acc": self.last_train_acc, "last_test_acc": self.last_test_acc}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if self.grad_ema is not None:
            self.grad_ema = torch.as_tensor(np.asarray(state["grad_ema"]), device=self.device,
                                            dtype=self.dtype)
        self.step_train = np.array(state["step_train"], dtype=np.int64)
        self.step_test = np.array(state["step_test"], dtype=np.int64)
        self.last_train_acc = np.array(state["last_train_acc"], dtype=float)
        self.last_test_acc = np.array(state["last_test_acc"], dtype=float)

    def numpy_params(self) -> dict[str, np.ndarray]:
        return {p: v.detach().cpu().numpy() for p, v in self.params.items()}


def train_network(config: NetworkConfig, *, tensor: WordTensor | None = None,
                  device: Device = "cpu", dtype: DType | None = None,
                  run_dir: str | os.PathLike | None = None, resume: bool = False,
                  progress: bool = True,
                  callback: Callable[[int, BatchedNetwork], None] | None = None,
                  state_every_s: float = 120.0, analyse: bool = True,
                  compile: bool = False) -> NetworkResult:
    """Train the batch of networks described by ``config``.

    Metrics on the log schedule (and, with ``analyse``, neuron counts per bsc triplet and the
    excluded / restricted losses); parameter checkpoints on a sparser log schedule. With
    ``run_dir`` the run folder (see :class:`NetworkRunFolder`) is written atomically at every
    log step and the resume state at least every ``state_every_s`` seconds; ``resume=True``
    continues it exactly. ``callback(step, net)`` runs after every step. ``compile=True`` runs
    the loss, its gradient and the AdamW update through ``torch.compile`` (fused kernels: about
    3× faster for 64 instances of S4 xy at width 256 on a CPU core, after ~20 s of compilation;
    results then differ from eager mode in the last bits).

    >>> from surrogate.networks import network_grid
    >>> cfg = NetworkConfig("S3", "xy", network_grid(1, 8, 1.0), steps=10)
    >>> r = train_network(cfg, progress=False)
    >>> r.steps[-1], r.summary()["train_accuracy"][0] is not None
    (10, True)
    """
    validate.instance(config, "config", NetworkConfig, "a NetworkConfig",
                      hint="make one with NetworkConfig(spec, word, ...)")
    if dtype is not None:
        config = config.replace(dtype=str(torch_dtype(dtype)).removeprefix("torch."))
    tensor = config.prepare(tensor)  # checked and estimated before a folder is touched
    if run_dir is None:
        return _train_network(config, tensor, None, None, device, dtype, progress, callback,
                              state_every_s, analyse, compile)
    folder = NetworkRunFolder(run_dir)
    with folder.session(config, resume=resume) as saved:
        return _train_network(config, tensor, folder, saved, device, dtype, progress, callback,
                              state_every_s, analyse, compile)


def _train_network(config, tensor, folder, saved, device, dtype, progress, callback,
                   state_every_s, analyse, compile) -> NetworkResult:
    t0 = time.perf_counter()
    tensor = tensor if tensor is not None else word_tensor(config.spec, config.word)
    result = NetworkResult(config)
    state = saved["state"] if saved else None
    net = BatchedNetwork(config, tensor, device=device, dtype=dtype,
                         train_mask=saved["split"] if state is not None else None,
                         compile=compile)
    analyzer = NetworkAnalyzer(tensor, device=net.device) if analyse else None
    result.train_mask = net.train_mask
    if analyzer is not None:
        result.bsc_names, result.support = analyzer.bsc_names, analyzer.support
    if folder is not None:
        folder.start(config, saved, device=str(net.device), train_mask=net.train_mask)
        if state is not None:
            net.load_state_dict(state)
            folder.load_into(result, upto=net.t)

    schedule = set(log_schedule(config.steps, config.log_per_decade))
    ckpts = set(log_schedule(config.steps, config.checkpoint_per_decade))

    def log(step: int):
        if net.t % config.eval_every:
            net.evaluate_test()
        net.train_accuracy()
        rows = metric_rows(step, net, analyzer)
        result.rows += rows
        result.steps.append(step)
        params = None
        if step in ckpts or step == config.steps:
            params = {p: v.astype(np.float32) for p, v in net.numpy_params().items()}
            result.checkpoint_steps.append(step)
            for p, v in params.items():
                result.checkpoints.setdefault(p, []).append(v)
        result.status = net.status()
        result.grok = net.grok_steps()
        if folder is not None:
            folder.append_rows(rows)
            if params is not None:
                folder.write_checkpoint(step, params)
            folder.write_state(net.state_dict())

    if net.t in schedule and (not result.steps or result.steps[-1] < net.t):
        if net.t == 0:
            net.evaluate_test()
        log(net.t)

    def postfix(net):
        acc = net.last_test_acc
        return f"test acc {np.nanmedian(acc):.3f}" if np.isfinite(acc).any() else ""

    run_steps(net, config.steps, schedule, log, folder, progress=progress,
              desc=f"network {config.spec} {config.word}", callback=callback,
              state_every_s=state_every_s, postfix=postfix)
    result.status = net.status()
    result.grok = net.grok_steps()
    result.params = net.numpy_params()
    result.seconds = time.perf_counter() - t0
    if folder is not None:
        result.run_dir = str(folder.path)
        folder.write_summary(result.summary())
    return result


def metric_rows(step: int, net: BatchedNetwork, analyzer: NetworkAnalyzer | None) -> list[dict]:
    """The metrics.csv rows of one log step (losses and accuracies over all tuples; with an
    analyzer also the neuron counts per triplet and excluded / restricted losses)."""
    m = evaluate_all(net.numpy_params(), net.tensor, net.train_mask, net.config, analyzer,
                     width_mask=net.width_mask.cpu().numpy(), device=net.device)
    status = net.status()
    rows = []
    for b, inst in enumerate(net.config.instances):
        row = {"step": step, "instance": b, "seed": inst.seed, "width": inst.width,
               "train_fraction": inst.train_fraction, "lr": inst.lr,
               "weight_decay": inst.weight_decay, "init_scale": inst.init_scale}
        row |= {k: v[b] for k, v in m.items()}
        row["status"] = status[b]
        rows.append(row)
    return rows
