"""Lazy package namespaces: a package lists which module owns each name it exports, and the
module is imported on first use. So ``import surrogate`` (and the ``wordtensor`` command line,
which loads the sub-command registrations) does not import torch until a model is used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, owners: dict[str, str]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """(``__getattr__``, ``__dir__``) for the package ``package`` whose exported names live in
    the modules ``owners[name]`` (relative to the package); a name is imported once and then
    stored in the package.

    >>> getattr_, dir_ = lazy_exports("surrogate", {"grid": ".config"})
    >>> getattr_("grid").__module__, "grid" in dir_()
    ('surrogate.config', True)
    >>> getattr_("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'surrogate' has no attribute 'nothing'
    """

    def __getattr__(name: str) -> object:
        owner = owners.get(name)
        if owner is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(owner, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(owners))

    return __getattr__, __dir__
