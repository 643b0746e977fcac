"""The command line end to end, in subprocesses, on real files and a real store."""

import csv
import io
import os
import re
import subprocess
import sys

import pytest

from iqabench.testing import install_entry_point

from bad_inputs import build_bad_image_corpus
from shared_data import SHARED, needs_shared, requires_shared
from toy_metrics import write_images

TOY_PLUGIN = """
import iqabench


class MeanLuma(iqabench.Metric):
    name = "mean-luma"
    min_size = 8

    def score_batch(self, images, refs=None):
        return [float(image.mean()) for image in images]


@iqabench.hookimpl
def register_metrics(register):
    register(MeanLuma())
"""


def iqabench_cli(*args, env=None, site=None, tmp_path=None):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1")
    if tmp_path is not None:
        environment.setdefault("IQABENCH_DATA", str(tmp_path / "data"))
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(site), environment.get("PYTHONPATH", "")])
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "iqabench", *args], capture_output=True, text=True, env=environment, timeout=900
    )


def cells_of(line: str) -> list[str]:
    """The cells of one line of a rich table, empty ones included."""
    return [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]


def table_row(output: str, name: str) -> list[str]:
    """The cells of the result-table row of metric ``name``: metric, better, scored, missing, failed, top,
    then the statistics."""
    for line in output.splitlines():
        cells = cells_of(line)
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{output}")


def summary_line(output: str, name: str) -> str:
    """``<name>: N scored now, N stored, N missing, N failed``, as ``iqabench run`` prints it first."""
    for line in output.splitlines():
        if line.startswith(f"{name}: ") and "scored now" in line:
            return line.split(" (")[0]
    raise AssertionError(f"no summary line for {name} in:\n{output}")


def interval_cells(output: str, name: str) -> list[str]:
    """The cells of the line under metric ``name``'s row: the intervals of its statistics."""
    lines = output.splitlines()
    for k, line in enumerate(lines):
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if cells and cells[0] == name:
            return [c.strip() for c in re.split(r"[│┃]", lines[k + 1]) if c.strip()]
    raise AssertionError(f"no row for {name} in:\n{output}")


def comparison_row(output: str) -> list[str]:
    """The first row of the pairwise comparisons table: A, B, n, ΔSRCC, p…"""
    table = output.split("Pairwise comparisons", 1)[1]
    for line in table.splitlines():
        cells = cells_of(line)
        if len(cells) == 12 and cells[2].isdigit():
            return cells
    raise AssertionError(f"no comparison row in:\n{table}")


INTERVAL = r"\[-?\d+\.\d{4}, -?\d+\.\d{4}\]"
#: the official NIQE and BRISQUE parameter files, under the shared folder.
NIQE_AND_BRISQUE = ("weights/pyiqa/niqe_modelparameters.mat", "weights/pyiqa/brisque_svm_weights.pth")


def test_the_headline_command_without_the_data_says_where_gfiqa_comes_from(tmp_path):
    result = iqabench_cli("run", "--metric", "effres", "--dataset", "gfiqa", tmp_path=tmp_path)
    assert result.returncode == 3, result.stderr
    message = " ".join(result.stderr.split())
    assert "Dataset 'gfiqa'" in message and "was not found at" in message
    assert "mos_val_rating.csv" in message and "GFIQA.txt" in message  # the layout
    assert "database.mmsp-kn.de" in message  # where to get it


def test_unknown_metric_and_absent_dataset_explain_themselves(tmp_path):
    result = iqabench_cli("run", "--metric", "efres", "--dataset", "gfiqa", tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    message = " ".join(result.stderr.split())
    assert "Unknown metric 'efres'. Known metrics:" in message and "niqe" in message
    assert "Dataset 'gfiqa'" in message and "was not found at" in message
    assert "mos_val_rating.csv" in message and "GFIQA.txt" in message  # the layout
    assert "database.mmsp-kn.de" in message  # where to get it


def test_bad_images_each_fail_with_their_own_reason_and_the_run_goes_on(tmp_path):
    site = install_entry_point(tmp_path, "iqabench", "toy", TOY_PLUGIN)
    root = tmp_path / "images"
    expected = build_bad_image_corpus(root)
    write_images(root / "good", 5)
    store = tmp_path / "s.sqlite"
    result = iqabench_cli("run", "-m", "mean-luma", "-d", "folder", "--root", str(root), "--store", str(store),
                          "--workers", "1", site=site, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr  # completed, with failures
    bad_files = list(expected)  # a directory named like an image is a failure too, with its reason
    assert table_row(result.stdout, "mean-luma")[1:5] == ["higher", "5", "0", str(len(bad_files))]
    assert summary_line(result.stdout, "mean-luma") == f"mean-luma: 5 scored now, 0 stored, 0 missing, {len(bad_files)} failed"
    assert f"{len(bad_files)} image(s) failed" in result.stderr

    exported = iqabench_cli("export", "--store", str(store), site=site, tmp_path=tmp_path)
    rows = {row["sample_id"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert len(rows) == len(bad_files) + 5
    reasons = {name: rows[name]["error"] for name in bad_files}
    for name in bad_files:
        assert expected[name] in reasons[name], (name, reasons[name])
    assert len(set(reasons.values())) == len(bad_files), "every bad file has its own message"
    assert all(rows[f"good/img00{i}.png"]["score"] for i in range(5))

    again = iqabench_cli("run", "-m", "mean-luma", "-d", "folder", "--root", str(root), "--store", str(store),
                         site=site, tmp_path=tmp_path)
    assert summary_line(again.stdout, "mean-luma") == f"mean-luma: 0 scored now, 5 stored, 0 missing, {len(bad_files)} failed"
    assert table_row(again.stdout, "mean-luma") == table_row(result.stdout, "mean-luma")


def test_main_command_on_the_embedded_default(tmp_path):
    """The README's main job, with weight-free pyiqa metrics, offline; a rerun computes nothing."""
    pytest.importorskip("pyiqa")
    args = ["run", "--offline", "--dataset", "default", "--metric", "pyiqa:ssim", "--metric", "pyiqa:psnr",
            "--store", str(tmp_path / "s.sqlite")]
    first = iqabench_cli(*args, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    for name in ("pyiqa:ssim", "pyiqa:psnr"):
        row = table_row(first.stdout, name)
        assert row[1:5] == ["higher", "72", "0", "0"]
        srcc_by_source = float(row[11])
        assert srcc_by_source > 0.5, f"{name} should order the degradation levels within each photograph"
        intervals = interval_cells(first.stdout, name)
        assert len(intervals) == 7 and all(re.fullmatch(INTERVAL, c) for c in intervals), intervals
    assert {*comparison_row(first.stdout)[:2]} == {"pyiqa:ssim", "pyiqa:psnr"}
    again = iqabench_cli(*args, tmp_path=tmp_path)
    assert summary_line(again.stdout, "pyiqa:ssim") == "pyiqa:ssim: 0 scored now, 72 stored, 0 missing, 0 failed"
    assert table_row(again.stdout, "pyiqa:ssim") == table_row(first.stdout, "pyiqa:ssim")


@requires_shared
@needs_shared("data/clive", *NIQE_AND_BRISQUE)
def test_niqe_and_brisque_on_the_live_challenge_subset(tmp_path):
    """NIQE and BRISQUE on the LIVE Challenge images, limited to 24 to keep CI short; the full 400 are in the
    leaderboard."""
    pytest.importorskip("pyiqa")
    env = {"IQABENCH_WEIGHTS_DIR": str(SHARED / "weights")}
    args = ["run", "--metric", "niqe", "--metric", "brisque", "--dataset", "livec", "--root",
            str(SHARED / "data" / "clive"), "--allow-missing", "--limit", "24", "--store", str(tmp_path / "s.sqlite")]
    first = iqabench_cli(*args, env=env, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    for name in ("niqe", "brisque"):
        row = table_row(first.stdout, name)
        assert row[1:5] == ["lower", "24", "762", "0"]
        assert all(re.fullmatch(r"-?\d+\.\d{4}", cell) for cell in row[6:11]), row
        intervals = interval_cells(first.stdout, name)
        assert len(intervals) == 5 and all(re.fullmatch(INTERVAL, c) for c in intervals), intervals
    pair = comparison_row(first.stdout)
    assert {pair[0], pair[1]} == {"niqe", "brisque"} and pair[2] == "24", pair
    assert re.fullmatch(r"-?\d\.\d{4}", pair[3]) and re.fullmatch(r"[<≤]?\d\.\d{3}", pair[4]), pair
    assert "762 image(s) missing from livec" in first.stderr
    again = iqabench_cli(*args, env=env, tmp_path=tmp_path)
    assert summary_line(again.stdout, "niqe") == "niqe: 0 scored now, 24 stored, 762 missing, 0 failed"
    assert table_row(again.stdout, "niqe") == table_row(first.stdout, "niqe")


def test_musiq_refuses_to_run_without_its_weights(tmp_path):
    pytest.importorskip("pyiqa")
    env = {"IQABENCH_WEIGHTS_DIR": str(tmp_path / "no-weights"), "TORCH_HOME": str(tmp_path / "torch")}
    listing = iqabench_cli("list", "metrics", env=env, tmp_path=tmp_path)
    assert table_row(listing.stdout, "musiq")[-1] == "unavailable"
    assert "musiq: Weight file 'musiq_koniq_ckpt-e95806b9.pth' is missing" in listing.stdout
    result = iqabench_cli("run", "-m", "musiq", "-d", "default", "--store", str(tmp_path / "s.sqlite"),
                          env=env, tmp_path=tmp_path)
    assert result.returncode == 3
    assert "musiq_koniq_ckpt-e95806b9.pth" in result.stderr
    assert not (tmp_path / "s.sqlite").exists() or "musiq" not in (tmp_path / "s.sqlite").read_bytes().decode("latin1")


@requires_shared
@needs_shared("data/clive", *NIQE_AND_BRISQUE)
def test_stats_reads_the_store_and_compares_niqe_with_brisque(tmp_path):
    """`iqabench stats --dataset livec` on stored scores (24 images of the subset, to keep CI short): each
    statistic with its interval, and the SRCC difference of NIQE and BRISQUE with its interval and p-value."""
    pytest.importorskip("pyiqa")
    env = {"IQABENCH_WEIGHTS_DIR": str(SHARED / "weights")}
    store = str(tmp_path / "s.sqlite")
    scored = iqabench_cli("run", "-m", "niqe", "-m", "brisque", "-d", "livec", "--root", str(SHARED / "data" / "clive"),
                          "--allow-missing", "--limit", "24", "--store", store, env=env, tmp_path=tmp_path)
    assert scored.returncode == 0, scored.stderr
    result = iqabench_cli("stats", "--dataset", "livec", "--store", store, "--resamples", "500", env=env,
                          tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("niqe", "brisque"):
        assert table_row(result.stdout, name)[2:5] == ["24", "762", "0"]
        assert all(re.fullmatch(INTERVAL, c) for c in interval_cells(result.stdout, name))
    pair = comparison_row(result.stdout)
    assert {pair[0], pair[1]} == {"niqe", "brisque"} and pair[2] == "24"
    assert "500 resamples" in " ".join(result.stdout.split())
    assert table_row(result.stdout, "niqe")[6] == table_row(scored.stdout, "niqe")[6], "same SRCC as the run"

    missing = iqabench_cli("stats", "--dataset", "livec", "-m", "musiq", "--store", store, env=env, tmp_path=tmp_path)
    assert missing.returncode == 2 and "no stored scores of 'musiq'" in missing.stderr
    empty = iqabench_cli("stats", "--dataset", "koniq10k", "--store", store, env=env, tmp_path=tmp_path)
    assert empty.returncode == 2 and "holds no scores for dataset 'koniq10k'" in " ".join(empty.stderr.split())
