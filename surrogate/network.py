"""Two-layer networks that learn a word operation, batched over seeds and hyper-parameters.

The network of a k-variable word on a group of order n, width m:

    logits(a_1, …, a_k) = σ(E_1[a_1] + … + E_k[a_k] + b_1) W + b_2   ∈ R^n

with embeddings E_i (n × m), hidden bias b_1 (m), output weights W (m × n) — row W[j, :] is
neuron j's output, a function on G — and output bias b_2 (n). σ is one of :data:`ACTIVATIONS`.
All instances of a batch live in one set of tensors with a leading instance axis:
``E`` (B, k, n, M), ``b1`` (B, M), ``W`` (B, M, n), ``b2`` (B, n); narrower instances are
zero-padded to the widest width M and their padded neurons are masked out of every gradient.

Training: full batch on each instance's training tuples (a random fraction of the n^k input
tuples, :func:`surrogate.train.make_split`), cross-entropy (or MSE against the one-hot rows),
AdamW with decoupled weight decay on every parameter, optionally the Grokfast EMA filter
(Lee et al. 2024: g ← g + λ·EMA_α(g)). Train accuracy is known at every step (it comes with the
training forward pass) and test accuracy is evaluated every ``eval_every`` steps, so the
grokking steps (first step with 100% train accuracy, first step with ≥ 99% test accuracy) are
exact to that resolution, not to the log schedule. Losses, accuracies, neuron counts per bsc
triplet and the excluded / restricted losses (:mod:`surrogate.network_analysis`) are logged on
a log-spaced schedule.

Determinism: an instance's initial weights depend only on its seed, width and initial scale
(drawn in float64 by numpy, then cast), its split only on its split seed; on CPU a run is
bit-for-bit reproducible, and a batched instance equals the same instance trained alone up to
floating-point summation order. A NaN/inf in an update freezes only that instance (last finite
parameters kept, status ``diverged: … at step s``); the run folder is still written.

>>> from surrogate.network import NetworkConfig, train_network
>>> from surrogate.config import grid
>>> cfg = NetworkConfig("S3", "xy", grid(2, 16, 1.0), steps=20)
>>> res = train_network(cfg, progress=False)
>>> {"test_accuracy", "train_accuracy", "step_train_100", "step_test_99", "run_dir"} <= set(res.summary())
True
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from wordtensor import WordTensor, word_tensor
from wordtensor.storage import atomic_write, npz_bytes, write_json

from .config import BatchConfig, ConfigError, Instance, grid
from .model import LOSSES
from .runs import FORMAT, RunFolder, RunFolderError, csv_bytes
from .train import AdamBatch, TrainResult, log_schedule, padded_index, run_steps, torch_dtype

__all__ = ["ACTIVATIONS", "RECIPE", "ACTIVATION_RECIPES", "recipe", "NetworkConfig",
           "network_grid", "init_params", "forward",
           "BatchedNetwork", "NetworkResult", "train_network", "train_networks",
           "network_phase_diagram", "TEST_THRESHOLDS", "grok_records", "NetworkRunFolder",
           "load_network_run", "is_network_run"]

#: Activations σ by name.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "gelu": torch.nn.functional.gelu,
    "quadratic": torch.square,
    "tanh": torch.tanh,
    "silu": torch.nn.functional.silu,
}

#: The grokking recipe, found by measurement on S4 xy at training fraction 0.6 (docs/network_recipe.md,
#: scripts/network_recipe.py): quadratic σ, MSE against the one-hot rows, full-batch AdamW with
#: decoupled weight decay 1 at lr 1e-2, β = (0.9, 0.98), width 256, E ~ N(0, 0.3²),
#: W ~ N(0, 0.3²/256): 4/4 seeds at 100% test accuracy, 99% at steps 316–380, about 10 s on
#: 2 CPU cores. In the lr × weight-decay sweep it sits inside the plateau (lr 3e-3..3e-2 ×
#: wd 0.3..3 mostly groks; lr 3e-2 with wd 3 collapses the weights to 0, wd ≤ 0.1 at lr ≤ 1e-2
#: does not generalise); wd 3 at lr 1e-2 groks faster (step ~210) and is what S4 xyX needs.
#: Cross-entropy with the same network reaches at most 65% test accuracy in the same sweep.
#: From the phase diagram: at fraction 0.6 width 64 suffices (rank bounds 43..55), width 32
#: never generalises; at 0.5 only width ≥ 128 comes close (0.97–0.98).
#: The defaults of :class:`NetworkConfig`, :func:`network_grid` and ``wordtensor network``.
RECIPE = {
    "activation": "quadratic",
    "width": 256,
    "train_fraction": 0.6,
    "lr": 1e-2,
    "weight_decay": 1.0,
    "init_scale": 0.3,
    "output_scale": 1.0,
    "steps": 2000,
    "betas": (0.9, 0.98),
    "loss": "mse",
}

#: Measured settings for other activations (same network, MSE, S4 xy at fraction 0.6, 4/4
#: seeds at 100% test accuracy; 99% at steps 540–610 for relu, 200–290 for gelu; sweeps in
#: docs/network_recipe.md); :func:`recipe` merges them over :data:`RECIPE`.
ACTIVATION_RECIPES = {
    "quadratic": {},
    "relu": {"lr": 3e-2, "weight_decay": 1.0, "init_scale": 1.0},
    "gelu": {"lr": 3e-2, "weight_decay": 1.0, "init_scale": 0.3},
}


def recipe(activation: str | None = None) -> dict:
    """The recipe's settings for ``activation`` (default: the recipe's own activation); for
    activations without measured settings, the quadratic recipe's.

    >>> recipe("relu")["lr"], recipe()["activation"]
    (0.03, 'quadratic')
    """
    act = activation or RECIPE["activation"]
    if act not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}")
    return {**RECIPE, **ACTIVATION_RECIPES.get(act, {}), "activation": act}


#: Test-accuracy levels whose first crossing step is recorded for every instance.
TEST_THRESHOLDS = (0.5, 0.9, 0.95, 0.99)


def network_grid(seeds: Iterable[int] | int = 4, widths: Iterable[int] | int = RECIPE["width"],
                 fractions: Iterable[float] | float = RECIPE["train_fraction"], *,
                 lr: float = RECIPE["lr"], weight_decay: float = RECIPE["weight_decay"],
                 init_scale: float = RECIPE["init_scale"]) -> tuple[Instance, ...]:
    """:func:`surrogate.config.grid` with the network recipe's defaults.

    >>> [(i.width, i.lr) for i in network_grid(1, [64, 128])]
    [(64, 0.01), (128, 0.01)]
    """
    return grid(seeds, widths, fractions, lr=lr, weight_decay=weight_decay, init_scale=init_scale)


@dataclass(frozen=True)
class NetworkConfig(BatchConfig):
    """Everything that determines a batched network run (saved as ``config.json``).

    ``instances`` are :class:`surrogate.config.Instance` (seed, width, training fraction, lr,
    weight decay, initial scale, split seed): E and W start N(0, init_scale²) and
    N(0, (output_scale · init_scale)²/width), biases at 0. ``grokfast_alpha`` /
    ``grokfast_lambda`` switch on the Grokfast EMA gradient filter when λ > 0. ``eval_every``:
    test accuracy is computed every that many steps (the resolution of the grokking step).
    ``active_tol``: a neuron is active when the norm of its contribution to the interaction
    part of the logits is at least this fraction of the largest; ``purity_tol`` as for the
    surrogate.

    >>> cfg = NetworkConfig("S3", "xy", network_grid(2))
    >>> NetworkConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    spec: str
    word: str
    instances: tuple[Instance, ...]
    steps: int = RECIPE["steps"]
    activation: str = RECIPE["activation"]
    loss: str = RECIPE["loss"]
    betas: tuple[float, float] = RECIPE["betas"]
    eps: float = 1e-8
    output_scale: float = RECIPE["output_scale"]
    orthograd: bool = False
    grokfast_alpha: float = 0.98
    grokfast_lambda: float = 0.0
    dtype: str = "float32"
    eval_every: int = 10
    log_per_decade: int = 10
    checkpoint_per_decade: int = 3
    active_tol: float = 0.05
    purity_tol: float = 0.9
    model: str = "network"
    extra: dict = field(default_factory=dict, compare=False)

    def check(self) -> None:
        super().check()
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}; choose one of "
                              f"{', '.join(ACTIVATIONS)}")
        if not 0 <= self.grokfast_alpha < 1 or self.grokfast_lambda < 0:
            raise ConfigError("Grokfast needs 0 ≤ alpha < 1 and lambda ≥ 0, got "
                              f"{self.grokfast_alpha}, {self.grokfast_lambda}")
        for name in ("eval_every", "checkpoint_per_decade"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if not self.output_scale >= 0:
            raise ConfigError(f"output_scale must be ≥ 0, got {self.output_scale}")
        if self.model != "network":
            raise ConfigError(f"not a network configuration (model {self.model!r})")


# ------------------------------------------------------------------------------- the model
PARAMS = ("E", "b1", "W", "b2")


def init_params(n: int, arity: int, seeds, widths, init_scales, *, width: int | None = None,
                output_scale: float = 1.0, dtype=torch.float64, device="cpu"
                ) -> dict[str, torch.Tensor]:
    """Initial weights of a batch: E (B, k, n, M) ~ N(0, s²), W (B, M, n) ~ N(0, (r s)²/m) with
    r = ``output_scale``, biases 0.

    Instance b depends only on its (seed, width, scale): neuron j of E_i is drawn from
    ``default_rng([seed, i])`` and of W from ``default_rng([seed, k])``, neuron by neuron.
    Neurons past an instance's width are zero.

    >>> p = init_params(6, 2, [0], [8], [1.0], width=10)
    >>> p["E"].shape, p["W"].shape, float(p["W"][0, 8:].abs().sum())
    (torch.Size([1, 2, 6, 10]), torch.Size([1, 10, 6]), 0.0)
    """
    widths = [int(m) for m in widths]
    M = max(widths) if width is None else int(width)
    if M < max(widths):
        raise ValueError(f"width {M} is smaller than the widest instance ({max(widths)})")
    B = len(widths)
    E = np.zeros((B, arity, n, M))
    W = np.zeros((B, M, n))
    for b, (seed, m, s) in enumerate(zip(seeds, widths, init_scales)):
        for i in range(arity):
            E[b, i, :, :m] = float(s) * np.random.default_rng([int(seed), i]).standard_normal((m, n)).T
        W[b, :m] = float(s) * output_scale / math.sqrt(m) * np.random.default_rng(
            [int(seed), arity]).standard_normal((m, n))
    kw = dict(dtype=dtype, device=device)
    return {"E": torch.as_tensor(E).to(**kw), "b1": torch.zeros((B, M), **kw),
            "W": torch.as_tensor(W).to(**kw), "b2": torch.zeros((B, n), **kw)}


def tuple_digits(index: torch.Tensor, n: int, arity: int) -> list[torch.Tensor]:
    """The inputs (a_1, …, a_k) of flat tuple indices (C order), one tensor per variable."""
    return [(index // n ** (arity - 1 - i)) % n for i in range(arity)]


def hidden(params: dict[str, torch.Tensor], index: torch.Tensor | None = None) -> torch.Tensor:
    """Pre-activations h = Σ_i E_i[a_i] + b_1 at the tuples ``index`` (B, S) (all n^k tuples,
    C order, when None): (B, S, M)."""
    E, b1 = params["E"], params["b1"]
    B, k, n, M = E.shape
    if index is None:
        h = E[:, 0]
        for i in range(1, k):
            h = (h[:, :, None, :] + E[:, i, None, :, :]).reshape(B, -1, M)
        return h + b1[:, None, :]
    S = index.shape[1]
    offset = (torch.arange(B, device=index.device) * n)[:, None]
    h = b1[:, None, :]
    for i, d in enumerate(tuple_digits(index, n, k)):
        h = h + E[:, i].reshape(B * n, M).index_select(0, (d + offset).reshape(-1)).view(B, S, M)
    return h


def forward(params: dict[str, torch.Tensor], activation: str, index: torch.Tensor | None = None
            ) -> torch.Tensor:
    """Logits (B, S, n) at the tuples ``index`` (B, S), or at all n^k tuples (C order).

    >>> p = init_params(3, 2, [1], [4], [1.0])
    >>> L = forward(p, "relu")[0].reshape(3, 3, 3)
    >>> h = p["E"][0, 0][:, None, :] + p["E"][0, 1][None, :, :]
    >>> bool(torch.allclose(L, torch.relu(h) @ p["W"][0]))
    True
    """
    act = ACTIVATIONS[activation]
    return torch.baddbmm(params["b2"][:, None, :], act(hidden(params, index)), params["W"])


def per_instance_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                      loss: str) -> torch.Tensor:
    """(B,) weighted loss; ``weight`` (B, S) is 1/|S_b| on an instance's tuples, 0 on padding.
    MSE is the mean over outputs of (logit − one-hot)² (like ``torch.nn.MSELoss``)."""
    if loss == "ce":
        logp = torch.log_softmax(logits, dim=-1)
        nll = -logp.gather(-1, target[..., None])[..., 0]
    elif loss == "mse":
        onehot = torch.nn.functional.one_hot(target, logits.shape[-1]).to(logits.dtype)
        nll = ((logits - onehot) ** 2).mean(-1)
    else:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    return (nll * weight).sum(1)


def adamw_update(theta, exp_avg, exp_avg_sq, grad_ema, g, lr, wd, bias_correction, t, alive,
                 failed_at, *, betas, eps, grokfast_alpha, grokfast_lambda):
    """One AdamW step of flat parameter rows (B, P) with decoupled weight decay and the optional
    Grokfast EMA filter (``grad_ema`` None when off); a pure function, so that it can be
    ``torch.compile``d. ``bias_correction`` holds 1 − β₁ᵗ and 1 − β₂ᵗ. Rows whose update is not
    finite keep their parameters and moments, turn not alive and record step ``t`` in
    ``failed_at``. Returns (theta, exp_avg, exp_avg_sq, grad_ema, alive, failed_at).

    >>> z = torch.zeros(2, 3); g = torch.tensor([[1.0, -1, 0], [float("nan"), 0, 0]])
    >>> out = adamw_update(z, z, z, None, g, torch.full((2, 1), 0.1), torch.zeros(2, 1),
    ...                    torch.tensor([0.1, 0.02]), torch.tensor(1), torch.ones(2, dtype=bool),
    ...                    torch.full((2,), -1), betas=(0.9, 0.98), eps=1e-8,
    ...                    grokfast_alpha=0.98, grokfast_lambda=0.0)
    >>> out[0][0].tolist(), out[4].tolist(), out[5].tolist()   # first Adam step moves by lr
    ([-0.10000000149011612, 0.10000000149011612, 0.0], [True, False], [-1, 1])
    """
    b1, b2 = betas
    ema = None
    if grad_ema is not None:
        ema = torch.lerp(grad_ema, g, 1 - grokfast_alpha)
        g = g + grokfast_lambda * ema
    m = torch.lerp(exp_avg, g, 1 - b1)
    v = torch.lerp(exp_avg_sq, g * g, 1 - b2)
    upd = (m / bias_correction[0]) / ((v / bias_correction[1]).sqrt() + eps)
    new = theta - lr * (upd + wd * theta)
    ok = alive & torch.isfinite(new).all(1)
    failed_at = torch.where(alive & ~ok, t, failed_at)
    keep = ok[:, None]
    if ema is not None:
        ema = torch.where(keep, ema, grad_ema)
    return (torch.where(keep, new, theta), torch.where(keep, m, exp_avg),
            torch.where(keep, v, exp_avg_sq), ema, ok, failed_at)


class BatchedNetwork(AdamBatch):
    """The training state of a batch of networks: all parameters of instance b in one flat row
    ``theta[b]`` (``params`` gives the named views E, b1, W, b2), the AdamW moments and Grokfast
    EMA of the same shape, step ``t``, ``alive`` / ``failed_at``, and the first steps at which
    train accuracy reached 1 (``step_train``) and test accuracy each level of
    :data:`TEST_THRESHOLDS` (``step_test``), per instance.

    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 8), steps=5, dtype="float64")
    >>> net = BatchedNetwork(cfg); net.step(); net.t
    1
    """

    def __init__(self, config: NetworkConfig, tensor: WordTensor | None = None, *,
                 device="cpu", dtype=None, train_mask: np.ndarray | None = None,
                 compile: bool = False):
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
            g = self._orthogonal(g)
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

    def _orthogonal(self, g: torch.Tensor) -> torch.Tensor:
        """⊥Grad (Prieto et al. 2025): each parameter tensor's gradient without its component
        along the parameters, g_p − (⟨g_p, θ_p⟩ / ‖θ_p‖²) θ_p, per instance."""
        parts, at = [], 0
        for p in PARAMS:
            size = math.prod(self.shapes[p])
            gp, th = g[:, at:at + size], self.theta[:, at:at + size]
            nrm = (th * th).sum(1, keepdim=True)
            coef = torch.where(nrm > 0, (gp * th).sum(1, keepdim=True) / nrm.clamp_min(1e-30), 0.0)
            parts.append(gp - coef * th)
            at += size
        return torch.cat(parts, dim=1)

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


# ------------------------------------------------------------------------------- results
@dataclass
class NetworkResult(TrainResult):
    """What a network run produced: metrics rows on the log schedule (the columns of the
    surrogate's, so :func:`surrogate.plots.plot_curves` draws them), parameter checkpoints
    (``checkpoint_steps``, ``checkpoints``: name → (S, B, …) arrays), the grokking steps per
    instance and the final parameters.

    A quadratic network at a higher learning rate fits all 36 pairs of S3 xy within 20 steps:

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
    """

    checkpoint_steps: list[int] = field(default_factory=list)
    checkpoints: dict[str, list[np.ndarray]] = field(default_factory=dict)
    grok: list[dict] = field(default_factory=list)
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready summary (lists per instance, in instance order)."""
        cfg = self.config
        inst = cfg.instances
        ok = [s == "ok" for s in self.status]
        last = self.steps[-1] if self.steps else 0
        rows = sorted((r for r in self.rows if r["step"] == last), key=lambda r: r["instance"])

        def col(key):
            vals = [r.get(key, float("nan")) for r in rows]
            return [None if not good or v is None or (isinstance(v, float) and math.isnan(v))
                    else v for v, good in zip(vals, ok)]

        neurons = []
        for r in rows:
            per = {k[4:]: v for k, v in r.items() if k.startswith("act:") and v}
            neurons.append({"per_triplet": per, "mixed": r.get("mixed", 0),
                            "active": r.get("active", 0)})
        grok = self.grok or [{} for _ in inst]
        notes = []
        if self.train_mask is not None and self.train_mask.shape[1] <= 100 and any(
                i.train_fraction < 1 for i in inst):
            notes.append(f"{cfg.spec} {cfg.word} has only {self.train_mask.shape[1]} input "
                         "tuples: too few to generalise from a fraction of them")
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
            "notes": notes, "run_dir": self.run_dir, "seconds": self.seconds,
        }


# ------------------------------------------------------------------------------- run folders
class NetworkRunFolder(RunFolder):
    """A network run folder: the surrogate's layout (:mod:`surrogate.runs`, written atomically)
    with ``checkpoints.npz`` (steps (S,), E (S, B, k, n, M), b1, W, b2; float32) in place of
    factors/dynamics, and ``state.npz`` holding the full-precision parameters, AdamW moments,
    Grokfast EMAs and grokking steps. ``config.json`` carries ``"model": "network"``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> d = tempfile.mkdtemp()
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 8, 0.5), steps=5)
    >>> _ = train_network(cfg, run_dir=d, progress=False)
    >>> sorted(f.name for f in Path(d).iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['checkpoints.npz', 'config.json', 'metrics.csv', 'split.npz', 'state.npz',
     'summary.json']
    >>> folder = NetworkRunFolder(d)
    >>> folder.read_config() == cfg, folder.read_split().sum(1).tolist()  # 18 of 36 pairs
    (True, [18, 18])
    >>> with np.load(Path(d) / "checkpoints.npz") as z:
    ...     z["steps"].tolist(), z["W"].shape, z["W"].dtype.name
    ([0, 1, 2, 5], (4, 2, 8, 6), 'float32')
    """

    def read_config(self) -> NetworkConfig:
        import json

        d = json.loads(self._need("config.json").read_text())
        if d.get("format") != FORMAT:
            raise RunFolderError(f"{self.path}: unknown run-folder format {d.get('format')!r}")
        if d.get("config", {}).get("model") != "network":
            raise RunFolderError(f"{self.path} is not a network run folder (a surrogate run? "
                                 "read it with surrogate.runs.load_run)")
        return NetworkConfig.from_dict(d["config"])

    def write_log(self, result, analyzer=None) -> None:  # noqa: ARG002 (signature of RunFolder)
        atomic_write(self.path / "metrics.csv", csv_bytes(result.rows))
        atomic_write(self.path / "checkpoints.npz", npz_bytes(
            steps=np.array(result.checkpoint_steps, dtype=np.int64),
            **{p: np.stack(v) for p, v in result.checkpoints.items()}))

    def load_into(self, result, upto: int | None = None) -> None:
        rows = self.read_rows()
        result.rows = [r for r in rows if upto is None or r["step"] <= upto]
        result.steps = sorted({r["step"] for r in result.rows})
        ck = self.read_npz("checkpoints.npz")
        if ck:
            keep = [j for j, s in enumerate(ck["steps"]) if upto is None or s <= upto]
            result.checkpoint_steps = [int(ck["steps"][j]) for j in keep]
            result.checkpoints = {p: [ck[p][j] for j in keep] for p in PARAMS if p in ck}
        if result.rows:
            last = result.steps[-1]
            result.status = [r["status"] for r in sorted(result.rows, key=lambda r: r["instance"])
                             if r["step"] == last]


def is_network_run(path) -> bool:
    """True when ``path`` holds a network run folder (config.json with model "network").

    >>> import tempfile
    >>> from surrogate.config import SurrogateConfig
    >>> from surrogate.train import train
    >>> net, sur = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 8), steps=3), run_dir=net,
    ...                   progress=False)
    >>> _ = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=3), run_dir=sur, progress=False)
    >>> is_network_run(net), is_network_run(sur), is_network_run(tempfile.mkdtemp())
    (True, False, False)
    """
    import json
    from pathlib import Path

    p = Path(path) / "config.json"
    try:
        return json.loads(p.read_text()).get("config", {}).get("model") == "network"
    except (OSError, ValueError):
        return False


def load_network_run(path) -> NetworkResult:
    """A finished or interrupted network run folder as a :class:`NetworkResult` (final
    parameters and grokking steps from its saved state).

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> cfg = NetworkConfig("S3", "xy", network_grid(2, 16, 1.0, lr=3e-2), steps=20,
    ...                     eval_every=1, dtype="float64", log_per_decade=1)
    >>> res = train_network(cfg, run_dir=d, progress=False)
    >>> back = load_network_run(d)
    >>> back.config == cfg, back.steps, back.run_dir == d
    (True, [0, 1, 10, 20], True)
    >>> back.grok == res.grok, [g["step_train_100"] for g in back.grok]
    (True, [17, 18])
    >>> all(np.array_equal(back.params[p], res.params[p]) for p in PARAMS)  # full precision
    True
    """
    folder = NetworkRunFolder(path)
    cfg = folder.read_config()
    result = NetworkResult(cfg)
    folder.load_into(result)
    result.train_mask = folder.read_split()
    state = folder.read_state()
    if state is not None:
        result.grok = grok_records(np.asarray(state["step_train"]),
                                   np.asarray(state["step_test"]))
        result.params = {p: np.asarray(state[f"param_{p}"]) for p in PARAMS}
    result.run_dir = str(folder.path)
    return result


# ------------------------------------------------------------------------------- training
def train_network(config: NetworkConfig, *, tensor: WordTensor | None = None, device="cpu",
                  dtype=None, run_dir=None, resume: bool = False, progress: bool = True,
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

    >>> cfg = NetworkConfig("S3", "xy", network_grid(1, 8, 1.0), steps=10)
    >>> r = train_network(cfg, progress=False)
    >>> r.steps[-1], r.summary()["train_accuracy"][0] is not None
    (10, True)
    """
    from .network_analysis import NetworkAnalyzer

    t0 = time.perf_counter()
    tensor = tensor if tensor is not None else word_tensor(config.spec, config.word)
    if dtype is not None:
        config = config.replace(dtype=str(torch_dtype(dtype)).removeprefix("torch."))
    result = NetworkResult(config)
    writer = NetworkRunFolder(run_dir) if run_dir is not None else None
    train_mask, state, saved = (writer.open_for(config, resume) if writer is not None
                                else (None, None, None))
    net = BatchedNetwork(config, tensor, device=device, dtype=dtype, train_mask=train_mask,
                         compile=compile)
    analyzer = NetworkAnalyzer(tensor, device=net.device) if analyse else None
    result.train_mask = net.train_mask
    if analyzer is not None:
        result.bsc_names, result.support = analyzer.bsc_names, analyzer.support
    if writer is not None:
        writer.start(net, result, config, state, saved)

    schedule = set(log_schedule(config.steps, config.log_per_decade))
    ckpts = set(log_schedule(config.steps, config.checkpoint_per_decade))

    def log(step: int):
        if net.t % config.eval_every:
            net.evaluate_test()
        net.train_accuracy()
        result.rows += metric_rows(step, net, analyzer)
        result.steps.append(step)
        if step in ckpts or step == config.steps:
            result.checkpoint_steps.append(step)
            for p, v in net.numpy_params().items():
                result.checkpoints.setdefault(p, []).append(v.astype(np.float32))
        result.status = net.status()
        result.grok = net.grok_steps()
        if writer is not None:
            writer.write_log(result)
            writer.write_state(net.state_dict())

    if net.t == 0:
        net.evaluate_test()
        log(0)

    def postfix(net):
        acc = net.last_test_acc
        return f"test acc {np.nanmedian(acc):.3f}" if np.isfinite(acc).any() else ""

    run_steps(net, config.steps, schedule, log, writer, progress=progress,
              desc=f"network {config.spec} {config.word}", callback=callback,
              state_every_s=state_every_s, postfix=postfix)
    result.status = net.status()
    result.grok = net.grok_steps()
    result.params = net.numpy_params()
    result.seconds = time.perf_counter() - t0
    if writer is not None:
        result.run_dir = str(writer.path)
        writer.write_summary(result.summary())
    return result


def metric_rows(step: int, net: BatchedNetwork, analyzer) -> list[dict]:
    """The metrics.csv rows of one log step (losses and accuracies over all tuples; with an
    analyzer also the neuron counts per triplet and excluded / restricted losses)."""
    from .network_analysis import evaluate_all

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


# ------------------------------------------------------------------------------- sweeps
def train_networks(spec: str, word: str, widths, fractions, seeds=4, *,
                   steps: int = RECIPE["steps"], activation: str = RECIPE["activation"],
                   lr: float = RECIPE["lr"], weight_decay: float = RECIPE["weight_decay"],
                   init_scale: float = RECIPE["init_scale"], loss: str = RECIPE["loss"],
                   dtype: str = "float32", device="cpu", run_dir=None, resume: bool = False,
                   progress: bool = True, log_per_decade: int = 4, compile: bool = False,
                   **config_kw) -> tuple[np.ndarray, np.ndarray, NetworkResult]:
    """Train every (width, fraction, seed) as one batch: (test accuracy, train accuracy) arrays
    of shape (widths, fractions, seeds) (NaN: no held-out tuples or a diverged instance) and the
    result.

    >>> te, tr, _ = train_networks("S3", "xy", [4, 8], [0.5, 1.0], 1, steps=5, progress=False)
    >>> te.shape
    (2, 2, 1)
    """
    widths, fractions = [int(w) for w in widths], [float(f) for f in fractions]
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    cfg = NetworkConfig(spec, word, grid(seeds, widths, fractions, lr=lr,
                                         weight_decay=weight_decay, init_scale=init_scale),
                        steps=steps, activation=activation, loss=loss, dtype=dtype,
                        log_per_decade=log_per_decade, **config_kw)
    res = train_network(cfg, device=device, run_dir=run_dir, resume=resume, progress=progress,
                        compile=compile)
    s = res.summary()
    shape = (len(widths), len(fractions), len(seeds))

    def arr(key):
        return np.array([np.nan if v is None else v for v in s[key]], dtype=float).reshape(shape)

    return arr("test_accuracy"), arr("train_accuracy"), res


def network_phase_diagram(spec: str, word: str, widths, fractions, seeds=4, *,
                          rank_bounds_=None, **kw):
    """The width × training-fraction phase diagram of networks as a
    :class:`surrogate.phase.PhaseResult` (draw it with :func:`surrogate.phase.plot_phase`);
    keyword arguments go to :func:`train_networks`. Writes ``phase.json`` into ``run_dir``.

    >>> pr = network_phase_diagram("S3", "xy", [8], [0.5, 1.0], 1, steps=5, progress=False)
    >>> pr.test_acc.shape
    (1, 2, 1)
    """
    from pathlib import Path

    from .phase import PhaseResult, rank_bounds

    widths, fractions = [int(w) for w in widths], [float(f) for f in fractions]
    seeds = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    te, tr, res = train_networks(spec, word, widths, fractions, seeds, **kw)
    tensor = word_tensor(spec, word)
    out = PhaseResult(spec, word, widths, fractions, seeds, te, tr,
                      rank_bounds(tensor, rank_bounds_), res.run_dir,
                      [e for e in res.summary()["errors"] if e])
    if res.run_dir is not None:
        d = out.to_dict() | {"model": "network", "activation": res.config.activation}
        write_json(Path(res.run_dir) / "phase.json", d)
    return out
