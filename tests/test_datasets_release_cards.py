"""The cards of SPAQ, PIPAL, KonIQ++, LIVE-MD and TID2008 (labels: pyiqa's meta-info CSV of each, images at
the release's folders): each reads its real label file from the shared folder with the card's count,
range and direction, finds images where the release puts them, and is listed.

The label files are read in place, never copied; tests that need them skip, naming the file, where it is
absent. The images are a few written here, under the real labels' names."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from shared_data import shared_file

from iqabench.cli import main
from iqabench.dataset import open_dataset
from iqabench.errors import DatasetError

LABELS = "data/labels"

#: card -> (pyiqa meta-info file, the lowest and highest label in it, full-reference)
CARDS = {
    "spaq": ("SPAQ", 2.0, 96.0, False),
    "pipal": ("PIPAL", 916.7136, 1835.9856, True),
    "koniq10k++": ("KonIQ10k++", 1.171875, 4.86538461538461, False),
    "livemd": ("LIVEMD", 0.6111111111111112, 84.66666666666667, True),
    "tid2008": ("TID2008", 0.0, 7.7143, True),
}


def labels_of(name: str):
    return shared_file(f"{LABELS}/meta_info_{CARDS[name][0]}Dataset.csv")


def write_image(path, size=(32, 24)):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="BMP" if path.suffix.lower() == ".bmp" else "JPEG")


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(CARDS))
def test_each_card_reads_its_real_label_file(datasets_registry, tmp_path, name):
    spec = datasets_registry.dataset(name)
    card = spec.card
    dataset = open_dataset(spec, tmp_path, {"labels": str(labels_of(name))})
    everything = dataset.samples + dataset.missing
    assert dataset.samples == [] and len(everything) == card.expected_images
    _, low, high, full_reference = CARDS[name]
    mos = [s.mos for s in everything]
    assert (min(mos), max(mos)) == pytest.approx((low, high))
    assert card.mos_range[0] <= low and high <= card.mos_range[1]
    assert card.kind == ("FR" if full_reference else "NR")
    assert all((s.ref_path is not None) == full_reference for s in everything)
    assert dataset.group_by == ("reference" if full_reference else None)
    assert len({s.id for s in everything}) == len(everything)


@pytest.mark.shared
def test_directions_follow_the_labels(datasets_registry):
    """LIVE-MD's labels are DMOS; the others are MOS or Elo scores, higher is better."""
    assert {name: datasets_registry.dataset(name).card.lower_better for name in CARDS} == {
        "spaq": False, "pipal": False, "koniq10k++": False, "livemd": True, "tid2008": False}


@pytest.mark.shared
@pytest.mark.parametrize(("name", "image", "reference"), [
    ("spaq", "TestImage/00001.jpg", None),
    ("pipal", "Dist_Imgs/A0001_00_00.bmp", "Train_Ref/A0001.bmp"),
    ("koniq10k++", "512x384/826373.jpg", None),  # the half-size release, when 1024x768/ is absent
    ("livemd", "Part 1/blurjpeg/babygirl_blur1.bmp", "Part 1/blurjpeg/babygirl.bmp"),
    ("tid2008", "distorted_images/i01_01_1.bmp", "reference_images/I01.BMP"),  # labelled I01_01_1.bmp
])
def test_images_are_found_where_the_release_puts_them(datasets_registry, tmp_path, name, image, reference):
    write_image(tmp_path / image)
    if reference:
        write_image(tmp_path / reference)
    dataset = open_dataset(datasets_registry.dataset(name), tmp_path, {"labels": str(labels_of(name))})
    assert len(dataset.samples) == 1 and dataset.samples[0].path == tmp_path / image
    assert len(dataset.missing) == datasets_registry.dataset(name).card.expected_images - 1
    if reference:
        assert dataset.samples[0].ref_path == tmp_path / reference


def test_a_label_file_on_another_scale_is_refused(datasets_registry, tmp_path):
    """A 0–100 file given to TID2008's card (MOS 0–9) names the first label out of range."""
    (tmp_path / "labels.csv").write_text("ref_name,dist_name,mos\nI01.BMP,I01_01_1.bmp,48.5\n")
    with pytest.raises(DatasetError, match=r"MOS 48.5 is outside the range \[0, 9\] of TID2008"):
        open_dataset(datasets_registry.dataset("tid2008"), tmp_path, {"labels": str(tmp_path / "labels.csv")})


def test_list_datasets_shows_the_cards(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(main, ["list", "datasets"])
    assert result.exit_code == 0, result.output
    for name, kind, count in (("spaq", "NR", "11125"), ("pipal", "FR", "23200"), ("koniq10k++", "NR", "10073"),
                              ("livemd", "FR", "450"), ("tid2008", "FR", "1700")):
        assert re.search(rf"│ {re.escape(name)} +│ [^│]+│ {kind} +│ {count} +│", result.output), name
