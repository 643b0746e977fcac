"""Bad label files: each fault gets its own message naming the file, the line and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from dataset_fixtures import (
    build_csiq, build_gfiqa, build_kadid, build_koniq, build_live, build_livec, build_metainfo, build_tid2013,
    write_csv,
)
from scipy.io import savemat

from iqabench.dataset import open_dataset
from iqabench.errors import DatasetError


def error_of(datasets_registry, name: str, root: Path, **options) -> str:
    with pytest.raises(DatasetError) as error:
        open_dataset(datasets_registry.dataset(name), root, options)
    return str(error.value)


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


def test_missing_label_file_names_it_and_the_layout(datasets_registry, tmp_path):
    build_koniq(tmp_path)
    (tmp_path / "koniq10k_scores_and_distributions.csv").unlink()
    message = error_of(datasets_registry, "koniq10k", tmp_path)
    assert f"Label file {tmp_path / 'koniq10k_scores_and_distributions.csv'} not found" in message
    assert "1024x768/" in message and "database.mmsp-kn.de" in message


def test_missing_mat_file(datasets_registry, tmp_path):
    build_live(tmp_path)
    (tmp_path / "refnames_all.mat").unlink()
    message = error_of(datasets_registry, "live", tmp_path)
    assert "refnames_all.mat not found" in message and "fastfading/" in message


def test_empty_label_file(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    (tmp_path / "dmos.csv").write_text("")
    assert "is empty; expected a header with columns ['dist_img', 'ref_img', 'dmos', 'var']" in error_of(
        datasets_registry, "kadid10k", tmp_path)


def test_header_without_rows(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    (tmp_path / "dmos.csv").write_text("dist_img,ref_img,dmos,var\n")
    assert "has a header but no rows" in error_of(datasets_registry, "kadid10k", tmp_path)


def test_empty_text_label_file(datasets_registry, tmp_path):
    build_tid2013(tmp_path)
    (tmp_path / "mos_with_names.txt").write_text("\n\n")
    assert "is empty; expected '<mos> <image name>' lines" in error_of(datasets_registry, "tid2013", tmp_path)


def test_wrong_header(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    write_csv(tmp_path / "dmos.csv", ["image", "score"], [["I01_01_01.png", 4.5]])
    message = error_of(datasets_registry, "kadid10k", tmp_path)
    assert f"{tmp_path / 'dmos.csv'}, line 1: header ['image', 'score'] lacks column(s) " in message
    assert "['dist_img', 'ref_img', 'dmos', 'var']" in message


def test_row_with_missing_fields(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    replace_line(tmp_path / "dmos.csv", 3, "I01_01_05.png,I01.png,2.23")
    assert "dmos.csv, line 3: 3 field(s) where the header has 4" in error_of(datasets_registry, "kadid10k", tmp_path)


def test_nan_mos(datasets_registry, tmp_path):
    build_gfiqa(tmp_path)
    replace_line(tmp_path / "mos_val_rating.csv", 3, "831481558_1.png,nan")
    message = error_of(datasets_registry, "gfiqa", tmp_path)
    assert f"{tmp_path / 'mos_val_rating.csv'}, line 3: MOS is 'nan'; every image needs a finite score" in message


def test_non_numeric_mos(datasets_registry, tmp_path):
    build_tid2013(tmp_path)
    replace_line(tmp_path / "mos_with_names.txt", 2, "five i01_01_2.bmp")
    message = error_of(datasets_registry, "tid2013", tmp_path)
    assert f"{tmp_path / 'mos_with_names.txt'}, line 2: MOS 'five' is not a number" in message


def test_malformed_text_line(datasets_registry, tmp_path):
    build_tid2013(tmp_path)
    replace_line(tmp_path / "mos_with_names.txt", 4, "4.02857 i02_10_3.bmp extra")
    assert "mos_with_names.txt, line 4: expected '<mos> <image name>'" in error_of(datasets_registry, "tid2013", tmp_path)


def test_tid_name_that_names_no_reference(datasets_registry, tmp_path):
    build_tid2013(tmp_path)
    replace_line(tmp_path / "mos_with_names.txt", 1, "5.0 picture.bmp")
    assert "line 1: image name 'picture.bmp' is not of the form i01_01_1.bmp" in error_of(datasets_registry, "tid2013", tmp_path)


def test_std_file_of_another_length(datasets_registry, tmp_path):
    build_tid2013(tmp_path)
    (tmp_path / "mos_std.txt").write_text("0.1\n0.2\n")
    message = error_of(datasets_registry, "tid2013", tmp_path)
    assert "mos_std.txt has 2 values but mos_with_names.txt has 6 rows" in message


def test_duplicate_image_rows(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    with open(tmp_path / "dmos.csv", "a") as f:
        f.write("I01_01_01.png,I01.png,4.50,0.4\n")
    message = error_of(datasets_registry, "kadid10k", tmp_path)
    assert re.search(r"dmos\.csv, line 7: image 'I01_01_01\.png' is labelled again \(first at .*dmos\.csv, line 2\)",
                     message)


def test_duplicates_differing_only_in_case(datasets_registry, tmp_path):
    build_tid2013(tmp_path, with_std=False)
    with open(tmp_path / "mos_with_names.txt", "a") as f:
        f.write("5.0 i01_01_1.bmp\n")
    assert "line 7: image 'i01_01_1.bmp' is labelled again" in error_of(datasets_registry, "tid2013", tmp_path)


def test_mos_outside_the_card_range(datasets_registry, tmp_path):
    build_koniq(tmp_path)
    path = tmp_path / "koniq10k_scores_and_distributions.csv"
    lines = path.read_text().splitlines()
    fields = lines[2].split(",")
    fields[7] = "77.38"  # a 0-100 MOS_zscore where the 1-5 MOS belongs
    lines[2] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    message = error_of(datasets_registry, "koniq10k", tmp_path)
    assert f"{path}, line 3: MOS 77.38 is outside the range [1, 5] of KonIQ-10k" in message


def test_mos_outside_range_in_a_mat_file(datasets_registry, tmp_path):
    build_livec(tmp_path)
    savemat(tmp_path / "Data" / "AllMOS_release.mat", {"AllMOS_release": np.full((1, 13), 150.0)})
    assert "AllMOS_release.mat, entry 8: MOS 150 is outside the range [0, 100]" in error_of(datasets_registry, "livec", tmp_path)


def test_nan_in_a_mat_file(datasets_registry, tmp_path):
    build_livec(tmp_path)
    mos = np.full((1, 13), 50.0)
    mos[0, 9] = np.nan
    savemat(tmp_path / "Data" / "AllMOS_release.mat", {"AllMOS_release": mos})
    assert "AllMOS_release.mat, entry 10: MOS is nan" in error_of(datasets_registry, "livec", tmp_path)


def test_mat_arrays_of_different_lengths(datasets_registry, tmp_path):
    build_livec(tmp_path)
    savemat(tmp_path / "Data" / "AllMOS_release.mat", {"AllMOS_release": np.full((1, 12), 50.0)})
    message = error_of(datasets_registry, "livec", tmp_path)
    assert "Label arrays differ in length" in message
    assert "AllImages_release.mat:AllImages_release has 13, Data/AllMOS_release.mat:AllMOS_release has 12" in message


def test_live_arrays_must_match_the_release_folders(datasets_registry, tmp_path):
    build_live(tmp_path)
    savemat(tmp_path / "dmos.mat", {"dmos": np.zeros((1, 900)), "orgs": np.zeros((1, 900))})
    message = error_of(datasets_registry, "live", tmp_path)
    assert "dmos.mat:dmos has 900" in message and "the release's 5 folders has 982" in message


def test_mat_file_without_the_variable(datasets_registry, tmp_path):
    build_livec(tmp_path)
    savemat(tmp_path / "Data" / "AllMOS_release.mat", {"MOS": np.zeros((1, 13))})
    message = error_of(datasets_registry, "livec", tmp_path)
    assert "AllMOS_release.mat has no variable 'AllMOS_release' (it has ['MOS'])" in message


def test_file_that_is_not_a_mat_file(datasets_registry, tmp_path):
    build_livec(tmp_path)
    (tmp_path / "Data" / "AllStdDev_release.mat").write_text("not matlab")
    assert "AllStdDev_release.mat is not a readable MATLAB file" in error_of(datasets_registry, "livec", tmp_path)


def test_orgs_flag_must_be_zero_or_one(datasets_registry, tmp_path):
    build_live(tmp_path)
    from scipy.io import loadmat
    contents = loadmat(tmp_path / "dmos.mat")
    contents["orgs"][0, 3] = 2
    savemat(tmp_path / "dmos.mat", {"dmos": contents["dmos"], "orgs": contents["orgs"]})
    assert "entry 4 of 'orgs' is 2, expected 0 or 1" in error_of(datasets_registry, "live", tmp_path)


def test_koniq_split_file_with_unknown_set(datasets_registry, tmp_path):
    build_koniq(tmp_path)
    path = tmp_path / "koniq10k_distributions_sets.csv"
    path.write_text(path.read_text().replace("validation", "holdout"))
    assert "line 4: set 'holdout' is not one of ['test', 'training', 'validation']" in error_of(
        datasets_registry, "koniq10k", tmp_path)


def test_csiq_workbook_without_the_sheet(datasets_registry, tmp_path):
    from dataset_fixtures import write_xlsx
    build_csiq(tmp_path)
    write_xlsx(tmp_path / "csiq.DMOS.xlsx", {"Sheet1": [["image", "dmos"]]})
    assert "has no sheet 'all_by_image' (it has ['Sheet1'])" in error_of(datasets_registry, "csiq", tmp_path)


def test_csiq_workbook_with_unknown_distortion(datasets_registry, tmp_path):
    from dataset_fixtures import write_xlsx
    build_csiq(tmp_path)
    header = [None, None, None, "image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"]
    row = [None, None, None, 1600, 1, "pixelate", 1, 0.1, 0.2]
    write_xlsx(tmp_path / "csiq.DMOS.xlsx", {"all_by_image": [header, row]})
    assert "row 2: dst_type 'pixelate' is not one of" in error_of(datasets_registry, "csiq", tmp_path)


def test_csiq_file_that_is_not_a_workbook(datasets_registry, tmp_path):
    build_csiq(tmp_path)
    (tmp_path / "csiq.DMOS.xlsx").write_text("a,b\n")
    assert "csiq.DMOS.xlsx is not a readable .xlsx workbook" in error_of(datasets_registry, "csiq", tmp_path)


@pytest.mark.parametrize("header", [["dist_name", "ref_name", "mos"], ["ref_name", "dist_name"], ["img_name"]])
def test_metainfo_header_that_is_not_pyiqas(datasets_registry, tmp_path, header):
    build_metainfo(tmp_path, full_reference=True)
    write_csv(tmp_path / "meta_info.csv", header, [["a.png", "b.png", 1.0][:len(header)]])
    assert "is not a pyiqa meta-info header" in error_of(datasets_registry, "metainfo", tmp_path)


def test_labels_option_naming_a_missing_file(datasets_registry, tmp_path):
    build_metainfo(tmp_path, full_reference=False)
    message = error_of(datasets_registry, "metainfo", tmp_path, labels="elsewhere.csv")
    # a relative --labels is relative to the current folder, not to the dataset's root
    assert f"Label file {Path.cwd() / 'elsewhere.csv'} not found" in message


# --- label files that are not UTF-8 (every reader of text labels) ------------------------------------

#: dataset -> (builder, the text label file the reader reads first)
TEXT_LABELS = {
    "kadid10k": (build_kadid, "dmos.csv"),  # read_csv
    "gfiqa": (build_gfiqa, "mos_val_rating.csv"),  # csv_header, then read_csv
    "metainfo": (lambda root: build_metainfo(root, full_reference=False), "meta_info.csv"),
    "tid2013": (build_tid2013, "mos_with_names.txt"),  # its own line reader
    "koniq10k": (build_koniq, "koniq10k_distributions_sets.csv"),  # the optional splits file
}


@pytest.mark.parametrize("name", sorted(TEXT_LABELS))
def test_latin1_label_file_names_the_byte_offset(datasets_registry, tmp_path, name):
    build, file = TEXT_LABELS[name]
    build(tmp_path)
    path = tmp_path / file
    data = path.read_bytes()
    second_line = data.index(b"\n") + 1
    path.write_bytes(data[:second_line + 1] + "é".encode("latin-1") + data[second_line + 1:])
    message = error_of(datasets_registry, name, tmp_path)
    assert f"Label file {path} is not UTF-8 text: byte 0xE9 at byte offset {second_line + 1} (line 2)" in message
    assert "re-save it as UTF-8" in message


@pytest.mark.parametrize("name", sorted(TEXT_LABELS))
def test_utf8_label_file_with_a_byte_order_mark(datasets_registry, tmp_path, name):
    build, file = TEXT_LABELS[name]
    built = build(tmp_path)
    path = tmp_path / file
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    dataset = open_dataset(datasets_registry.dataset(name), tmp_path)
    assert sorted(s.id for s in dataset.samples + dataset.missing) == sorted(built.ids)


def test_utf16_label_file_says_so(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    path = tmp_path / "dmos.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    message = error_of(datasets_registry, "kadid10k", tmp_path)
    assert "byte 0xFF at byte offset 0 (line 1)" in message and "UTF-16 byte-order mark" in message


def test_label_file_with_nul_bytes_is_not_text(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    path = tmp_path / "dmos.csv"
    path.write_bytes(path.read_bytes() + b"I01_01_01.png\0\0,I01.png,4,0.1\n")
    message = error_of(datasets_registry, "kadid10k", tmp_path)
    assert f"Label file {path} is not a text file: it holds a NUL byte at byte offset" in message


def test_label_file_that_the_csv_module_cannot_read(datasets_registry, tmp_path):
    build_kadid(tmp_path)
    path = tmp_path / "dmos.csv"
    path.write_text("dist_img,ref_img,dmos,var\n\"" + "x" * 200_000 + "\n")
    message = error_of(datasets_registry, "kadid10k", tmp_path)
    assert f"{path}, line" in message and "not readable as CSV (field larger than field limit" in message
