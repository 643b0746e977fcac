"""The embedded ``default-faces`` dataset (two packaged portraits at known effective resolutions) and the
Quick start's effres run on it, offline as on a fresh clone."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from dataset_fixtures import files_of
from iqabench_datasets import embedded_faces
from PIL import Image

from iqabench.dataset import open_dataset
from iqabench.degrade import downscale_upscale


@pytest.fixture(scope="module")
def spec(datasets_registry):
    return datasets_registry.dataset("default-faces")


@pytest.fixture(scope="module")
def made(spec, tmp_path_factory):
    root = tmp_path_factory.mktemp("default-faces")
    return root, open_dataset(spec, root)


def test_written_on_first_use_with_its_labels(made):
    root, dataset = made
    samples = {sample.id: sample for sample in dataset.samples}
    assert len(samples) == 2 * (1 + len(embedded_faces.COPIES)) == dataset.card.expected_images
    for person, (_, _, side) in embedded_faces.CROPS.items():
        assert samples[f"{person}/00.png"].mos == 1.0
        factors = [samples[f"{person}/{n:02d}.png"].mos for n in range(1, len(embedded_faces.COPIES) + 1)]
        assert factors == [factor for factor, _ in embedded_faces.COPIES]
        assert {samples[f"{person}/{n:02d}.png"].group for n in range(7)} == {person}
        for number in range(7):
            with Image.open(root / person / f"{number:02d}.png") as image:
                assert image.size == (side, side) and image.mode == "RGB"


def test_the_clean_face_is_the_packaged_pixels(made):
    root, _ = made
    for person, (top, left, side) in embedded_faces.CROPS.items():
        source = embedded_faces.source_image(person)
        with Image.open(root / person / "00.png") as image:
            assert np.array_equal(np.asarray(image), source[top:top + side, left:left + side])


def test_each_copy_is_the_clean_face_resampled_by_its_factor(made):
    root, _ = made
    for person in embedded_faces.CROPS:
        clean = np.asarray(Image.open(root / person / "00.png"))
        for number, (factor, method) in enumerate(embedded_faces.COPIES, start=1):
            copy = np.asarray(Image.open(root / person / f"{number:02d}.png"))
            assert np.array_equal(copy, downscale_upscale(clean, factor, method))
            assert not np.array_equal(copy, clean)


def test_the_same_bytes_every_time_and_reused(spec, made, tmp_path):
    root, _ = made
    open_dataset(spec, tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(root)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "again").rglob("*.png")}
    open_dataset(spec, tmp_path / "again")
    assert before == {p: p.stat().st_mtime_ns for p in (tmp_path / "again").rglob("*.png")}


def test_rewritten_when_the_recipe_changes(spec, tmp_path, monkeypatch):
    open_dataset(spec, tmp_path)
    first = (tmp_path / "astronaut" / "01.png").read_bytes()
    monkeypatch.setattr(embedded_faces, "COPIES", ((0.5, "area"),) + embedded_faces.COPIES[1:])
    dataset = open_dataset(spec, tmp_path)
    assert (tmp_path / "astronaut" / "01.png").read_bytes() != first
    assert {s.id: s.mos for s in dataset.samples}["astronaut/01.png"] == 0.5


@pytest.mark.slow
def test_the_quick_start_effres_run_works_offline(tmp_path):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_STORE=str(tmp_path / "s.sqlite"),
                       IQABENCH_DATA=str(tmp_path / "data"))
    command = [sys.executable, "-m", "iqabench"]
    done = subprocess.run(command + ["run", "--offline", "--metric", "effres", "--dataset", "default-faces"],
                          capture_output=True, text=True, env=environment, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "effres: 14 scored now, 0 stored, 0 missing, 0 failed" in done.stdout
    assert "SRCC/person" in done.stdout
    exported = subprocess.run(command + ["export", "-m", "effres", "-d", "default-faces"], capture_output=True,
                              text=True, env=environment, timeout=300, check=True).stdout
    scores = {row["sample_id"]: float(row["score"]) for row in csv.DictReader(io.StringIO(exported))}
    for person in embedded_faces.CROPS:  # the sharp face reads above its copy at a fifth of the resolution
        assert scores[f"{person}/00.png"] > scores[f"{person}/06.png"] + 0.2, scores
