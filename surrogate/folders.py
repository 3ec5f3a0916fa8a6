"""Where a run may write: the kind of run a folder holds (surrogate, network, study), the
checks made before anything is written, and the lock that keeps a second process out.

The refusals, each a :class:`RunFolderError` (one line on stderr and exit 2 on the command
line), raised before anything is written:

* :class:`OutPathError` — the path is a file, lies under a file, or cannot be created;
* :class:`RunKindError` — the folder holds another kind of run (surrogate, network, study);
* :class:`RunExistsError` — the folder holds a run and no resume was asked for;
* :class:`ConfigMismatchError` — a resume whose configuration differs from the saved one;
* :class:`RunFormatError` — an unreadable, corrupt or old-format folder where one is needed;
* :class:`RunLockedError` — another live process holds the folder's lock.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from pathlib import Path

from wordtensor import validate
from wordtensor.errors import WordTensorError
from wordtensor.storage import dumps

try:  # POSIX advisory locks; released by the kernel when the holder dies
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the pid in the lock file decides
    fcntl = None

__all__ = ["RunFolderError", "OutPathError", "RunKindError", "RunExistsError",
           "ConfigMismatchError", "RunFormatError", "RunLockedError", "RunLock", "run_kind",
           "check_out"]

KINDS = ("surrogate", "network", "study")
LOCK_NAME = "lock"


class RunFolderError(WordTensorError):
    """A run folder that is missing, incomplete, busy or does not match the request.

    >>> import tempfile
    >>> from surrogate.cp import SurrogateConfig, train
    >>> from surrogate.config import grid
    >>> d = tempfile.mkdtemp()
    >>> cfg = SurrogateConfig("S3", "xy", grid(1, 9), steps=5)
    >>> _ = train(cfg, run_dir=d, progress=False)
    >>> train(cfg, run_dir=d, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.RunExistsError: ... already holds a surrogate run; pass resume=True ...
    >>> issubclass(RunExistsError, RunFolderError), issubclass(RunFolderError, WordTensorError)
    (True, True)
    """


class OutPathError(RunFolderError):
    """A path that cannot be a run folder: a file, a path under a file, or one that cannot be
    created or written.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "notes.txt"; _ = f.write_text("mine")
    >>> check_out(f / "run", "surrogate")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.OutPathError: cannot make the run folder .../notes.txt/run: .../notes.txt is a file
    """


class RunKindError(RunFolderError):
    """A folder that holds another kind of run than the one asked for.

    >>> import tempfile
    >>> from wordtensor.storage import write_json
    >>> d = Path(tempfile.mkdtemp()); write_json(d / "study.json", {"spec": "S3", "word": "xy"})
    >>> check_out(d, "surrogate", resume=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.RunKindError: ... holds a study, not a surrogate run; choose another folder
    """


class RunExistsError(RunFolderError):
    """A folder that already holds a run of this kind, without a request to resume it.

    >>> import tempfile
    >>> from wordtensor.storage import write_json
    >>> d = Path(tempfile.mkdtemp()); write_json(d / "study.json", {"spec": "S3", "word": "xy"})
    >>> check_out(d, "study")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.RunExistsError: ... already holds a study; pass resume=True (--resume) ...
    """


class ConfigMismatchError(RunFolderError):
    """A resume whose configuration differs from the one saved in the folder (only the number
    of steps may change); the message lists the differences.

    >>> import tempfile
    >>> from surrogate.cp import SurrogateConfig, train
    >>> from surrogate.config import grid
    >>> d = tempfile.mkdtemp()
    >>> _ = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=5), run_dir=d, progress=False)
    >>> train(SurrogateConfig("S3", "xy", grid(1, 16), steps=5), run_dir=d, resume=True)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.ConfigMismatchError: ... configuration (width: saved [9], asked [16]); ...
    """


class RunFormatError(RunFolderError):
    """A folder whose files cannot be read as a run: a corrupt ``config.json``, an unknown
    format, or an old format where a resume needs the current one.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "config.json").write_text("{not json")
    >>> run_kind(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.RunFormatError: .../config.json is not valid JSON (...); is ... a run folder?
    """


class RunLockedError(RunFolderError):
    """A folder that another live process is working in; the message names it.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with RunLock(d):
    ...     RunLock(d, reentrant=False).acquire()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surrogate.folders.RunLockedError: ... is in use by process ... on ... since ...
    """


# ------------------------------------------------------------------------------ the lock
_HELD: dict[str, RunLock] = {}  # realpath -> the lock this process holds there


class RunLock:
    """An exclusive lock on a run folder, held while a process writes there: a file ``lock``
    holding the holder's pid, host, start time and command, locked with ``flock`` (the kernel
    drops the lock when its process dies, so a lock left by a dead process is taken over).
    Re-entrant within one process (nested ``with`` blocks share it) unless
    ``reentrant=False``.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with RunLock(d) as lock:
    ...     holder = json.loads((d / "lock").read_text())
    ...     with RunLock(d):                       # the same process may nest
    ...         pass
    >>> holder["pid"] == os.getpid(), (d / "lock").exists()   # released: the file is gone
    (True, False)
    """

    def __init__(self, path: str | os.PathLike, *, reentrant: bool = True):
        self.path = Path(path)
        self.file = self.path / LOCK_NAME
        self.reentrant = reentrant
        self._fd: int | None = None
        self._depth = 0

    def _key(self) -> str:
        return os.path.realpath(self.path)

    def acquire(self) -> RunLock:
        held = _HELD.get(self._key())
        if self.reentrant and held is not None:
            held._depth += 1
            return held
        try:
            while True:
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
                if self._try_lock(fd):
                    try:  # the file we locked may have been removed by a holder that just ended
                        same = os.fstat(fd).st_ino == os.stat(self.file).st_ino
                    except FileNotFoundError:
                        same = False
                    if same:
                        break
                os.close(fd)
        except OSError as exc:
            raise OutPathError(f"cannot lock the run folder {self.path}: "
                               f"{exc.strerror or exc}") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                  "command": " ".join(sys.argv)[:300]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (dumps(holder) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd, self._depth = fd, 1
        _HELD[self._key()] = self
        return self

    def _try_lock(self, fd: int) -> bool:
        """Lock ``fd`` or raise :class:`RunLockedError` naming the holder."""
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            except OSError as exc:  # a file system without flock: fall back to the pid
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
                if not _holder_alive(self.holder()):
                    return True
        elif not _holder_alive(self.holder()):
            return True
        os.close(fd)
        raise RunLockedError(f"{self.path} is in use by {_describe(self.holder())}; wait for it to "
                             "finish or stop it (a lock left by a process that has ended is taken "
                             "over), or choose another folder")

    def holder(self) -> dict:
        """What the lock file says about its holder (empty when unreadable)."""
        try:
            return json.loads(self.file.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        self._depth -= 1
        if self._depth > 0 or self._fd is None:
            return
        _HELD.pop(self._key(), None)
        with contextlib.suppress(OSError):
            os.unlink(self.file)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        (_HELD.get(self._key()) or self).release()


def _holder_alive(h: dict) -> bool:
    if not h.get("pid") or h.get("host") not in (None, socket.gethostname()):
        return bool(h.get("pid"))  # another host: assume it is alive
    try:
        os.kill(int(h["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(h: dict) -> str:
    if not h:
        return "another process (starting up)"
    return (f"process {h.get('pid')} on {h.get('host')} since {h.get('started')}"
            + (f" ({h['command']})" if h.get("command") else ""))


# ------------------------------------------------------------------------------ checks
def run_kind(path: str | os.PathLike) -> str | None:
    """The kind of run a folder holds ("surrogate", "network" or "study", or the kind of the
    sweep of a ``sweep.json``: "phase", "atlas"), or None when it holds none (it does not
    exist, or has none of ``config.json``, ``study.json``, ``sweep.json``).

    >>> import tempfile
    >>> from surrogate.cp import SurrogateConfig, train
    >>> from surrogate.config import grid
    >>> d = tempfile.mkdtemp()
    >>> run_kind(d)
    >>> _ = train(SurrogateConfig("S3", "xy", grid(1, 9), steps=2), run_dir=d, progress=False)
    >>> run_kind(d)
    'surrogate'
    """
    p = Path(path)
    if (p / "study.json").is_file():
        return "study"
    if (p / "sweep.json").is_file():  # a wordtensor.sweep store: the phase diagram, the atlas
        d = read_json(p / "sweep.json")
        kind = d.get("kind") if isinstance(d, dict) else None
        if not isinstance(kind, str) or not kind:
            raise RunFormatError(f"{p / 'sweep.json'} does not say what kind of sweep {p} holds")
        return kind
    cfg = p / "config.json"
    if not cfg.is_file():
        return None
    d = read_json(cfg)
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind is None and isinstance(d, dict) and isinstance(d.get("config"), dict):  # format 1
        kind = "network" if d["config"].get("model") == "network" else "surrogate"
    if kind not in KINDS:
        raise RunFormatError(f"{cfg} does not say what kind of run {p} holds; is it a run folder?")
    return kind


def read_json(path: Path):
    """The JSON in ``path``, or :class:`RunFormatError` saying it is not valid JSON."""
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise RunFormatError(f"{path} is not valid JSON ({exc}); is {path.parent} a run "
                             "folder?") from None
    except OSError as exc:
        raise RunFormatError(f"cannot read {path}: {exc.strerror or exc}") from None


def kind_name(kind: str) -> str:
    """How a message names a kind of run folder.

    >>> kind_name("surrogate"), kind_name("study"), kind_name("phase"), kind_name("atlas")
    ('a surrogate run', 'a study', 'a phase sweep', 'an atlas sweep')
    """
    if kind == "study":
        return "a study"
    if kind in KINDS:
        return f"a {kind} run"
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} sweep"


def check_out(path: str | os.PathLike, kind: str, *, resume: bool = False) -> Path:
    """Check, without writing anything, that a run of ``kind`` may write into ``path``:
    it is not a file, no part of it is a file, the nearest existing folder is writable, and it
    holds no run of another kind, nor one of this kind unless ``resume``. Returns the path.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> check_out(d / "new" / "run", "network") == d / "new" / "run"
    True
    """
    p = validate.out_dir(path, "the run folder", error=OutPathError)
    held = run_kind(p) if p.is_dir() else None
    if held is not None and held != kind:
        raise RunKindError(f"{p} holds {kind_name(held)}, not {kind_name(kind)}; choose another folder")
    if held is not None and not resume:
        raise RunExistsError(f"{p} already holds {kind_name(kind)}; pass resume=True (--resume) to "
                             "continue it or choose another folder")
    return p


def make_folder(path: Path) -> None:
    """Create ``path`` (and its parents), or :class:`OutPathError` saying why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutPathError(f"cannot make the run folder {path}: {exc.strerror or exc}") from None
