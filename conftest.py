"""Repository-wide pytest setup: the notebooks under notebooks/ run as tests (nbmake) in their
small configuration. The kernel inherits this environment; an explicit WORDTENSOR_SMALL=0 in
the caller's environment runs the full configuration instead."""

import os

os.environ.setdefault("WORDTENSOR_SMALL", "1")
