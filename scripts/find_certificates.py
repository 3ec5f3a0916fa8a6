"""Search for exact certificates that beat the constructive upper bounds; store them in the catalogue.

For each group and word: the upper bound without search (slices, constructions, composition,
module, box cover), then the numerical CP search of :mod:`fusion.ranks.search` (whole tensor
and box by box) with every fit sent through :func:`wordtensor.cp.exactify`. A search result
whose rational factors verify exactly and beat the bound without search is added to
``fusion/data/word_certificates.json`` (keyed by the SHA-256 of the Cayley table and the reduced
word; an entry for the same key is replaced only by a smaller rank). The rank report verifies
every catalogued certificate in integer arithmetic before it uses it.

Usage::

    python scripts/find_certificates.py --groups S3 D4 Q8 --words xyx xyXY --seconds 60
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "fusion" / "data" / "word_certificates.json"


def find(spec: str, word: str, seconds: float, restarts: int, seed: int) -> dict | None:
    """The exact certificate the search finds below the bound without search, as a catalogue
    entry, or None."""
    from fusion.ranks.candidates import upper_candidates
    from fusion.ranks.catalogue import table_fingerprint
    from fusion.ranks.certificates import best_upper, verify_exact_cp
    from fusion.ranks.lower import lower_bound
    from fusion.ranks.search import search_improve
    from wordtensor import Group, word_tensor

    G = Group.from_spec(spec)
    T = word_tensor(G, word)
    cands, dec, bc = upper_candidates(T)
    base = best_upper([c for c in cands if c.method != "catalogued certificate"])
    lower = lower_bound(T)[0]
    if base.rank <= lower:
        return None
    records: list = []
    found, numerical = search_improve(T, dec, lower, base.rank, bc, seconds, restarts, seed,
                                      records)
    if not found:
        print(f"  {spec} {word}: nothing exact below {base.rank}"
              + (f" (numerical {numerical['rank']})" if numerical else ""), file=sys.stderr)
        return None
    ub = min(found, key=lambda u: u.rank)
    _ = ub.cp
    ok, how = verify_exact_cp(ub.rational, T)
    if not ok or ub.rank >= base.rank:
        return None
    nums, dens = ub.rational
    print(f"  {spec} {word}: {base.rank} -> {ub.rank} exact ({how})", file=sys.stderr)
    return {"group": G.name, "order": G.order, "fingerprint": table_fingerprint(G),
            "word": T.word.reduced(), "variables": list(T.word.variables), "rank": ub.rank,
            "denominators": [int(d) for d in dens],
            "numerators": [[int(x) for x in row] for row in
                           [np.asarray(F, dtype=object).ravel() for F in nums]],
            "found": f"{ub.method}, {seconds:g} s, seed {seed}, {datetime.date.today()}",
            "bound_without_search": base.rank}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--groups", nargs="+", default=["S3", "D4", "Q8", "Z6", "A4", "S4"])
    p.add_argument("--words", nargs="+", default=["xyx", "xyX", "xyXY", "xxyy"])
    p.add_argument("--seconds", type=float, default=60.0, help="search budget per row")
    p.add_argument("--restarts", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    from wordtensor.storage import atomic_write

    data = (json.loads(args.out.read_text()) if args.out.exists() else
            {"about": "exact certificates found by scripts/find_certificates.py (CP search and "
                      "exactification); verified in integer arithmetic whenever they are used",
             "certificates": []})
    for spec in args.groups:
        for word in args.words:
            t0 = time.perf_counter()
            entry = find(spec, word, args.seconds, args.restarts, args.seed)
            print(f"  {spec:<6} {word:<6} {time.perf_counter() - t0:7.1f} s", file=sys.stderr)
            if entry is None:
                continue
            key = (entry["fingerprint"], entry["word"], tuple(entry["variables"]))
            old = [e for e in data["certificates"]
                   if (e["fingerprint"], e["word"], tuple(e["variables"])) == key]
            if old and min(e["rank"] for e in old) <= entry["rank"]:
                continue
            data["certificates"] = [e for e in data["certificates"] if e not in old] + [entry]
            atomic_write(args.out, json.dumps(data, indent=1).encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
