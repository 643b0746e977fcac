"""``iqabench leaderboard`` end to end on the embedded default dataset (a few images), in a real store."""

import csv
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from iqabench.cli import main

pytest.importorskip("pyiqa", reason="the leaderboard tests score with pyiqa's PSNR and SSIM (the pyiqa extra)")

SMALL_SUITE = """
title = "two fast metrics on twelve images"
device = "cpu"
about = "- **Small** suite: PSNR and SSIM."

[[datasets]]
name = "default"
limit = 12
metrics = ["pyiqa:psnr", "pyiqa:ssim"]
"""

ABSENT_DATASET = """
[[datasets]]
name = "livec"
root_env = "IQABENCH_TEST_LIVEC_ROOT"
root = "no/such/folder"
allow_missing = true
metrics = ["pyiqa:psnr"]
"""

REPO = Path(__file__).resolve().parents[1]


def leaderboard(out: Path, store: Path, *args: str):
    return CliRunner().invoke(main, ["leaderboard", "--suite", "small", "--out", str(out), "--store", str(store),
                                     "--offline", *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A leaderboard written once from a fresh store: (out folder, store)."""
    root = tmp_path_factory.mktemp("lb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IQABENCH_DATA", str(root / "data"))
        (root / "out" / "suites").mkdir(parents=True)
        (root / "out" / "suites" / "small.toml").write_text(SMALL_SUITE)
        result = leaderboard(root / "out", root / "scores.sqlite")
    assert result.exit_code == 0, result.output
    return root / "out", root / "scores.sqlite"


@pytest.fixture
def committed(built, tmp_path, monkeypatch):
    """A copy of the built leaderboard that a test may edit, and the store it came from."""
    out, store = built
    monkeypatch.setenv("IQABENCH_DATA", str(store.parent / "data"))
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "out", store


def rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as f:
        return {row["metric"]: row for row in csv.DictReader(f)}


def estimate(cell: str) -> float:
    """The point estimate of a ``0.8362 [0.7430, 0.8950]`` cell."""
    return float(cell.split()[0])


INTERVAL_CELL = r"-?\d\.\d{4} \[-?\d\.\d{4}, -?\d\.\d{4}\]"


def test_writes_tables_plots_provenance_and_index(built):
    out, _ = built
    table = rows(out / "small" / "default.csv")
    assert set(table) == {"pyiqa:psnr", "pyiqa:ssim"}
    assert table["pyiqa:psnr"]["scored"] == "12" and table["pyiqa:psnr"]["missing"] == "0"
    assert estimate(table["pyiqa:psnr"]["SRCC"]) > 0  # signed: PSNR agrees with the degradation levels
    for column in ("SRCC", "PLCC", "KRCC", "PRA", "RMSE", "SRCC/photo", "PRA/photo"):
        assert re.fullmatch(INTERVAL_CELL, table["pyiqa:psnr"][column]), table["pyiqa:psnr"]
    assert "✓" in {row["top"] for row in table.values()}
    with open(out / "small" / "default_pairs.csv", newline="") as f:
        pairs = list(csv.DictReader(f))
    assert len(pairs) == 1 and {pairs[0]["A"], pairs[0]["B"]} == {"pyiqa:psnr", "pyiqa:ssim"}
    assert re.fullmatch(INTERVAL_CELL, pairs[0]["ΔSRCC (A − B)"]) and pairs[0]["p SRCC (bootstrap)"] != "n/a"
    for plot in ("default_scores.png", "srcc.png"):
        assert (out / "small" / "plots" / plot).stat().st_size > 1000
    readme, page = (out / "README.md").read_text(), (out / "index.html").read_text()
    for text in (readme, page):
        assert "Suite <code>small</code>" in text or "Suite `small`" in text
        assert "date: " in text and "label file: " in text and "device: cpu" in text
    assert 'src="small/plots/default_scores.png"' in page
    assert "\n- **Small** suite: PSNR and SSIM.\n- **Statistics**" in readme  # the suite's about, in the introduction


def test_check_passes_on_the_real_table_and_fails_on_a_changed_number(committed):
    out, store = committed
    passed = leaderboard(out, store, "--check")
    assert passed.exit_code == 0, passed.output
    assert "is what the code computes today" in passed.output

    path = out / "small" / "default.csv"
    srcc = rows(path)["pyiqa:ssim"]["SRCC"]
    point = srcc.split()[0]
    changed = srcc.replace(point, f"{float(point) + 0.0001:.4f}", 1)
    path.write_text(path.read_text().replace(srcc, changed, 1))
    failed = leaderboard(out, store, "--check")
    assert failed.exit_code == 1, failed.output
    assert f"small/default.csv: pyiqa:ssim SRCC: committed {changed}, computed {srcc}" in failed.output
    assert "1 difference(s)" in failed.output


@pytest.mark.parametrize("column, new", [("scored", "13"), ("missing", "1"), ("failed", "0.5")])
def test_check_fails_on_a_changed_plain_number(committed, column, new):
    """Counts are numbers too: any change fails the check, not only a change beyond some tolerance."""
    out, store = committed
    path = out / "small" / "default.csv"
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    index = table[0].index(column)
    old = table[1][index]
    table[1][index] = new
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(table)
    failed = leaderboard(out, store, "--check", "--skip-unavailable")
    assert failed.exit_code == 1, failed.output
    assert f"{table[1][0]} {column}: committed {new}, computed {old}" in failed.output


def test_check_ignores_the_date_and_diffs_the_markdown(committed):
    out, store = committed
    section = out / "small" / "suite.md"
    text = section.read_text()
    date_line = next(line for line in text.splitlines() if line.startswith("- date: "))
    section.write_text(text.replace(date_line, "- date: 1999-01-01T00:00:00+00:00"))
    assert leaderboard(out, store, "--check").exit_code == 0

    section.write_text(text.replace("| 12 ", "| 13 ", 1))
    failed = leaderboard(out, store, "--check")
    assert failed.exit_code == 1
    assert "small/suite.md differs:" in failed.output and "+| pyiqa:" in failed.output


def test_an_absent_dataset_fails_naming_its_variable_or_is_skipped_on_request(committed, monkeypatch):
    out, store = committed
    monkeypatch.delenv("IQABENCH_TEST_LIVEC_ROOT", raising=False)
    suite = out / "suites" / "small.toml"
    suite.write_text(SMALL_SUITE + ABSENT_DATASET)
    failed = leaderboard(out, store, "--check")
    assert failed.exit_code == 3
    assert "IQABENCH_TEST_LIVEC_ROOT" in failed.output and "no/such/folder" in failed.output

    skipped = leaderboard(out, store, "--check", "--skip-unavailable")
    assert skipped.exit_code == 0, skipped.output
    assert "skipped livec: not found at" in skipped.output


def test_a_root_from_the_environment_wins(committed, monkeypatch, tmp_path):
    from iqabench.leaderboard.suites import load_suite

    out, _ = committed
    (out / "suites" / "small.toml").write_text(SMALL_SUITE + ABSENT_DATASET)
    assert load_suite(out, "small").datasets[1].root == out.parent / "no/such/folder"
    monkeypatch.setenv("IQABENCH_TEST_LIVEC_ROOT", str(tmp_path / "clive"))
    assert load_suite(out, "small").datasets[1].root == tmp_path / "clive"


def test_the_committed_ci_suite_states_the_live_challenge_subset():
    """NIQE and BRISQUE on the 400 images of ../shared: counts, intervals, and whether they differ."""
    table = rows(REPO / "leaderboards" / "ci" / "livec.csv")
    for metric in ("niqe", "brisque"):
        assert (table[metric]["scored"], table[metric]["missing"], table[metric]["failed"]) == ("400", "762", "0")
        assert estimate(table[metric]["SRCC"]) > 0
        assert re.fullmatch(INTERVAL_CELL, table[metric]["SRCC"])
    with open(REPO / "leaderboards" / "ci" / "livec_pairs.csv", newline="") as f:
        (pair,) = list(csv.DictReader(f))
    assert (pair["A"], pair["B"], pair["n"]) == ("niqe", "brisque", "400")
    assert float(pair["p SRCC (bootstrap)"].lstrip("<≤")) < 0.05  # NIQE is significantly better here
    assert estimate(pair["ΔSRCC (A − B)"]) > 0
