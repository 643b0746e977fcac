"""The weight-free FR measures behind the pseudo-quality, and the synthetic full-reference set built from them."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import skimage.data

from iqabench.degrade import degrade
from iqabench.testing import install_entry_point
from iqabench_training.fr_measures import gmsd, ms_ssim, pseudo_quality
from iqabench_training.synthetic_fr import KINDS, build, centre_crop, distort

REFERENCE = skimage.data.astronaut()[:256, :256]


def test_identical_images_score_perfectly():
    assert ms_ssim(REFERENCE, REFERENCE) == pytest.approx(1.0)
    assert gmsd(REFERENCE, REFERENCE) == pytest.approx(0.0)
    assert pseudo_quality(REFERENCE, REFERENCE) == pytest.approx(1.0)


# pyiqa 0.1.14's ms_ssim and gmsd on the same pairs (luma, [0, 1] tensors), computed once:
# blur 2: 0.9757 / 0.0726; noise 3: 0.8916 / 0.1147; jpeg 4: 0.9071 / 0.1571
@pytest.mark.parametrize("kind, level, expected_ms_ssim, expected_gmsd", [
    ("blur", 2, 0.9757, 0.0726), ("noise", 3, 0.8916, 0.1147), ("jpeg", 4, 0.9071, 0.1571)])
def test_the_measures_agree_with_pyiqas_implementations(kind, level, expected_ms_ssim, expected_gmsd):
    distorted = degrade(REFERENCE, kind, level)
    assert ms_ssim(REFERENCE, distorted) == pytest.approx(expected_ms_ssim, abs=0.01)
    assert gmsd(REFERENCE, distorted) == pytest.approx(expected_gmsd, rel=0.03)


@pytest.mark.parametrize("kind", KINDS)
def test_every_distortion_lowers_the_pseudo_quality_level_by_level(kind):
    rng = np.random.default_rng(0)
    qualities = [pseudo_quality(REFERENCE, distort(REFERENCE, kind, level, rng)[0]) for level in range(1, 5)]
    assert all(1.0 > a > b > 0.0 for a, b in zip(qualities, qualities[1:])), qualities


def test_ms_ssim_refuses_images_too_small_for_five_scales():
    with pytest.raises(ValueError, match="at least 176 pixels"):
        ms_ssim(REFERENCE[:100, :100], REFERENCE[:100, :100])


def test_centre_crop_only_shrinks_and_skips_small_images():
    assert centre_crop(np.zeros((300, 400, 3), np.uint8), 256).shape == (256, 256, 3)
    assert centre_crop(np.zeros((200, 400, 3), np.uint8), 256) is None


def test_the_builder_writes_a_metainfo_set_split_by_reference(tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    from PIL import Image

    for name in ("coffee", "rocket", "chelsea"):
        Image.fromarray(getattr(skimage.data, name)()).save(refs / f"{name}.png")
    Image.fromarray(REFERENCE[:100, :100]).save(refs / "tiny.png")  # too small: skipped, said
    out = tmp_path / "set"
    manifest = build(out, [refs], size=192, test_share=0.34)
    assert manifest["skipped_smaller_than_size"] == [str(refs / "tiny.png")]
    rows = list(csv.DictReader(open(out / "meta_info.csv")))
    assert len(rows) == 3 * len(KINDS) * 4 and list(rows[0])[:3] == ["ref_name", "dist_name", "mos"]
    splits = {}
    for row in rows:
        assert (out / row["ref_name"]).is_file() and (out / row["dist_name"]).is_file()
        assert 0.0 <= float(row["mos"]) <= 1.0
        assert splits.setdefault(row["ref_name"], row["split"]) == row["split"]  # one split per reference
    assert sorted(splits.values()) == ["test", "train", "train"]
    test_rows = list(csv.DictReader(open(out / "meta_info_test.csv")))
    assert {r["split"] for r in test_rows} == {"test"} and len(test_rows) == len(KINDS) * 4
    assert "stand-in for human opinion" in json.loads((out / "manifest.json").read_text())["label"]
    # the same seed gives the same labels
    again = build(tmp_path / "again", [refs], size=192, test_share=0.34)
    assert again["references"] == manifest["references"]
    assert (tmp_path / "again" / "meta_info.csv").read_text() == (out / "meta_info.csv").read_text()


def test_the_set_is_read_by_metainfo_and_an_fr_metric_scores_it_while_an_nr_label_file_is_refused(tmp_path):
    out = tmp_path / "set"
    refs = tmp_path / "refs"
    refs.mkdir()
    from PIL import Image

    for name in ("coffee", "rocket"):
        Image.fromarray(getattr(skimage.data, name)()).save(refs / f"{name}.png")
    build(out, [refs], size=192, test_share=0.5)
    site = install_entry_point(tmp_path / "plugin", "iqabench", "toy_fr", TOY_FR)
    env = {"PYTHONPATH": str(site), "IQABENCH_OFFLINE": "1", "COLUMNS": "200"}
    scored = _cli("run", "-m", "mean-abs-diff", "-d", "metainfo", "--root", str(out), "--labels",
                  str(out / "meta_info_test.csv"), "--store", str(tmp_path / "s.sqlite"), "--resamples", "20", env=env)
    assert scored.returncode == 0, scored.stderr
    assert f"mean-abs-diff: {len(KINDS) * 4} scored now" in scored.stdout
    nr_labels = tmp_path / "nr.csv"
    nr_labels.write_text("image_name,mos\n" + "".join(f"{r['dist_name']},{r['mos']}\n"
                                                      for r in csv.DictReader(open(out / "meta_info_test.csv"))))
    refused = _cli("run", "-m", "mean-abs-diff", "-d", "metainfo", "--root", str(out), "--labels", str(nr_labels),
                   "--store", str(tmp_path / "s.sqlite"), env=env)
    assert refused.returncode == 2
    assert "full-reference metric and dataset 'metainfo' has no reference images" in refused.stderr


TOY_FR = """
import iqabench


class MeanAbsDiff(iqabench.Metric):
    name = "mean-abs-diff"
    kind = "FR"
    lower_better = True

    def score_batch(self, images, refs=None):
        return [float((image - ref).abs().mean()) for image, ref in zip(images, refs)]


@iqabench.hookimpl
def register_metrics(register):
    register(MeanAbsDiff())
"""


def _cli(*args, env):
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "iqabench", *args], capture_output=True, text=True,
                          env=environment, timeout=600)
