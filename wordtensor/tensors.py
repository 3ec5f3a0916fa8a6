"""Word tensors: δ[a1, ..., ak, c] = 1 iff w(g_a1, ..., g_ak) = g_c (inputs first, output last).

Stored sparsely by the value table of the word map (n^k entries); the dense (k+1)-way array is
built on request and refused, with its size, when it would not fit in memory.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import DTypeLike

from .errors import ParameterError, TensorTooLargeError
from .groups import Group, as_group
from .sizes import available_memory, fmt_bytes, memory_limit
from .validate import device as check_device
from .validate import integer
from .words import Word

if TYPE_CHECKING:
    import torch

__all__ = ["WordTensor", "word_tensor", "available_memory"]


def _check_bytes(nbytes: int, max_bytes: int | None, what: str) -> None:
    if max_bytes is not None:
        max_bytes = integer(max_bytes, "max_bytes", minimum=0)
    limit = memory_limit() if max_bytes is None else max_bytes
    if nbytes > limit:
        raise TensorTooLargeError(
            f"{what} needs {fmt_bytes(nbytes)}, more than the {fmt_bytes(limit)} allowed "
            "(the size model's limit: --max-memory or WORDTENSOR_MAX_MEMORY, max_bytes in "
            "Python); use the sparse form (.image, .coords) or a smaller group or word")


class WordTensor:
    """The 0/1 word tensor of ``word`` on ``group``; see :func:`word_tensor`.

    >>> G = Group.from_spec("S3")
    >>> T = WordTensor(G, "[x,y]")
    >>> T
    WordTensor('[x,y]' on S3, shape=(6, 6, 6))
    >>> [G.label(c) for c in T.image_elements()]   # commutators fill A3
    ['()', '(1,2,3)', '(1,3,2)']
    >>> T.fibre_sizes().tolist()                    # 18 commuting pairs, 9 per 3-cycle
    [18, 0, 0, 9, 9, 0]
    >>> T.unfolding(2).shape, T.coords.shape
    ((6, 36), (36, 3))
    """

    def __init__(self, group: Group | str, word: Word | str, *, max_bytes: int | None = None):
        group = as_group(group)
        self.group = group
        self.word = Word.parse(word)
        n, k = group.order, self.word.arity
        nnz = n**k
        _check_bytes(nnz * 4, max_bytes, f"the value table of {self.word} on {group.name} "
                     f"({n}^{k} = {nnz} entries)")
        #: image[i] = output index for the i-th input tuple (C order over a1..ak).
        self.image: np.ndarray = self.word.table(group).reshape(-1).astype(np.int32 if n < 2**31
                                                                           else np.int64)
        self.image.setflags(write=False)

    @property
    def n(self) -> int:
        return self.group.order

    @property
    def arity(self) -> int:
        return self.word.arity

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.n,) * (self.arity + 1)

    @property
    def ndim(self) -> int:
        return self.arity + 1

    @property
    def nnz(self) -> int:
        """Number of non-zeros: n^k, one per input tuple."""
        return int(self.image.size)

    def __repr__(self) -> str:
        return f"WordTensor({str(self.word)!r} on {self.group.name}, shape={self.shape})"

    @property
    def coords(self) -> np.ndarray:
        """Coordinates of the non-zeros, shape (nnz, k+1): inputs then output."""
        ins = np.unravel_index(np.arange(self.nnz), (self.n,) * self.arity) if self.arity else ()
        return np.stack([*ins, self.image], axis=1).astype(np.int64)

    @property
    def values(self) -> np.ndarray:
        return np.ones(self.nnz)

    def dense(self, dtype: DTypeLike = np.float64, *, max_bytes: int | None = None) -> np.ndarray:
        """The dense (k+1)-way array; raises :class:`TensorTooLargeError` with its size when it
        would take more than ``max_bytes`` (default: the size model's limit,
        :func:`wordtensor.sizes.memory_limit`).

        >>> word_tensor("Z2", "xy").dense(np.int8)[1, 1].tolist()   # 1 + 1 = 0
        [1, 0]
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise ParameterError(f"dtype must be a numpy number type such as float64 or int8, "
                                 f"got {dtype!r}") from None
        if dtype.kind not in "biuf":
            raise ParameterError(f"dtype must be a numpy number type such as float64 or int8, "
                                 f"got {dtype}")
        size = math.prod(self.shape)
        _check_bytes(size * dtype.itemsize, max_bytes,
                     f"the dense word tensor {self.word} on {self.group.name} {self.shape}")
        out = np.zeros((self.nnz, self.n), dtype=dtype)
        out[np.arange(self.nnz), self.image] = 1
        return out.reshape(self.shape)

    def unfolding(self, mode: int):
        """Mode-``mode`` flattening as a scipy CSR matrix of shape (n, n^k) (other modes in
        C order).

        >>> word_tensor("S3", "xy").unfolding(2).nnz
        36
        """
        import scipy.sparse as sp  # 0.2 s to import: only for the sparse flattenings

        mode = integer(mode, "mode", minimum=0, maximum=self.ndim - 1)
        c = self.coords
        rows = c[:, mode]
        rest = np.delete(c, mode, axis=1)
        cols = (np.ravel_multi_index(tuple(rest.T), (self.n,) * self.arity) if self.arity
                else np.zeros(len(rows), dtype=np.int64))  # a constant word: one column
        return sp.csr_matrix((self.values, (rows, cols)), shape=(self.n, self.n**self.arity))

    def to_torch(self, *, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
                 sparse: bool = False, max_bytes: int | None = None) -> torch.Tensor:
        """The tensor as a torch tensor (dense by default, or sparse COO) on ``device``, of
        ``dtype`` (default float32).

        >>> t = word_tensor("Z3", "xy").to_torch(sparse=True)
        >>> t.shape, t.dtype, int(t.sum())
        (torch.Size([3, 3, 3]), torch.float32, 9)
        """
        import torch  # 1-3 s to import: only for callers that want torch tensors

        device = check_device(device)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None) if dtype in ("float16", "bfloat16", "float32",
                                                             "float64") else None
            if dtype is None:
                raise ParameterError("dtype must be a torch floating type or one of float16, "
                                     "bfloat16, float32, float64")
        elif dtype is not None and not isinstance(dtype, torch.dtype):
            raise ParameterError(f"dtype must be a torch dtype, got {type(dtype).__name__}")
        dtype = dtype or torch.float32
        idx = torch.as_tensor(self.coords.T, device=device)
        if sparse:
            vals = torch.ones(self.nnz, dtype=dtype, device=device)
            return torch.sparse_coo_tensor(idx, vals, self.shape, device=device,
                                           check_invariants=False).coalesce()
        itemsize = torch.empty((), dtype=dtype).element_size()
        _check_bytes(math.prod(self.shape) * itemsize, max_bytes,
                     f"the dense word tensor {self.word} on {self.group.name} {self.shape}")
        out = torch.zeros(self.shape, dtype=dtype, device=device)
        out[tuple(idx)] = 1
        return out

    def fibre_sizes(self) -> np.ndarray:
        """|w⁻¹(g_c)| for every c."""
        return np.bincount(self.image, minlength=self.n)

    def image_elements(self) -> np.ndarray:
        """Indices of the elements the word map hits."""
        return np.flatnonzero(self.fibre_sizes())

    def stats(self) -> dict:
        """Shape, non-zeros, image size and fibre statistics (JSON-ready), and the word's
        ``notes`` (:attr:`Word.notes`).

        >>> s = word_tensor("Z3", "xey").stats()
        >>> s["nnz"], s["variables"], len(s["notes"])
        (9, ['x', 'y'], 1)
        """
        f = self.fibre_sizes()
        hit = f[f > 0]
        sizes, counts = np.unique(f, return_counts=True)
        return {
            "group": self.group.name,
            "order": self.n,
            "word": str(self.word),
            "variables": list(self.word.variables),
            "shape": list(self.shape),
            "nnz": self.nnz,
            "density": self.nnz / math.prod(self.shape),
            "image_size": int(len(hit)),
            "surjective": bool(len(hit) == self.n),
            "fibre_min": int(hit.min()),
            "fibre_max": int(hit.max()),
            "fibre_mean": float(hit.mean()),
            "fibre_size_counts": {int(s): int(c) for s, c in zip(sizes, counts)},
            "identity_fibre": int(f[0]),
            "notes": self.word.notes,
        }


def word_tensor(group: Group | str, word: Word | str, *, max_bytes: int | None = None
                ) -> WordTensor:
    """The word tensor of ``word`` on ``group`` (a :class:`Group` or a spec string).

    >>> T = word_tensor("S3", "xy")
    >>> T.shape, T.nnz, float(T.dense().sum())
    ((6, 6, 6), 36, 36.0)
    """
    return WordTensor(as_group(group), word, max_bytes=max_bytes)
