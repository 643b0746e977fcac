"""The embedded ``default`` dataset and the synthetic degradations it is made with."""

from __future__ import annotations

import os
from itertools import pairwise
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from dataset_fixtures import files_of
from iqabench_datasets import embedded
from PIL import Image

from iqabench.dataset import open_dataset
from iqabench.degrade import KINDS, LEVELS, degrade, gaussian_blur, gaussian_noise, jpeg_compress


@pytest.fixture(scope="module")
def spec(datasets_registry):
    return datasets_registry.dataset("default")


# --- degradations -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return embedded.reference_image("chelsea")


@pytest.mark.parametrize("kind", KINDS)
def test_degradation_is_deterministic_and_keeps_the_shape(image, kind):
    for level in range(len(LEVELS[kind]) + 1):
        first, again = degrade(image, kind, level, seed=3), degrade(image, kind, level, seed=3)
        assert first.dtype == np.uint8 and first.shape == image.shape
        assert np.array_equal(first, again)


@pytest.mark.parametrize("kind", KINDS)
def test_each_level_is_further_from_the_original(image, kind):
    errors = [np.mean((degrade(image, kind, level).astype(float) - image) ** 2) for level in range(5)]
    assert errors[0] == 0 and all(a < b for a, b in pairwise(errors))


def test_noise_depends_on_the_seed(image):
    assert not np.array_equal(gaussian_noise(image, 12, seed=1), gaussian_noise(image, 12, seed=2))


def test_grey_images(image):
    grey = image[..., 0]
    for result in (gaussian_blur(grey, 2.0), gaussian_noise(grey, 10.0), jpeg_compress(grey, 20)):
        assert result.shape == grey.shape and result.dtype == np.uint8


@pytest.mark.parametrize("call, message", [
    (lambda im: degrade(im, "pixelate", 1), "unknown degradation 'pixelate'"),
    (lambda im: degrade(im, "blur", 5), "level must be within 0..4"),
    (lambda im: jpeg_compress(im, 0), "JPEG quality must be within 1..95"),
    (lambda im: gaussian_blur(im.astype(np.float32), 1.0), "expected a uint8"),
])
def test_bad_arguments(image, call, message):
    with pytest.raises(ValueError, match=message):
        call(image)


# --- the default dataset ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def made(spec, tmp_path_factory) -> Path:
    """A root where the default dataset was written once; tests copy it rather than write it again."""
    root = tmp_path_factory.mktemp("made") / "default"
    open_dataset(spec, root)
    return root


def test_default_dataset_is_written_on_first_use(spec, made):
    dataset = open_dataset(spec, made)
    assert len(dataset.samples) == 72 == spec.card.expected_images and dataset.missing == []
    assert {s.group for s in dataset.samples} == set(embedded.SOURCES)
    assert sorted({s.mos for s in dataset.samples}) == [1.0, 2.0, 3.0, 4.0]
    first = dataset.samples[0]
    assert first.id == "blur/astronaut_1.png" and first.ref_path == made / "reference" / "astronaut.png"
    for sample in dataset.samples:
        with Image.open(sample.path) as distorted, Image.open(sample.ref_path) as reference:
            assert distorted.size == reference.size and max(reference.size) <= 384 and reference.mode == "RGB"
    assert len(files_of(made)) == 72 + 6 + 1  # samples, references, the recipe stamp; no temporary files


def test_default_root_comes_from_iqabench_data(spec, made, tmp_path, monkeypatch):
    shutil.copytree(made, tmp_path / "data" / "default")
    monkeypatch.setenv("IQABENCH_DATA", str(tmp_path / "data"))
    dataset = open_dataset(spec)
    assert dataset.root == tmp_path / "data" / "default" and len(dataset.samples) == 72


def test_default_files_are_the_same_bytes_every_time(spec, made, tmp_path):
    open_dataset(spec, tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(made)


def test_default_files_are_reused(spec, made, tmp_path):
    root = shutil.copytree(made, tmp_path / "default")
    path = root / "noise" / "coffee_2.png"
    os.utime(path, (1_000_000, 1_000_000))
    (root / "jpeg" / "rocket_4.png").unlink()
    open_dataset(spec, root)
    assert path.stat().st_mtime == 1_000_000
    assert files_of(root) == files_of(made)


def test_default_files_are_rewritten_when_the_recipe_changes(spec, made, tmp_path):
    root = shutil.copytree(made, tmp_path / "default")
    (root / "blur" / "camera_3.png").write_bytes(b"stale")
    (root / embedded.STAMP).write_text("an older recipe\n")
    open_dataset(spec, root)
    assert files_of(root) == files_of(made)


def test_concurrent_first_uses_agree(spec, made, tmp_path):
    with ThreadPoolExecutor(2) as pool:
        datasets = list(pool.map(lambda _: open_dataset(spec, tmp_path / "shared"), range(2)))
    assert all(len(d.samples) == 72 for d in datasets)
    assert files_of(tmp_path / "shared") == files_of(made)
