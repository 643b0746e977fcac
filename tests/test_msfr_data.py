"""msfr data: luma, patch grids, meta-info folders and the split by reference image. Also the tiny
full-reference folder (skimage photographs degraded with iqabench.degrade) that the other msfr tests
train and score on: :func:`tiny_fr_set`."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from iqabench_msfr.data import label_file, load_split, normalised, read_rows
from iqabench_msfr.patches import BT601, inference_grid, luma, training_grid
from PIL import Image

from iqabench.degrade import degrade

SOURCES = ("astronaut", "camera", "chelsea", "coffee", "rocket")
KINDS = ("blur", "noise", "jpeg")


def tiny_fr_set(root: Path, size: int = 192, levels=(1, 3), split: bool = True, sources=SOURCES) -> Path:
    """A pyiqa-layout full-reference folder: ``refs/<source>.png``, ``dist/<source>_<kind><level>.png`` and
    ``meta_info.csv`` (ref_name,dist_name,mos[,split]) with mos = 1 − level/5 (higher is better); the last
    reference is the test split."""
    import skimage.data

    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "dist").mkdir(exist_ok=True)
    rows = []
    for index, source in enumerate(sources):
        picture = Image.fromarray(getattr(skimage.data, source)()).convert("RGB")
        side = min(picture.size)
        picture = picture.crop((0, 0, side, side)).resize((size, size), Image.Resampling.BICUBIC)
        reference = np.asarray(picture)
        Image.fromarray(reference).save(root / "refs" / f"{source}.png")
        for kind in KINDS:
            for level in levels:
                name = f"dist/{source}_{kind}{level}.png"
                Image.fromarray(degrade(reference, kind, level, seed=index)).save(root / name)
                rows.append([f"refs/{source}.png", name, f"{1 - level / 5:.2f}",
                             "test" if index == len(sources) - 1 else "train"])
    with open(root / "meta_info.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref_name", "dist_name", "mos"] + (["split"] if split else []))
        writer.writerows(row if split else row[:3] for row in rows)
    return root


def test_luma_is_bt601_and_grey_is_its_own_luma():
    image = torch.rand(3, 5, 7)
    expected = BT601[0] * image[0] + BT601[1] * image[1] + BT601[2] * image[2]
    assert torch.allclose(luma(image), expected, atol=1e-6)
    assert torch.equal(luma(image[:1]), image[0])
    assert torch.allclose(luma(torch.ones(3, 2, 2)), torch.ones(2, 2))
    with pytest.raises(ValueError):
        luma(torch.rand(2, 4, 4))


def test_inference_grid_covers_every_pixel_with_the_edges_flush():
    corners = inference_grid(384, 512)
    assert len(corners) == 12 and corners.max(axis=0).tolist() == [256, 384]
    corners = inference_grid(300, 130)
    assert sorted({int(y) for y, _ in corners}) == [0, 128, 172] and sorted({int(x) for _, x in corners}) == [0, 2]
    covered = np.zeros((300, 130), bool)
    for y, x in corners:
        covered[y:y + 128, x:x + 128] = True
    assert covered.all()
    assert inference_grid(128, 128).tolist() == [[0, 0]]
    assert len(inference_grid(127, 500)) == 0


def test_training_grid_stays_inside_and_moves_with_the_seed():
    rng = np.random.default_rng(0)
    offsets = set()
    for _ in range(20):
        corners = training_grid(300, 400, rng)
        assert (corners >= 0).all() and (corners[:, 0] + 128 <= 300).all() and (corners[:, 1] + 128 <= 400).all()
        offsets.add(tuple(corners[0]))
    assert len(offsets) > 5
    assert len(training_grid(100, 400, rng)) == 0


def test_the_split_column_is_kept_and_a_missing_one_splits_references_80_20(tmp_path):
    root = tiny_fr_set(tmp_path / "a", size=128, levels=(2,))
    rows, how = read_rows(label_file(root))
    assert "split column" in how
    assert {row.ref for row in rows if row.split == "test"} == {"refs/rocket.png"}
    plain = tiny_fr_set(tmp_path / "b", size=128, levels=(2,), split=False)
    rows, how = read_rows(label_file(plain), seed=3)
    test_refs = {row.ref for row in rows if row.split == "test"}
    assert len(test_refs) == 1 and "seed 3" in how  # 20% of 5 references
    assert not test_refs & {row.ref for row in rows if row.split == "train"}
    assert read_rows(label_file(plain), seed=3)[0] == rows  # the seed fixes it
    assert len({frozenset(r.ref for r in read_rows(label_file(plain), seed=s)[0] if r.split == "test")
                for s in range(10)}) > 1


def test_bad_label_files_are_refused_with_the_reason(tmp_path):
    root = tiny_fr_set(tmp_path / "a", size=128, levels=(2,))
    labels = root / "meta_info.csv"
    text = labels.read_text()
    labels.write_text(text.replace(",test", ",val"))
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        read_rows(labels)
    labels.write_text(text.replace("refs/rocket.png,dist/rocket_blur2.png,0.60,test",
                                   "refs/camera.png,dist/rocket_blur2.png,0.60,test"))
    with pytest.raises(ValueError, match="in both splits"):
        read_rows(labels)
    labels.write_text("image,mos\na.png,1\n")
    with pytest.raises(ValueError, match="ref_name, dist_name"):
        read_rows(labels)
    with pytest.raises(FileNotFoundError, match="meta_info.csv"):
        label_file(tmp_path)


def test_labels_are_mapped_to_the_unit_range():
    assert normalised(3.0, (1.0, 5.0)) == 0.5
    assert normalised(25.0, (100.0, 0.0)) == 0.75  # a DMOS, reversed
    with pytest.raises(ValueError, match="outside --mos-range"):
        normalised(4.0, (0.0, 1.0))


def test_a_split_loads_as_luma_with_shared_references(tmp_path):
    root = tiny_fr_set(tmp_path, size=160, levels=(1, 3))
    rows, _ = read_rows(label_file(root))
    training = load_split(root, rows, "train", (0.0, 1.0))
    assert len(training) == 4 * 3 * 2 and len(training.refs) == 4
    assert training.dists[0].shape == (160, 160) and training.dists[0].dtype == torch.float32
    assert np.allclose(sorted(set(training.targets.tolist())), [0.4, 0.8])
