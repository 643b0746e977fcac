"""The overview of a suite (SRCC per metric and dataset) in every rendering, built end to end from a real
store: two embedded datasets, full-reference metrics on the one with references and a no-reference metric on
the other."""

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from iqabench.cli import main

pytest.importorskip("pyiqa", reason="the overview tests score with pyiqa's PSNR, SSIM and PIQE (the pyiqa extra)")

SUITE = """
title = "an overview of two datasets"
device = "cpu"

[[datasets]]
name = "default"
limit = 12
metrics = ["pyiqa:psnr", "pyiqa:ssim"]

[[datasets]]
name = "default-faces"
metrics = ["pyiqa:piqe"]
"""


def leaderboard(out: Path, store: Path, *args: str):
    return CliRunner().invoke(main, ["leaderboard", "--suite", "two", "--out", str(out), "--store", str(store),
                                     "--offline", *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("overview")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IQABENCH_DATA", str(root / "data"))
        (root / "out" / "suites").mkdir(parents=True)
        (root / "out" / "suites" / "two.toml").write_text(SUITE)
        result = leaderboard(root / "out", root / "scores.sqlite")
    assert result.exit_code == 0, result.output
    return root / "out", root / "scores.sqlite"


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_overview_csv_holds_each_tables_srcc_cell(built):
    out, _ = built
    overview = {row["metric"]: row for row in read(out / "two" / "overview.csv")}
    assert list(overview) == ["pyiqa:psnr", "pyiqa:ssim", "pyiqa:piqe"]
    # default-faces is grouped by person: its column is the grouped SRCC, not the pooled one
    assert list(overview["pyiqa:psnr"]) == ["metric", "default (SRCC)", "default-faces (SRCC/person)"]
    for key, statistic in (("default", "SRCC"), ("default-faces", "SRCC/person")):
        table = {row["metric"]: row[statistic] for row in read(out / "two" / f"{key}.csv")}
        column = f"{key} ({statistic})"
        assert {m: row[column] for m, row in overview.items() if row[column]} == table
    pooled = {row["metric"]: row["SRCC"] for row in read(out / "two" / "default-faces.csv")}
    assert overview["pyiqa:piqe"]["default-faces (SRCC/person)"] != pooled["pyiqa:piqe"]
    assert overview["pyiqa:psnr"]["default-faces (SRCC/person)"] == ""  # FR on a dataset without references
    assert overview["pyiqa:piqe"]["default (SRCC)"] == ""  # not in the suite there


def test_html_marks_the_best_and_says_why_a_cell_is_empty(built):
    out, _ = built
    section = (out / "two" / "suite.html").read_text()
    overview = section[section.index('<table class="sortable overview"'):]
    overview = overview[:overview.index("</table>")]
    rows = {m: cells for m, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", overview)}
    assert set(rows) == {"pyiqa:psnr", "pyiqa:ssim", "pyiqa:piqe"}
    assert re.search(r'title="pyiqa:psnr on default-faces: full-reference metric; the dataset has no reference images"',
                     rows["pyiqa:psnr"])
    assert 'title="pyiqa:piqe on default: not scored on this dataset in this suite"' in rows["pyiqa:piqe"]
    table = {row["metric"]: float(row["SRCC"].split()[0]) for row in read(out / "two" / "default.csv")}
    best = max(table, key=table.get)
    assert 'class="best"' in rows[best] and "★" in rows[best]
    assert all('class="best"' not in rows[m].split("</td>")[0] for m in table if table[m] < table[best])
    assert "<script>" not in section  # the section is a fragment; the page carries the one script


def test_the_index_pages_start_with_the_overview(built):
    out, _ = built
    readme, page = (out / "README.md").read_text(), (out / "index.html").read_text()
    assert readme.index("### Overview of suite `two`") < readme.index("## Suite `two`") < readme.index("### `default`")
    assert readme.count("### Overview of suite `two`") == 1
    assert re.search(r"\| pyiqa:psnr +\| .*\| — \(([a-z])\) +\|", readme)
    letter = re.search(r"\| pyiqa:psnr +\| .*\| — \(([a-z])\) +\|", readme).group(1)
    assert f"- ({letter}) full-reference metric; the dataset has no reference images." in readme
    assert page.index("<table") == page.index('<table class="sortable overview"')
    assert page.count('class="sortable overview"') == 1
    assert "<script>" in page and "http" not in page.split("<script>")[1]  # inline, loads nothing


def test_check_reports_a_changed_overview_cell(built, tmp_path, monkeypatch):
    out, store = built
    monkeypatch.setenv("IQABENCH_DATA", str(store.parent / "data"))
    shutil.copytree(out, tmp_path / "out")
    assert leaderboard(tmp_path / "out", store, "--check").exit_code == 0
    path = tmp_path / "out" / "two" / "overview.csv"
    rows = read(path)
    cell = rows[0]["default (SRCC)"]
    rows[0]["default (SRCC)"] = cell.replace(cell.split()[0], f"{float(cell.split()[0]) - 0.01:.4f}", 1)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = leaderboard(tmp_path / "out", store, "--check")
    assert result.exit_code == 1
    metric, committed = rows[0]["metric"], rows[0]["default (SRCC)"]
    assert f"two/overview.csv: {metric} default (SRCC): committed {committed}, computed {cell}" in result.output
