"""``iqabench list metrics`` and ``iqabench info`` stay cheap: each runs in a fresh process without importing
torch (whether a metric's weights are here is a file check, its sha256 included), the shipped checkpoints
show as present and a missing file as unavailable; the listing's lines fit the terminal's width (a single
word longer than a line, a URL or a path, stays whole on a line of its own) and a range it does not know
says ``unknown``. No test here times anything."""

import json
import os
import subprocess
import sys

import pytest
from shared_data import SHARED, needs_shared, requires_shared

from iqabench.cli.listing import fit, score_range
from iqabench_effres import bisenet, masks
from iqabench_pyiqa.configs import default_configs

needs_pyiqa = pytest.mark.skipif(default_configs() is None, reason="pyiqa is not installed")
SHIPPED = ("effres", "effres-nomask", "gada", "gada-direct", "msfr")

#: runs the command line in this process, then says which heavy modules it imported.
PROBE = """
import json, sys
sys.argv = ["iqabench", *sys.argv[1:]]
from iqabench.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
heavy = [name for name in ("torch", "torchvision", "pyiqa", "matplotlib") if name in sys.modules]
sys.stderr.write("PROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def cli(*args, weights, columns=200, **env):
    """The command in a fresh interpreter: (stdout, the modules it imported of torch, pyiqa, matplotlib)."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("IQABENCH_") and k not in ("COLUMNS", "TORCH_HOME")}
    environment.update(IQABENCH_WEIGHTS_DIR=str(weights), TORCH_HOME=str(weights.parent / "torch"),
                       IQABENCH_OFFLINE="1", COLUMNS=str(columns), **env)
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=environment,
                          timeout=300)
    probe = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("PROBE "))[6:])
    assert probe["code"] == 0, done.stderr
    return done.stdout, probe["heavy"]


@pytest.fixture
def weights(tmp_path):
    folder = tmp_path / "weights"
    folder.mkdir()
    return folder


def states(weights, *args):
    output, heavy = cli("list", "metrics", "--format", "json", *args, weights=weights)
    assert "torch" not in heavy, heavy
    return {row["metric"]: row for row in json.loads(output)}


def test_list_metrics_imports_no_torch_and_shows_the_shipped_checkpoints_present(weights):
    output, heavy = cli("list", "metrics", weights=weights)
    assert heavy == [], heavy
    rows = {line.split("│")[1].strip(): line for line in output.splitlines() if line.startswith("│")}
    for name in SHIPPED:
        assert "present" in rows[name], rows[name]
    assert "unavailable" in rows["effres-bisenet"]
    rows = states(weights)
    for name in SHIPPED:
        assert rows[name]["availability"] == "present" and "sha256 pinned" in rows[name]["detail"]


def test_info_imports_no_torch_and_says_the_device_is_not_checked(weights):
    output, heavy = cli("info", weights=weights)
    assert heavy == [], heavy
    cuda = next(line for line in output.splitlines() if line.startswith("│ cuda"))
    assert "not checked" in cuda and "iqabench info --device" in cuda
    torch_row = next(line for line in output.splitlines() if line.startswith("│ torch"))
    assert torch_row.split("│")[2].strip()[0].isdigit()  # its version, from its metadata
    assert "present" in next(line for line in output.splitlines() if line.startswith("│ metrics"))


def test_info_device_checks_with_torch(weights):
    output, heavy = cli("info", "--device", weights=weights)
    assert "torch" in heavy
    cuda = next(line for line in output.splitlines() if line.startswith("│ cuda"))
    assert "not checked" not in cuda


def test_a_weight_file_put_in_place_turns_present_by_a_file_check(weights):
    assert states(weights)["effres-bisenet"]["availability"] == "unavailable"
    (weights / "facexlib").mkdir()
    (weights / "facexlib" / "parsing_bisenet.pth").write_bytes(b"not read by a listing")
    assert states(weights)["effres-bisenet"]["availability"] == "present"


@needs_pyiqa
def test_offline_without_niqe_s_file_it_is_unavailable_and_named(weights):
    row = states(weights)["niqe"]
    assert row["availability"] == "unavailable" and "niqe_modelparameters.mat" in row["detail"]


@needs_pyiqa
def test_niqe_s_file_of_another_content_is_refused_without_torch(weights):
    (weights / "pyiqa").mkdir()
    (weights / "pyiqa" / "niqe_modelparameters.mat").write_bytes(b"something else")
    row = states(weights)["niqe"]
    assert row["availability"] == "unavailable" and "pinned" in row["detail"]


@requires_shared
@needs_shared("weights/pyiqa/niqe_modelparameters.mat")
@needs_pyiqa
def test_niqe_with_its_real_file_is_present_without_torch(tmp_path):
    rows = states(SHARED / "weights")
    assert rows["niqe"]["availability"] == "present" and "sha256 pinned" in rows["niqe"]["detail"]


def test_the_bisenet_file_check_names_the_file_bisenet_loads():
    assert masks.BISENET_WEIGHTS == (bisenet.WEIGHTS_FILE, bisenet.WEIGHTS_URL, bisenet.WEIGHTS_SUBDIR)


def long_lines(output: str, width: int) -> list[str]:
    """Lines wider than ``width``, but for those that hold one word (a URL or a path kept whole)."""
    return [line for line in output.splitlines() if len(line) > width and len(line.split()) > 1]


@pytest.mark.parametrize("args", [(), ("--all",)])
def test_every_line_of_the_listing_fits_80_columns(weights, args):
    output, _ = cli("list", "metrics", *args, weights=weights, columns=80)
    assert not long_lines(output, 80), long_lines(output, 80)
    assert any(line.startswith("Unavailable:") for line in output.splitlines())
    words = " ".join(output.split())
    assert "effres-bisenet: Weight file 'parsing_bisenet.pth' is missing" in words
    assert bisenet.WEIGHTS_URL in output.split()  # whole, to be copied


def test_ranges_it_does_not_know_say_unknown(weights):
    output, _ = cli("list", "metrics", weights=weights)
    gada = next(line for line in output.splitlines() if line.startswith("│ gada "))
    assert "unknown" in gada and "?" not in output
    assert score_range(None, None) == "unknown" and score_range(0.0, 100.0) == "0 – 100"
    assert score_range(0.0, None) == "≥ 0" and score_range(None, 1.0) == "≤ 1"


def test_fit_wraps_between_words_and_keeps_a_long_word_whole():
    url = "https://example.org/" + "x" * 90
    text = "  name: " + "word " * 30 + "\n    Download it from " + url + " and so on"
    lines = fit(text, 40).splitlines()
    assert all(len(line) <= 40 for line in lines if line.strip() != url)
    assert f"      {url}" in lines  # its own line, indented as a continuation
    assert lines[0].startswith("  name: word") and lines[1].startswith("    word")
    assert " ".join(fit(text, 40).split()) == " ".join(text.split())
