"""Paths on the command line are relative to where the user stands, "not found" messages do not suggest what
the user already did, and a run whose output is a log prints progress lines."""

import os
import sqlite3
import subprocess
import sys

import pytest

from iqabench.cli.progress import ProgressLines, _Task, line
from iqabench.testing import install_entry_point

from test_cli import TOY_PLUGIN
from toy_metrics import write_images


def cli(*args, cwd, site, env=None):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_DATA=str(cwd / "data"),
                       PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]), **(env or {}))
    return subprocess.run([sys.executable, "-m", "iqabench", *args], capture_output=True, text=True, cwd=cwd,
                          env=environment, timeout=600)


@pytest.fixture
def project(tmp_path):
    """A folder of images (``photos/``), its label file in another folder (``labels/mos.csv``), the toy
    metric installed through an entry point; the user stands in ``tmp_path``."""
    site = install_entry_point(tmp_path / "plugin", "iqabench", "toyplugin", TOY_PLUGIN)
    paths = write_images(tmp_path / "photos", 6)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "mos.csv").write_text(
        "image_name,mos\n" + "".join(f"{p.name},{i + 1}\n" for i, p in enumerate(paths)))
    return tmp_path, site


def test_a_relative_labels_path_is_relative_to_the_current_folder(project):
    cwd, site = project
    store = cwd / "s.sqlite"
    result = cli("run", "-m", "mean-luma", "-d", "metainfo", "--root", "photos", "--labels", "labels/mos.csv",
                 "--store", str(store), "--resamples", "20", cwd=cwd, site=site)
    assert result.returncode == 0, result.stderr
    assert "mean-luma: 6 scored now" in result.stdout
    # the runs table keeps the root resolved, not relative to wherever the run started
    with sqlite3.connect(store) as db:
        roots = {row[0] for row in db.execute("SELECT dataset_root FROM runs")}
    assert roots == {str((cwd / "photos").resolve())}


def test_a_missing_label_file_is_not_called_a_missing_dataset(project):
    cwd, site = project
    result = cli("run", "-m", "mean-luma", "-d", "metainfo", "--root", "photos", "--labels", "labels/nope.csv",
                 cwd=cwd, site=site)
    assert result.returncode == 3
    message = " ".join(result.stderr.split())
    assert f"Label file {cwd / 'labels' / 'nope.csv'} not found" in message
    assert "which exists" in message and "was not found at" not in message
    assert "relative to the current folder" in message


def test_not_found_with_root_given_does_not_suggest_root(project):
    cwd, site = project
    given = cli("run", "-m", "mean-luma", "-d", "gfiqa", "--root", "nowhere", cwd=cwd, site=site)
    assert given.returncode == 3
    message = " ".join(given.stderr.split())
    assert f"was not found at {cwd / 'nowhere'}" in message and "--root" not in message
    default = cli("run", "-m", "mean-luma", "-d", "gfiqa", cwd=cwd, site=site)
    assert "pass --root PATH" in " ".join(default.stderr.split())


def test_a_run_into_a_log_prints_progress_lines_and_says_when_nothing_is_left(project):
    cwd, site = project
    args = ("run", "-m", "mean-luma", "-d", "metainfo", "--root", "photos", "--labels", "labels/mos.csv",
            "--store", str(cwd / "s.sqlite"), "--resamples", "20", "--batch-size", "1")
    first = cli(*args, cwd=cwd, site=site, env={"IQABENCH_PROGRESS_SECONDS": "0.001"})
    assert first.returncode == 0, first.stderr
    lines = [text for text in first.stderr.splitlines() if text.startswith("mean-luma on metainfo: ")]
    assert lines[0].startswith("mean-luma on metainfo: 1/6 (17%), ") and lines[0].endswith(" left")
    assert lines[-1].startswith("mean-luma on metainfo: 6/6 (100%), ") and " done in 0:00:" in lines[-1]
    again = cli(*args, cwd=cwd, site=site)
    assert "mean-luma: 0 scored now, 6 stored" in again.stdout
    assert "0/0" not in again.stderr and "img/s" not in again.stderr


def test_a_bad_progress_interval_is_a_usage_error(project):
    cwd, site = project
    result = cli("run", "-m", "mean-luma", "-d", "default", cwd=cwd, site=site,
                 env={"IQABENCH_PROGRESS_SECONDS": "soon"})
    assert result.returncode == 2
    assert "IQABENCH_PROGRESS_SECONDS='soon' is not a positive number of seconds" in result.stderr


def test_progress_lines_report_rate_and_time_left():
    task = _Task("niqe on koniq", total=100, done=25, started=0.0)
    assert line(task, now=10.0) == "niqe on koniq: 25/100 (25%), 2.5 img/s, 0:00:30 left"
    task.done = 100
    assert line(task, now=3725.0) == "niqe on koniq: 100/100 (100%), 0.0 img/s, done in 1:02:05"
    lines = ProgressLines(interval=3600)
    lines.add_task("x", total=3)
    lines.advance(0, 1)  # not yet due: nothing printed, but counted
    assert lines.tasks[0].done == 1
