"""The ``irreps``, ``characters``, ``fusion``, ``rank`` and ``atlas`` commands of the
``wordtensor`` CLI (``atlas`` lives in :mod:`fusion.atlas.command`)."""

from __future__ import annotations

import argparse

from wordtensor import Group, Word
from wordtensor.cli import emit
from wordtensor.commands import add_json
from wordtensor.validate import cli_type, finite_float, integer, out_file, positive_float

from .atlas.command import register_atlas
from .decompose import check_support_in_cover, decompose, fusion_cover
from .reps.characters import character_table
from .reps.irreps import bscs, irreps, verify_representations

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the sub-commands ``irreps``, ``characters``, ``fusion``, ``rank`` and ``atlas`` to an
    argparse sub-parsers object (the ``wordtensor.commands`` entry point of this package).

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> sub = parser.add_subparsers()
    >>> register(sub)
    >>> sorted(sub.choices)
    ['atlas', 'characters', 'fusion', 'irreps', 'rank']
    >>> args = parser.parse_args(["characters", "S3"])
    >>> args.func(args)
    character table of S3 (order 6)
    <BLANKLINE>
    class            C0   C1   C2
    size              1    3    2
    order             1    2    3
    -----------------------------
    1a           +    1    1    1
    1b           +    1   -1    1
    2a           +    2    0   -1
    <BLANKLINE>
    FS indicator: + real, o complex, - quaternionic. Class representatives:
      C0: ()
      C1: (2,3)
      C2: (1,2,3)
    0
    """
    p = sub.add_parser("irreps", help="complex irreps and bscs (real irreps) of a group")
    p.add_argument("spec", help="group spec, e.g. S3, Q8, SL(2,3)")
    add_json(p)
    p.set_defaults(func=cmd_irreps)

    p = sub.add_parser("characters", help="the character table of a group")
    p.add_argument("spec", help="group spec")
    p.add_argument("--digits", type=cli_type(integer, minimum=0, maximum=15), default=3,
                   help="decimals for irrational values, 0 to 15 (default 3)")
    add_json(p)
    p.set_defaults(func=cmd_characters)
    register_rank_commands(sub)
    register_atlas(sub)


def cmd_irreps(args: argparse.Namespace) -> int:
    G = Group.from_spec(args.spec)
    irr, bl = irreps(G), bscs(G)
    data = {
        "group": G.name,
        "order": G.order,
        "irreps": [{"index": r.index, "name": r.name, "dim": r.dim, "indicator": r.indicator,
                    "kind": r.kind} for r in irr],
        "bscs": [{"index": b.index, "name": b.name, "kind": b.kind, "dim": b.dim,
                  "irrep_dim": b.irrep_dim, "space_dim": b.space_dim,
                  "irreps": [irr[i].name for i in b.irreps]} for b in bl],
        "checks": verify_representations(G),
    }

    def text(d):
        lines = [f"{d['group']} (order {d['order']}): {len(d['irreps'])} complex irreps, "
                 f"{len(d['bscs'])} bscs", "", "complex irreps",
                 f"  {'#':>3}  {'name':<8} {'dim':>4}  {'FS':>3}  kind"]
        lines += [f"  {r['index']:>3}  {r['name']:<8} {r['dim']:>4}  {r['indicator']:>3}  {r['kind']}"
                  for r in d["irreps"]]
        lines += ["", "bscs (real irreducible representations)",
                  f"  {'#':>3}  {'name':<10} {'kind':<13} {'D':>4}  {'dim R_phi':>9}  from"]
        lines += [f"  {b['index']:>3}  {b['name']:<10} {b['kind']:<13} {b['dim']:>4}  "
                  f"{b['space_dim']:>9}  {', '.join(b['irreps'])}" for b in d["bscs"]]
        worst = max(d["checks"].values())
        lines += ["", f"checks: largest residual {worst:.1e} (homomorphism, orthogonality, "
                  "characters, projectors)"]
        return "\n".join(lines)

    emit(args, data, text)
    return 0


def _fmt(z: complex, digits: int) -> str:
    re, im = round(z.real, digits), round(z.imag, digits)
    re = 0.0 if re == 0 else re
    im = 0.0 if im == 0 else im

    def num(x):
        return str(int(x)) if float(x).is_integer() else f"{x:.{digits}f}"

    if im == 0:
        return num(re)
    if re == 0:
        return f"{num(im)}i"
    return f"{num(re)}{'+' if im > 0 else '-'}{num(abs(im))}i"


def cmd_characters(args: argparse.Namespace) -> int:
    G = Group.from_spec(args.spec)
    ct = character_table(G)
    reps = [int(c[0]) for c in G.conjugacy_classes]
    data = {
        "group": G.name,
        "order": G.order,
        "classes": [{"size": int(h), "element_order": int(G.element_orders[r]),
                     "representative": G.labels[r]} for h, r in zip(ct.class_sizes, reps)],
        "characters": [{"name": nm, "degree": int(d), "indicator": int(nu),
                        "values": [[float(v.real), float(v.imag)] for v in row]}
                       for nm, d, nu, row in zip(ct.names, ct.degrees, ct.indicators, ct.values)],
    }

    def text(d):
        cells = [[_fmt(complex(*v), args.digits) for v in ch["values"]] for ch in d["characters"]]
        width = max([len(c) for row in cells for c in row] + [4]) + 1
        head = ["class", "size", "order"]
        cols = [[f"C{i}" for i in range(len(reps))],
                [str(c["size"]) for c in d["classes"]],
                [str(c["element_order"]) for c in d["classes"]]]
        lines = [f"character table of {d['group']} (order {d['order']})", ""]
        for h, col in zip(head, cols):
            lines.append(f"{h:<10}{'':>4}" + "".join(f"{x:>{width}}" for x in col))
        lines.append("-" * (14 + width * len(reps)))
        for ch, row in zip(d["characters"], cells):
            fs = {1: "+", 0: "o", -1: "-"}[ch["indicator"]]
            lines.append(f"{ch['name']:<10}{fs:>4}" + "".join(f"{x:>{width}}" for x in row))
        lines.append("")
        lines.append("FS indicator: + real, o complex, - quaternionic. Class representatives:")
        lines += [f"  C{i}: {c['representative']}" for i, c in enumerate(d["classes"])]
        return "\n".join(lines)

    emit(args, data, text)
    return 0


def register_rank_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fusion", help="triplet decomposition of a word tensor and its fusion cover")
    p.add_argument("spec", help="group spec")
    p.add_argument("word", help="two-variable word, e.g. xy, xyX, '[x,y]'")
    p.add_argument("--tol", type=cli_type(finite_float, minimum=0, maximum=1, open_max=True),
                   default=1e-9, help="max-abs threshold for the support, in [0, 1) (default 1e-9)")
    add_json(p)
    p.set_defaults(func=cmd_fusion)

    p = sub.add_parser("rank", help="lower and certified upper bounds on the rank of a word tensor")
    p.add_argument("spec", help="group spec")
    p.add_argument("word", help="word in any number of variables, e.g. xy, xyX, '[x,y]', xyz")
    p.add_argument("--save", metavar="FILE.npz", type=cli_type(out_file, suffix=".npz", then=str),
                   help="write the upper bound's factors here")
    p.add_argument("--no-cover", action="store_true", help="skip the box cover")
    p.add_argument("--search", action="store_true",
                   help="improve the upper bound by numerical CP search (wordtensor.cp_search); "
                        "only fits that exactify become the upper bound")
    p.add_argument("--search-seconds", type=cli_type(positive_float), default=60.0,
                   help="time budget of --search in seconds, > 0 (default 60)")
    add_json(p)
    p.set_defaults(func=cmd_rank)


def cmd_fusion(args: argparse.Namespace) -> int:
    G = Group.from_spec(args.spec)
    dec = decompose(G, Word.parse(args.word), tol=args.tol)
    cov = fusion_cover(G, dec.word)
    check_support_in_cover(dec, cov)
    bl = bscs(G)
    data = {
        "group": G.name, "order": G.order, "word": str(dec.word), "method": dec.method,
        "bscs": [{"index": b.index, "name": b.name, "kind": b.kind, "dim": b.dim,
                  "space_dim": b.space_dim} for b in bl],
        "occurrences": list(cov.occurrences),
        "support": [list(t) for t in dec.support],
        "norms": [float(dec.norms[t]) for t in dec.support],
        "cover": [list(t) for t in cov.triplets],
        "support_size": len(dec.support), "cover_size": len(cov),
        "total_norm2": float(dec.norms.sum()), "tolerance": dec.tol,
    }

    def text(d):
        names = [b["name"] for b in d["bscs"]]
        lines = [f"word {d['word']} on {d['group']} (order {d['order']}); occurrences "
                 f"{d['occurrences']}; {len(names)} bscs: " + ", ".join(
                     f"{i}={b['name']} ({b['kind']}, D={b['dim']})" for i, b in enumerate(d["bscs"])),
                 f"support {d['support_size']} triplets inside a fusion cover of {d['cover_size']}"
                 f"; squared norms add up to {d['total_norm2']:.6g} (n^{len(d['occurrences'])} = "
                 f"{d['order'] ** len(d['occurrences'])})", "",
                 f"  {'triplet':<28} {'norm^2':>12}  share"]
        for t, nv in zip(d["support"], d["norms"]):
            lab = "(" + ", ".join(names[i] for i in t) + ")"
            lines.append(f"  {lab:<28} {nv:>12.6g}  {nv / d['total_norm2']:6.1%}")
        empty = [t for t in d["cover"] if t not in d["support"]]
        if empty:
            lines += ["", "in the cover but zero: " + ", ".join(
                "(" + ",".join(names[i] for i in t) + ")" for t in empty)]
        return "\n".join(lines)

    emit(args, data, text)
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    # the rank bounds need tensorly (~0.5 s to import): only this command loads them
    from .ranks import rank_bounds

    G = Group.from_spec(args.spec)
    rep = rank_bounds(G, Word.parse(args.word), cover=not args.no_cover, search=args.search,
                      search_seconds=args.search_seconds)
    if args.save:
        rep.save(args.save)
    data = rep.to_json()
    if args.save:
        data["saved"] = args.save

    def text(d):
        lines = [f"rank of {d['word']} on {d['group']}: {d['lower']} <= R <= {d['upper']}"
                 + ("  (exact)" if d["exact"] else ""),
                 f"  lower bound  {d['lower']}  by {d['lower_method']}",
                 f"  upper bound  {d['upper']}  by {d['upper_method']}; certificate "
                 f"{d['upper_certificate']}"
                 + (f" (integer check: {d['upper_check']['exact_check']})"
                    if d.get("upper_check", {}).get("exact_check") else "")
                 + f", max-abs error {d['max_abs_error']:.1e} ({d['verified_in']})"]
        refs = d.get("upper_reference") or []
        for i, r in enumerate(refs):
            lines.append(("  references   " if i == 0 else "               ") + r)
        num = d.get("upper_numerical")
        if num:
            sym = num.get("symptoms") or {}
            lines.append(f"  numerical    {num['rank']} by {num['method']} (relative error "
                         f"{num['relative_error']:.1e}"
                         + (", border-rank symptoms" if sym.get("degenerate") else "")
                         + f"): not a proof, {num.get('exactify', 'not exactified')}")
        lines.append("  candidates   " + ", ".join(
            f"{c['method']}: {c['rank']} ({c['certificate']})" for c in d["upper_candidates"]))
        if d.get("blocks"):
            lines.append("  blocks       " + " + ".join(
                f"{b['bsc']}:{b['method']}({b['rank']})" for b in d["blocks"]))
        if d.get("upper_pieces"):
            lines.append("  module       " + " + ".join(
                f"{p['bsc']}^{p['m']}:{p['format']}({p['rank']})" for p in d["upper_pieces"]))
        if d.get("upper_via"):
            lines.append(f"  via          {d['upper_via']}")
        if d.get("box_cover"):
            bc = d["box_cover"]
            lines.append(f"  box cover    {len(bc['boxes'])} boxes, bound {bc['bound']} ({bc['solver']})")
        if d.get("search"):
            lines.append("  search       " + ", ".join(
                f"{r['target'].split(' ')[0]} r={r['rank']}:"
                + ("exact" if r.get("exactified") else "no exact" if "exactified" in r
                   else "fit" if r["success"] else "no")
                for r in d["search"]))
        if d.get("saved"):
            lines.append(f"  factors written to {d['saved']}")
        return "\n".join(lines)

    emit(args, data, text)
    return 0
