"""Tensor inputs of the CP engine: dense arrays, word tensors and COO triples.

A :class:`Problem` holds the target tensor scaled to unit Frobenius norm (so that tolerances and
regularisation weights mean the same for every input) and offers the two operations every solver
needs, batched over a leading "restart" dimension ``B``:

* ``mttkrp(factors, mode)``: the matricised-tensor times Khatri-Rao product
  ``M[b, i, r] = sum_{idx: idx_mode = i} T[idx] prod_{k != mode} F_k[b, idx_k, r]``,
  in ``O(nnz * R)`` for sparse inputs (never the dense ``prod(shape) * R``), by gathering the
  factor rows at the non-zeros and scattering into the output rows;
* ``sq_error(factors)``: ``||T - [[F]]||^2``, either from Gram matrices and one MTTKRP
  (cheap, but with an absolute floor of about ``1e-16`` on the squared error, i.e. ``1e-8`` on
  the relative error) or from the dense reconstruction (exact up to rounding; used when the dense
  tensor is small enough, see ``accurate``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import TensorTooLargeError, WordTensorError
from ._verify import not_a_tensor

#: Dense residuals are evaluated (batched) when restarts * prod(shape) * rank is at most this.
ACCURATE_BUDGET = 1 << 25

#: Chunk sizes are chosen so that one gathered block has at most this many entries.
_CHUNK_ENTRIES = 1 << 22


def _letters(n: int) -> str:
    return "abcdefghijklmnopqstuvw"[:n]


@dataclass
class Problem:
    """The target of a CP search (see the module docstring)."""

    shape: tuple[int, ...]
    norm: float  # Frobenius norm of the original tensor
    device: torch.device
    dtype: torch.dtype
    dense: torch.Tensor | None = None  # normalised dense tensor, if stored densely
    coords: torch.Tensor | None = None  # (nnz, N) int64, if sparse
    values: torch.Tensor | None = None  # (nnz,) normalised values, if sparse
    #: word tensors: ``table[a_1, ..., a_k]`` = output index, every value ``table_value``
    #: (coords/values are kept too); MTTKRPs then need no scatter for the input modes
    table: torch.Tensor | None = None
    table_value: float = 0.0
    _dense_cache: torch.Tensor | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def sparse(self) -> bool:
        return self.coords is not None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nnz(self) -> int:
        return int(self.values.numel()) if self.sparse else self.size

    def to(self, dtype: torch.dtype) -> Problem:
        """The same problem with values in ``dtype``."""
        if dtype == self.dtype:
            return self
        return Problem(self.shape, self.norm, self.device, dtype,
                       None if self.dense is None else self.dense.to(dtype),
                       self.coords, None if self.values is None else self.values.to(dtype),
                       self.table, self.table_value)

    # ---------------------------------------------------------------------------------- dense
    def dense_tensor(self) -> torch.Tensor:
        """The normalised dense tensor (built once from the sparse form if needed)."""
        if self.dense is not None:
            return self.dense
        if self._dense_cache is None:
            out = torch.zeros(self.size, dtype=self.dtype, device=self.device)
            flat = torch.zeros(self.coords.shape[0], dtype=torch.int64, device=self.device)
            for k, s in enumerate(self.shape):
                flat = flat * s + self.coords[:, k]
            out.index_add_(0, flat, self.values)
            self._dense_cache = out.reshape(self.shape)
        return self._dense_cache

    def accurate(self, batch: int, rank: int) -> bool:
        """Whether dense residuals for ``batch`` restarts at ``rank`` are affordable."""
        return batch * self.size * max(rank, 1) <= ACCURATE_BUDGET

    # --------------------------------------------------------------------------------- mttkrp
    def mttkrp(self, factors: list[torch.Tensor], mode: int) -> torch.Tensor:
        """``(B, I_mode, R)`` MTTKRP of the normalised tensor with batched factors."""
        if self.table is not None:
            return _table_mttkrp(self.table, self.table_value, factors, mode, self.shape[mode])
        if self.sparse:
            return _sparse_mttkrp(self.coords, self.values, factors, mode, self.shape[mode])
        return dense_mttkrp(self.dense, factors, mode)

    def residual(self, factors: list[torch.Tensor]) -> torch.Tensor:
        """Dense batched residual ``[[F]] - T`` (only for small tensors; see ``accurate``)."""
        return reconstruct(factors) - self.dense_tensor()

    def inner(self, factors: list[torch.Tensor], mttkrp0: torch.Tensor | None = None) -> torch.Tensor:
        """``<T, [[F]]>`` per restart (``mttkrp0``: a precomputed mode-0 MTTKRP)."""
        M = self.mttkrp(factors, 0) if mttkrp0 is None else mttkrp0
        return (M * factors[0]).sum(dim=(1, 2))

    def sq_error(self, factors: list[torch.Tensor], *, accurate: bool | None = None,
                 mttkrp0: torch.Tensor | None = None) -> torch.Tensor:
        """``||T - [[F]]||^2`` per restart (normalised tensor, so this is the squared relative
        error); dense when ``accurate`` (default: when affordable), from Grams otherwise."""
        B, _, R = factors[0].shape
        if accurate is None:
            accurate = self.accurate(B, R)
        if accurate:
            T = self.dense_tensor()
            out = []
            step = max(1, ACCURATE_BUDGET // max(1, self.size * R))
            for s in range(0, B, step):
                X = reconstruct([F[s:s + step] for F in factors])
                out.append(((X - T) ** 2).reshape(X.shape[0], -1).sum(1))
            return torch.cat(out)
        G = gram_hadamard([F.transpose(1, 2) @ F for F in factors])
        xx = G.sum(dim=(1, 2))
        return (1.0 - 2.0 * self.inner(factors, mttkrp0) + xx).clamp_min(0.0)


def gram_hadamard(grams: list[torch.Tensor], skip: tuple[int, ...] = ()) -> torch.Tensor:
    """Hadamard product of the Gram matrices not in ``skip``."""
    out = None
    for k, G in enumerate(grams):
        if k in skip:
            continue
        out = G.clone() if out is None else out * G
    if out is None:
        B, R, _ = grams[0].shape
        return torch.ones(B, R, R, dtype=grams[0].dtype, device=grams[0].device)
    return out


def reconstruct(factors: list[torch.Tensor]) -> torch.Tensor:
    """Batched dense reconstruction ``(B, I_1, ..., I_N)`` of batched factors ``(B, I_k, R)``."""
    L = _letters(len(factors))
    spec = ",".join(f"z{c}r" for c in L) + f"->z{L}"
    return torch.einsum(spec, *factors)


def dense_mttkrp(T: torch.Tensor, factors: list[torch.Tensor], mode: int) -> torch.Tensor:
    """Batched MTTKRP of a dense tensor ``T`` (no batch dimension) by einsum."""
    L = _letters(T.ndim)
    ops = [f"z{c}r" for k, c in enumerate(L) if k != mode]
    spec = L + "," + ",".join(ops) + f"->z{L[mode]}r"
    return torch.einsum(spec, T, *[F for k, F in enumerate(factors) if k != mode])


def batched_mttkrp(X: torch.Tensor, factors: list[torch.Tensor], mode: int) -> torch.Tensor:
    """MTTKRP of a batch of dense tensors ``X`` (shape ``(B, I_1, ..., I_N)``)."""
    L = _letters(X.ndim - 1)
    ops = [f"z{c}r" for k, c in enumerate(L) if k != mode]
    spec = f"z{L}," + ",".join(ops) + f"->z{L[mode]}r"
    return torch.einsum(spec, X, *[F for k, F in enumerate(factors) if k != mode])


def _table_mttkrp(table: torch.Tensor, value: float, factors: list[torch.Tensor], mode: int,
                  rows: int) -> torch.Tensor:
    """MTTKRP of a word tensor ``T[a, c] = value [c = table[a]]`` (``a`` = all input modes).

    Output mode: the Khatri-Rao product of the input factors scattered by the table.  Input
    mode ``m``: the output factor gathered through the table (a row gather), times the other
    input factors, summed over the other inputs.  ``O(n^k R)`` either way, chunked over the
    first input; elementwise products and sums (memory-bound, no dense ``n^(k+1)`` work).
    """
    B, _, R = factors[0].shape
    k = table.ndim
    ins, last = factors[:k], factors[k]
    per_row = max(1, table[0].numel() if k > 1 else 1)
    chunk = max(1, _CHUNK_ENTRIES // max(1, B * R * per_row))

    def bcast(F: torch.Tensor, j: int) -> torch.Tensor:
        shape = [B] + [1] * k + [R]
        shape[1 + j] = F.shape[1]
        return F.reshape(shape)

    if mode == k:
        out = last.new_zeros(B, rows, R)
        for s in range(0, table.shape[0], chunk):
            sub = table[s:s + chunk]
            kr = bcast(ins[0][:, s:s + chunk], 0)
            for j in range(1, k):
                kr = kr * bcast(ins[j], j)
            out.index_add_(1, sub.reshape(-1), kr.reshape(B, -1, R))
        return out * value
    axes = tuple(1 + j for j in range(k) if j != mode)
    parts, out = [], None
    for s in range(0, table.shape[0], chunk):
        sub = table[s:s + chunk]
        g = last.index_select(1, sub.reshape(-1)).reshape(B, *sub.shape, R)
        for j in range(k):
            if j != mode:
                g = g * bcast(ins[j][:, s:s + chunk] if j == 0 else ins[j], j)
        red = g.sum(dim=axes) if axes else g.reshape(B, -1, R)
        if mode == 0:
            parts.append(red)
        else:
            out = red if out is None else out + red
    return (torch.cat(parts, dim=1) if mode == 0 else out) * value


def _sparse_mttkrp(coords: torch.Tensor, values: torch.Tensor, factors: list[torch.Tensor],
                   mode: int, rows: int) -> torch.Tensor:
    B, _, R = factors[0].shape
    nnz = coords.shape[0]
    out = factors[0].new_zeros(B, rows, R)
    chunk = max(1, _CHUNK_ENTRIES // max(1, B * R))
    for s in range(0, nnz, chunk):
        c = coords[s:s + chunk]
        prod = values[s:s + chunk].view(1, -1, 1)
        for k, F in enumerate(factors):
            if k != mode:
                prod = prod * F[:, c[:, k], :]
        out.index_add_(1, c[:, mode], prod)
    return out


# -------------------------------------------------------------------------------- input parsing


def _check_finite(vals: np.ndarray | torch.Tensor, what: str) -> None:
    ok = torch.isfinite(vals).all() if isinstance(vals, torch.Tensor) else np.isfinite(vals).all()
    if not bool(ok):
        raise WordTensorError(f"{what} contains NaN or infinite entries; a CP search needs a "
                              "finite tensor")


def _check_shape(shape: tuple[int, ...], what: str) -> tuple[int, ...]:
    if len(shape) < 3:
        raise WordTensorError(f"{what} has {len(shape)} modes (shape {shape}); CP search needs "
                              "a tensor with at least 3 modes (a matrix's rank is its SVD rank)")
    if any(int(s) < 1 for s in shape):
        raise WordTensorError(f"{what} has an empty mode (shape {shape})")
    return tuple(int(s) for s in shape)


def as_problem(tensor: object, *, device: str | torch.device = "cpu",
               dtype: torch.dtype = torch.float64, sparse: bool | None = None) -> Problem:
    """Wrap ``tensor`` as a :class:`Problem`.

    Accepted: a dense numpy array or torch tensor with at least 3 modes; a
    :class:`~wordtensor.WordTensor` (sparse, from ``.coords``); a ``(coords, values, shape)``
    triple (COO, duplicates summed). ``sparse`` forces the storage (default: dense for dense
    input, sparse for the other two).
    """
    from ..tensors import WordTensor

    device = torch.device(device)
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise WordTensorError(f"dtype must be a floating torch dtype, got {dtype!r}")
    if isinstance(tensor, Problem):
        return tensor.to(dtype)
    if isinstance(tensor, WordTensor):
        shape = _check_shape(tensor.shape, repr(tensor))
        coords = np.asarray(tensor.coords, dtype=np.int64)
        values = np.ones(coords.shape[0])
        problem = _from_coo(coords, values, shape, device, dtype, sparse, repr(tensor))
        if problem.sparse:
            problem.table = torch.as_tensor(np.asarray(tensor.image, dtype=np.int64),
                                            device=device).reshape(shape[:-1])
            problem.table_value = 1.0 / problem.norm
        return problem
    if isinstance(tensor, tuple) and len(tensor) == 3 and not isinstance(tensor[0], (int, float)):
        coords, values, shape = tensor
        try:
            shape = tuple(int(s) for s in shape)
            coords = np.asarray(torch.as_tensor(coords).cpu().numpy() if isinstance(
                coords, torch.Tensor) else coords)
            values = np.asarray(values.detach().cpu().numpy() if isinstance(
                values, torch.Tensor) else values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise WordTensorError("a sparse tensor must be given as (coords, values, shape) with "
                                  "integer coords of shape (nnz, ndim)") from exc
        shape = _check_shape(shape, "the sparse tensor")
        if coords.ndim != 2 or coords.shape[1] != len(shape) or coords.shape[0] != values.size:
            raise WordTensorError(
                f"coords must have shape (nnz, {len(shape)}) = ({values.size}, {len(shape)}) to "
                f"match values and shape {shape}, got {coords.shape}")
        if not np.issubdtype(coords.dtype, np.integer):
            if not np.all(np.equal(np.mod(coords, 1), 0)):
                raise WordTensorError("coords must be integers")
        coords = coords.astype(np.int64)
        if coords.size and (coords.min() < 0 or np.any(coords.max(0) >= np.array(shape))):
            raise WordTensorError(f"coords out of range for shape {shape}")
        _check_finite(values, "the sparse tensor")
        return _from_coo(coords, values, shape, device, dtype, sparse, "the sparse tensor")
    if isinstance(tensor, torch.Tensor):
        arr = tensor.detach()
        if arr.is_sparse:
            arr = arr.coalesce()
            return as_problem((arr.indices().T, arr.values(), tuple(arr.shape)),
                              device=device, dtype=dtype, sparse=sparse)
    else:
        try:
            arr = np.asarray(tensor, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise not_a_tensor(tensor) from exc
    shape = _check_shape(tuple(arr.shape), "the tensor")
    _check_finite(arr, "the tensor")
    T = torch.as_tensor(arr).to(device=device, dtype=torch.float64)
    norm = float(torch.linalg.vector_norm(T))
    if norm == 0:
        raise WordTensorError("the tensor is zero; its rank is 0 and there is nothing to search")
    if sparse:
        idx = torch.nonzero(T)
        return Problem(shape, norm, device, dtype, coords=idx,
                       values=(T[tuple(idx.T)] / norm).to(dtype))
    return Problem(shape, norm, device, dtype, dense=(T / norm).to(dtype))


def _from_coo(coords: np.ndarray, values: np.ndarray, shape: tuple[int, ...], device, dtype,
              sparse: bool | None, what: str) -> Problem:
    # sum duplicates, drop zeros
    if coords.shape[0]:
        flat = np.ravel_multi_index(tuple(coords.T), shape)
        uniq, inv = np.unique(flat, return_inverse=True)
        vals = np.zeros(uniq.size)
        np.add.at(vals, inv, values)
        keep = vals != 0
        coords = np.stack(np.unravel_index(uniq[keep], shape), axis=1)
        values = vals[keep]
    norm = float(np.sqrt(np.sum(values**2)))
    if norm == 0:
        raise WordTensorError(f"{what} is zero; its rank is 0 and there is nothing to search")
    if sparse is False:
        size = math.prod(shape)
        if size > 1 << 28:
            raise TensorTooLargeError(f"a dense {shape} tensor has {size} entries; keep it sparse")
        T = torch.zeros(shape, dtype=torch.float64, device=device)
        T[tuple(torch.as_tensor(coords.T, device=device))] = torch.as_tensor(values, device=device)
        return Problem(shape, norm, torch.device(device), dtype, dense=(T / norm).to(dtype))
    return Problem(shape, norm, torch.device(device), dtype,
                   coords=torch.as_tensor(coords, dtype=torch.int64, device=device),
                   values=torch.as_tensor(values / norm, dtype=dtype, device=device))
