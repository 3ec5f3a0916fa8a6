"""The main job end to end: `wordtensor study` writes a complete, resumable report folder."""

import json

import numpy as np
import pytest
import tensorly as tl
from PIL import Image

from surrogate.study import study
from wordtensor import word_tensor
from wordtensor.cli import main

CALLS: dict[str, int] = {}


def _counting(module, name):
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        CALLS[name] = CALLS.get(name, 0) + 1
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture(scope="module")
def s3_study(tmp_path_factory):
    """A quick study of S3 xy, counting how often the heavy results are computed."""
    import fusion.ranks
    import surrogate.comparison
    import surrogate.phase
    import surrogate.study
    from wordtensor import Group

    out = tmp_path_factory.mktemp("study") / "s3"
    with pytest.MonkeyPatch.context() as mp:
        for module in (surrogate.study, surrogate.comparison, surrogate.phase):
            mp.setattr(module, "rank_bounds", _counting(fusion.ranks, "rank_bounds"))
        real = Group.from_spec.__func__
        mp.setattr(Group, "from_spec", classmethod(
            lambda cls, *a, **k: (CALLS.__setitem__("from_spec", CALLS.get("from_spec", 0) + 1),
                                  real(cls, *a, **k))[1]))
        return out, study("S3", "xy", out=out, quick=True, progress=False)


def test_each_heavy_result_is_computed_once(s3_study):
    # the spec is parsed once (one Group, so its cached irreps and decomposition are built
    # once) and the rank bounds (with their MILP) computed once; every stage is handed them
    assert CALLS.get("from_spec") == 1 and CALLS.get("rank_bounds") == 1


def test_report_folder_is_complete(s3_study):
    out, summary = s3_study
    for name in ("report.md", "summary.json", "factors.npz", "fusion_norms.png", "factors.png",
                 "compare.png", "surrogate/config.json", "network/config.json"):
        assert (out / name).exists(), name
    for png in out.rglob("*.png"):
        with Image.open(png) as im:
            assert im.size[0] > 100 and im.size[1] > 100
    saved = json.loads((out / "summary.json").read_text())
    assert saved["lower"] == saved["upper"] == 9  # Alder–Strassen meets Strassen on S3
    assert saved["support"] == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]
    text = (out / "report.md").read_text()
    for section in ("## Triplet decomposition", "## Rank bounds", "## CP surrogate",
                    "## Two-layer network", "## Comparison per block", "strassen"):
        assert section in text
    # every image the report embeds exists
    import re

    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (out / target).exists(), target


def test_saved_factors_reconstruct_the_tensor(s3_study):
    out, _ = s3_study
    z = np.load(out / "factors.npz")
    rec = tl.cp_to_tensor((z["weights"], [z["A"], z["B"], z["C"]]))
    assert np.max(np.abs(rec - word_tensor("S3", "xy").dense())) < 1e-9
    assert z["A"].shape[1] == 9


def test_resume_reuses_stages_and_refuses_to_overwrite(s3_study):
    out, summary = s3_study
    from wordtensor.errors import WordTensorError

    with pytest.raises(WordTensorError, match="resume"):
        study("S3", "xy", out=out, quick=True, progress=False)
    again = study("S3", "xy", out=out, quick=True, progress=False, resume=True)
    assert again["stage_seconds"] == {}  # nothing recomputed
    assert again["upper"] == summary["upper"]


def test_cli_bad_word_is_one_line(tmp_path, capsys):
    assert main(["study", "S3", "x)", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "column" in err[0]
