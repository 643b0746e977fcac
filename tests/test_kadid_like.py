"""The KADID-10k-like synthetic set (iqabench_training.kadid_like): every kind at every level for every
reference, an unlabelled meta-info file the harness reads, and a split that depends on a reference's name
only, so a set built from fewer references is a subset of a larger one."""

import csv
import json

import numpy as np
from PIL import Image
from skimage import data

from iqabench import api
from iqabench_training import kadid_like
from iqabench_training.distortions import KINDS, LEVEL_COUNT


def write_photos(folder, names):
    folder.mkdir()
    for name in names:
        Image.fromarray(getattr(data, name)()).convert("RGB").save(folder / f"{name}.png")
    return folder


def rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_reference_gets_every_kind_at_every_level_and_the_split_is_by_name(tmp_path):
    photos = write_photos(tmp_path / "photos", ["astronaut", "coffee", "chelsea"])
    small = write_photos(tmp_path / "small", ["rocket"])
    out = tmp_path / "set"
    manifest = kadid_like.build(out, [photos, small], size=64, test_share=0.5)
    written = rows(out / "meta_info.csv")
    assert manifest["images"] == len(written) == 4 * len(KINDS) * LEVEL_COUNT
    assert {(r["kind"], r["level"]) for r in written} == {(k, str(level)) for k in KINDS for level in range(1, 6)}
    assert all(r["mos"] == "" for r in written)
    splits = {r["name"]: r["split"] for r in manifest["references"]}
    assert splits == {name: kadid_like.split_of(name, 0, 0.5) for name in splits}
    for row in written:
        assert row["split"] == splits[row["ref_name"].removeprefix("refs/").removesuffix(".png")]
        with Image.open(out / row["dist_name"]) as image:
            assert image.size == (64, 64) and image.mode == "RGB"
    for split in ("train", "test"):
        assert rows(out / f"meta_info_{split}.csv") == [r for r in written if r["split"] == split]
    assert json.loads((out / "manifest.json").read_text())["settings"]["kinds"] == list(KINDS)

    # Fewer references: the same images, byte for byte, and the same split.
    fewer = tmp_path / "fewer"
    kadid_like.build(fewer, [photos], size=64, test_share=0.5)
    for row in rows(fewer / "meta_info.csv"):
        assert (fewer / row["dist_name"]).read_bytes() == (out / row["dist_name"]).read_bytes()
        assert row["split"] == splits[row["ref_name"].removeprefix("refs/").removesuffix(".png")]

    # The held-out references alone: the test rows of the whole set, the same bytes.
    held_out = tmp_path / "held-out"
    kadid_like.build(held_out, [photos, small], size=64, test_share=0.5, only="test")
    test_rows = rows(held_out / "meta_info.csv")
    assert test_rows == [r for r in written if r["split"] == "test"] and test_rows
    assert all((held_out / r["dist_name"]).read_bytes() == (out / r["dist_name"]).read_bytes() for r in test_rows)


def test_the_harness_scores_the_unlabelled_set_without_correlations(tmp_path):
    photos = write_photos(tmp_path / "photos", ["astronaut", "coffee"])
    out = tmp_path / "set"
    kadid_like.build(out, [photos], size=48)
    from iqabench.testing import example_setup

    (tmp_path / "toy").mkdir()
    registry, _, _ = example_setup(tmp_path / "toy")  # registers the toy metric "brightness"
    store = tmp_path / "scores.sqlite"
    result = api.run(["brightness"], "metainfo", root=out, store=store, registry=registry, resamples=10)
    summary = result.summaries[0]
    assert (summary.total, summary.scored, summary.failed) == (2 * len(KINDS) * LEVEL_COUNT,) * 2 + (0,)
    from iqabench.store import ScoreStore

    with ScoreStore(store, readonly=True) as opened:
        scored = opened.per_image("brightness")
    assert all(row["mos"] is None for row in scored)
    darker = {r["sample_id"]: r["score"] for r in scored if "__darken_" in r["sample_id"]}
    means = [np.mean([v for k, v in darker.items() if k.endswith(f"_{level}.png")]) for level in range(1, 6)]
    assert means == sorted(means, reverse=True)


def test_a_label_file_with_mos_in_some_rows_only_is_refused(tmp_path):
    photos = write_photos(tmp_path / "photos", ["astronaut", "coffee"])
    out = tmp_path / "set"
    kadid_like.build(out, [photos], size=48)
    written = rows(out / "meta_info.csv")
    written[0]["mos"] = "0.5"
    kadid_like.write_meta_info(out / "half.csv", written)
    from iqabench.dataset import open_dataset
    from iqabench.errors import DatasetError
    from iqabench.plugins import load_registry

    registry = load_registry()
    try:
        open_dataset(registry.datasets["metainfo"], out, {"labels": str(out / "half.csv")})
    except DatasetError as error:
        assert "half.csv" in str(error) and "MOS" in str(error)
    else:
        raise AssertionError("a label file with some MOS cells empty was accepted")
