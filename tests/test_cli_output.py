"""What the command line writes, for a program and for a person: ``--format csv`` with each estimate and
interval bound in a column of its own, a closed pipe that ends a command quietly with 0, comparison marks
and notes only when metrics are compared, every line within an 80-column terminal, a failure summary
that names each reason, and other libraries' output kept in the log (shown with ``--verbose``).

Real commands in subprocesses, on real images and a real score store."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from rich.cells import cell_len

from iqabench.dataset import OUTSIDE_ROOT
from iqabench.testing import install_entry_point

from shared_data import SHARED, needs_shared, requires_shared
from toy_metrics import write_images

METRICS = ("pyiqa:psnr", "pyiqa:ssim")
RESAMPLES = "50"
WIDTH = 80

PLUGIN = """
import warnings

import iqabench


class MeanLuma(iqabench.Metric):
    name = "mean-luma"
    min_size = 8

    def score_batch(self, images, refs=None):
        return [float(image.mean()) for image in images]


class SaysWhy(iqabench.Metric):
    '''Fails every image, each with a reason of its own.'''

    name = "says-why"
    min_size = 8
    batch_size = 1

    def score_batch(self, images, refs=None):
        raise ValueError(f"cannot score an image of mean {float(images[0].mean()):.6f}")


class Warns(MeanLuma):
    '''Scores, and raises a Python warning and prints to stdout as a library might.'''

    name = "warns"

    def score_batch(self, images, refs=None):
        warnings.warn("a library's warning from the toy metric", UserWarning)
        print("a library's print from the toy metric")
        return super().score_batch(images, refs)


@iqabench.hookimpl
def register_metrics(register):
    register(MeanLuma())
    register(SaysWhy())
    register(Warns())
"""


def cli(*args, cwd, env=None, columns=str(WIDTH), stdout=None):
    """``python -m iqabench ARGS`` in ``cwd``, offline, with ``COLUMNS`` (None: not set); returns the
    completed process, or the running one when ``stdout`` is given."""
    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    environment.update(IQABENCH_OFFLINE="1", IQABENCH_DATA=str(cwd / "data"), **(env or {}))
    if columns is not None:
        environment["COLUMNS"] = columns
    command = [sys.executable, "-m", "iqabench", *args]
    if stdout is not None:
        return subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd, env=environment)
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=600)


def too_wide(text: str) -> list[str]:
    """The lines wider than WIDTH, but for one word alone (a path longer than a line is never cut)."""
    return [line for line in text.splitlines() if cell_len(line) > WIDTH and len(line.split()) > 1]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Two weight-free metrics run on the first 12 images of the embedded default dataset; the store is
    ``s.sqlite`` in the folder the commands run in."""
    pytest.importorskip("pyiqa")
    folder = tmp_path_factory.mktemp("out")
    env = {"IQABENCH_STORE": "s.sqlite"}
    result = cli("run", "-d", "default", *(f"--metric={m}" for m in METRICS), "--limit", "12",
                 "--resamples", RESAMPLES, cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    return folder, env


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy metrics' plugin (its folder, for PYTHONPATH) and a folder to run in."""
    folder = tmp_path_factory.mktemp("toy")
    site = install_entry_point(folder / "plugin", "iqabench", "outputtoy", PLUGIN)
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return folder, env


# --- csv ----------------------------------------------------------------------------------------------

def blocks(text: str) -> list[list[dict]]:
    """The CSV tables of ``--format csv``, separated by an empty line, each as rows of dicts."""
    return [list(csv.DictReader(io.StringIO(block))) for block in text.split("\n\n")]


def number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def test_csv_gives_each_estimate_and_bound_a_column_of_its_own(scored):
    folder, env = scored
    args = ("stats", "-d", "default", "--resamples", RESAMPLES)
    table = cli(*args, "--format", "csv", cwd=folder, env=env)
    document = json.loads(cli(*args, "--format", "json", cwd=folder, env=env).stdout)
    assert table.returncode == 0, table.stderr
    assert "[" not in table.stdout, "no interval packed in a cell"
    statistics, pairs = blocks(table.stdout)
    header = table.stdout.splitlines()[0].split(",")
    assert header[:6] == ["metric", "better", "scored", "missing", "failed", "top"]
    assert header[6:12] == ["srcc", "srcc_low", "srcc_high", "plcc", "plcc_low", "plcc_high"]
    assert header[-6:] == ["srcc_by_photo", "srcc_by_photo_low", "srcc_by_photo_high",
                           "pra_by_photo", "pra_by_photo_low", "pra_by_photo_high"]
    assert [row["metric"] for row in statistics] == [m["metric"] for m in document["metrics"]]
    for row, metric in zip(statistics, document["metrics"]):
        assert (int(row["scored"]), int(row["missing"]), int(row["failed"])) == (12, 0, 0)
        assert row["top"] in ("true", "false") and (row["top"] == "true") == metric["top"]
        for label, numbers in metric["statistics"].items():
            name = label.lower().replace("/", "_by_")
            assert number(row[name]) == numbers["estimate"]  # full precision: the same float as the JSON
            assert (number(row[f"{name}_low"]), number(row[f"{name}_high"])) == (numbers["low"], numbers["high"])
            assert numbers["low"] <= numbers["estimate"] <= numbers["high"]
    (pair,) = pairs
    (expected,) = document["pairs"]
    assert (pair["a"], pair["b"], int(pair["n"])) == (expected["A"], expected["B"], 12)
    for name, test in (("srcc", "steiger"), ("plcc", "williams"), ("rmse", "f_p1401")):
        compared = expected[name.upper()]
        assert [number(pair[f"{name}_diff{part}"]) for part in ("", "_low", "_high")] == [
            compared["difference"][key] for key in ("estimate", "low", "high")]
        assert number(pair[f"{name}_p_bootstrap"]) == compared["p_bootstrap"]
        assert number(pair[f"{name}_p_{test}"]) == compared["p_test"]
    assert "note: Signed statistics" in table.stderr and "note:" not in table.stdout


# --- one metric: nothing compared ----------------------------------------------------------------------

def test_one_metric_shows_no_top_mark_and_no_pairwise_notes(scored):
    folder, env = scored
    args = ("run", "-d", "default", "-m", METRICS[0], "--limit", "12", "--resamples", RESAMPLES)
    one = cli(*args, cwd=folder, env=env, columns="200")
    assert one.returncode == 0, one.stderr
    header = next(line for line in one.stdout.splitlines() if "metric" in line and "better" in line)
    assert "top" not in header.split("┃") and "top" not in one.stdout.lower().split()
    assert "✓" not in one.stdout and "Pairwise" not in one.stdout and "p-value" not in one.stdout
    assert "note: Signed statistics" in one.stdout  # the notes a single metric needs are kept
    as_csv = cli(*args, "--format", "csv", cwd=folder, env=env)
    assert "top" not in as_csv.stdout.splitlines()[0].split(",") and "\n\n" not in as_csv.stdout
    assert "top ✓" not in as_csv.stderr and "Pairwise" not in as_csv.stderr
    document = json.loads(cli(*args, "--format", "json", cwd=folder, env=env).stdout)
    assert "top" not in document["metrics"][0] and document["pairs"] == []
    assert not any("top ✓" in note or "Pairwise" in note for note in document["notes"])

    two = cli("stats", "-d", "default", "--resamples", RESAMPLES, cwd=folder, env=env, columns="200")
    assert "✓" in two.stdout and "Pairwise comparisons" in two.stdout
    assert "note: top ✓" in two.stdout and "note: Pairwise p-values" in two.stdout


# --- the terminal's width ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("run", "-d", "default", "--metric", METRICS[0], "--metric", METRICS[1], "--limit", "12",
     "--resamples", RESAMPLES),
    ("run", "-d", "default", "--metric", METRICS[0], "--limit", "12", "--resamples", RESAMPLES, "--format", "csv"),
    ("run", "-d", "default", "--metric", METRICS[0], "--limit", "12", "--resamples", RESAMPLES, "--format", "json"),
    ("stats", "-d", "default", "--resamples", RESAMPLES),
    ("stats", "-d", "default", "--resamples", RESAMPLES, "--format", "csv"),
    ("export",),
    ("--help",), ("run", "--help"), ("stats", "--help"), ("export", "--help"), ("leaderboard", "--help"),
    ("train", "--help"),
], ids=lambda args: " ".join(a for a in args if not a.startswith("pyiqa") and a not in ("12", RESAMPLES)))
def test_every_line_fits_80_columns(scored, args):
    """Tables, notes, summaries and help in an 80-column terminal (COLUMNS=80, output piped); a document on
    stdout (csv, json) is data, not lines to fit."""
    folder, env = scored
    result = cli(*args, cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    document = "--format" in args or args == ("export",)
    assert too_wide(result.stderr) == []
    assert document or too_wide(result.stdout) == [], result.stdout


# --- a closed pipe -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many(toy):
    """The toy metric's scores of 400 images in a store: an export larger than a pipe holds (64 KiB)."""
    folder, env = toy
    write_images(folder / "many", 400, size=(8, 8))
    result = cli("run", "-m", "mean-luma", "-d", "folder", "--root", "many", "--store", "many.sqlite",
                 cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    return folder, env


def test_export_into_a_reader_that_stops_after_one_line_ends_quietly_with_0(many):
    folder, env = many
    process = cli("export", "--store", "many.sqlite", cwd=folder, env=env, stdout=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 0, stderr
    assert first.decode().startswith("metric,dataset,sample_id,score,error")
    assert stderr == ""


@pytest.mark.parametrize("args", [
    ("export", "--store", "s.sqlite"),
    ("stats", "-d", "default", "--resamples", RESAMPLES),
    ("stats", "-d", "default", "--resamples", RESAMPLES, "--format", "csv"),
    ("stats", "-d", "default", "--resamples", RESAMPLES, "--format", "markdown"),
    ("run", "-d", "default", "-m", METRICS[0], "--limit", "12", "--resamples", RESAMPLES),
    ("--help",), ("run", "--help"), ("--version",),
], ids=" ".join)
def test_a_reader_that_closed_the_pipe_ends_any_command_quietly_with_0(scored, args):
    """The reader is gone before the command writes a line: its first write to stdout meets a closed pipe.
    (With a document format, the lines before the document go to stderr, which is open.)"""
    folder, env = scored
    read, write = os.pipe()
    os.close(read)
    try:
        process = cli(*args, cwd=folder, env=env, stdout=write)
    finally:
        os.close(write)
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 0, stderr
    if "--format" in args:
        assert stderr.startswith("labels: set ") and "Traceback" not in stderr and "Exception" not in stderr, stderr
        assert "error" not in stderr.lower() and "note:" not in stderr, "it stopped at the closed pipe"
    else:
        assert stderr == ""


# --- failures ------------------------------------------------------------------------------------------

def test_images_that_all_fail_for_one_reason_are_summed_up_with_that_reason(toy):
    """A label file whose images all lie outside the dataset root: every image fails, for that reason."""
    folder, env = toy
    outside = write_images(folder / "elsewhere", 6)
    (folder / "root").mkdir()
    (folder / "root" / "mos.csv").write_text(
        "image_name,mos\n" + "".join(f"../elsewhere/{p.name},{i + 1}\n" for i, p in enumerate(outside)))
    result = cli("run", "-m", "mean-luma", "-d", "metainfo", "--root", "root", "--labels", "root/mos.csv",
                 "--store", "outside.sqlite", "--resamples", "20", cwd=folder, env=env)
    assert result.returncode == 1, result.stderr  # completed, with failures
    lines = result.stderr.splitlines()
    assert "mean-luma: 6 image(s) failed, for 1 reason:" in lines
    reason = next(k for k, line in enumerate(lines) if line.startswith("  6 × "))
    told = " ".join(" ".join(lines[reason:]).split())
    assert f"6 × {OUTSIDE_ROOT} (e.g. ../elsewhere/img000.png)" in told
    assert ("every failure with its reason: iqabench export --store outside.sqlite --metric mean-luma "
            "--dataset metainfo") in told
    assert too_wide(result.stderr) == [] and too_wide(result.stdout) == []


def test_many_reasons_show_the_most_common_and_count_the_rest(toy):
    folder, env = toy
    write_images(folder / "eight", 8)
    result = cli("run", "-m", "says-why", "-d", "folder", "--root", "eight", "--store", "why.sqlite", cwd=folder,
                 env=env)
    assert result.returncode == 1, result.stderr
    told = " ".join(result.stderr.split())
    assert "says-why: 8 image(s) failed, for 8 reasons:" in told
    assert told.count("1 × ValueError: cannot score an image of mean ") == 5
    assert "… and 3 more reason(s), for 3 image(s); every failure with its reason: iqabench export" in told
    assert too_wide(result.stderr) == []


# --- the log -------------------------------------------------------------------------------------------

def test_a_librarys_warnings_and_prints_are_shown_only_with_verbose(toy):
    """A Python warning, and a print to stdout while a metric scores: stdout holds the results alone."""
    folder, env = toy
    write_images(folder / "three", 3)
    args = ("run", "-m", "warns", "-d", "folder", "--root", "three", "--format", "json")
    quiet = cli(*args, "--store", "quiet.sqlite", cwd=folder, env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["metrics"][0]["scored"] == 3
    assert "a library's" not in quiet.stdout + quiet.stderr
    verbose = cli("--verbose", *args, "--store", "verbose.sqlite", cwd=folder, env=env)
    assert verbose.returncode == 0, verbose.stderr
    assert json.loads(verbose.stdout)["metrics"][0]["scored"] == 3
    assert "UserWarning: a library's warning from the toy metric" in verbose.stderr
    assert "DEBUG iqabench.stdout: a library's print from the toy metric" in verbose.stderr


@requires_shared
@needs_shared("data/faces")
@pytest.mark.slow
def test_litert_s_native_log_line_is_shown_only_with_verbose(tmp_path):
    """LiteRT writes ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` to the process's stderr
    when effres's face models start; it goes to the log."""
    from iqabench_effres import testset

    assert testset.main(["--faces", str(SHARED / "data" / "faces"), "--out", str(tmp_path / "faces"), "--size", "256",
                         "--limit", "2"]) == 0
    args = ("run", "-m", "effres", "-d", "faces", "--root", "faces", "--limit", "2", "--resamples", "20")
    env = {"IQABENCH_WEIGHTS_DIR": str(SHARED / "weights")}
    quiet = cli(*args, "--store", "quiet.sqlite", cwd=tmp_path, env=env)
    assert quiet.returncode in (0, 1), quiet.stderr  # 1: an image where the mask finds no face
    assert "effres: " in quiet.stdout and "XNNPACK" not in quiet.stdout + quiet.stderr
    verbose = cli(*args, "--store", "verbose.sqlite", "-v", cwd=tmp_path, env=env)
    assert verbose.returncode in (0, 1), verbose.stderr
    assert "XNNPACK delegate" in verbose.stderr and "DEBUG iqabench.effres: LiteRT" in verbose.stderr
