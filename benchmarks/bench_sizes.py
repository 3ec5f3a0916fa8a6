"""The size model against the machine: for each group and command, the estimate of
:mod:`wordtensor.sizes` (peak memory, time) beside the peak resident memory and the wall time
of the command run in a fresh process.

    python benchmarks/bench_sizes.py                        # S4, SL(2,5), PSL(2,7), A6, S6
    python benchmarks/bench_sizes.py --groups S5 --commands fusion --json

Each command runs as ``wordtensor <command> <group> [xy]`` in a child process that reports its
own ``ru_maxrss`` when it ends; the estimate is computed in this process with the same code
the command calls before it starts (``fusion.reps.irreps.representation_estimate``,
``fusion.decompose.decomposition_estimate``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from fusion.decompose import decomposition_estimate
from fusion.reps.irreps import representation_estimate
from wordtensor import Group
from wordtensor.sizes import fmt_bytes

CHILD = ("import resource, sys\n"
         "from wordtensor.cli import main\n"
         "rc = main(sys.argv[1:])\n"
         "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
         "sys.exit(rc)\n")


def measure(argv: list[str]) -> tuple[int, float, int]:
    """(peak RSS in bytes, wall seconds, exit code) of ``wordtensor argv`` in a new process."""
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True,
                       env={**os.environ, "WORDTENSOR_PROGRESS": "0"})
    secs = time.perf_counter() - t
    rss = next(int(line.split()[1]) for line in p.stderr.splitlines() if line.startswith("MAXRSS"))
    return rss * 1024, secs, p.returncode


def estimate(command: str, spec: str):
    G = Group.from_spec(spec)
    return (representation_estimate(G) if command == "irreps"
            else decomposition_estimate(G, "xy"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", nargs="+", default=["S4", "SL(2,5)", "PSL(2,7)", "A6", "S6"])
    ap.add_argument("--commands", nargs="+", default=["irreps", "fusion"],
                    choices=["irreps", "fusion"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for spec in args.groups:
        for command in args.commands:
            est = estimate(command, spec)
            rss, secs, rc = measure([command, spec] + (["xy"] if command == "fusion" else []))
            rows.append({"group": spec, "order": Group.from_spec(spec).order, "command": command,
                         "estimate_bytes": est.bytes, "rss_bytes": rss,
                         "estimate_seconds": est.seconds, "seconds": secs, "exit": rc,
                         "largest_stage": est.largest.name})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'group':<10} {'n':>5} {'command':<8} {'estimate':>10} {'peak RSS':>10} {'ratio':>6}"
          f" {'est. s':>7} {'wall s':>7}  largest stage")
    for r in rows:
        print(f"{r['group']:<10} {r['order']:>5} {r['command']:<8} "
              f"{fmt_bytes(r['estimate_bytes']):>10} {fmt_bytes(r['rss_bytes']):>10} "
              f"{r['estimate_bytes'] / r['rss_bytes']:>6.2f} {r['estimate_seconds']:>7.2f} "
              f"{r['seconds']:>7.2f}  {r['largest_stage']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
