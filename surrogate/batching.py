"""What the batched CP surrogate and the batched networks share: torch device and dtype
arguments, the log schedule, the training split, the padded index of training tuples, the
:class:`AdamBatch` base (a batch's setup, alive / diverged bookkeeping and resume state) and
the training loop :func:`run_steps`.

Determinism: each instance's initial parameters and split depend only on its own seeds, so
batching does not change what an instance computes beyond floating-point summation order; on
CPU a run is bit-for-bit reproducible. A NaN/inf stops only the instance that produced it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch

from wordtensor import WordTensor, validate

from .config import BatchConfig, ConfigError

__all__ = ["log_schedule", "make_split"]

#: A device argument: a name ("cpu", "cuda", "cuda:1") or a torch.device.
Device = str | torch.device
#: A dtype argument: "float32", "float64" or a torch dtype.
DType = str | torch.dtype


def torch_dtype(name: DType) -> torch.dtype:
    """The torch dtype named ``name`` ("float32" or "float64"); a torch dtype passes through
    (checked by :func:`wordtensor.validate.dtype`).

    >>> torch_dtype("float64"), torch_dtype(torch.float32)
    (torch.float64, torch.float32)
    >>> torch_dtype("float16")
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: dtype must be one of float32, float64, got 'float16'
    """
    return getattr(torch, validate.dtype(name, error=ConfigError))


def torch_device(device: Device) -> torch.device:
    """The torch device ``device``, checked to exist on this machine
    (:func:`wordtensor.validate.device`).

    >>> torch_device("cpu")
    device(type='cpu')
    >>> torch_device("gpu0")
    Traceback (most recent call last):
    ...
    surrogate.config.ConfigError: device must be cpu, cuda, cuda:N or mps, got 'gpu0'
    """
    return validate.device(device, error=ConfigError)


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
    >>> bool((make_split(36, 0.25, 3) <= make_split(36, 0.5, 3)).all())   # nested
    True
    """
    count = min(num_tuples, max(1, int(round(fraction * num_tuples))))
    perm = np.random.default_rng(int(split_seed)).permutation(num_tuples)
    mask = np.zeros(num_tuples, dtype=bool)
    mask[perm[:count]] = True
    return mask


def padded_index(masks: np.ndarray, device: Device) -> tuple[torch.Tensor, torch.Tensor]:
    """(index (B, S) of each row's True positions padded with 0, weight (B, S) = 1/count on
    them and 0 on the padding), S the largest count (at least 1); used by both models."""
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


def tuple_digits(index: torch.Tensor, n: int, arity: int) -> list[torch.Tensor]:
    """The inputs (a_1, …, a_k) of flat tuple indices (C order), one tensor per variable (both
    models use it).

    >>> [d.tolist() for d in tuple_digits(torch.tensor([0, 5, 7]), 3, 2)]   # 5 = 1·3 + 2
    [[0, 1, 2], [0, 2, 1]]
    >>> [d.tolist() for d in tuple_digits(torch.tensor([23]), 3, 3)]       # 23 = 2·9 + 1·3 + 2
    [[2], [1], [2]]
    """
    return [(index // n ** (arity - 1 - i)) % n for i in range(arity)]


class AdamBatch:
    """Base of the batched surrogate and the batched networks: the setup of a batch (tensor,
    device, dtype, sizes, training split, width mask), flat parameters ``theta`` with Adam
    moments, step ``t``, per-instance ``alive`` / ``failed_at`` (the step of the first
    non-finite update), their one-line status and the resume state.

    >>> from surrogate.cp import BatchedCP, SurrogateConfig
    >>> from surrogate.config import Instance
    >>> m = BatchedCP(SurrogateConfig("S3", "xy", (Instance(0, 9), Instance(1, 9, lr=1e9,
    ...                                            init_scale=10.0)), steps=3, optimizer="gd"))
    >>> for _ in range(3):
    ...     m.step()
    >>> isinstance(m, AdamBatch), m.status()[0], m.status()[1][:40]
    (True, 'ok', 'diverged: non-finite parameters at step ')
    """

    def _setup_batch(self, config: BatchConfig, tensor: WordTensor | None, device: Device,
                     dtype: DType | None, train_mask: np.ndarray | None, compile: bool) -> None:
        validate.instance(config, "config", BatchConfig, "a SurrogateConfig or NetworkConfig")
        self.config = config
        self.compile = bool(compile)
        self.tensor = config.prepare(tensor)
        self.device = torch_device(device)
        self.dtype = torch_dtype(dtype or config.dtype)
        inst = config.instances
        N = self.tensor.nnz
        self.n, self.arity, self.N, self.B, self.M = (self.tensor.n, self.tensor.arity, N,
                                                      len(inst), config.width)
        if train_mask is None:
            train_mask = np.stack([make_split(N, i.train_fraction, i.split) for i in inst])
        if train_mask.shape != (self.B, N):
            raise ConfigError(f"train_mask has shape {train_mask.shape}, expected {(self.B, N)}")
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
            raise ConfigError(f"saved parameters have shape {tuple(theta.shape)}, expected "
                              f"{tuple(self.theta.shape)}")
        self.theta = theta
        self.exp_avg = torch.as_tensor(np.asarray(state["exp_avg"]), **kw)
        self.exp_avg_sq = torch.as_tensor(np.asarray(state["exp_avg_sq"]), **kw)
        self.t = int(state["t"])
        self.alive = torch.as_tensor(np.asarray(state["alive"]), device=self.device).bool()
        self.failed_at = torch.as_tensor(np.asarray(state["failed_at"]), device=self.device).long()


def run_steps(model: AdamBatch, steps: int, todo: set[int], log: Callable[[int], None],
              writer, *, progress: bool, desc: str, callback=None, state_every_s: float = 120.0,
              postfix: Callable[[AdamBatch], str] | None = None) -> None:
    """The training loop of both models: ``model.step()`` until ``model.t == steps``,
    ``log(t)`` at the steps in ``todo``, the resume state written by ``writer`` at least every
    ``state_every_s`` seconds in between, a tqdm bar (``postfix(model)`` → text shown every
    100 steps), ``callback(t, model)`` after every step."""
    bar = None
    if progress:
        from tqdm.auto import tqdm  # only with a progress bar

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
