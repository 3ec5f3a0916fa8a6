"""The core sub-commands ``info``, ``tensor`` and ``groups`` (the ``core`` entry point of
``wordtensor.commands``)."""

from __future__ import annotations

import argparse

import numpy as np

from .cli_common import add_json, emit
from .groups import Group
from .smallgroups import parse_orders, small_groups
from .tensors import word_tensor

__all__ = ["register", "group_info"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core sub-commands ``info``, ``tensor`` and ``groups`` to an argparse sub-parsers
    object.

    >>> parser = argparse.ArgumentParser(prog="demo")
    >>> sub = parser.add_subparsers()
    >>> register(sub)
    >>> sorted(sub.choices)
    ['groups', 'info', 'tensor']
    >>> args = parser.parse_args(["tensor", "S3", "[x,y]"])
    >>> args.func(args)
    word             [x,y]  (variables x, y)
    group            S3  (order 6)
    shape            6 x 6 x 6
    non-zeros        36  (density 0.167)
    image size       3
    fibre sizes      min 9, max 18, mean 12 over the image
    fibre histogram  3 with fibre 0, 2 with fibre 9, 1 with fibre 18
    0
    """
    p = sub.add_parser("info", help="facts about a group: order, classes, exponent, ...")
    p.add_argument("spec", help="group spec, e.g. S3, D4, Q8, Z3xS3, SL(2,3), perm:(1,2,3),(1,2)")
    p.add_argument("--labels", action="store_true", help="list the element labels")
    add_json(p)
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("tensor", help="the word tensor of a word on a group")
    p.add_argument("spec", help="group spec")
    p.add_argument("word", help="word, e.g. xy, xyX, [x,y], 'x^2 y'")
    add_json(p)
    p.set_defaults(func=cmd_tensor)

    p = sub.add_parser("groups", help="the SmallGroups of an order: GAP's ids and names",
                       description="List the groups of the shipped SmallGroup catalogue "
                       "(orders <= 100) by GAP's id, with GAP's StructureDescription.",
                       epilog=_GROUPS_JSON, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--order", required=True,
                   help="an order (24), a range (1-32) or a comma list (8,12,16-20)")
    add_json(p)
    p.set_defaults(func=cmd_groups)


_GROUPS_JSON = """--json prints {"orders": [n, ...], "count": N, "groups": [...]}; each group has
  id           [n, i], GAP's id
  spec         "SmallGroup(n,i)", the spec that names it
  structure    GAP's StructureDescription, e.g. "C2 x C2", "S4", "(C4 x C2) : C2"
  num_classes  number of conjugacy classes
  abelian      true or false
  exponent     least common multiple of the element orders"""


def group_info(G: Group, labels: bool = False) -> dict:
    """The facts ``wordtensor info`` prints, as a JSON-ready dict.

    >>> d = group_info(Group.from_spec("Q8"))
    >>> d["order"], sorted(d["class_sizes"]), d["center_order"], d["element_orders"]
    (8, [1, 1, 2, 2, 2], 2, {1: 1, 2: 1, 4: 6})
    """
    orders, counts = np.unique(G.element_orders, return_counts=True)
    out = {
        "name": G.name,
        "order": G.order,
        "num_classes": G.num_classes,
        "class_sizes": [len(c) for c in G.conjugacy_classes],
        "exponent": G.exponent,
        "abelian": G.is_abelian,
        "center_order": int(len(G.center)),
        "derived_subgroup_order": int(len(G.derived_subgroup)),
        "element_orders": {int(o): int(c) for o, c in zip(orders, counts)},
    }
    if labels:
        out["labels"] = list(G.labels)
    return out


def cmd_info(args: argparse.Namespace) -> int:
    G = Group.from_spec(args.spec)

    def text(d):
        lines = [
            f"group            {d['name']}",
            f"order            {d['order']}",
            f"classes          {d['num_classes']}  (sizes {d['class_sizes']})",
            f"exponent         {d['exponent']}",
            f"abelian          {'yes' if d['abelian'] else 'no'}",
            f"centre order     {d['center_order']}",
            f"derived subgroup {d['derived_subgroup_order']}",
            "element orders   " + ", ".join(f"{o}: {c}" for o, c in d["element_orders"].items()),
        ]
        if "labels" in d:
            lines.append("elements:")
            lines += [f"  {i:>4}  {lab}" for i, lab in enumerate(d["labels"])]
        return "\n".join(lines)

    emit(args, group_info(G, args.labels), text)
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    orders = parse_orders(args.order)
    groups = [g.summary() for g in small_groups(orders)]

    def text(d):
        width = max(len(g["spec"]) for g in d["groups"])
        lines = [f"{'id':<{width}}  {'classes':>7}  {'abelian':<7}  structure"]
        lines += [f"{g['spec']:<{width}}  {g['num_classes']:>7}  {'yes' if g['abelian'] else 'no':<7}"
                  f"  {g['structure']}" for g in d["groups"]]
        n = len(d["orders"])
        return "\n".join(lines + [f"{d['count']} group{'s' if d['count'] != 1 else ''} of "
                                  + (f"order {d['orders'][0]}" if n == 1 else f"{n} orders")])

    emit(args, {"orders": orders, "count": len(groups), "groups": groups}, text)
    return 0


def cmd_tensor(args: argparse.Namespace) -> int:
    G = Group.from_spec(args.spec)
    T = word_tensor(G, args.word)

    def text(d):
        fibres = ", ".join(f"{c} with fibre {s}" for s, c in d["fibre_size_counts"].items())
        return "\n".join([
            f"word             {d['word']}  (variables {', '.join(d['variables'])})",
            f"group            {d['group']}  (order {d['order']})",
            f"shape            {' x '.join(map(str, d['shape']))}",
            f"non-zeros        {d['nnz']}  (density {d['density']:.3g})",
            f"image size       {d['image_size']}{'  (surjective)' if d['surjective'] else ''}",
            f"fibre sizes      min {d['fibre_min']}, max {d['fibre_max']}, "
            f"mean {d['fibre_mean']:.4g} over the image",
            f"fibre histogram  {fibres}",
        ] + [f"note: {x}" for x in d["notes"]])

    emit(args, T.stats(), text)
    return 0
