"""Independent float64 checks of CP decompositions (numpy only, no solver code).

``relative_error`` reconstructs the decomposition densely in float64, in slabs along the first
mode so that large sparse targets never need their full dense form at once, and compares it
entry by entry with the *original* input values (not the solver's normalised copy).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import WordTensorError

_SLAB_ENTRIES = 1 << 23


def cp_arrays(cp: object, what: str = "cp") -> tuple[np.ndarray, list[np.ndarray]]:
    """``(weights, factors)`` of a CPTensor or a ``(weights, factors)`` pair, as float64 arrays
    (``weights=None``: all ones), with a :class:`~wordtensor.errors.WordTensorError` naming
    ``what`` when they do not fit together. The one reader of CP decompositions: the CP engine
    and ``fusion.algebras`` (as ``cp_parts``) both use it.

    >>> w, (A, B) = cp_arrays((None, [np.ones((2, 3)), np.ones((4, 3))]))
    >>> w.tolist(), A.shape, B.shape
    ([1.0, 1.0, 1.0], (2, 3), (4, 3))
    """
    try:
        weights, factors = cp  # type: ignore[misc]
        factors = [np.asarray(f, dtype=np.float64) for f in factors]
    except (TypeError, ValueError, IndexError) as exc:
        raise WordTensorError(f"{what} must be a CPTensor or a (weights, factors) pair") from exc
    if not factors or any(f.ndim != 2 for f in factors):
        raise WordTensorError(f"{what}: every CP factor must be a 2-d array (rows x rank)")
    R = factors[0].shape[1]
    if any(f.shape[1] != R for f in factors):
        raise WordTensorError(f"{what}: CP factors disagree on the rank: "
                              f"{[f.shape for f in factors]}")
    try:
        w = np.ones(R) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise WordTensorError(f"{what}: CP weights must be numbers") from exc
    if w.shape != (R,):
        raise WordTensorError(f"{what}: CP weights have shape {w.shape}, expected ({R},)")
    return w, factors


def not_a_tensor(tensor: object) -> WordTensorError:
    """The error for an input that is no tensor (one message for every reader of tensors)."""
    return WordTensorError(f"cannot use {type(tensor).__name__} as a tensor: give a numpy array, "
                           "a torch tensor, a WordTensor or a (coords, values, shape) triple")


class Target:
    """The input tensor in numpy float64: dense, or sparse COO sorted by the first mode."""

    def __init__(self, tensor: object):
        try:
            if tensor is None or isinstance(tensor, (str, bytes)):
                raise TypeError(type(tensor).__name__)
            self._read(tensor)
        except WordTensorError:
            raise
        except (TypeError, ValueError, IndexError) as exc:
            raise not_a_tensor(tensor) from exc
        if not math.isfinite(self.norm):
            raise WordTensorError("the tensor has NaN or infinite entries")

    def _read(self, tensor: object) -> None:
        from ..tensors import WordTensor

        self.dense: np.ndarray | None = None
        if isinstance(tensor, WordTensor):
            self.shape = tuple(tensor.shape)
            self.coords = np.asarray(tensor.coords, dtype=np.int64)
            self.values = np.ones(self.coords.shape[0])
        elif isinstance(tensor, tuple) and len(tensor) == 3:
            coords, values, shape = tensor
            self.shape = tuple(int(s) for s in shape)
            self.coords = np.asarray(_np(coords), dtype=np.int64).reshape(-1, len(self.shape))
            self.values = np.asarray(_np(values), dtype=np.float64).reshape(-1)
        else:
            self.dense = np.asarray(_np(tensor), dtype=np.float64)
            self.shape = self.dense.shape
        if self.dense is None:
            order = np.argsort(self.coords[:, 0], kind="stable")
            self.coords, self.values = self.coords[order], self.values[order]
            self.norm = float(np.sqrt(np.sum(_sum_duplicates(self.coords, self.values,
                                                             self.shape)[1] ** 2)))
        else:
            self.norm = float(np.linalg.norm(self.dense))

    def slab(self, start: int, stop: int) -> np.ndarray:
        """Dense ``T[start:stop]`` (first mode)."""
        if self.dense is not None:
            return self.dense[start:stop]
        lo, hi = np.searchsorted(self.coords[:, 0], [start, stop])
        out = np.zeros((stop - start,) + tuple(self.shape[1:]))
        c = self.coords[lo:hi].copy()
        c[:, 0] -= start
        np.add.at(out, tuple(c.T), self.values[lo:hi])
        return out


def _np(x: object) -> object:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach()
            if x.is_sparse:
                x = x.to_dense()
            return x.cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    return x


def _sum_duplicates(coords: np.ndarray, values: np.ndarray, shape) -> tuple[np.ndarray, np.ndarray]:
    if coords.shape[0] == 0:
        return coords, values
    flat = np.ravel_multi_index(tuple(coords.T), shape)
    uniq, inv = np.unique(flat, return_inverse=True)
    vals = np.zeros(uniq.size)
    np.add.at(vals, inv, values)
    return uniq, vals


def _einsum_spec(N: int) -> str:
    L = "abcdefghijklmnopq"[:N]
    return ",".join(f"{c}z" for c in L) + "->" + L


def residual_norm(cp: object, target: Target) -> float:
    """``||T - [[cp]]||_F`` in float64, in slabs along the first mode."""
    w, F = cp_arrays(cp)
    shape = tuple(f.shape[0] for f in F)
    if shape != tuple(target.shape):
        raise WordTensorError(f"the decomposition has shape {shape} but the tensor has shape "
                              f"{tuple(target.shape)}")
    F = [F[0] * w] + F[1:]
    rest = max(1, math.prod(shape[1:]))
    step = max(1, _SLAB_ENTRIES // (rest * max(1, F[0].shape[1] // 8 + 1)))
    spec = _einsum_spec(len(F))
    total = 0.0
    for s in range(0, shape[0], step):
        e = min(shape[0], s + step)
        X = np.einsum(spec, F[0][s:e], *F[1:], optimize=True)
        total += float(np.sum((X - target.slab(s, e)) ** 2))
    return math.sqrt(total)


def max_flattening_rank(tensor: object) -> int:
    """The largest rank of a mode-k unfolding (the body of ``flattening_bound``): exactly over
    Q by :func:`wordtensor.linalg.flattening_rank` when the entries are integers, numerically
    otherwise."""
    from ..linalg import flattening_rank

    t = tensor if isinstance(tensor, Target) else Target(tensor)
    if t.dense is not None:
        coo = (np.argwhere(t.dense != 0), t.dense[t.dense != 0], t.shape)
    else:
        coo = (t.coords, t.values, t.shape)
    exact = bool(np.all(np.isfinite(coo[1])) and np.array_equal(np.rint(coo[1]), coo[1]))
    if exact:
        coo = (coo[0], np.rint(coo[1]).astype(np.int64), coo[2])
    return max(flattening_rank(coo, (k,), exact=exact) for k in range(len(t.shape)))


def relative_error(cp: object, tensor: object) -> float:
    """Relative Frobenius error ``||T - [[cp]]|| / ||T||`` in float64, computed from the input
    ``tensor`` (dense array, WordTensor or ``(coords, values, shape)``) without the solver.

    >>> import numpy as np
    >>> from tensorly.cp_tensor import CPTensor
    >>> a = np.array([[1.0], [2.0]])
    >>> relative_error(CPTensor((np.ones(1), [a, a, a])), np.einsum("i,j,k->ijk", *[a[:, 0]] * 3))
    0.0
    """
    target = tensor if isinstance(tensor, Target) else Target(tensor)
    shape = tuple(f.shape[0] for f in cp_arrays(cp)[1])
    if shape != tuple(target.shape):
        raise WordTensorError(f"the decomposition has shape {shape} but the tensor has shape "
                              f"{tuple(target.shape)}")
    if target.norm == 0:
        raise WordTensorError("relative error of a zero tensor is undefined")
    return residual_norm(cp, target) / target.norm


def symptoms(cp: object, tensor_norm: float, norm_growth: float = math.nan):
    """Border-rank symptoms (:class:`~wordtensor.cp.Symptoms`) of ``cp`` for a target of
    Frobenius norm ``tensor_norm``."""
    from ._results import Symptoms

    w, F = cp_arrays(cp)
    R = F[0].shape[1]
    col = np.stack([np.linalg.norm(f, axis=0) for f in F])  # (N, R)
    comp = np.abs(w) * np.prod(col, axis=0)
    # ||sum x_r||^2 = sum_{r,s} w_r w_s prod_k <f_k r, f_k s>
    G = np.outer(w, w)
    for f in F:
        G = G * (f.T @ f)
    total = math.sqrt(max(float(G.sum()), 0.0))
    ratio = total / float(comp.sum()) if comp.sum() > 0 else 1.0
    cong = np.ones((R, R))
    for f, n in zip(F, col):
        n = np.where(n > 0, n, 1.0)
        cong = cong * ((f.T @ f) / np.outer(n, n))
    cong = cong * np.sign(np.outer(w, w))
    np.fill_diagonal(cong, np.inf)
    min_cong = float(cong.min()) if R > 1 else 1.0
    return Symptoms(max_component_norm=float(comp.max() / tensor_norm) if R else 0.0,
                    norm_ratio=float(ratio), min_congruence=min_cong,
                    norm_growth=float(norm_growth), rank=int(R))
