"""The ``faces`` card and its reader (format ``person-folders``): one folder per person, labels.csv with
``image,effective_resolution``, grouped by person; each bad input gets its own error."""

from __future__ import annotations

from pathlib import Path

import pytest
from iqabench_datasets import plugin
from PIL import Image

import iqabench
from iqabench import api
from iqabench.dataset import open_dataset
from iqabench.errors import DatasetError
from iqabench.plugins import PluginManager
from iqabench.runner import RunOptions, check_compatible
from iqabench.testing import sample_pictures

#: person -> [(file, effective resolution)]: the clean face and copies at lower resolutions.
PERSONS = {
    "anna": [("000.png", 1.0), ("001.png", 0.5), ("002.png", 0.25), ("003.png", 0.125)],
    "ben": [("000.png", 1.0), ("001.png", 0.4), ("002.png", 0.1)],
    "carla": [("000.png", 1.0), ("001.png", 0.7), ("002.png", 0.3), ("003.png", 0.2)],
}


@pytest.fixture(scope="module")
def registry():
    manager = PluginManager(discover=False)
    manager.register(plugin, "datasets")
    return manager.registry


def downscale_upscale(picture: Image.Image, factor: float) -> Image.Image:
    small = (max(1, round(picture.width * factor)), max(1, round(picture.height * factor)))
    return picture.resize(small, Image.Resampling.BOX).resize(picture.size, Image.Resampling.BILINEAR)


def write_faces(root: Path, persons: dict = PERSONS, labels: list[str] | None = None) -> list[str]:
    """Write ``persons`` as a person-folders dataset under ``root`` (small real photographs, each person
    one of them, resampled at the label's factor); return the label rows written."""
    pictures = sample_pictures(size=64)
    rows = []
    for index, (person, images) in enumerate(persons.items()):
        for name, factor in images:
            (root / person).mkdir(parents=True, exist_ok=True)
            downscale_upscale(pictures[index % len(pictures)], factor).save(root / person / name)
            rows.append(f"{person}/{name},{factor}")
    write_labels(root, labels if labels is not None else rows)
    return rows


def write_labels(root: Path, rows: list[str], header: str = "image,effective_resolution") -> Path:
    path = root / "labels.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def open_faces(registry, root: Path, **options):
    return open_dataset(registry.dataset("faces"), root, options)


def error_of(registry, root: Path, **options) -> str:
    with pytest.raises(DatasetError) as error:
        open_faces(registry, root, **options)
    return " ".join(str(error.value).split())


# --- the card ------------------------------------------------------------------------------------

def test_card(registry):
    card = registry.dataset("faces").card
    assert card.format == "person-folders" and plugin.READER_MODULES["person-folders"] == "person_folders"
    assert card.kind == "NR" and card.mos_range == (0.0, 1.0) and card.lower_better is False
    assert card.label_file == "labels.csv" and card.licence == "That of your images."
    assert "effective resolution" in card.title and card.citation.startswith("M. Kansy")
    layout = " ".join(card.layout.split())
    for words in ("labels.csv", "image,effective_resolution", "anna/000.png,1.0", "Groups: the person folder",
                  "python -m iqabench_effres.testset"):
        assert words in layout


def test_absent_root_says_how_to_lay_it_out(registry, tmp_path):
    message = error_of(registry, tmp_path / "nowhere")
    assert "Dataset 'faces'" in message and "was not found at" in message
    assert "image,effective_resolution" in message and "That of your images." in message


# --- reading -------------------------------------------------------------------------------------

def test_reads_each_person_as_a_group(registry, tmp_path):
    rows = write_faces(tmp_path)
    (tmp_path / "README.txt").write_text("not an image")  # neither these
    (tmp_path / "anna" / "notes.txt").write_text("not an image")
    (tmp_path / ".thumbnails").mkdir()
    (tmp_path / ".thumbnails" / "x.png").write_bytes(b"hidden")
    (tmp_path / "anna" / ".x.png").write_bytes(b"hidden")
    dataset = open_faces(registry, tmp_path)
    assert [f"{s.id},{s.mos:g}" for s in dataset.samples] == [row.replace(",1.0", ",1") for row in rows]
    assert dataset.missing == [] and dataset.group_by == "person"
    assert dataset.label_file == tmp_path / "labels.csv" and dataset.label_file_sha256
    assert {s.id: s.group for s in dataset.samples}["ben/001.png"] == "ben"
    assert sorted({s.group for s in dataset.samples}) == ["anna", "ben", "carla"]
    assert all(s.path == tmp_path / s.id and s.ref_path is None and s.std is None for s in dataset.samples)


def test_labels_option_and_windows_separators(registry, tmp_path):
    rows = write_faces(tmp_path / "data")
    (tmp_path / "data" / "labels.csv").unlink()
    elsewhere = write_labels(tmp_path, [row.replace("/", "\\") for row in rows])
    dataset = open_faces(registry, tmp_path / "data", labels=str(elsewhere))
    assert dataset.label_file == elsewhere
    assert [s.id for s in dataset.samples][:2] == ["anna/000.png", "anna/001.png"]


def test_grouped_statistics_per_person(registry, tmp_path):
    """A sharpness metric ranks each person's copies by their factor: SRCC and PRA per person are 1."""

    class Sharpness(iqabench.Metric):
        name = "toy-sharpness"

        def score_batch(self, images, refs=None):
            return [float((image[:, 1:, :] - image[:, :-1, :]).abs().mean()) for image in images]

    class Plugin:
        @iqabench.hookimpl
        def register_metrics(self, register):
            register(Sharpness())

    manager = PluginManager(discover=False)
    manager.register(plugin, "datasets")
    manager.register(Plugin(), "toy")
    write_faces(tmp_path / "faces")
    result = api.run(["toy-sharpness"], "faces", root=tmp_path / "faces", store=tmp_path / "s.sqlite",
                     registry=manager.registry, options=RunOptions(device="cpu"), resamples=50)
    evaluation = result.results.evaluation
    assert evaluation.group_by == "person"
    scores = evaluation.metric("toy-sharpness")
    assert scores.n == 11 and scores.groups == 3
    assert scores.value("srcc/person") == pytest.approx(1.0) and scores.value("pra/person") == pytest.approx(1.0)


# --- bad inputs, one message each ---------------------------------------------------------------

def test_missing_label_file_says_how_to_lay_it_out(registry, tmp_path):
    write_faces(tmp_path)
    (tmp_path / "labels.csv").unlink()
    message = error_of(registry, tmp_path)
    assert f"Label file {tmp_path / 'labels.csv'} not found" in message
    assert "one folder per person" in message and "image,effective_resolution anna/000.png,1.0" in message
    assert "python -m iqabench_effres.testset" in message and "--labels FILE" in message


def test_listed_image_that_is_missing_is_a_missing_sample(registry, tmp_path):
    write_faces(tmp_path)
    (tmp_path / "ben" / "001.png").unlink()
    dataset = open_faces(registry, tmp_path)  # not an error of the reader: counted as missing, like every dataset
    assert [s.id for s in dataset.missing] == ["ben/001.png"] and len(dataset.samples) == 10
    with pytest.raises(DatasetError, match="1 of 11 images of dataset 'faces' are missing.*--allow-missing"):
        check_compatible(None, dataset, RunOptions())
    check_compatible(type("NR", (), {"kind": "NR"})(), dataset, RunOptions(allow_missing=True))


def test_row_naming_an_image_at_the_root(registry, tmp_path):
    rows = write_faces(tmp_path)
    write_labels(tmp_path, rows + ["loose.png,0.5"])
    message = error_of(registry, tmp_path)
    assert "labels.csv, line 13: image 'loose.png' is at the root, not in a person folder" in message
    assert "'<person>/loose.png'" in message


def test_image_file_at_the_root(registry, tmp_path):
    write_faces(tmp_path)
    sample_pictures(size=32)[0].save(tmp_path / "loose.png")
    message = error_of(registry, tmp_path)
    assert f"1 image file(s) at the root of {tmp_path}, not in a person folder: ['loose.png']" in message
    assert "move each into <root>/<person>/" in message


def test_row_deeper_than_a_person_folder(registry, tmp_path):
    rows = write_faces(tmp_path)
    write_labels(tmp_path, rows + ["anna/old/004.png,0.5"])
    message = error_of(registry, tmp_path)
    assert "line 13: image 'anna/old/004.png' is 2 folders deep" in message and "'anna/004.png'" in message


@pytest.mark.parametrize("name", ["/abs/anna/000.png", "../anna/000.png", "anna/../ben/000.png", ""])
def test_row_that_is_not_a_relative_path(registry, tmp_path, name):
    rows = write_faces(tmp_path)
    write_labels(tmp_path, rows + [f"{name},0.5"])
    assert f"line 13: image {name!r} is not a path relative to the dataset root" in error_of(registry, tmp_path)


@pytest.mark.parametrize(("text", "expected"), [
    ("sharp", "effective_resolution 'sharp' is not a number"),
    ("", "effective_resolution '' is not a number"),
    ("nan", "effective_resolution is 'nan'; every image needs a finite score"),
    ("inf", "effective_resolution is 'inf'; every image needs a finite score"),
    ("1.5", "MOS 1.5 is outside the range [0, 1]"),
    ("-0.1", "MOS -0.1 is outside the range [0, 1]"),
])
def test_bad_label(registry, tmp_path, text, expected):
    rows = write_faces(tmp_path)
    rows[4] = f"ben/000.png,{text}"
    write_labels(tmp_path, rows)
    message = error_of(registry, tmp_path)
    assert "labels.csv, line 6:" in message and expected in message


@pytest.mark.parametrize("again", ["ben/001.png", "BEN/001.png"])
def test_duplicate_rows(registry, tmp_path, again):
    rows = write_faces(tmp_path)
    write_labels(tmp_path, rows + [f"{again},0.4"])
    message = error_of(registry, tmp_path)
    assert f"line 13: image {again!r} is labelled again (first at {tmp_path / 'labels.csv'}, line 7)" in message


def test_unlabelled_images_are_reported_not_dropped(registry, tmp_path):
    rows = write_faces(tmp_path)
    write_labels(tmp_path, [row for row in rows if not row.startswith(("anna/003", "carla/"))])
    (tmp_path / "dora").mkdir()
    sample_pictures(size=32)[1].save(tmp_path / "dora" / "000.JPG", format="JPEG")
    message = error_of(registry, tmp_path)
    assert f"6 image file(s) under {tmp_path} have no row in {tmp_path / 'labels.csv'}, first: " in message
    assert "['anna/003.png', 'carla/000.png', 'carla/001.png', 'carla/002.png', 'carla/003.png']" in message
    assert "add a row '<person>/<file>,<effective resolution>' for each" in message


def test_unlabelled_image_in_a_sub_folder(registry, tmp_path):
    write_faces(tmp_path)
    (tmp_path / "anna" / "old").mkdir()
    sample_pictures(size=32)[1].save(tmp_path / "anna" / "old" / "x.png")
    assert "first: ['anna/old/x.png']" in error_of(registry, tmp_path)


@pytest.mark.parametrize(("content", "expected"), [
    ("", "is empty; expected a header with columns ['image', 'effective_resolution']"),
    ("image,effective_resolution\n", "has a header but no rows"),
    ("name,mos\nanna/000.png,1\n", "lacks column(s) ['image', 'effective_resolution']"),
    ("image,effective_resolution\nanna/000.png,1,extra\n", "line 2: 3 field(s) where the header has 2"),
])
def test_malformed_label_file(registry, tmp_path, content, expected):
    write_faces(tmp_path)
    (tmp_path / "labels.csv").write_text(content)
    assert expected in error_of(registry, tmp_path)

