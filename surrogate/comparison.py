"""The comparison table: per box of the minimal box cover (for xy: per bsc triplet (φ, φ, φ)),
the block's rank bounds, the CP surrogate's active components, the network's neurons and the
numerical rank of the network's bilinear part there.

* **Rank bounds per box.** Upper: the box's certified bound in the box cover of
  :func:`fusion.ranks.rank_bounds` (for diagonal blocks of xy the known algebra
  decomposition, e.g. Strassen's 7 for M_2(R)). Lower: the largest flattening rank of δ's box
  (numerically, :func:`wordtensor.linalg.flattening_rank`) and, for a diagonal block of xy —
  the multiplication tensor of a simple algebra A_φ of real dimension s — the Alder–Strassen
  bound 2s − 1 (A_φ has one maximal two-sided ideal). These are bounds for the box on its own.
* **Surrogate**: active pure components whose dominant triplet lies in the box, at the
  surrogate run's last logged step (its own activity and purity tolerances), and the verdict
  on each instance's fit: exact or approximate with its relative error, after a polish
  (:mod:`surrogate.fits`).
* **Network**: active pure neurons whose dominant triplet (input bscs, output bsc) lies in the
  box (:func:`surrogate.networks.analysis.neuron_boxes`), and its bilinear part there
  (:func:`surrogate.networks.bilinear.bilinear_analysis`): cosine with δ's centred box,
  multilinear ranks and, for quadratic networks, the neuron CP rank at tolerance ``tol``; and
  the cosine of the whole interaction part with C δ.

Per-instance values are lists (instance order); medians over instances are given beside them.

>>> from surrogate.networks import NetworkConfig, network_grid, train_network
>>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
...                     progress=False)
>>> [b["box"] for b in compare(res)["blocks"]]
['1a,1a,1a', '1b,1b,1b', '2a,2a,2a']
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fusion.ranks import rank_bounds
from fusion.ranks.lower import box_lower_bound
from wordtensor import WordTensorError, validate, word_tensor
from wordtensor.storage import write_json
from wordtensor.validate import tolerance

from .cp.result import TrainResult
from .cp.runs import load_run
from .folders import RunLock
from .networks.analysis import NetworkAnalyzer, neuron_boxes
from .networks.bilinear import bilinear_analysis
from .networks.result import NetworkResult
from .networks.runs import load_network_run

__all__ = ["compare", "compare_text"]


def _median(values):
    vals = [v for v in values if v is not None]
    return None if not vals else float(np.median(vals))


def _in_box(triplet, sets) -> bool:
    return all(t in s for t, s in zip(triplet, sets))


def _surrogate_counts(sres: TrainResult, spec: str, word: str, boxes):
    if (sres.config.spec, sres.config.word) != (spec, word):
        raise WordTensorError(f"the surrogate run {sres.run_dir} is for {sres.config.spec} "
                              f"{sres.config.word}, the network run for {spec} {word}")
    dom = sres.dynamics["dominant"][-1]
    pur = sres.dynamics["purity"][-1]
    act = sres.dynamics["active"][-1]
    out = []
    for b in range(len(sres.config.instances)):
        pure = [tuple(int(x) for x in dom[b][r]) for r in np.flatnonzero(act[b])
                if pur[b][r] >= sres.config.purity_tol]
        out.append([sum(_in_box(t, sets) for t in pure) for sets in boxes])
    summ = sres.summary()
    return out, {"run_dir": sres.run_dir, "instances": len(sres.config.instances),
                 "test_accuracy": summ["test_accuracy"], "widths": summ["widths"],
                 "fit": summ["fit"], "fit_relative_error": summ["fit_relative_error"]}


def compare(network: NetworkResult | str | os.PathLike, *,
            surrogate: TrainResult | str | os.PathLike | None = None, report=None,
            analyzer: NetworkAnalyzer | None = None, instances: list[int] | None = None,
            tol: float = 1e-2, write: bool = True) -> dict:
    """The comparison table of a network run (module docstring): ``network`` and
    ``surrogate`` are results or run folders; ``report`` the
    :func:`fusion.ranks.rank_bounds` report and ``analyzer`` the network analyzer of the word
    tensor when the caller has them (default: computed). ``instances``: which network
    instances (default all that did not diverge). With ``write`` the table is saved as
    ``compare.json`` in the network's run folder. Keys: ``spec``, ``word``, ``bounds`` (lower,
    upper, methods), ``blocks`` (one record per box), ``other`` (neurons outside every box,
    mixed neurons), ``cosine`` (per instance: the whole interaction part against C δ),
    ``instances``, ``network`` and ``surrogate`` (what was read, with the verdict on each
    surrogate fit: ``fit``, ``fit_relative_error``).

    >>> import tempfile, os
    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> d = os.path.join(tempfile.mkdtemp(), "run")
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
    ...                   run_dir=d, progress=False)
    >>> table = compare(d)
    >>> table["bounds"]["lower"], table["bounds"]["upper"]
    (9, 9)
    >>> [(b["box"], b["block_dim"], b["rank_lower"], b["rank_upper"]) for b in table["blocks"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('1a,1a,1a', [1, 1, 1], 1, 1), ('1b,1b,1b', [1, 1, 1], 1, 1),
     ('2a,2a,2a', [4, 4, 4], 7, 7)]
    >>> os.path.exists(os.path.join(d, "compare.json"))
    True
    """
    tol = tolerance(tol, "tol")
    res = network if isinstance(network, NetworkResult) else load_network_run(network)
    cfg = res.config
    if not res.params:
        raise WordTensorError(f"{res.run_dir} has no saved parameters (state.npz); train it first")
    B = len(cfg.instances)
    status = res.status or ["ok"] * B
    if instances is None:
        instances = [b for b, s in enumerate(status) if s == "ok"]
    instances = [int(b) for b in instances]
    bad = [b for b in instances if not 0 <= b < B]
    if bad:
        raise WordTensorError(f"no instance {bad[0]} in this network run: it has instances "
                              f"0..{B - 1}")
    if not instances:
        raise WordTensorError(f"no usable instance in {res.run_dir} (all diverged?)")
    an = analyzer if analyzer is not None else NetworkAnalyzer(word_tensor(cfg.spec, cfg.word))
    tensor = an.tensor
    names = an.bsc_names
    bounds = {"lower": None, "upper": None, "lower_method": None, "upper_method": None}
    try:
        rep = report if report is not None else rank_bounds(tensor.group, tensor.word)
        bounds = {"lower": rep.lower, "upper": rep.upper, "lower_method": rep.lower_method,
                  "upper_method": rep.upper_method}
        boxes = [(tuple(tuple(s) for s in b["sets"]), b["bound"], b["method"])
                 for b in rep.to_json()["box_cover"]["boxes"]]
    except WordTensorError as exc:  # words with more variables: support triplets, no bounds
        bounds["note"] = str(exc)
        boxes = [(tuple((p,) for p in t), None, None) for t in an.support]
    sets_list = [b[0] for b in boxes]
    summ = res.summary()
    wm = np.arange(cfg.width)[None, :] < np.array([i.width for i in cfg.instances])[:, None]
    nb = neuron_boxes(res.params, cfg.activation, an, active_tol=cfg.active_tol,
                      purity_tol=cfg.purity_tol, width_mask=wm)
    bil = bilinear_analysis(res.params, cfg.activation, an, instances=instances, tol=tol,
                            boxes=sets_list)
    neuron_counts, other, mixed = [], [], []
    for b in instances:
        pure = [tuple(int(x) for x in nb["dominant"][b][j]) for j in np.flatnonzero(nb["active"][b])
                if nb["purity"][b][j] >= cfg.purity_tol]
        neuron_counts.append([sum(_in_box(t, s) for t in pure) for s in sets_list])
        other.append(sum(not any(_in_box(t, s) for s in sets_list) for t in pure))
        mixed.append(int(nb["mixed"][b]))
    sur, sur_info = (None, None)
    if surrogate is not None:
        sres = surrogate if isinstance(surrogate, TrainResult) else load_run(surrogate)
        sur, sur_info = _surrogate_counts(sres, cfg.spec, cfg.word, sets_list)
    blocks = []
    for i, (sets, upper, upper_method) in enumerate(boxes):
        lower, lower_method = box_lower_bound(an.decomposition, sets)
        trips = [t for t in an.support if _in_box(t, sets)]
        neurons = [c[i] for c in neuron_counts]
        bl = [x["blocks"][i] for x in bil]
        rank = [r.get("neuron_cp_rank") for r in bl]
        rec = {
            "box": ",".join("+".join(names[p] for p in s) for s in sets),
            "sets": [[names[p] for p in s] for s in sets],
            "triplets": [an.triplet_name(t) for t in trips],
            "block_dim": [sum(an.slices[p].stop - an.slices[p].start for p in s) for s in sets],
            "rank_lower": lower, "lower_method": lower_method,
            "rank_upper": upper, "upper_method": upper_method,
            "surrogate_active": None if sur is None else [c[i] for c in sur],
            "surrogate_active_median": None if sur is None else _median([c[i] for c in sur]),
            "network_neurons": neurons, "network_neurons_median": _median(neurons),
            "network_rank": rank, "network_rank_median": _median(rank),
            "network_multilinear": [r["multilinear"] for r in bl],
            "network_cosine": [r["cosine"] for r in bl],
            "network_norm": [r["norm"] for r in bl],
            "centred_delta_norm": bl[0]["delta_norm"],
        }
        blocks.append(rec)
    data = {
        "spec": cfg.spec, "word": cfg.word, "run_dir": res.run_dir,
        "activation": cfg.activation, "bounds": bounds,
        "instances": instances,
        "seeds": [cfg.instances[b].seed for b in instances],
        "widths": [cfg.instances[b].width for b in instances],
        "test_accuracy": [summ["test_accuracy"][b] for b in instances],
        "step_test_99": [summ["step_test_99"][b] for b in instances],
        "cosine": [x["cosine"] for x in bil],
        "blocks": blocks,
        "other": {"off_box_neurons": other, "mixed_neurons": mixed,
                  "active_neurons": [int(nb["active"][b].sum()) for b in instances],
                  "support_mass": [x["support_mass"] for x in bil]},
        "network": {"active_tol": cfg.active_tol, "purity_tol": cfg.purity_tol,
                    "rank_tol": tol,
                    "rank_method": ("neuron CP rank (fewest neuron terms within rank_tol) and "
                                    "SVD multilinear ranks at rank_tol")},
        "surrogate": sur_info,
    }
    if write and res.run_dir is not None:
        with RunLock(res.run_dir):
            write_json(Path(res.run_dir) / "compare.json", data)
    return data


def check_comparison(d: object) -> dict:
    """``d`` if it has the shape of :func:`compare`'s result (a dict with its ``bounds`` and
    ``blocks``); a clear error otherwise."""
    validate.instance(d, "d", dict, "the dict that compare(...) returns")
    missing = [k for k in ("bounds", "blocks") if k not in d]
    if missing or not isinstance(d["blocks"], list) or not isinstance(d["bounds"], dict):
        lacks = ", ".join(missing) or "bounds of the right type (a dict) and blocks (a list)"
        raise WordTensorError(f"d is not a comparison: it lacks {lacks}; make one with "
                              "compare(result)")
    return d


def compare_text(d: dict) -> str:
    """A plain-text rendering of :func:`compare`'s table.

    >>> from surrogate.networks import NetworkConfig, network_grid, train_network
    >>> res = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
    ...                     progress=False)
    >>> lines = compare_text(compare(res, write=False)).splitlines()
    >>> lines[0].startswith("S3 xy: rank 9..9 (alder-strassen; constructive)")
    True
    >>> [line.split()[:4] for line in lines[2:5]]          # box, dimensions, lower, upper
    ... # doctest: +NORMALIZE_WHITESPACE
    [['1a,1a,1a', '1x1x1', '1', '1'], ['1b,1b,1b', '1x1x1', '1', '1'],
     ['2a,2a,2a', '4x4x4', '7', '7']]
    """
    check_comparison(d)
    b = d["bounds"]

    def med(rec, key):
        vals = [v for v in rec[key] if v is not None] if rec[key] is not None else []
        if not vals:
            return "-"
        lo, hi, m = min(vals), max(vals), np.median(vals)
        return f"{m:g}" if lo == hi else f"{m:g} [{lo}-{hi}]"

    acc = [a for a in d["test_accuracy"] if a is not None]
    lines = [f"{d['spec']} {d['word']}: rank {b['lower']}..{b['upper']} "
             f"({b['lower_method']}; {b['upper_method']}); {d['activation']} network, "
             f"{len(d['instances'])} instance(s), test accuracy "
             f"{np.median(acc) if acc else float('nan'):.3f} (median)",
             f"  {'box':<18} {'dim':>9} {'lower':>5} {'upper':>5} {'surrogate':>10} "
             f"{'neurons':>12} {'rank(net)':>10} {'cos(net,δ)':>10}  multilinear(net)"]
    for r in d["blocks"]:
        cos = [c for c in r["network_cosine"] if c is not None]
        ml = r["network_multilinear"][0] if r["network_multilinear"] else []
        lines.append(
            f"  {r['box']:<18} {'x'.join(map(str, r['block_dim'])):>9} {r['rank_lower']:>5} "
            f"{'-' if r['rank_upper'] is None else r['rank_upper']:>5} "
            f"{med(r, 'surrogate_active'):>10} {med(r, 'network_neurons'):>12} "
            f"{med(r, 'network_rank'):>10} {np.median(cos) if cos else float('nan'):>10.3f}  "
            f"{tuple(ml)}")
    o = d["other"]
    lines.append(f"  neurons outside every box: {o['off_box_neurons']}, mixed: {o['mixed_neurons']}, "
                 f"active: {o['active_neurons']}; interaction mass on the support: "
                 + ", ".join("-" if m is None else f"{m:.3f}" for m in o["support_mass"]))
    if d.get("cosine"):
        lines.append("  cosine of the whole interaction part with C δ: "
                     + ", ".join("-" if c is None else f"{c:.4f}" for c in d["cosine"]))
    sur = d.get("surrogate") or {}
    if sur.get("fit"):
        lines.append("  surrogate fits: " + ", ".join(
            "-" if f is None else f"{f} ({e:.1e})"
            for f, e in zip(sur["fit"], sur["fit_relative_error"])))
    return "\n".join(lines)
