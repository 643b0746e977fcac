"""Lower-is-better labels (DMOS) through every call site: ``run``, ``stats`` and ``leaderboard`` on a small
DMOS dataset, where a good metric must come out positive whatever its own direction."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import ImageFilter

from iqabench.cli import main
from iqabench.testing import install_entry_point, sample_pictures

PLUGIN = """
    import csv
    from pathlib import Path

    import iqabench
    from iqabench.dataset import DatasetCard, DatasetSpec, ReadResult, Sample

    class Sharpness(iqabench.Metric):
        name = "toy-sharpness"  # higher is better

        def score_batch(self, images, refs=None):
            return [float((image[:, 1:, :] - image[:, :-1, :]).abs().mean()) for image in images]

    class Difference(iqabench.Metric):
        name = "toy-difference"  # full reference, lower is better
        kind = "FR"
        lower_better = True

        def score_batch(self, images, refs=None):
            return [float((image - ref).abs().mean()) for image, ref in zip(images, refs)]

    def read(card, root, options):
        labels = Path(root) / "dmos.csv"
        with open(labels, newline="") as f:
            rows = list(csv.DictReader(f))
        samples = [Sample(row["image"], Path(root) / row["image"], Path(root) / row["reference"],
                          mos=float(row["dmos"]), group=row["reference"]) for row in rows]
        return ReadResult(samples, labels, "reference")

    CARD = DatasetCard(name="toy-dmos", format="toy-dmos", kind="FR", lower_better=True, mos_range=(0.0, 10.0))

    @iqabench.hookimpl
    def register_metrics(register):
        register(Sharpness())
        register(Difference())

    @iqabench.hookimpl
    def register_datasets(register):
        register(DatasetSpec(CARD, read))
"""

SUITE = """
[[datasets]]
name = "toy-dmos"
root_env = "TOY_DMOS_ROOT"
metrics = ["toy-sharpness", "toy-difference"]
"""


def write_dmos_dataset(root: Path) -> None:
    """Three photographs blurred at four levels; DMOS = the blur radius (more blur, worse, higher DMOS)."""
    (root / "ref").mkdir(parents=True)
    (root / "dist").mkdir()
    rows = []
    for i, picture in enumerate(sample_pictures(size=96)):
        picture.save(root / "ref" / f"p{i}.png")
        for level in range(1, 5):
            name = f"dist/p{i}_{level}.png"
            picture.filter(ImageFilter.GaussianBlur(level)).save(root / name)
            rows.append({"image": name, "reference": f"ref/p{i}.png", "dmos": level + 0.1 * i})
    with open(root / "dmos.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["image", "reference", "dmos"])
        writer.writeheader()
        writer.writerows(rows)


def srcc_of(output: str, metric: str) -> float:
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        if cells and cells[0] == metric:
            return float(cells[6])  # metric, better, scored, missing, failed, top, SRCC
    raise AssertionError(f"no row for {metric} in:\n{output}")


@pytest.fixture
def dmos_setup(tmp_path, monkeypatch):
    install_entry_point(tmp_path, "iqabench", "toydmos", PLUGIN)
    write_dmos_dataset(tmp_path / "data")
    monkeypatch.setenv("TOY_DMOS_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("IQABENCH_STORE", str(tmp_path / "s.sqlite"))
    return tmp_path


def test_a_good_metric_is_positive_on_dmos_in_run_stats_and_leaderboard(dmos_setup):
    runner = CliRunner()
    run = runner.invoke(main, ["run", "-m", "toy-sharpness", "-m", "toy-difference", "-d", "toy-dmos", "--root",
                               str(dmos_setup / "data"), "--resamples", "200"])
    assert run.exit_code == 0, run.output
    stats = runner.invoke(main, ["stats", "-d", "toy-dmos", "--resamples", "200"])
    assert stats.exit_code == 0, stats.output
    for output in (run.output, stats.output):
        assert srcc_of(output, "toy-sharpness") > 0.5, output
        assert srcc_of(output, "toy-difference") > 0.5, output
        assert "The labels are lower-is-better (DMOS) and were negated." in " ".join(output.split())

    out = dmos_setup / "leaderboards"
    (out / "suites").mkdir(parents=True)
    (out / "suites" / "dmos.toml").write_text(SUITE)
    board = runner.invoke(main, ["leaderboard", "--suite", "dmos", "--out", str(out)])
    assert board.exit_code == 0, board.output
    with open(out / "dmos" / "toy-dmos.csv", newline="") as f:
        rows = {row["metric"]: row for row in csv.DictReader(f)}
    for metric in ("toy-sharpness", "toy-difference"):
        assert float(rows[metric]["SRCC"].split()[0]) > 0.5, rows[metric]
        assert float(rows[metric]["SRCC/reference"].split()[0]) > 0.5, rows[metric]
    assert np.isclose(float(rows["toy-sharpness"]["SRCC"].split()[0]), srcc_of(run.output, "toy-sharpness"))
