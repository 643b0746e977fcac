"""effres' spectral sharpness check: the height at which a face's own pixels are sharp (label 1 true)."""

from __future__ import annotations

import json

import click
import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from iqabench_effres import testset
from iqabench_effres.command import SourceHeight
from iqabench_effres.faces import AUTO, at_height, load_faces
from iqabench_effres.sharpness import resized, sharp_height, top_octave_share


@pytest.fixture(scope="module")
def photograph() -> np.ndarray:
    """Grace Hopper's portrait (600 × 512), a photograph sharp at its own size."""
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def enlarged(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` shown ``factor`` times larger than its detail: shrunk by it, then enlarged back (bicubic)."""
    height, width = image.shape[:2]
    small = Image.fromarray(image).resize((round(width / factor), round(height / factor)), Image.Resampling.LANCZOS)
    return np.asarray(small.resize((width, height), Image.Resampling.BICUBIC))


def test_a_sharp_photograph_keeps_its_top_octave_and_an_enlarged_copy_loses_it(photograph):
    sharp = top_octave_share(resized(photograph, 512))
    assert 0.8 < sharp / top_octave_share(resized(photograph, 256)) < 1.25  # about scale-invariant
    assert top_octave_share(resized(enlarged(photograph, 2), 512)) < sharp / 5


def test_sharp_height_is_the_largest_height_where_the_pixels_are_sharp(photograph):
    assert sharp_height(photograph) == 512
    assert sharp_height(enlarged(photograph, 2)) == 256  # detail of a 300-px picture shown at 600 px
    assert sharp_height(enlarged(photograph, 1.5)) == 384
    small = resized(photograph, 200)
    assert sharp_height(small) == 200  # shorter than every candidate: kept as it is


def test_a_flat_image_has_no_spectrum_to_read():
    with pytest.raises(ValueError, match="flat"):
        top_octave_share(np.full((300, 300, 3), 128, np.uint8))


def test_auto_source_height_downscales_each_face_to_its_own_sharp_height(photograph, tmp_path):
    Image.fromarray(photograph).save(tmp_path / "sharp.png")
    Image.fromarray(enlarged(photograph, 2)).save(tmp_path / "soft.png")
    assert at_height(photograph, AUTO).shape[:2] == (512, 437)
    faces = load_faces([tmp_path], "none", root=tmp_path, height=AUTO)
    assert {entry["path"]: entry["height"] for entry in faces.manifest} == {"sharp.png": 512, "soft.png": 256}
    assert [image.shape[0] for image in faces.images] == [512, 256]


def test_the_source_height_option_takes_a_height_or_auto():
    option = SourceHeight()
    assert option.convert("auto", None, None) == "auto"
    assert option.convert("256", None, None) == 256
    for bad, message in [("big", "neither a height in pixels nor 'auto'"), ("32", "below 64 pixels")]:
        with pytest.raises(click.BadParameter, match=message):
            option.convert(bad, None, None)


def test_a_flat_training_face_is_named_when_auto_cannot_read_it(tmp_path):
    Image.fromarray(np.full((600, 600, 3), 90, np.uint8)).save(tmp_path / "flat.png")
    with pytest.raises(ValueError, match=r"flat\.png: the image is flat.*remove it from the list"):
        load_faces([tmp_path], "none", root=tmp_path, height=AUTO)


def test_testset_keeps_only_the_faces_sharp_at_its_size(photograph, tmp_path):
    square = photograph[:512, :512]
    Image.fromarray(square).save(tmp_path / "sharp.png")
    Image.fromarray(enlarged(square, 2)).save(tmp_path / "soft.png")
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"a": ["soft.png"], "b": ["sharp.png"]}))
    common = ["--faces", str(tmp_path), "--split", str(split), "--subset", "a,b", "--versions", "1"]

    assert testset.main([*common, "--out", str(tmp_path / "at512"), "--size", "512", "--sharp-only"]) == 0
    assert sorted(p.name for p in (tmp_path / "at512").iterdir() if p.is_dir()) == ["sharp"]
    assert "--sharp-only" in (tmp_path / "at512" / "README.txt").read_text()
    assert testset.main([*common, "--out", str(tmp_path / "at256"), "--size", "256", "--sharp-only"]) == 0
    assert sorted(p.name for p in (tmp_path / "at256").iterdir() if p.is_dir()) == ["sharp", "soft"]


def test_testset_sharp_only_refusals(photograph, tmp_path, capsys):
    Image.fromarray(enlarged(photograph[:512, :512], 2)).save(tmp_path / "soft.png")
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"a": ["soft.png"]}))
    common = ["--faces", str(tmp_path), "--split", str(split), "--subset", "a", "--sharp-only"]
    assert testset.main([*common, "--out", str(tmp_path / "x"), "--size", "512"]) == 2
    assert "no face" in capsys.readouterr().err
    assert testset.main([*common, "--out", str(tmp_path / "y"), "--size", "300"]) == 2
    assert "give --size one of them" in capsys.readouterr().err
    assert testset.main([*common, "--out", str(tmp_path / "z"), "--subset", "a,missing", "--size", "256"]) == 2
    assert "no non-empty list 'missing'" in capsys.readouterr().err
