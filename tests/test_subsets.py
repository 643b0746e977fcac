"""``--subset FILE[:PART]`` and a suite's ``subset``/``labels``/``id`` keys: only the listed samples are scored
and evaluated, as a label set of their own, reusing scores already stored."""

import csv
import json

import pytest

from iqabench.errors import UsageError
from iqabench.leaderboard.suites import load_suite
from iqabench.subsets import parse, read_ids

from test_cli_paths_and_progress import cli, project  # noqa: F401  (the fixture)


def write_subset(cwd, names):
    (cwd / "subset.txt").write_text("# the first four\n" + "\n".join(names[:4]) + "\n\n")
    (cwd / "split.json").write_text(json.dumps({"about": "a split", "train": names[:2], "test": names[2:]}))


def test_a_subset_scores_only_its_samples_and_reuses_stored_scores(project):  # noqa: F811
    cwd, site = project
    names = sorted(p.name for p in (cwd / "photos").iterdir())
    write_subset(cwd, names)
    common = ["run", "-m", "mean-luma", "-d", "metainfo", "--root", "photos", "--labels", "labels/mos.csv",
              "--store", str(cwd / "s.sqlite"), "--resamples", "20"]
    first = cli(*common, "--subset", "subset.txt", cwd=cwd, site=site)
    assert first.returncode == 0, first.stderr
    assert "mean-luma: 4 scored now, 0 stored" in first.stdout
    whole = cli(*common, cwd=cwd, site=site)
    assert "mean-luma: 2 scored now, 4 stored" in whole.stdout, whole.stdout
    test_part = cli(*common, "--subset", "split.json:test", "--format", "json", cwd=cwd, site=site)
    assert test_part.returncode == 0, test_part.stderr
    assert "mean-luma: 0 scored now, 4 stored" in test_part.stderr
    (metric,) = json.loads(test_part.stdout)["metrics"]
    assert (metric["metric"], metric["scored"]) == ("mean-luma", 4)  # the statistics use the 4 listed only


def test_an_id_the_dataset_lacks_is_refused_by_name(project):  # noqa: F811
    cwd, site = project
    (cwd / "other.txt").write_text("not-an-image.png\n")
    result = cli("run", "-m", "mean-luma", "-d", "metainfo", "--root", "photos", "--labels", "labels/mos.csv",
                 "--store", str(cwd / "s.sqlite"), "--subset", "other.txt", cwd=cwd, site=site)
    assert result.returncode == 3
    message = " ".join(result.stderr.split())
    assert "1 of its 1 ids are not samples of 'metainfo'" in message and "not-an-image.png" in message


def test_subset_specs_and_their_errors(tmp_path):
    (tmp_path / "split.json").write_text(json.dumps({"train": ["a"], "test": ["b", "c"], "seed": 0}))
    (tmp_path / "ids.txt").write_text("x\n# comment\n\ny\n")
    assert parse("split.json:test", tmp_path) == (tmp_path / "split.json", "test")
    assert parse(str(tmp_path / "ids.txt")) == (tmp_path / "ids.txt", None)
    assert read_ids(tmp_path / "split.json", "test") == ["b", "c"]
    assert read_ids(tmp_path / "ids.txt", None) == ["x", "y"]
    with pytest.raises(UsageError, match=r"has no list 'val'.*\['test', 'train'\]"):
        read_ids(tmp_path / "split.json", "val")
    with pytest.raises(UsageError, match="needs a part"):
        read_ids(tmp_path / "split.json", None)
    with pytest.raises(UsageError, match="only a JSON file has"):
        read_ids(tmp_path / "ids.txt", "test")
    with pytest.raises(UsageError, match="does not exist"):
        read_ids(tmp_path / "absent.txt", None)


SUITE = """
title = "one dataset, whole and a part of it"
device = "cpu"

[[datasets]]
name = "metainfo"
root_env = "SUBSET_TEST_ROOT"
labels = "mos.csv"
metrics = ["mean-luma"]

[[datasets]]
name = "metainfo"
id = "metainfo-test"
root_env = "SUBSET_TEST_ROOT"
labels = "mos.csv"
subset = "split.json:test"
metrics = ["mean-luma"]
"""


def test_a_suite_entry_with_a_subset_has_its_own_files(project, monkeypatch):  # noqa: F811
    cwd, site = project
    photos = cwd / "photos"
    names = sorted(p.name for p in photos.iterdir() if p.suffix != ".csv")
    (photos / "mos.csv").write_text((cwd / "labels" / "mos.csv").read_text())
    (cwd / "out" / "suites").mkdir(parents=True)
    (cwd / "out" / "suites" / "parts.toml").write_text(SUITE)
    (cwd / "split.json").write_text(json.dumps({"train": names[:2], "test": names[2:]}))  # beside out/
    suite = load_suite(cwd / "out", "parts")
    assert [d.key for d in suite.datasets] == ["metainfo", "metainfo-test"]
    assert suite.datasets[1].subset_resolved == f"{cwd / 'split.json'}:test"
    result = cli("leaderboard", "--suite", "parts", "--out", "out", "--store", str(cwd / "s.sqlite"), "--offline",
                 cwd=cwd, site=site, env={"SUBSET_TEST_ROOT": str(photos)})
    assert result.returncode == 0, result.stderr + result.stdout
    with open(cwd / "out" / "parts" / "metainfo-test.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    with open(cwd / "out" / "parts" / "metainfo.csv", newline="") as f:
        (whole,) = list(csv.DictReader(f))
    assert (row["scored"], whole["scored"]) == ("4", "6")
    section = (cwd / "out" / "parts" / "suite.md").read_text()
    assert "### `metainfo-test`" in section and "split.json:test (4 present)" in section


def test_one_dataset_twice_needs_ids(tmp_path):
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "twice.toml").write_text(SUITE.replace('id = "metainfo-test"\n', ""))
    with pytest.raises(UsageError, match="appears twice without an id"):
        load_suite(tmp_path, "twice")
