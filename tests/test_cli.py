"""The ``wordtensor`` command line: JSON output of ``info`` and ``tensor``, and bad input that
prints one line on stderr and exits with code 2, without a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wordtensor.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_json(capsys):
    code, out, err = run(capsys, "info", "S3", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert {"order", "num_classes", "exponent", "abelian"} <= set(d)
    assert (d["order"], d["num_classes"], d["exponent"], d["abelian"]) == (6, 3, 6, False)
    assert sorted(d["class_sizes"]) == [1, 2, 3]
    assert d["center_order"] == 1 and d["derived_subgroup_order"] == 3
    assert "labels" not in d


def test_info_json_labels(capsys):
    code, out, _ = run(capsys, "info", "perm:(1,2,3),(1,2)", "--json", "--labels")
    assert code == 0
    d = json.loads(out)
    assert len(d["labels"]) == 6 and d["labels"][0] == "()"
    assert set(d["labels"]) == {"()", "(1,2)", "(1,3)", "(2,3)", "(1,2,3)", "(1,3,2)"}


def test_info_text(capsys):
    code, out, err = run(capsys, "info", "Q8")
    assert code == 0 and err == ""
    assert "order            8" in out and "abelian          no" in out


def test_tensor_json(capsys):
    code, out, err = run(capsys, "tensor", "S3", "xy", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert {"shape", "nnz", "image_size", "fibre_min", "fibre_max", "fibre_mean",
            "fibre_size_counts"} <= set(d)
    assert d["shape"] == [6, 6, 6] and d["nnz"] == 36 and d["image_size"] == 6
    assert d["fibre_min"] == d["fibre_max"] == 6


def test_tensor_commutator_json(capsys):
    code, out, _ = run(capsys, "tensor", "S3", "[x,y]", "--json")
    d = json.loads(out)
    assert code == 0 and d["image_size"] == 3 and d["identity_fibre"] == 18  # A3; 6 * #classes


def test_tensor_text(capsys):
    code, out, _ = run(capsys, "tensor", "Z3xS3", "x^2 y")
    assert code == 0 and "18 x 18 x 18" in out


@pytest.mark.parametrize("argv", [
    ["info", "X9"],  # names no group
    ["info", "GL(2,6)"],  # no field of order 6
    ["info", "S9"],  # too large
    ["info", "perm:(1,2"],  # broken permutation
    ["info", "perm:(1,2)(2,3)"],  # cycles not disjoint
    ["tensor", "S3", "x^"],  # malformed word
    ["tensor", "S3", "(xy"],
    ["tensor", "S3", "x$y"],
    ["tensor", "S3", "(" * 500 + "x" + ")" * 500],
    ["tensor", "X3", "xy"],
    ["tensor", "S6", "vwxyz"],  # value table would not fit
    ["info"],  # missing argument
    ["tensor", "S3"],
    ["frobnicate"],  # unknown command
    ["info", "S3", "--bogus"],
])
def test_bad_input_one_line_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("wordtensor") and "error" in lines[0]


def _console_script() -> str:
    """The installed ``wordtensor`` script of this interpreter's environment."""
    here = Path(sys.executable).parent
    found = shutil.which("wordtensor", path=os.pathsep.join([str(here), os.environ.get("PATH", "")]))
    if found is None:
        pytest.fail("the wordtensor console script is not installed (pip install -e .)")
    return found


def test_console_script_info():
    res = subprocess.run([_console_script(), "info", "S3"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "order            6" in res.stdout and "classes          3" in res.stdout


def test_console_script_bad_input():
    res = subprocess.run([_console_script(), "tensor", "S3", "x^^2"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.splitlines()) == 1 and "Traceback" not in res.stderr
    assert "column 3" in res.stderr


# ---------------------------------------------------------------------- fast start
_HEAVY = ("torch", "tensorly", "matplotlib")

_LOADED = (
    "import sys, io, contextlib\n"
    "{setup}\n"
    "print(' '.join(m for m in {heavy!r} if m in sys.modules))\n"
)


def _heavy_after(setup: str) -> list[str]:
    """The heavy packages that a fresh interpreter holds after running ``setup``."""
    code = _LOADED.format(setup=setup, heavy=_HEAVY)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


@pytest.mark.parametrize("argv", [
    ["info", "S3"],
    ["info", "Q8", "--json"],
    ["tensor", "S3", "[x,y]"],
    ["characters", "S3"],  # fusion's commands
    ["irreps", "S3"],
    ["fusion", "S3", "xy"],
    ["rank", "S3", "xy"],
    ["groups", "--order", "8"],
], ids=lambda argv: argv[0])
def test_command_starts_without_torch(argv):
    """The commands that need no CP search or training never import torch (nor matplotlib);
    ``rank`` may import tensorly for its CPTensor factors, the others not even that."""
    setup = ("from wordtensor.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    assert main({argv!r}) == 0\n")
    loaded = _heavy_after(setup)
    allowed = {"tensorly"} if argv[0] == "rank" else set()
    assert not set(loaded) - allowed, f"wordtensor {' '.join(argv)} imported {loaded}"


def test_import_without_torch():
    """``import wordtensor, fusion`` loads neither torch nor the CP engine."""
    assert _heavy_after("import wordtensor, fusion\nassert 'wordtensor.cp' not in sys.modules") == []


def test_cp_names_load_on_first_use():
    """``wordtensor.cp_search`` and its siblings are there all the same, served by
    :mod:`wordtensor.cp`; an unknown name is still an AttributeError."""
    import wordtensor
    import wordtensor.cp

    for name in ("cp_search", "cp_rank", "exactify"):
        assert getattr(wordtensor, name) is getattr(wordtensor.cp, name)
        assert name in dir(wordtensor) and name in wordtensor.__all__
    with pytest.raises(AttributeError, match="no attribute 'cp_searhc'"):
        wordtensor.cp_searhc  # noqa: B018


def test_console_script_info_without_torch():
    """The installed script, as a user runs it."""
    code = ("import runpy, sys\n"
            f"sys.argv = [{_console_script()!r}, 'info', 'S3']\n"
            "try:\n"
            f"    runpy.run_path({_console_script()!r}, run_name='__main__')\n"
            "except SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            f"print('torch' in sys.modules, file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "order            6" in res.stdout and res.stderr.strip() == "False"


def test_plugin_commands_load_on_demand(capsys):
    """The core commands build without the other packages' commands; an unknown command or
    ``--help`` lists every installed package's commands."""
    from wordtensor.cli import build_parser

    assert "characters" not in build_parser("info").format_help()
    assert "characters" in build_parser("characters").format_help()
    assert "characters" in build_parser().format_help()
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "characters" in err and "info" in err


def _entry_points() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group="wordtensor.commands"))


@pytest.mark.parametrize("name", _entry_points())
def test_registering_commands_is_cheap(name):
    """Each package's ``register`` adds its sub-commands without importing torch (nor
    matplotlib), so ``wordtensor --help`` and an unknown command stay fast: the heavy imports
    belong in the command functions."""
    setup = ("import argparse\n"
             "from importlib.metadata import entry_points\n"
             f"(ep,) = [e for e in entry_points(group='wordtensor.commands') if e.name == {name!r}]\n"
             "ep.load()(argparse.ArgumentParser().add_subparsers())\n")
    loaded = _heavy_after(setup)
    assert not {"torch", "matplotlib"} & set(loaded), f"registering {name!r} imported {loaded}"
