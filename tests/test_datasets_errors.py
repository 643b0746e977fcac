"""Bad dataset inputs, through the real API and store.

- Bad label files: each fault gets its own message naming the file, the line and what to do; a label file
  that is not UTF-8 is a DatasetError naming the file and the byte offset (exit 3); UTF-8 with a byte-order
  mark is read.
- A label file naming a file outside the dataset root (``../``, an absolute path, a symbolic link
  leading out) gets a per-image failure "outside the dataset root"; nothing outside is opened, the
  other images are scored, unless ``IQABENCH_ALLOW_OUTSIDE_ROOT=1``. No byte of a file that is not an
  image reaches the store.
- The folder dataset drops nothing named like an image: a dangling link and a directory are failures
  with their reason.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from dataset_fixtures import (
    build_csiq, build_gfiqa, build_kadid, build_koniq, build_live, build_livec, build_metainfo, build_tid2013,
    write_csv,
)
from iqabench_datasets import plugin
from PIL import Image
from scipy.io import savemat
from toy_metrics import MeanIntensity

import iqabench
from iqabench import api
from iqabench.dataset import (
    DANGLING_LINK, DIRECTORY, LINK_LOOP, NOT_REGULAR, OUTSIDE_ROOT, Refused, open_dataset,
)
from iqabench.errors import DatasetError, Problems
from iqabench.plugins import PluginManager
from iqabench.runner import RunOptions
from iqabench.store import ScoreStore


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


# --- files a dataset names, inside its root or not ------------------------------------------------

SECRET = b"TOP-SECRET-TOKEN root:x:0:0:hunter2 /bin/bash\n" * 20


class ToyPlugin:
    @iqabench.hookimpl
    def register_metrics(self, register):
        register(MeanIntensity())


@pytest.fixture
def toy_registry(monkeypatch):
    """The built-in datasets and a mean-intensity metric, files outside a root refused (the default)."""
    monkeypatch.delenv("IQABENCH_ALLOW_OUTSIDE_ROOT", raising=False)
    manager = PluginManager(discover=False)
    manager.register(plugin, "datasets")
    manager.register(ToyPlugin(), "toy")
    return manager.registry


def png(path: Path, value: int = 128, size: tuple[int, int] = (24, 16)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (np.arange(size[0] * size[1] * 3).reshape(size[1], size[0], 3) + value) % 256
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def metainfo(root: Path, rows: list[tuple[str, float]], encoding: str = "utf-8") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["name", "mos"])
    writer.writerows(rows)
    path = root / "meta_info.csv"
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def run(toy_registry, name: str, root: Path, store: Path, **kwargs):
    return api.run(["mean-intensity"], name, root=root, store=store, registry=toy_registry,
                   options=RunOptions(device="cpu", num_workers=0), resamples=20, **kwargs)


def exported(store: Path) -> list[dict]:
    out = io.StringIO()
    with ScoreStore(store) as opened:
        opened.export_csv(out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def scored_ids(store: Path) -> list[str]:
    """The ids with a score in the store (a refused sample may have a row: its failure, never a score)."""
    return sorted(r["sample_id"] for r in exported(store) if r["score"] != "")


# --- files outside the root --------------------------------------------------------------------

@pytest.fixture
def escaping(tmp_path) -> tuple[Path, list[str], list[str]]:
    """A metainfo root with 3 images of its own and 3 rows leading out of it: ``../outside.png``, an
    absolute path, and ``link.png``, a symbolic link inside the root to an image outside."""
    root = tmp_path / "data"
    inside = [png(root / f"in{i}.png", 40 * i).name for i in range(3)]
    outside = png(tmp_path / "outside.png", 7)
    elsewhere = png(tmp_path / "elsewhere" / "abs.png", 99)
    (root / "link.png").symlink_to(png(tmp_path / "elsewhere" / "linked.png", 200))
    rows = [(name, 1.0 + i) for i, name in enumerate(inside)]
    escapes = ["../outside.png", str(elsewhere), "link.png"]
    rows += [(name, 5.0 + i) for i, name in enumerate(escapes)]
    metainfo(root, rows)
    assert outside.is_file()
    return root, inside, escapes


def test_rows_leading_out_of_the_root_are_refused_when_opened(toy_registry, escaping):
    root, inside, escapes = escaping
    dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == inside
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [(name, OUTSIDE_ROOT) for name in escapes]
    assert dataset.missing == []
    assert OUTSIDE_ROOT.startswith("outside the dataset root") and "IQABENCH_ALLOW_OUTSIDE_ROOT=1" in OUTSIDE_ROOT
    real_root = os.path.realpath(root)
    assert all(os.path.realpath(name).startswith(real_root + os.sep) for name in dataset.file_stats)
    assert len(dataset.samples) + len(dataset.refused) == 6  # every row is accounted for


def test_nothing_outside_the_root_is_scored(toy_registry, escaping, tmp_path):
    root, inside, _ = escaping
    store = tmp_path / "s.sqlite"
    summary = run(toy_registry, "metainfo", root, store).summaries[0]
    assert summary.scored == 3
    assert scored_ids(store) == inside
    refused_rows = [r for r in exported(store) if r["sample_id"] not in inside]
    assert all(r["error"].startswith("outside the dataset root") for r in refused_rows)


def test_rows_leading_out_are_counted_as_failed_images(toy_registry, escaping, tmp_path):
    root, _, escapes = escaping
    summary = run(toy_registry, "metainfo", root, tmp_path / "s.sqlite").summaries[0]
    assert (summary.total, summary.scored, summary.failed, summary.missing) == (6, 3, 3, 0)
    assert sorted(summary.failures) == sorted((name, OUTSIDE_ROOT) for name in escapes)
    assert not summary.ok


@pytest.mark.parametrize("how", ["environment", "option"])
def test_outside_files_are_scored_when_allowed(toy_registry, escaping, tmp_path, monkeypatch, how):
    root, inside, escapes = escaping
    if how == "environment":
        monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
        dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    else:
        dataset = open_dataset(toy_registry.dataset("metainfo"), root, {"allow_outside_root": True})
    assert [s.id for s in dataset.samples] == inside + escapes and dataset.refused == []
    if how == "environment":
        store = tmp_path / "s.sqlite"
        summary = run(toy_registry, "metainfo", root, store).summaries[0]
        assert (summary.total, summary.scored, summary.failed) == (6, 6, 0)
        assert scored_ids(store) == sorted(inside + escapes)


def test_a_bad_allow_outside_root_value_is_a_usage_error(toy_registry, escaping, monkeypatch):
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "maybe")
    with pytest.raises(Problems) as error:
        run(toy_registry, "metainfo", escaping[0], escaping[0].parent / "s.sqlite")
    assert error.value.usage and "IQABENCH_ALLOW_OUTSIDE_ROOT='maybe'" in str(error.value)


def test_links_and_a_root_that_is_a_link_stay_usable_inside(toy_registry, tmp_path, monkeypatch):
    """Links are resolved, not forbidden: a root reached through a link, a relative root, a link to a
    file inside the root and a folder inside it are all inside."""
    real = tmp_path / "real"
    png(real / "a.png", 1), png(real / "sub" / "b.png", 2)
    (real / "alias.png").symlink_to("sub/b.png")
    (real / "linked-sub").symlink_to(real / "sub", target_is_directory=True)
    metainfo(real, [("a.png", 1.0), ("sub/b.png", 2.0), ("alias.png", 3.0), ("linked-sub/b.png", 4.0),
                    ("sub/../a.png", 5.0)])
    (tmp_path / "via-link").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for root in (tmp_path / "via-link", Path("via-link"), Path("real")):
        dataset = open_dataset(toy_registry.dataset("metainfo"), root)
        assert dataset.refused == [] and len(dataset.samples) == 5, root


def test_a_folder_linked_from_outside_the_root_is_refused(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(tmp_path / "private" / "b.png", 2)
    (root / "sub").symlink_to(tmp_path / "private", target_is_directory=True)
    metainfo(root, [("a.png", 1.0), ("sub/b.png", 2.0), ("sub/absent.png", 3.0)])
    dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [
        ("sub/b.png", OUTSIDE_ROOT), ("sub/absent.png", OUTSIDE_ROOT)]


def test_a_reference_outside_the_root_refuses_its_sample(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "ref.png", 1), png(root / "dist.png", 2), png(root / "dist2.png", 3), png(tmp_path / "out.png", 4)
    (root / "meta_info.csv").write_text("ref_name,dist_name,mos\nref.png,dist.png,1\n../out.png,dist2.png,2\n")
    dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == ["dist.png"]
    assert dataset.refused == [Refused(dataset.refused[0].sample, f"its reference image: {OUTSIDE_ROOT}", True)]
    assert dataset.refused[0].sample.id == "dist2.png"


@pytest.fixture
def secret_row(tmp_path) -> tuple[Path, Path]:
    """A root with two images and an absolute row naming a text file with recognisable content."""
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "b.png", 2)
    secret = tmp_path / "private" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    metainfo(root, [("a.png", 1.0), ("b.png", 2.0), (str(secret), 3.0)])
    return root, secret


def test_a_file_outside_the_root_is_never_opened_by_default(toy_registry, secret_row, tmp_path):
    root, secret = secret_row
    store = tmp_path / "s.sqlite"
    run(toy_registry, "metainfo", root, store)
    assert SECRET[:8] not in store.read_bytes()
    assert scored_ids(store) == ["a.png", "b.png"]
    with ScoreStore(store) as opened:  # not even hashed: its path is in no table
        paths = [row[0] for row in opened.conn.execute("SELECT path FROM file_hashes")]
    assert str(secret) not in paths


def test_a_text_file_allowed_from_outside_fails_as_not_an_image(toy_registry, secret_row, tmp_path, monkeypatch):
    root, secret = secret_row
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    store = tmp_path / "s.sqlite"
    summary = run(toy_registry, "metainfo", root, store).summaries[0]
    assert (summary.scored, summary.failed) == (2, 1)
    [row] = [r for r in exported(store) if r["sample_id"] == str(secret)]
    assert row["score"] == "" and row["error"].startswith("not an image")


def test_no_byte_of_a_file_that_is_not_an_image_is_stored(toy_registry, secret_row, tmp_path, monkeypatch):
    root, secret = secret_row
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    store = tmp_path / "s.sqlite"
    run(toy_registry, "metainfo", root, store)
    [row] = [r for r in exported(store) if r["sample_id"] == str(secret)]
    assert "TOP-SECRET" not in row["error"] and "root:x" not in row["error"]
    with ScoreStore(store) as opened:
        opened.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"TOP-SECRET" not in store.read_bytes()


def test_no_byte_of_a_text_file_that_looks_like_a_ppm_header_is_stored(toy_registry, tmp_path):
    """Pillow's PPM plugin quotes a header token in its error ("Token too long in file header: ...")."""
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "b.png", 2)
    (root / "notes.png").write_bytes(b"P1 TOPSECRETTOKENVALUE hunter2\n")
    store = tmp_path / "s.sqlite"
    run(toy_registry, "folder", root, store)
    [row] = [r for r in exported(store) if r["sample_id"] == "notes.png"]
    assert row["score"] == "" and row["error"] and "TOPSECRET" not in row["error"]


# --- label files that are not UTF-8 --------------------------------------------------------------

def test_a_latin1_label_file_names_the_file_and_the_byte_offset(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "café.png", 2)
    labels = metainfo(root, [("a.png", 1.0), ("café.png", 2.0)], encoding="latin-1")
    offset = labels.read_bytes().index(b"\xe9")
    with pytest.raises(Problems) as error:
        run(toy_registry, "metainfo", root, tmp_path / "s.sqlite")
    assert not error.value.usage  # exit 3: the run could not start
    message = str(error.value)
    assert f"Label file {labels} is not UTF-8" in message
    assert f"byte 0xE9 at byte offset {offset} (line 3)" in message
    assert "re-save it as UTF-8" in message and "Latin-1" in message


def test_a_binary_label_file_is_named_with_its_offset(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1)
    labels = root / "meta_info.csv"
    labels.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DatasetError) as error:
        open_dataset(toy_registry.dataset("metainfo"), root)
    message = str(error.value)
    assert f"Label file {labels} is not UTF-8" in message and "byte 0x80 at byte offset 128 (line 2)" in message
    assert "does not look like a text file" in message


def test_a_utf8_label_file_with_a_byte_order_mark_is_read(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "café.png", 2)
    metainfo(root, [("a.png", 1.0), ("café.png", 2.0)], encoding="utf-8-sig")
    assert (root / "meta_info.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "café.png"]


# --- the folder dataset drops nothing -------------------------------------------------------------

def test_a_folder_counts_a_dangling_link_and_a_directory_named_like_an_image(toy_registry, tmp_path):
    root = tmp_path / "photos"
    for i in range(23):
        png(root / ("sub" if i % 2 else "") / f"p{i:02d}.png", 10 * i)
    (root / "gone.png").symlink_to(tmp_path / "deleted.png")
    (root / "x.png").mkdir()
    dataset = open_dataset(toy_registry.dataset("folder"), root)
    assert len(dataset.samples) == 23
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("gone.png", DANGLING_LINK), ("x.png", DIRECTORY)]
    assert DANGLING_LINK.startswith("dangling symbolic link") and DIRECTORY.startswith("a directory, not an image")
    store = tmp_path / "s.sqlite"
    summary = run(toy_registry, "folder", root, store).summaries[0]
    assert summary.scored == 23 and len(scored_ids(store)) == 23


def test_a_folder_run_counts_its_refused_entries_as_failures(toy_registry, tmp_path):
    root = tmp_path / "photos"
    for i in range(23):
        png(root / f"p{i:02d}.png", 10 * i)
    (root / "gone.png").symlink_to(tmp_path / "deleted.png")
    (root / "x.png").mkdir()
    summary = run(toy_registry, "folder", root, tmp_path / "s.sqlite").summaries[0]
    assert (summary.total, summary.scored, summary.failed) == (25, 23, 2)
    assert sorted(summary.failures) == [("gone.png", DANGLING_LINK), ("x.png", DIRECTORY)]


def test_a_folder_named_like_an_image_with_images_inside_is_a_folder(toy_registry, tmp_path):
    root = tmp_path / "photos"
    png(root / "a.png", 1), png(root / "album.png" / "b.png", 2)
    dataset = open_dataset(toy_registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "album.png/b.png"] and dataset.refused == []


def test_a_folder_with_a_link_loop_and_a_pipe(toy_registry, tmp_path):
    root = tmp_path / "photos"
    png(root / "a.png", 1)
    (root / "again").symlink_to(root, target_is_directory=True)  # followed once would list a.png again
    (root / "self.png").symlink_to("self.png")
    os.mkfifo(root / "pipe.png")
    dataset = open_dataset(toy_registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("pipe.png", NOT_REGULAR), ("self.png", LINK_LOOP)]


def test_a_label_row_naming_a_directory_is_refused_not_missing(toy_registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "b.png", 2)
    (root / "dir.png").mkdir()
    metainfo(root, [("a.png", 1.0), ("b.png", 2.0), ("dir.png", 3.0), ("absent.png", 4.0)])
    dataset = open_dataset(toy_registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.missing] == ["absent.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("dir.png", DIRECTORY)]


def test_a_folder_does_not_walk_a_link_to_a_folder_outside(toy_registry, tmp_path, monkeypatch):
    root = tmp_path / "photos"
    png(root / "a.png", 1), png(tmp_path / "private" / "b.png", 2)
    (root / "out").symlink_to(tmp_path / "private", target_is_directory=True)
    (root / "everything").symlink_to("/", target_is_directory=True)  # walking it would list the whole disk
    dataset = open_dataset(toy_registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("everything", OUTSIDE_ROOT), ("out", OUTSIDE_ROOT)]
    (root / "everything").unlink()
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    dataset = open_dataset(toy_registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "out/b.png"] and dataset.refused == []
