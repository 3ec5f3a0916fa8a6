"""The comparison table: per box of the minimal box cover (for xy: per bsc triplet (φ, φ, φ)),
the block's rank bounds, the CP surrogate's active components, the network's neurons and the
numerical rank of the network's bilinear part there.

* **Rank bounds per box.** Upper: the box's certified bound from :func:`fusion.ranks.rank_bounds`
  (its box cover; for diagonal blocks of xy the known algebra decomposition, e.g. Strassen's 7
  for M_2(R)). Lower: the largest multilinear rank of δ's box (its flattenings) and, for a
  diagonal block of xy — the multiplication tensor of a simple algebra A_φ of real dimension
  s — the Alder–Strassen bound 2s − 1 (A_φ has one maximal two-sided ideal). These are bounds
  for the box on its own.
* **Surrogate** (``surrogate_dir``): active pure components whose dominant triplet lies in the
  box, at the surrogate run's last logged step (its own activity and purity tolerances).
* **Network**: active pure neurons whose dominant triplet (input bscs, output bsc) lies in the
  box (:func:`surrogate.network_analysis.neuron_boxes`), and its bilinear part there
  (:func:`surrogate.network_analysis.bilinear_analysis`): cosine with δ's centred box,
  multilinear ranks (SVD) and, for quadratic networks, the neuron CP rank at tolerance ``tol``.

Per-instance values are lists (instance order); medians over instances are given beside them.

>>> from surrogate.network import NetworkConfig, network_grid, train_network
>>> import tempfile, os
>>> d = os.path.join(tempfile.mkdtemp(), "run")
>>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
...                   run_dir=d, progress=False)
>>> table = compare(d)
>>> [b["box"] for b in table["blocks"]]
['1a,1a,1a', '1b,1b,1b', '2a,2a,2a']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wordtensor import WordTensorError, word_tensor
from wordtensor.storage import write_json

__all__ = ["compare", "compare_text", "plot_compare", "box_lower_bound"]


def _median(values):
    vals = [v for v in values if v is not None]
    return None if not vals else float(np.median(vals))


def _in_box(triplet, sets) -> bool:
    return all(t in s for t, s in zip(triplet, sets))


def box_lower_bound(dec, sets, *, multiplication: bool) -> tuple[int, str]:
    """(lower bound, method) for the rank of δ restricted to the box ``sets`` (module
    docstring): the largest flattening rank of the box, and Alder–Strassen 2s − 1 for a
    diagonal block (φ, φ, φ) of xy with s = dim R_φ.

    >>> from fusion.decompose import decompose
    >>> dec = decompose("S3", "xy")
    >>> [box_lower_bound(dec, ((p,), (p,), (p,)), multiplication=True) for p in range(3)]
    [(1, 'flattening'), (1, 'flattening'), (7, 'alder-strassen 2s-1')]
    >>> box_lower_bound(dec, ((2,), (2,), (2,)), multiplication=False)   # flattenings alone
    (4, 'flattening')

    (1 + 1 + 7 = 9, the rank of the whole tensor: Strassen's 7 is optimal for M_2(R).)
    """
    F = dec.basis
    idx = [np.concatenate([np.arange(F.matrix.shape[0])[F.slices[p]] for p in s]) for s in sets]
    X = np.zeros(tuple(len(i) for i in idx))
    offs = [np.concatenate([[0], np.cumsum([F.slices[p].stop - F.slices[p].start for p in s])])
            for s in sets]
    for trip, block in dec.blocks.items():
        if _in_box(trip, sets):
            pos = [list(s).index(t) for s, t in zip(sets, trip)]
            X[tuple(slice(o[p], o[p + 1]) for o, p in zip(offs, pos))] = block
    flat = 0
    for m in range(X.ndim):
        sv = np.linalg.svd(np.moveaxis(X, m, 0).reshape(X.shape[m], -1), compute_uv=False)
        flat = max(flat, int(np.sum(sv > 1e-9 * max(1.0, sv[0] if sv.size else 1.0))))
    best, method = flat, "flattening"
    if multiplication and all(len(s) == 1 for s in sets) and len({s[0] for s in sets}) == 1:
        s = F.slices[sets[0][0]].stop - F.slices[sets[0][0]].start
        if 2 * s - 1 > best:
            best, method = 2 * s - 1, "alder-strassen 2s-1"
    return best, method


def _surrogate_counts(surrogate_dir, spec: str, word: str, boxes, support):
    from .runs import load_run

    sres = load_run(surrogate_dir)
    if (sres.config.spec, sres.config.word) != (spec, word):
        raise WordTensorError(f"the surrogate run {surrogate_dir} is for {sres.config.spec} "
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
    return out, {"run_dir": str(surrogate_dir), "instances": len(sres.config.instances),
                 "test_accuracy": summ["test_accuracy"], "widths": summ["widths"]}


def compare(run_dir, *, surrogate_dir=None, instances=None, tol: float = 1e-2,
            write: bool = True) -> dict:
    """The comparison table of a network run folder (module docstring). ``instances``: which
    network instances (default all that did not diverge). With ``write`` the table is saved as
    ``compare.json`` in the run folder. Keys: ``spec``, ``word``, ``bounds`` (lower, upper,
    methods), ``blocks`` (one record per box), ``other`` (neurons outside every box, mixed
    neurons), ``instances``, ``network`` and ``surrogate`` (what was read).

    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> import tempfile, os
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
    from fusion.decompose import is_multiplication

    from .network import load_network_run
    from .network_analysis import NetworkAnalyzer, bilinear_analysis, neuron_boxes

    res = load_network_run(run_dir)
    cfg = res.config
    if not res.params:
        raise WordTensorError(f"{run_dir} has no saved parameters (state.npz); train it first")
    tensor = word_tensor(cfg.spec, cfg.word)
    an = NetworkAnalyzer(tensor)
    names = an.bsc_names
    mult = is_multiplication(tensor.word)
    bounds = {"lower": None, "upper": None, "lower_method": None, "upper_method": None}
    try:
        from fusion.ranks import rank_bounds

        rep = rank_bounds(tensor.group, tensor.word)
        bounds = {"lower": rep.lower, "upper": rep.upper, "lower_method": rep.lower_method,
                  "upper_method": rep.upper_method}
        boxes = [(tuple(tuple(s) for s in b.sets), b.bound, b.method) for b in rep.box_cover.boxes]
    except WordTensorError as exc:  # words with more variables: support triplets, no bounds
        bounds["note"] = str(exc)
        boxes = [(tuple((p,) for p in t), None, None) for t in an.support]
    sets_list = [b[0] for b in boxes]
    status = res.status or ["ok"] * len(cfg.instances)
    if instances is None:
        instances = [b for b, s in enumerate(status) if s == "ok"]
    instances = [int(b) for b in instances]
    if not instances:
        raise WordTensorError(f"no usable instance in {run_dir} (all diverged?)")
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
    if surrogate_dir is not None:
        sur, sur_info = _surrogate_counts(surrogate_dir, cfg.spec, cfg.word, sets_list, an.support)
    blocks = []
    for i, (sets, upper, upper_method) in enumerate(boxes):
        lower, lower_method = box_lower_bound(an.decomposition, sets, multiplication=mult)
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
        "spec": cfg.spec, "word": cfg.word, "run_dir": str(run_dir),
        "activation": cfg.activation, "bounds": bounds,
        "instances": instances,
        "seeds": [cfg.instances[b].seed for b in instances],
        "widths": [cfg.instances[b].width for b in instances],
        "test_accuracy": [summ["test_accuracy"][b] for b in instances],
        "step_test_99": [summ["step_test_99"][b] for b in instances],
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
    if write:
        write_json(Path(run_dir) / "compare.json", data)
    return data


def compare_text(d: dict) -> str:
    """A plain-text rendering of :func:`compare`'s table.

    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "run")
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
    ...                   run_dir=d, progress=False)
    >>> lines = compare_text(compare(d, write=False)).splitlines()
    >>> lines[0].startswith("S3 xy: rank 9..9 (alder-strassen; constructive)")
    True
    >>> [line.split()[:4] for line in lines[2:5]]          # box, dimensions, lower, upper
    ... # doctest: +NORMALIZE_WHITESPACE
    [['1a,1a,1a', '1x1x1', '1', '1'], ['1b,1b,1b', '1x1x1', '1', '1'],
     ['2a,2a,2a', '4x4x4', '7', '7']]
    """
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
    return "\n".join(lines)


def plot_compare(d: dict, path) -> Path:
    """Bars per box: rank lower / upper bound, the network's neurons (median, min–max), the
    numerical rank of its bilinear part, and the surrogate's active components when given.

    >>> from surrogate.network import NetworkConfig, network_grid, train_network
    >>> import tempfile, os
    >>> d = os.path.join(tempfile.mkdtemp(), "run")
    >>> _ = train_network(NetworkConfig("S3", "xy", network_grid(1, 16, 1.0), steps=5),
    ...                   run_dir=d, progress=False)
    >>> png = plot_compare(compare(d, write=False), os.path.join(tempfile.mkdtemp(), "c.png"))
    >>> png.suffix, png.exists()
    ('.png', True)
    """
    from matplotlib.figure import Figure

    blocks = d["blocks"]
    x = np.arange(len(blocks))
    series = [("rank lower", [r["rank_lower"] for r in blocks], None, "0.75"),
              ("rank upper (certified)", [r["rank_upper"] for r in blocks], None, "0.45")]

    def stat(key):
        med, err = [], [[], []]
        for r in blocks:
            vals = [v for v in (r[key] or []) if v is not None]
            m = float(np.median(vals)) if vals else np.nan
            med.append(m)
            err[0].append(m - min(vals) if vals else 0)
            err[1].append(max(vals) - m if vals else 0)
        return med, err

    if blocks and blocks[0]["surrogate_active"] is not None:
        series.append(("surrogate components", *stat("surrogate_active"), "C2"))
    series.append(("network neurons", *stat("network_neurons"), "C0"))
    if any(v is not None for r in blocks for v in r["network_rank"]):
        series.append(("network rank (neuron CP)", *stat("network_rank"), "C1"))
    width = 0.8 / len(series)
    fig = Figure(figsize=(max(6, 1.3 * len(blocks) + 2), 4.2))
    ax = fig.subplots()
    for j, (label, vals, err, colour) in enumerate(series):
        vals = np.array([np.nan if v is None else v for v in vals], dtype=float)
        ax.bar(x + (j - (len(series) - 1) / 2) * width, vals, width, label=label, color=colour,
               yerr=err, capsize=2 if err is not None else 0)
    ax.set_xticks(x, [r["box"] for r in blocks], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("count")
    ax.legend(fontsize=7)
    b = d["bounds"]
    ax.set_title(f"{d['spec']} {d['word']}: neurons per block vs rank bounds "
                 f"(total {b['lower']}..{b['upper']})", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
