"""Execute every notebook under notebooks/ top to bottom (nbclient) and write it back with its
outputs, in the full configuration (WORDTENSOR_SMALL=0), so that the committed notebooks read
as documentation. tests/test_notebooks.py checks that they were.

Usage::

    python scripts/execute_notebooks.py                     # all, full configuration
    python scripts/execute_notebooks.py 04_rank_atlas       # some of them
    python scripts/execute_notebooks.py --small --dry-run   # time the small configuration,
                                                            # write nothing
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def execute(path: Path, *, small: bool, timeout: int, write: bool) -> float:
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("WORDTENSOR_SMALL")
    os.environ["WORDTENSOR_SMALL"] = "1" if small else "0"  # the kernel inherits it
    try:
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        seconds = time.perf_counter() - t0
    finally:
        if env_before is None:
            os.environ.pop("WORDTENSOR_SMALL", None)
        else:
            os.environ["WORDTENSOR_SMALL"] = env_before
    if write:
        nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="notebook names (default: all)")
    p.add_argument("--small", action="store_true", help="the small configuration")
    p.add_argument("--dry-run", action="store_true", help="execute, but write nothing back")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    args = p.parse_args(argv)
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        paths = [q for q in paths if q.stem in args.names or q.name in args.names]
        if not paths:
            raise SystemExit(f"no notebook named {args.names} under {NOTEBOOKS}")
    if args.small and not args.dry_run:
        raise SystemExit("the committed notebooks keep the full configuration: use --small "
                         "with --dry-run")
    for path in paths:
        seconds = execute(path, small=args.small, timeout=args.timeout, write=not args.dry_run)
        print(f"{path.name}: {seconds:.0f} s ({'small' if args.small else 'full'})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
