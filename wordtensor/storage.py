"""Files the toolkit writes: strict JSON (one encoder for every command and run folder) and
atomic writes (a temporary file in the same folder, then ``os.replace``).

>>> import tempfile
>>> from pathlib import Path
>>> d = Path(tempfile.mkdtemp())
>>> write_json(d / "r.json", {"rank": np.int64(9), "err": float("nan"), "f": np.zeros(2)})
>>> print((d / "r.json").read_text().strip().replace("\\n", " "))
{   "rank": 9,   "err": null,   "f": [     0.0,     0.0   ] }
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import ParameterError

__all__ = ["to_jsonable", "dumps", "write_json", "atomic_write", "npz_bytes"]


def to_jsonable(o: object) -> object:
    """``o`` with numpy scalars and arrays turned into Python numbers and lists, tuples into
    lists, and NaN / infinities into ``None`` (strict JSON).

    >>> to_jsonable({"a": (np.float32(1.5), float("inf")), "b": np.arange(2)})
    {'a': [1.5, None], 'b': [0, 1]}
    """
    if isinstance(o, (bool, np.bool_)):
        return bool(o)
    if isinstance(o, (int, np.integer)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        f = float(o)
        return f if math.isfinite(f) else None
    if isinstance(o, dict):
        return {(k if isinstance(k, str) else str(to_jsonable(k))): to_jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [to_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return to_jsonable(o.tolist())
    if isinstance(o, Path):
        return str(o)
    if o is None or isinstance(o, str):
        return o
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def dumps(data: object, *, indent: int | None = 2) -> str:
    """Strict JSON text of ``data`` (see :func:`to_jsonable`).

    >>> dumps({"x": np.float64("nan")}, indent=None)
    '{"x": null}'
    """
    return json.dumps(to_jsonable(data), indent=indent, allow_nan=False)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``:
    a reader sees the old file or the new one, never a torn one.

    >>> d = Path(tempfile.mkdtemp())
    >>> atomic_write(d / "data.bin", b"old")
    >>> atomic_write(d / "data.bin", b"new bytes")
    >>> (d / "data.bin").read_bytes()
    b'new bytes'
    >>> [f.name for f in d.iterdir()]  # the temporary file is gone
    ['data.bin']
    """
    path = Path(path)
    if os.path.lexists(path) and not (path.is_file() or path.is_symlink()):
        # os.replace would put a regular file in place of a device, pipe or socket
        raise ParameterError(f"{path} is not a regular file (a device, pipe or socket); "
                             "write to a file name instead")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a plain open would give 0666 - umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write ``data`` as strict, indented JSON to ``path``, atomically.

    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> write_json(p, {"ok": True}); json.loads(p.read_text())
    {'ok': True}
    """
    atomic_write(path, (dumps(data) + "\n").encode())


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """The bytes of an uncompressed ``.npz`` holding ``arrays``.

    >>> sorted(np.load(io.BytesIO(npz_bytes(a=np.arange(3), b=np.ones(2)))).files)
    ['a', 'b']
    """
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()
