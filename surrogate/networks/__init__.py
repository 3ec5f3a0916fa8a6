"""surrogate.networks: two-layer networks logits = W σ(E₁[a] + E₂[b] + b₁) + b₂ that learn a
word — the grokking recipe, configuration, model, AdamW update, batched trainer, results, run
folder, sweeps, and the analysis of what they compute along bscs.

>>> from surrogate.networks import NetworkConfig, network_grid, train_network
>>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 8, 1.0), steps=10),
...                     progress=False)
>>> res.params["E"].shape
(1, 2, 6, 8)
"""

# ruff: noqa: F401

from typing import TYPE_CHECKING

from ..exports import lazy_exports

_OWNERS = {
    "RECIPE": ".recipes", "recipe": ".recipes", "network_grid": ".recipes",
    "NetworkConfig": ".config", "BatchedNetwork": ".trainer", "train_network": ".trainer",
    "NetworkResult": ".result", "NetworkRunFolder": ".runs", "load_network_run": ".runs",
    "is_network_run": ".runs", "network_phase_diagram": ".sweeps",
    "NetworkAnalyzer": ".analysis", "neuron_boxes": ".analysis",
    "bilinear_analysis": ".bilinear", "interaction_cp": ".bilinear",
    "plot_network_run": ".plots",
}

__all__ = list(_OWNERS)

__getattr__, __dir__ = lazy_exports(__name__, _OWNERS)

if TYPE_CHECKING:  # the names, for type checkers and IDEs (re-exported through __all__)
    from .analysis import NetworkAnalyzer, neuron_boxes
    from .bilinear import bilinear_analysis, interaction_cp
    from .config import NetworkConfig
    from .plots import plot_network_run
    from .recipes import RECIPE, network_grid, recipe
    from .result import NetworkResult
    from .runs import NetworkRunFolder, is_network_run, load_network_run
    from .sweeps import network_phase_diagram
    from .trainer import BatchedNetwork, train_network
