"""surrogate.cp: the CP surrogate f̂(a_1, …, a_k) = Σ_r u¹_r[a_1] ⋯ u^k_r[a_k] w_r — its model
(:mod:`~surrogate.cp.model`), configuration, batched trainer, dynamics metrics, results and
run folder.

>>> from surrogate.config import grid
>>> from surrogate.cp import SurrogateConfig, train
>>> res = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=20), progress=False)
>>> res.final_factors.shape
(1, 3, 6, 9)
"""

# ruff: noqa: F401

from typing import TYPE_CHECKING

from ..exports import lazy_exports

_OWNERS = {
    "SurrogateConfig": ".config", "BatchedCP": ".trainer", "train": ".trainer",
    "TrainResult": ".result", "Analyzer": ".metrics", "SurrogateRunFolder": ".runs",
    "load_run": ".runs", "load_config": ".runs",
    "init_factors": ".model", "dense_tensor": ".model",
    "to_cp_tensor": ".model", "loss_and_grad": ".model",
}

__all__ = list(_OWNERS)

__getattr__, __dir__ = lazy_exports(__name__, _OWNERS)

if TYPE_CHECKING:  # the names, for type checkers and IDEs (re-exported through __all__)
    from .config import SurrogateConfig
    from .metrics import Analyzer
    from .model import dense_tensor, init_factors, loss_and_grad, to_cp_tensor
    from .result import TrainResult
    from .runs import SurrogateRunFolder, load_config, load_run
    from .trainer import BatchedCP, train
