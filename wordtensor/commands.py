"""Core sub-commands: ``info`` and ``tensor``."""

from __future__ import annotations

import argparse

import numpy as np

from .cli import emit
from .groups import Group
from .tensors import word_tensor

__all__ = ["register", "add_json"]


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def register(sub) -> None:
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


def group_info(G: Group, labels: bool = False) -> dict:
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


def cmd_info(args) -> int:
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


def cmd_tensor(args) -> int:
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
        ])

    emit(args, T.stats(), text)
    return 0
