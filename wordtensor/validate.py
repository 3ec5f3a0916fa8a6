"""The validators of argument values at the boundary of the toolkit: counts, finite numbers,
probabilities, tolerances, choices, dtypes, devices, output folders and files, byte sizes,
and the argparse ``type=`` adapter that makes any of them a command-line option type.

Each validator takes the value and the name the user knows it by (``"steps"``, ``"--lr"``),
returns the value normalised (an ``int``, a ``float``, a ``Path``, a ``torch.device``) and
otherwise raises ``error`` (default :class:`~wordtensor.errors.ParameterError`; the surrogate's
configurations pass their ``ConfigError``), whose message says what the value must be:

>>> positive_int(3, "steps"), finite_float("1e-3", "lr"), probability(0.5, "train_fraction")
(3, 0.001, 0.5)
>>> positive_int(10.5, "steps")
Traceback (most recent call last):
...
wordtensor.errors.ParameterError: steps must be a whole number >= 1, got 10.5
>>> tolerance(float("nan"), "eps")
Traceback (most recent call last):
...
wordtensor.errors.ParameterError: eps must be a finite number > 0, got nan

Booleans are not numbers here (``True`` is no width), and NaN or infinities are never finite.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ParameterError, WordTensorError

if TYPE_CHECKING:
    import torch

__all__ = ["integer", "positive_int", "nonnegative_int", "finite_float", "positive_float",
           "probability", "tolerance", "choice", "dtype", "device", "path", "out_dir", "out_file",
           "byte_size", "cli_type", "instance", "threads", "MAX_THREADS"]

ErrorType = type[WordTensorError]

#: Floating-point types the toolkit computes in.
DTYPES = ("float32", "float64")
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d{1,4})?)$")
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def _fail(error: ErrorType, name: str | None, must: str, value, hint: str = ""):
    got = repr(value) if isinstance(value, str) else _show(value)
    head = f"{name} must be" if name else "must be"
    raise error(f"{head} {must}, got {got}" + (f"; {hint}" if hint else ""))


def _show(value) -> str:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (numbers.Number, type(None))):
        return repr(value)
    text = repr(value)
    return f"{type(value).__name__} {text}" if len(text) <= 40 else f"a {type(value).__name__}"


def _bounds(minimum, maximum, open_min=False, open_max=False) -> str:
    lo = None if minimum is None else f"{'>' if open_min else '>='} {minimum:g}"
    hi = None if maximum is None else f"{'<' if open_max else '<='} {maximum:g}"
    if lo and hi:
        return f"{lo} and {hi}"
    return lo or hi or ""


def integer(value, name: str | None, *, minimum: int | None = None, maximum: int | None = None,
            error: ErrorType = ParameterError) -> int:
    """A whole number (an ``int``, a numpy integer, or a string of one; ``"1e3"`` is 1000) in
    ``[minimum, maximum]``.

    >>> integer("1e3", "steps", minimum=0), integer(7, "seed")
    (1000, 7)
    >>> integer(True, "width")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: width must be a whole number, got True
    """
    must = "a whole number" + (" " + _bounds(minimum, maximum) if minimum is not None
                               or maximum is not None else "")
    if isinstance(value, str):
        text = value.strip()
        try:
            out = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                _fail(error, name, must, value)
            if not (math.isfinite(f) and f.is_integer()):
                _fail(error, name, must, value)
            out = int(f)
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        out = int(value)
    else:
        _fail(error, name, must, value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        _fail(error, name, must, value)
    return out


def positive_int(value, name: str | None, *, maximum: int | None = None,
                 error: ErrorType = ParameterError) -> int:
    """A whole number >= 1 (a width, a count of seeds, a degree).

    >>> positive_int(4, "seeds")
    4
    >>> positive_int(0, "--threads")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: --threads must be a whole number >= 1, got 0
    """
    return integer(value, name, minimum=1, maximum=maximum, error=error)


#: More CPU threads than this are refused (libgomp cannot allocate ~1e5 of them, and past the
#: machine's cores more threads only slow a run down).
MAX_THREADS = 1024


def threads(value, name: str | None = "threads", *, error: ErrorType = ParameterError) -> int:
    """A number of CPU threads: a whole number from 1 to :data:`MAX_THREADS`.

    >>> threads(2)
    2
    >>> threads(100000, "--threads")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: --threads must be a whole number >= 1 and <= 1024, got 100000
    """
    return integer(value, name, minimum=1, maximum=MAX_THREADS, error=error)


def nonnegative_int(value, name: str | None, *, maximum: int | None = None,
                    error: ErrorType = ParameterError) -> int:
    """A whole number >= 0 (a number of steps, a seed).

    >>> nonnegative_int(0, "steps")
    0
    >>> nonnegative_int(-1, "seed")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: seed must be a whole number >= 0, got -1
    """
    return integer(value, name, minimum=0, maximum=maximum, error=error)


def finite_float(value, name: str | None, *, minimum: float | None = None,
                 maximum: float | None = None, open_min: bool = False, open_max: bool = False,
                 error: ErrorType = ParameterError) -> float:
    """A finite real number (an int, a float, a numpy scalar or a string of one) within the
    bounds (closed unless ``open_min`` / ``open_max``).

    >>> finite_float("0.25", "weight decay", minimum=0)
    0.25
    >>> finite_float(float("inf"), "--lr", minimum=0, open_min=True)
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: --lr must be a finite number > 0, got inf
    """
    bounds = _bounds(minimum, maximum, open_min, open_max)
    must = "a finite number" + (f" {bounds}" if bounds else "")
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            _fail(error, name, must, value)
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        out = float(value)
    else:
        _fail(error, name, must, value)
    if not math.isfinite(out):
        _fail(error, name, must, value)
    if minimum is not None and (out < minimum or (open_min and out == minimum)):
        _fail(error, name, must, value)
    if maximum is not None and (out > maximum or (open_max and out == maximum)):
        _fail(error, name, must, value)
    return out


def positive_float(value, name: str | None, *, error: ErrorType = ParameterError) -> float:
    """A finite number > 0 (a learning rate, a time budget in seconds, a scale).

    >>> positive_float(60, "--search-seconds")
    60.0
    >>> positive_float(-1, "--search-seconds")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: --search-seconds must be a finite number > 0, got -1
    """
    return finite_float(value, name, minimum=0, open_min=True, error=error)


def probability(value, name: str | None, *, allow_zero: bool = True, allow_one: bool = True,
                error: ErrorType = ParameterError) -> float:
    """A number in [0, 1] (``allow_zero=False``: (0, 1]; ``allow_one=False``: [0, 1)).

    >>> probability(1, "train fraction", allow_zero=False)
    1.0
    >>> probability(1.5, "purity_tol")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: purity_tol must be a finite number >= 0 and <= 1, got 1.5
    """
    return finite_float(value, name, minimum=0, maximum=1, open_min=not allow_zero,
                        open_max=not allow_one, error=error)


def tolerance(value, name: str | None, *, allow_zero: bool = False,
              error: ErrorType = ParameterError) -> float:
    """A threshold or a regulariser such as Adam's eps: a finite number > 0 (``allow_zero``:
    >= 0).

    >>> tolerance(1e-9, "tol"), tolerance(0, "tol", allow_zero=True)
    (1e-09, 0.0)
    >>> tolerance(-1, "active_tol")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: active_tol must be a finite number > 0, got -1
    """
    return finite_float(value, name, minimum=0, open_min=not allow_zero, error=error)


def choice(value, name: str | None, choices: Iterable[str], *,
           error: ErrorType = ParameterError) -> str:
    """One of the strings ``choices``.

    >>> choice("adam", "optimizer", ("adam", "gd"))
    'adam'
    >>> choice("sgd", "optimizer", ("adam", "gd"))
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: optimizer must be one of adam, gd, got 'sgd'
    """
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        _fail(error, name, "one of " + ", ".join(options), value)
    return value


def instance(value, name: str | None, types: type | tuple[type, ...], what: str, *,
             hint: str = "", error: ErrorType = ParameterError):
    """``value`` itself if it is an instance of ``types`` (an object the toolkit made, such as
    a configuration or a result); otherwise a clear error naming ``what`` was expected.

    >>> instance(3, "width", int, "an int")
    3
    >>> instance("S3", "config", dict, "a SurrogateConfig", hint="see SurrogateConfig")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: config must be a SurrogateConfig, got 'S3'; see SurrogateConfig
    """
    if not isinstance(value, types):
        _fail(error, name, what, value, hint)
    return value


def dtype(value, name: str | None = "dtype", *, choices: Iterable[str] = DTYPES,
          error: ErrorType = ParameterError) -> str:
    """The name of a floating-point type among ``choices``, from a string, a numpy dtype or a
    torch dtype (torch is not imported for a string).

    >>> import numpy as np
    >>> dtype("float64"), dtype(np.float32)
    ('float64', 'float32')
    >>> dtype("float16")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: dtype must be one of float32, float64, got 'float16'
    """
    options = tuple(choices)
    if value is None:
        _fail(error, name, "one of " + ", ".join(options), value)
    text = value if isinstance(value, str) else str(value).removeprefix("torch.")
    if not isinstance(value, str):
        try:
            import numpy as np  # already loaded with the toolkit; reads numpy dtypes and types

            text = np.dtype(value).name
        except TypeError:
            pass
    if text not in options:
        _fail(error, name, "one of " + ", ".join(options), value if isinstance(value, str)
              else text)
    return text


def device(value, name: str | None = "device", *, error: ErrorType = ParameterError
           ) -> torch.device:
    """The torch device ``value`` ("cpu", "cuda", "cuda:N", "mps" or a ``torch.device``),
    checked to exist on this machine; an unknown name is refused before torch is imported.

    >>> device("cpu")
    device(type='cpu')
    >>> device("gpu0")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: device must be cpu, cuda, cuda:N or mps, got 'gpu0'
    """
    if isinstance(value, str) and not _DEVICE.match(value.strip()):
        _fail(error, name, "cpu, cuda, cuda:N or mps", value)
    import torch  # 1-3 s to import: only for callers that compute with torch

    if isinstance(value, str):
        dev = torch.device(value.strip())
    elif isinstance(value, torch.device):
        dev = value
    else:
        _fail(error, name, "cpu, cuda, cuda:N or mps", value)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise error(f"{name or 'device'} {str(dev)!r} asked for, but torch finds no CUDA "
                        "device here; use the device cpu")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise error(f"{name or 'device'} {str(dev)!r}: this machine has {count} CUDA "
                        f"device(s), cuda:0 to cuda:{count - 1}")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise error(f"{name or 'device'} 'mps' asked for, but torch finds no MPS device "
                        "here; use the device cpu")
    elif dev.type != "cpu":
        _fail(error, name, "cpu, cuda, cuda:N or mps", str(dev))
    return dev


def _nearest_existing(p: Path) -> Path:
    existing = p
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    return existing


def path(value, name: str | None = "path", *, error: ErrorType = ParameterError) -> Path:
    """A path (a non-empty string or ``os.PathLike``) as a ``Path``; nothing on disk is read.

    >>> path("runs/a")
    PosixPath('runs/a')
    >>> path(5, "run_dir")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: run_dir must be a path to a folder or file, got 5
    """
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)) or \
            not str(value).strip():
        _fail(error, name, "a path to a folder or file", value)
    if "\x00" in str(value):
        raise error(f"{name} {str(value)!r} holds a NUL character; choose another path")
    return Path(value)



def out_dir(value, name: str | None = "out", *, error: ErrorType = ParameterError) -> Path:
    """A folder that output may go into: not a file, no part of it a file, and the nearest
    existing folder writable. Nothing is created.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> out_dir(d / "new" / "run") == d / "new" / "run"
    True
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> out_dir(d / "notes.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: .../notes.txt is a file, not a folder; choose a folder
    """
    p = path(value, name, error=error)
    noun = name if name and name.startswith("the ") else "the folder"
    if p.exists() and not p.is_dir():
        raise error(f"{p} is a file, not a folder; choose a folder")
    existing = _nearest_existing(p)
    if existing != p and not existing.is_dir():
        raise error(f"cannot make {noun} {p}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise error(f"cannot write into {existing}: permission denied; choose another folder")
    return p


def out_file(value, name: str | None = "file", *, suffix: str | None = None,
             error: ErrorType = ParameterError) -> Path:
    """A file that output may be written to: not a folder nor a device, pipe or socket, its
    folder (existing or to be made) valid as :func:`out_dir`, and ending in ``suffix`` when
    given. Nothing is created.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> out_file(d / "factors.npz", suffix=".npz").name
    'factors.npz'
    >>> out_file(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: ... is a folder; give a file name inside it
    >>> out_file(d / "notes.txt", "--save", suffix=".npz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: --save writes a .npz file: give a name ending in .npz, got .../notes.txt
    """
    p = path(value, name, error=error)
    if p.is_dir():
        raise error(f"{p} is a folder; give a file name inside it")
    if os.path.lexists(p) and not (p.is_file() or p.is_symlink()):
        raise error(f"{p} is not a regular file (a device, pipe or socket); give a file name")
    if suffix and not p.name.endswith(suffix):
        raise error(f"{name or 'the file'} writes a {suffix} file: give a name ending in {suffix}, "
                    f"got {p}")
    out_dir(p.parent if str(p.parent) else Path("."), name, error=error)
    return p


def byte_size(value, name: str | None = "max memory", *, error: ErrorType = ParameterError
              ) -> int:
    """A number of bytes: an int, or a string with an optional binary unit (``"512M"``,
    ``"8G"``, ``"1.5TiB"``; K, M, G, T, P are powers of 1024).

    >>> byte_size("8G"), byte_size("512MiB"), byte_size(1000)
    (8589934592, 536870912, 1000)
    >>> byte_size("lots")
    Traceback (most recent call last):
    ...
    wordtensor.errors.ParameterError: max memory must be a size in bytes such as 512M, 8G or 2T, got 'lots'
    """
    must = "a size in bytes such as 512M, 8G or 2T"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        out = int(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgtp]?)(?:i?b)?\s*", value,
                         re.IGNORECASE)
        if m is None:
            _fail(error, name, must, value)
        out = float(m.group(1)) * _UNITS[m.group(2).lower()]
        if not math.isfinite(out) or out > 1 << 80:
            _fail(error, name, must, value)
        out = int(out)
    else:
        _fail(error, name, must, value)
    if out < 1:
        _fail(error, name, must, value)
    return out


def cli_type(validator: Callable, *, then: Callable | None = None, **options
             ) -> Callable[[str], object]:
    """An argparse ``type=`` from a validator: argparse reports a refused value as
    ``argument --lr: must be a finite number > 0, got 'inf'`` (one line, exit 2 in
    ``wordtensor``); ``then`` converts the checked value (``then=str`` keeps a path as text).

    >>> p = argparse.ArgumentParser(prog="demo", exit_on_error=False)
    >>> _ = p.add_argument("--digits", type=cli_type(integer, minimum=0, maximum=15))
    >>> p.parse_args(["--digits", "4"]).digits
    4
    >>> p.parse_args(["--digits", "100000"])
    Traceback (most recent call last):
    ...
    argparse.ArgumentError: argument --digits: must be a whole number >= 0 and <= 15, got '100000'
    """
    def convert(text: str):
        try:
            value = validator(text, None, **options)
        except WordTensorError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value if then is None else then(value)

    convert.__name__ = validator.__name__
    return convert
