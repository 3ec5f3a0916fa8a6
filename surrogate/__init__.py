"""surrogate: the CP surrogate of a word tensor and two-layer networks, trained by gradient
descent, their dynamics read along bscs, and their comparison with the rank bounds.

f̂(a, b) = Σ_k u_k[a] v_k[b] w_k (the CP surrogate, :mod:`surrogate.cp`) and
logits(a, b) = W σ(E₁[a] + E₂[b] + b₁) + b₂ (the networks, :mod:`surrogate.networks`), trained
on a fraction of the pairs, batched over seeds / widths / hyper-parameters (a leading instance
dimension), on CPU or CUDA. Names are imported when first used, so importing the package is
cheap.

>>> from surrogate import SurrogateConfig, grid, train
>>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=50), progress=False)
>>> len(res.summary()["test_accuracy"]), res.cp_tensor(0).rank
(2, 9)
"""

# ruff: noqa: F401

from typing import TYPE_CHECKING

from .exports import lazy_exports

_OWNERS = {
    "Instance": ".config", "grid": ".config", "ConfigError": ".config",
    "SurrogateConfig": ".cp.config", "train": ".cp.trainer", "BatchedCP": ".cp.trainer",
    "TrainResult": ".cp.result", "Analyzer": ".cp.metrics", "load_run": ".cp.runs",
    "load_config": ".cp.runs",
    "NetworkConfig": ".networks.config", "network_grid": ".networks.recipes",
    "recipe": ".networks.recipes", "RECIPE": ".networks.recipes",
    "train_network": ".networks.trainer", "BatchedNetwork": ".networks.trainer",
    "NetworkResult": ".networks.result", "load_network_run": ".networks.runs",
    "RunFolderError": ".folders",
    "phase_diagram": ".phase", "PhaseResult": ".phase",
    "run_phase": ".phase_sweep", "phase_cell": ".phase_sweep",
    "network_phase_diagram": ".networks.sweeps",
    "compare": ".comparison", "compare_text": ".comparison",
    "plot_run": ".plots", "plot_curves": ".plots", "plot_phase": ".plots",
    "plot_compare": ".plots", "plot_network_run": ".networks.plots",
}

__all__ = list(_OWNERS)

__getattr__, __dir__ = lazy_exports(__name__, _OWNERS)

if TYPE_CHECKING:  # the names, for type checkers and IDEs (re-exported through __all__)
    from .comparison import compare, compare_text
    from .config import ConfigError, Instance, grid
    from .cp.config import SurrogateConfig
    from .cp.metrics import Analyzer
    from .cp.result import TrainResult
    from .cp.runs import load_config, load_run
    from .cp.trainer import BatchedCP, train
    from .folders import RunFolderError
    from .networks.config import NetworkConfig
    from .networks.plots import plot_network_run
    from .networks.recipes import RECIPE, network_grid, recipe
    from .networks.result import NetworkResult
    from .networks.runs import load_network_run
    from .networks.sweeps import network_phase_diagram
    from .networks.trainer import BatchedNetwork, train_network
    from .phase import PhaseResult, phase_diagram
    from .phase_sweep import phase_cell, run_phase
    from .plots import plot_compare, plot_curves, plot_phase, plot_run
