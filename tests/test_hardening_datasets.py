"""Hardening of the datasets, through the real API and store.

- A label file naming a file outside the dataset root (``../``, an absolute path, a symbolic link
  leading out) gets a per-image failure "outside the dataset root"; nothing outside is opened, the
  other images are scored, unless ``IQABENCH_ALLOW_OUTSIDE_ROOT=1``. No byte of a file that is not an
  image reaches the store.
- A label file that is not UTF-8 is a DatasetError naming the file and the byte offset (exit 3); UTF-8
  with a byte-order mark is read.
- The folder dataset drops nothing named like an image: a dangling link and a directory are failures
  with their reason.
- ``IQABENCH_PLUGINS`` naming nothing installed says so in the unknown-metric message.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pytest
from iqabench_datasets import plugin
from PIL import Image
from toy_metrics import MeanIntensity

import iqabench
from iqabench import api
from iqabench.dataset import (
    DANGLING_LINK, DIRECTORY, LINK_LOOP, NOT_REGULAR, OUTSIDE_ROOT, Refused, open_dataset,
)
from iqabench.errors import DatasetError, Problems, UsageError
from iqabench.plugins import PluginManager
from iqabench.runner import RunOptions
from iqabench.store import ScoreStore

SECRET = b"TOP-SECRET-TOKEN root:x:0:0:hunter2 /bin/bash\n" * 20


class ToyPlugin:
    @iqabench.hookimpl
    def register_metrics(self, register):
        register(MeanIntensity())


@pytest.fixture
def registry(monkeypatch):
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


def run(registry, name: str, root: Path, store: Path, **kwargs):
    return api.run(["mean-intensity"], name, root=root, store=store, registry=registry,
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


def test_rows_leading_out_of_the_root_are_refused_when_opened(registry, escaping):
    root, inside, escapes = escaping
    dataset = open_dataset(registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == inside
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [(name, OUTSIDE_ROOT) for name in escapes]
    assert dataset.missing == []
    assert OUTSIDE_ROOT.startswith("outside the dataset root") and "IQABENCH_ALLOW_OUTSIDE_ROOT=1" in OUTSIDE_ROOT
    real_root = os.path.realpath(root)
    assert all(os.path.realpath(name).startswith(real_root + os.sep) for name in dataset.file_stats)
    assert len(dataset.samples) + len(dataset.refused) == 6  # every row is accounted for


def test_nothing_outside_the_root_is_scored(registry, escaping, tmp_path):
    root, inside, _ = escaping
    store = tmp_path / "s.sqlite"
    summary = run(registry, "metainfo", root, store).summaries[0]
    assert summary.scored == 3
    assert scored_ids(store) == inside
    refused_rows = [r for r in exported(store) if r["sample_id"] not in inside]
    assert all(r["error"].startswith("outside the dataset root") for r in refused_rows)


def test_rows_leading_out_are_counted_as_failed_images(registry, escaping, tmp_path):
    root, _, escapes = escaping
    summary = run(registry, "metainfo", root, tmp_path / "s.sqlite").summaries[0]
    assert (summary.total, summary.scored, summary.failed, summary.missing) == (6, 3, 3, 0)
    assert sorted(summary.failures) == sorted((name, OUTSIDE_ROOT) for name in escapes)
    assert not summary.ok


@pytest.mark.parametrize("how", ["environment", "option"])
def test_outside_files_are_scored_when_allowed(registry, escaping, tmp_path, monkeypatch, how):
    root, inside, escapes = escaping
    if how == "environment":
        monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
        dataset = open_dataset(registry.dataset("metainfo"), root)
    else:
        dataset = open_dataset(registry.dataset("metainfo"), root, {"allow_outside_root": True})
    assert [s.id for s in dataset.samples] == inside + escapes and dataset.refused == []
    if how == "environment":
        store = tmp_path / "s.sqlite"
        summary = run(registry, "metainfo", root, store).summaries[0]
        assert (summary.total, summary.scored, summary.failed) == (6, 6, 0)
        assert scored_ids(store) == sorted(inside + escapes)


def test_a_bad_allow_outside_root_value_is_a_usage_error(registry, escaping, monkeypatch):
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "maybe")
    with pytest.raises(Problems) as error:
        run(registry, "metainfo", escaping[0], escaping[0].parent / "s.sqlite")
    assert error.value.usage and "IQABENCH_ALLOW_OUTSIDE_ROOT='maybe'" in str(error.value)


def test_links_and_a_root_that_is_a_link_stay_usable_inside(registry, tmp_path, monkeypatch):
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
        dataset = open_dataset(registry.dataset("metainfo"), root)
        assert dataset.refused == [] and len(dataset.samples) == 5, root


def test_a_folder_linked_from_outside_the_root_is_refused(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(tmp_path / "private" / "b.png", 2)
    (root / "sub").symlink_to(tmp_path / "private", target_is_directory=True)
    metainfo(root, [("a.png", 1.0), ("sub/b.png", 2.0), ("sub/absent.png", 3.0)])
    dataset = open_dataset(registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [
        ("sub/b.png", OUTSIDE_ROOT), ("sub/absent.png", OUTSIDE_ROOT)]


def test_a_reference_outside_the_root_refuses_its_sample(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "ref.png", 1), png(root / "dist.png", 2), png(root / "dist2.png", 3), png(tmp_path / "out.png", 4)
    (root / "meta_info.csv").write_text("ref_name,dist_name,mos\nref.png,dist.png,1\n../out.png,dist2.png,2\n")
    dataset = open_dataset(registry.dataset("metainfo"), root)
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


def test_a_file_outside_the_root_is_never_opened_by_default(registry, secret_row, tmp_path):
    root, secret = secret_row
    store = tmp_path / "s.sqlite"
    run(registry, "metainfo", root, store)
    assert SECRET[:8] not in store.read_bytes()
    assert scored_ids(store) == ["a.png", "b.png"]
    with ScoreStore(store) as opened:  # not even hashed: its path is in no table
        paths = [row[0] for row in opened.conn.execute("SELECT path FROM file_hashes")]
    assert str(secret) not in paths


def test_a_text_file_allowed_from_outside_fails_as_not_an_image(registry, secret_row, tmp_path, monkeypatch):
    root, secret = secret_row
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    store = tmp_path / "s.sqlite"
    summary = run(registry, "metainfo", root, store).summaries[0]
    assert (summary.scored, summary.failed) == (2, 1)
    [row] = [r for r in exported(store) if r["sample_id"] == str(secret)]
    assert row["score"] == "" and row["error"].startswith("not an image")


def test_no_byte_of_a_file_that_is_not_an_image_is_stored(registry, secret_row, tmp_path, monkeypatch):
    root, secret = secret_row
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    store = tmp_path / "s.sqlite"
    run(registry, "metainfo", root, store)
    [row] = [r for r in exported(store) if r["sample_id"] == str(secret)]
    assert "TOP-SECRET" not in row["error"] and "root:x" not in row["error"]
    with ScoreStore(store) as opened:
        opened.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"TOP-SECRET" not in store.read_bytes()


def test_no_byte_of_a_text_file_that_looks_like_a_ppm_header_is_stored(registry, tmp_path):
    """Pillow's PPM plugin quotes a header token in its error ("Token too long in file header: ...")."""
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "b.png", 2)
    (root / "notes.png").write_bytes(b"P1 TOPSECRETTOKENVALUE hunter2\n")
    store = tmp_path / "s.sqlite"
    run(registry, "folder", root, store)
    [row] = [r for r in exported(store) if r["sample_id"] == "notes.png"]
    assert row["score"] == "" and row["error"] and "TOPSECRET" not in row["error"]


# --- label files that are not UTF-8 --------------------------------------------------------------

def test_a_latin1_label_file_names_the_file_and_the_byte_offset(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "café.png", 2)
    labels = metainfo(root, [("a.png", 1.0), ("café.png", 2.0)], encoding="latin-1")
    offset = labels.read_bytes().index(b"\xe9")
    with pytest.raises(Problems) as error:
        run(registry, "metainfo", root, tmp_path / "s.sqlite")
    assert not error.value.usage  # exit 3: the run could not start
    message = str(error.value)
    assert f"Label file {labels} is not UTF-8" in message
    assert f"byte 0xE9 at byte offset {offset} (line 3)" in message
    assert "re-save it as UTF-8" in message and "Latin-1" in message


def test_a_binary_label_file_is_named_with_its_offset(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1)
    labels = root / "meta_info.csv"
    labels.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DatasetError) as error:
        open_dataset(registry.dataset("metainfo"), root)
    message = str(error.value)
    assert f"Label file {labels} is not UTF-8" in message and "byte 0x80 at byte offset 128 (line 2)" in message
    assert "does not look like a text file" in message


def test_a_utf8_label_file_with_a_byte_order_mark_is_read(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "café.png", 2)
    metainfo(root, [("a.png", 1.0), ("café.png", 2.0)], encoding="utf-8-sig")
    assert (root / "meta_info.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    dataset = open_dataset(registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "café.png"]


# --- the folder dataset drops nothing -------------------------------------------------------------

def test_a_folder_counts_a_dangling_link_and_a_directory_named_like_an_image(registry, tmp_path):
    root = tmp_path / "photos"
    for i in range(23):
        png(root / ("sub" if i % 2 else "") / f"p{i:02d}.png", 10 * i)
    (root / "gone.png").symlink_to(tmp_path / "deleted.png")
    (root / "x.png").mkdir()
    dataset = open_dataset(registry.dataset("folder"), root)
    assert len(dataset.samples) == 23
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("gone.png", DANGLING_LINK), ("x.png", DIRECTORY)]
    assert DANGLING_LINK.startswith("dangling symbolic link") and DIRECTORY.startswith("a directory, not an image")
    store = tmp_path / "s.sqlite"
    summary = run(registry, "folder", root, store).summaries[0]
    assert summary.scored == 23 and len(scored_ids(store)) == 23


def test_a_folder_run_counts_its_refused_entries_as_failures(registry, tmp_path):
    root = tmp_path / "photos"
    for i in range(23):
        png(root / f"p{i:02d}.png", 10 * i)
    (root / "gone.png").symlink_to(tmp_path / "deleted.png")
    (root / "x.png").mkdir()
    summary = run(registry, "folder", root, tmp_path / "s.sqlite").summaries[0]
    assert (summary.total, summary.scored, summary.failed) == (25, 23, 2)
    assert sorted(summary.failures) == [("gone.png", DANGLING_LINK), ("x.png", DIRECTORY)]


def test_a_folder_named_like_an_image_with_images_inside_is_a_folder(registry, tmp_path):
    root = tmp_path / "photos"
    png(root / "a.png", 1), png(root / "album.png" / "b.png", 2)
    dataset = open_dataset(registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "album.png/b.png"] and dataset.refused == []


def test_a_folder_with_a_link_loop_and_a_pipe(registry, tmp_path):
    root = tmp_path / "photos"
    png(root / "a.png", 1)
    (root / "again").symlink_to(root, target_is_directory=True)  # followed once would list a.png again
    (root / "self.png").symlink_to("self.png")
    os.mkfifo(root / "pipe.png")
    dataset = open_dataset(registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("pipe.png", NOT_REGULAR), ("self.png", LINK_LOOP)]


def test_a_label_row_naming_a_directory_is_refused_not_missing(registry, tmp_path):
    root = tmp_path / "data"
    png(root / "a.png", 1), png(root / "b.png", 2)
    (root / "dir.png").mkdir()
    metainfo(root, [("a.png", 1.0), ("b.png", 2.0), ("dir.png", 3.0), ("absent.png", 4.0)])
    dataset = open_dataset(registry.dataset("metainfo"), root)
    assert [s.id for s in dataset.missing] == ["absent.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("dir.png", DIRECTORY)]


# --- the plugin switches explain an unknown name ----------------------------------------------------

def test_iqabench_plugins_naming_nothing_installed_is_named_in_the_message(monkeypatch):
    monkeypatch.setenv("IQABENCH_PLUGINS", "nothing")
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)
    registry = PluginManager().registry
    with pytest.raises(UsageError) as error:
        registry.metric("niqe")
    message = str(error.value)
    assert "Known metrics: (none)" in message
    assert "IQABENCH_PLUGINS='nothing'" in message and "nothing: no such plugin is installed" in message
    assert "Installed plugins: datasets, pyiqa, effres" in message
    with pytest.raises(UsageError, match="IQABENCH_PLUGINS='nothing'"):
        registry.dataset("default")


def test_iqabench_disable_plugins_is_named_in_the_message(monkeypatch):
    monkeypatch.delenv("IQABENCH_PLUGINS", raising=False)
    monkeypatch.setenv("IQABENCH_DISABLE_PLUGINS", "pyiqa,effres")
    with pytest.raises(UsageError) as error:
        PluginManager().registry.metric("niqe")
    message = str(error.value)
    assert "IQABENCH_DISABLE_PLUGINS='pyiqa,effres' skips those it names. Left out: pyiqa, effres." in message


def test_no_note_when_the_switches_are_unset(monkeypatch):
    monkeypatch.delenv("IQABENCH_PLUGINS", raising=False)
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)
    manager = PluginManager(discover=False)
    manager.register(plugin, "datasets")
    with pytest.raises(UsageError) as error:
        manager.registry.dataset("nope")
    assert "IQABENCH_" not in str(error.value)


def test_a_folder_does_not_walk_a_link_to_a_folder_outside(registry, tmp_path, monkeypatch):
    root = tmp_path / "photos"
    png(root / "a.png", 1), png(tmp_path / "private" / "b.png", 2)
    (root / "out").symlink_to(tmp_path / "private", target_is_directory=True)
    (root / "everything").symlink_to("/", target_is_directory=True)  # walking it would list the whole disk
    dataset = open_dataset(registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png"]
    assert [(r.sample.id, r.reason) for r in dataset.refused] == [("everything", OUTSIDE_ROOT), ("out", OUTSIDE_ROOT)]
    (root / "everything").unlink()
    monkeypatch.setenv("IQABENCH_ALLOW_OUTSIDE_ROOT", "1")
    dataset = open_dataset(registry.dataset("folder"), root)
    assert [s.id for s in dataset.samples] == ["a.png", "out/b.png"] and dataset.refused == []
