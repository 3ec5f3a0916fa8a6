"""The atlas as tables: one row per cell (:func:`atlas_rows`), the CSV (:func:`atlas_csv`),
the summary (:func:`atlas_summary`: exact cells, widest intervals, what resists) and the
markdown report grouped by order (:func:`atlas_markdown`).

The rank report is read as JSON data: the columns are the bounds, their methods and the
verification, then every optional key that a report has (``lower_reference``,
``lower_bounds``, ``upper_certificate``, ``upper_reference``, ``upper_numerical``, and any
other plain value), so that the tables follow the rank engine as it grows.

>>> rows = atlas_rows(_example_records())
>>> [(r["structure"], r["word"], r["lower"], r["upper"], r["exact"]) for r in rows]
[('S3', 'xy', 9, 9, True), ('S3', 'xyx', 6, 10, False), ('C6', 'xyz', None, None, None)]
>>> atlas_summary(rows)["exact"], atlas_summary(rows)["failed"]
(1, 1)
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Sequence

__all__ = ["atlas_rows", "atlas_csv", "atlas_summary", "atlas_markdown", "OPTIONAL_KEYS"]

#: Keys of the rank report that the newer rank engines add; a column each when present.
OPTIONAL_KEYS = ("lower_reference", "lower_bounds", "upper_certificate", "upper_reference",
                 "upper_numerical")
_CORE = ("order", "index", "spec", "structure", "word", "status", "lower", "upper", "exact",
         "gap", "ratio", "lower_method", "upper_method")
_TAIL = ("max_abs_error", "verified_in", "seconds", "error")
#: Report keys that are in the core columns, or structures the CSV leaves to the cell files.
_NOT_EXTRA = set(_CORE) | set(_TAIL) | {"group", "box_cover", "flattening", "blocks",
                                        "candidates", "search", "equivalent_to_xy"}


def _example_records() -> list[dict]:
    """Three small records (ok, open, failed) for the examples."""
    def rec(n, i, s, w, lo=None, up=None, err=None, **extra):
        rep = None if err else {"lower": lo, "upper": up, "exact": lo == up,
                                "lower_method": "flattening", "upper_method": "box cover",
                                "max_abs_error": 0.0, "verified_in": "group basis",
                                "seconds": 0.01, **extra}
        return {"key": f"{n}_{i}_{w}", "status": "failed" if err else "ok",
                "params": {"spec": f"SmallGroup({n},{i})", "id": [n, i], "structure": s, "word": w},
                "result": None if err else {"report": rep}, "timing": {"seconds": 0.02},
                "error": {"type": "WordTensorError", "message": err} if err else None}

    return [rec(6, 1, "S3", "xy", 9, 9, lower_reference="Alder-Strassen 1981"),
            rec(6, 1, "S3", "xyx", 6, 10), rec(6, 2, "C6", "xyz", err="xyz has 3 variables")]


#: Keys of the entries of a list (e.g. ``lower_bounds``) that the CSV leaves to the cell files:
#: each entry's citation and details, repeated in every row, made 10 of the 13 MB of the
#: order <= 64 atlas.
_CELL_FILE_ONLY = ("reference", "detail")


def _plain(v) -> object:
    """A CSV cell: plain values as they are, structures as compact JSON (list entries without
    their ``reference`` and ``detail``: the cell files keep them).

    >>> _plain([{"value": 12, "method": "flattening", "reference": "Landsberg", "detail": {}}])
    '[{"value":12,"method":"flattening"}]'
    """
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, list):
        v = [{k: x for k, x in e.items() if k not in _CELL_FILE_ONLY} if isinstance(e, dict)
             else e for e in v]
    return json.dumps(v, separators=(",", ":"))


def atlas_rows(records: Sequence[dict | None], keys: Sequence[str] | None = None,
               params: Sequence[dict] | None = None) -> list[dict]:
    """One flat row per cell record: the group, the word, the status (``ok``, ``failed``, or
    ``missing`` for a cell without a record, given by ``params``), the bounds and methods, the
    gap ``upper − lower`` and the ratio ``upper / lower``, the optional report keys, the error.

    >>> r = atlas_rows(_example_records())[1]
    >>> r["gap"], round(r["ratio"], 3), r["lower_reference"]
    (4, 1.667, None)
    >>> atlas_rows([None], params=[{"id": [8, 3], "spec": "SmallGroup(8,3)",
    ...                             "structure": "D8", "word": "xy"}])[0]["status"]
    'missing'
    """
    present = [r for r in records if r is not None]
    extras = [k for k in OPTIONAL_KEYS if any(k in _report(r) for r in present)]
    extras += sorted({k for r in present for k, v in _report(r).items()
                      if k not in _NOT_EXTRA and k not in OPTIONAL_KEYS
                      and (v is None or isinstance(v, (str, int, float, bool)))})
    rows = []
    for j, rec in enumerate(records):
        p = rec["params"] if rec is not None else params[j]
        rep = _report(rec) if rec is not None else {}
        lo, up = rep.get("lower"), rep.get("upper")
        row = {"order": p["id"][0], "index": p["id"][1], "spec": p["spec"],
               "structure": p["structure"], "word": p["word"],
               "status": rec["status"] if rec is not None else "missing",
               "lower": lo, "upper": up,
               "exact": (lo == up) if lo is not None and up is not None else None,
               "gap": up - lo if lo is not None and up is not None else None,
               "ratio": up / lo if lo and up is not None else None,
               "lower_method": rep.get("lower_method"), "upper_method": rep.get("upper_method")}
        row.update({k: _plain(rep.get(k)) for k in extras})
        row.update({"max_abs_error": rep.get("max_abs_error"),
                    "verified_in": rep.get("verified_in"),
                    "seconds": rep.get("seconds", (rec or {}).get("timing", {}).get("seconds")),
                    "error": ((rec or {}).get("error") or {}).get("message")})
        rows.append(row)
    return rows


def _report(record: dict | None) -> dict:
    return ((record or {}).get("result") or {}).get("report") or {}


def atlas_csv(rows: Sequence[dict]) -> str:
    """The CSV text of the rows (columns in the order of :func:`atlas_rows`).

    >>> print(atlas_csv(atlas_rows(_example_records())).splitlines()[1])  # doctest: +ELLIPSIS
    6,1,"SmallGroup(6,1)",S3,xy,ok,9,9,True,0,1.0,flattening,box cover,Alder-Strassen 1981,0.0,...
    """
    buf = io.StringIO()  # every row has the same columns (atlas_rows makes them so)
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else list(_CORE + _TAIL),
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _short(v) -> str:
    """A short text form of an optional value (a certificate kind, a reference, a rank)."""
    if isinstance(v, str) and v.startswith(("{", "[")):
        try:
            v = json.loads(v)
        except ValueError:
            pass
    if isinstance(v, dict):
        for k in ("kind", "method", "rank", "reference"):
            if k in v:
                return _short(v[k])
        return json.dumps(v, separators=(",", ":"))[:40]
    if isinstance(v, list):
        return "; ".join(_short(x) for x in v)[:60]
    return "" if v is None else str(v)


def atlas_summary(rows: Sequence[dict], top: int = 10) -> dict:
    """The summary of the atlas: counts (cells, ok, exact, failed, missing), per word
    (cells, exact, open, failed, median ratio), the ``top`` widest intervals (largest
    ``upper − lower``, then ratio), the (lower method, upper method) pairs of the open cells
    (what resists), the failed cells, the sum of the cells' times and the slowest cells.

    >>> s = atlas_summary(atlas_rows(_example_records()))
    >>> s["by_word"]["xyx"]["open"], s["resists"], s["failures"][0]["error"]
    (1, [['flattening', 'box cover', 1]], 'xyz has 3 variables')
    """
    ok = [r for r in rows if r["status"] == "ok"]
    opened = [r for r in ok if not r["exact"]]
    by_word: dict[str, dict] = {}
    for r in rows:
        d = by_word.setdefault(r["word"], {"cells": 0, "exact": 0, "open": 0, "failed": 0,
                                           "missing": 0, "ratios": []})
        d["cells"] += 1
        if r["status"] == "ok":
            d["exact" if r["exact"] else "open"] += 1
            d["ratios"].append(r["ratio"] or 1.0)
        else:
            d[r["status"]] += 1
    for d in by_word.values():
        ratios = d.pop("ratios")
        d["median_ratio"] = statistics.median(ratios) if ratios else None
    widest = sorted(opened, key=lambda r: (-r["gap"], -(r["ratio"] or 0), r["order"], r["index"]))
    pairs = Counter((r["lower_method"], r["upper_method"]) for r in opened)
    times = [r["seconds"] for r in rows if isinstance(r.get("seconds"), (int, float))]
    certificates = Counter(_short(r.get("upper_certificate")) or r["upper_method"] for r in ok)
    return {"cells": len(rows), "ok": len(ok), "exact": len(ok) - len(opened),
            "open": len(opened), "failed": sum(r["status"] == "failed" for r in rows),
            "missing": sum(r["status"] == "missing" for r in rows), "by_word": by_word,
            "widest": [{k: r.get(k) for k in ("spec", "structure", "word", "lower", "upper",
                                              "gap", "ratio", "lower_method", "upper_method",
                                              *OPTIONAL_KEYS) if k in r}
                       for r in widest[:top]],
            "resists": [[lo, up, n] for (lo, up), n in pairs.most_common()],
            "certificates": dict(certificates.most_common()),
            "failures": [{"spec": r["spec"], "word": r["word"], "error": r["error"]}
                         for r in rows if r["status"] == "failed"],
            "cell_seconds": sum(times),
            "slowest": [{"spec": r["spec"], "word": r["word"], "seconds": r["seconds"]}
                        for r in sorted(rows, key=lambda r: -(r.get("seconds") or 0))[:3]]}


def _interval(r: dict) -> str:
    if r["status"] == "failed":
        return "✗"
    if r["status"] == "missing":
        return "·"
    return f"**{r['lower']}**" if r["exact"] else f"{r['lower']}–{r['upper']}"


def atlas_markdown(rows: Sequence[dict], *, header: Sequence[str] = (), figure: str | None = None
                   ) -> str:
    """The atlas as a markdown report: ``header`` lines, the summary (per word, the widest
    intervals, what resists, failures), then one table per order with a row per group and a
    column per word (``**r**`` exact, ``l–u`` the interval, ✗ failed, · not computed).

    >>> text = atlas_markdown(atlas_rows(_example_records()), header=["# Demo"])
    >>> print(text[text.index("## Order 6"):].strip())
    ## Order 6 (2 groups)
    <BLANKLINE>
    | id | structure | xy | xyx | xyz |
    | --- | --- | --- | --- | --- |
    | (6,1) | S3 | **9** | 6–10 | · |
    | (6,2) | C6 | · | · | ✗ |
    """
    s = atlas_summary(rows)
    words = list(dict.fromkeys(r["word"] for r in rows))
    out = [*header, "", "## Summary", "",
           f"{s['cells']} cells: **{s['exact']} exact**, {s['open']} open, {s['failed']} failed"
           + (f", {s['missing']} not computed" if s["missing"] else "")
           + f". The cells took {s['cell_seconds']:.1f} s in all (their own times).", "",
           "| word | cells | exact | open | failed | median upper/lower |",
           "| --- | --- | --- | --- | --- | --- |"]
    for w, d in s["by_word"].items():
        med = "–" if d["median_ratio"] is None else f"{d['median_ratio']:.2f}"
        out.append(f"| `{w}` | {d['cells']} | {d['exact']} | {d['open']} | {d['failed']} | {med} |")
    opt = [k for k in OPTIONAL_KEYS if any(r.get(k) is not None for r in rows)]
    if s["widest"]:
        out += ["", "### The widest intervals", "",
                "| group | word | lower | upper | upper − lower | upper/lower | lower by | upper by |"
                + "".join(f" {k} |" for k in opt),
                "| --- " * (8 + len(opt)) + "|"]
        for r in s["widest"]:
            out.append(f"| {r['spec']} = {r['structure']} | `{r['word']}` | {r['lower']} | "
                       f"{r['upper']} | {r['gap']} | {r['ratio']:.2f} | {r['lower_method']} | "
                       f"{r['upper_method']} |" + "".join(f" {_short(r.get(k))} |" for k in opt))
    if s["resists"]:
        out += ["", "### What resists", "",
                "The open cells by the methods of their two bounds (the lower bound's method, "
                "then the upper bound's):", "", "| lower by | upper by | open cells |",
                "| --- | --- | --- |"]
        out += [f"| {lo} | {up} | {n} |" for lo, up, n in s["resists"]]
    out += ["", "Upper bounds by " + ("certificate" if "upper_certificate" in opt else "method")
            + ": " + ", ".join(f"{k} {v}" for k, v in s["certificates"].items()) + "."]
    if s["failures"]:
        out += ["", "### Failed cells", ""]
        out += [f"- {f['spec']} `{f['word']}`: {f['error']}" for f in s["failures"]]
    if figure:
        out += ["", f"![upper − lower per group and word; exact cells marked]({figure})"]
    groups = list(dict.fromkeys((r["order"], r["index"], r["structure"]) for r in rows))
    cell = {(r["order"], r["index"], r["word"]): r for r in rows}
    for n in sorted({g[0] for g in groups}):
        these = [g for g in groups if g[0] == n]
        out += ["", f"## Order {n} ({len(these)} group{'s' if len(these) != 1 else ''})", "",
                "| id | structure | " + " | ".join(f"{w}" for w in words) + " |",
                "| --- " * (2 + len(words)) + "|"]
        for (_, i, st) in these:
            out.append(f"| ({n},{i}) | {st} | " + " | ".join(
                _interval(cell[(n, i, w)]) if (n, i, w) in cell else "·" for w in words) + " |")
    return "\n".join(out) + "\n"
