"""Thread control for small CPU problems.

The systems of a CP search are small (hundreds of unknowns); on CPU, splitting them over
threads costs more than it gains, and on a loaded machine it can cost several times the
single-thread time.  ``cpu_threads`` sets torch's intra-op threads for the duration of a call
and restores the previous value afterwards.
"""

from __future__ import annotations

import contextlib

import torch

from .. import validate


@contextlib.contextmanager
def cpu_threads(threads: int | None, device: torch.device, work: float):
    """Use ``threads`` torch threads inside the block (``None``: 1 when ``device`` is the CPU
    and ``work`` -- flops of one solver step -- is below 5e7, else leave unchanged)."""
    if threads is not None:
        threads = validate.threads(threads, "threads")
    if threads is None:
        threads = 1 if device.type == "cpu" and work < 5e7 else None
    if threads is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(old)
