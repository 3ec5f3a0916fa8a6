"""surrogate: the CP surrogate of a word tensor and its gradient-descent dynamics.

f̂(a, b) = Σ_k u_k[a] v_k[b] w_k, trained by plain GD or Adam on a fraction of the pairs,
batched over seeds / widths / hyper-parameters (a leading instance dimension), on CPU or CUDA.

>>> from surrogate import SurrogateConfig, grid, train
>>> res = train(SurrogateConfig("S3", "xy", grid(2, 9), steps=50), progress=False)
>>> len(res.summary()["test_accuracy"])
2
"""

from .config import ConfigError, Instance, SurrogateConfig, grid
from .metrics import Analyzer
from .model import cp_tensor, init_factors, loss_and_grad, predict
from .runs import RunFolder, RunFolderError, load_config, load_run
from .train import BatchedCP, TrainResult, grokking_steps, log_schedule, make_split, train

__all__ = [
    "Instance", "SurrogateConfig", "grid", "ConfigError",
    "init_factors", "predict", "cp_tensor", "loss_and_grad",
    "Analyzer",
    "BatchedCP", "TrainResult", "train", "log_schedule", "make_split", "grokking_steps",
    "RunFolder", "RunFolderError", "load_run", "load_config",
]
