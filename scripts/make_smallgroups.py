"""Regenerate the SmallGroup catalogue (and, with ``--sample``, its test fixture) with GAP.

    apt-get install -y gap                      # GAP 4.12 with its smallgrp package
    python scripts/make_smallgroups.py          # -> wordtensor/data/smallgroups.json.gz
    python scripts/make_smallgroups.py --sample # -> tests/fixtures/gap/smallgroups_sample.json

The GAP scripts (``scripts/make_smallgroups.g``, ``tests/fixtures/gap/make_smallgroups_sample.g``)
check themselves and exit non-zero on a failed check; this driver then checks the JSON (the number
of groups of every order, the shape of every record) and only replaces the output, atomically,
when all is well. GAP seeds its random choices per group and the gzip stream carries no time
stamp, so a re-run with the same GAP writes the same bytes. It takes about two minutes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from wordtensor.storage import atomic_write  # noqa: E402

CATALOGUE_SCRIPT = ROOT / "scripts" / "make_smallgroups.g"
CATALOGUE = ROOT / "wordtensor" / "data" / "smallgroups.json.gz"
SAMPLE_SCRIPT = ROOT / "tests" / "fixtures" / "gap" / "make_smallgroups_sample.g"
SAMPLE = ROOT / "tests" / "fixtures" / "gap" / "smallgroups_sample.json"

# NumberSmallGroups(n) for n = 1..100 (OEIS A000001), to check GAP's output against
A000001 = [
    1, 1, 1, 2, 1, 2, 1, 5, 2, 2, 1, 5, 1, 2, 1, 14, 1, 5, 1, 5, 2, 2, 1, 15, 2, 2, 5, 4, 1, 4,
    1, 51, 1, 2, 1, 14, 1, 2, 2, 14, 1, 6, 1, 4, 2, 2, 1, 52, 2, 5, 1, 5, 1, 15, 2, 13, 2, 2, 1,
    13, 1, 2, 4, 267, 1, 4, 1, 5, 1, 4, 1, 50, 1, 2, 3, 4, 1, 6, 1, 52, 15, 2, 1, 15, 1, 2, 1,
    12, 1, 10, 1, 4, 2, 2, 1, 231, 1, 5, 2, 16,
]

KEYS = ["id", "structure", "degree", "generators", "num_classes", "abelian", "cyclic", "nilpotent",
        "solvable", "exponent", "center_order", "derived_order", "class_sizes", "element_orders",
        "real_classes", "character_degrees", "indicators"]


def run_gap(script: Path, out: Path) -> None:
    gap = shutil.which("gap")
    if gap is None:
        sys.exit("make_smallgroups.py: 'gap' not found; install it with: apt-get install -y gap")
    proc = subprocess.run([gap, "-q", "-b", "-c", f'SG_OUT := "{out}";', str(script)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    print(proc.stdout.strip())
    if proc.returncode != 0 or "wrote " not in proc.stdout or not out.exists():
        print(proc.stderr, file=sys.stderr)
        sys.exit(f"make_smallgroups.py: GAP failed on {script.name} (exit {proc.returncode})")


def check_catalogue(data: dict) -> None:
    groups = data["groups"]
    if data["counts"] != A000001[: data["max_order"]]:
        sys.exit("make_smallgroups.py: NumberSmallGroups disagrees with OEIS A000001")
    ids = [tuple(g["id"]) for g in groups]
    expected = [(n, i) for n, c in enumerate(data["counts"], 1) for i in range(1, c + 1)]
    if ids != expected:
        sys.exit("make_smallgroups.py: the groups are not every (n, i) in order")
    for g in groups:
        n = g["id"][0]
        if list(g) != KEYS:
            sys.exit(f"make_smallgroups.py: keys of {g['id']}: {list(g)}")
        if sum(g["class_sizes"]) != n or sum(c for _, c in g["element_orders"]) != n:
            sys.exit(f"make_smallgroups.py: class sizes or element orders of {g['id']}")
        if len(g["character_degrees"]) != g["num_classes"] or sum(g["indicators"]) != g["num_classes"]:
            sys.exit(f"make_smallgroups.py: characters of {g['id']}")


def gzip_bytes(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", action="store_true",
                        help="write the test fixture tests/fixtures/gap/smallgroups_sample.json")
    args = parser.parse_args(argv)
    script, target = (SAMPLE_SCRIPT, SAMPLE) if args.sample else (CATALOGUE_SCRIPT, CATALOGUE)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        run_gap(script, out)
        raw = out.read_bytes()
    data = json.loads(raw)
    if args.sample:
        atomic_write(target, raw)
    else:
        check_catalogue(data)
        target.parent.mkdir(exist_ok=True)
        atomic_write(target, gzip_bytes(raw))
    target.chmod(0o644)  # the temporary file was private
    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size} bytes, GAP "
          f"{data['gap_version']}) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
