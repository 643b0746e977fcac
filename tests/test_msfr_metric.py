"""The msfr metric: registration and identity, the shipped checkpoint (small, pinned, documented), a
changed file refused before it is read, a user's checkpoint preferred, real full-reference pairs scored,
the contract of iqabench.testing, images under one patch failed with the reason, and a full-reference
metric refused (exit 2) on a dataset without references."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from iqabench_msfr import checkpoint
from iqabench_msfr.metric import MSFR
from iqabench_msfr.model import MSFRNet
from PIL import Image
from shared_data import SHARED, requires_shared, shared_file

from iqabench.errors import ImageError, WeightsError
from iqabench.images import load_image
from iqabench.plugins import load_registry
from iqabench.testing import check_metric

CPU = torch.device("cpu")
TID2013 = SHARED / "data" / "tid2013"
CALIB = SHARED / "data" / "calib"


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def msfr():
    metric = load_registry().metric("msfr")
    metric.load(CPU)
    return metric


def photo(name: str = "astronaut", size: int = 256) -> np.ndarray:
    import skimage.data

    image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
    return np.asarray(image.resize((size, size), Image.Resampling.BICUBIC))


def tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(pixels)).permute(2, 0, 1).float() / 255


def test_registered_as_a_higher_is_better_fr_metric_with_its_trainer():
    registry = load_registry()
    metric = registry.metric("msfr")
    assert (metric.kind, metric.lower_better, metric.score_range, metric.min_size) == ("FR", False, (0.0, 1.0), 128)
    assert registry.owners[("metric", "msfr")] == "msfr" and "msfr" in registry.trainers
    identity = metric.identity()
    assert identity.weights == {"checkpoint": checkpoint.pinned_sha256(checkpoint.SHIPPED)}
    assert identity.config["luma"] == "BT.601" and identity.config["patch"] == 128
    assert metric.availability().ok


def test_the_shipped_checkpoint_is_small_pinned_and_documented():
    manifest = json.loads(checkpoint.manifest_path(checkpoint.SHIPPED).read_text())
    assert checkpoint.SHIPPED.stat().st_size < 25 * 2**20
    assert manifest["sha256"] == checkpoint.pinned_sha256(checkpoint.SHIPPED)
    for field in ("command", "data", "device", "minutes", "figures"):
        assert manifest[field], field
    payload = checkpoint.load(checkpoint.SHIPPED, manifest["sha256"])
    assert payload["config"]["settings"]["variant"] == "full"
    held_out = manifest["figures"]["held_out"]
    assert held_out["images"] == manifest["data"]["images"]["held_out"]
    assert -1 <= held_out["metrics"]["msfr"]["SRCC"][0] <= 1
    assert manifest["data"]["images"]["train"] == payload["data"]["counts"]["train"]["images"]
    # the images scored after each epoch are held-out references' (a part of the held-out figures' images)
    assert manifest["data"]["images"]["monitor"] == payload["data"]["counts"]["test"]["images"] < held_out["images"]
    assert "optimizer" not in payload


def test_a_changed_checkpoint_is_refused_before_it_is_read(tmp_path, monkeypatch):
    copy = tmp_path / checkpoint.SHIPPED.name
    copy.write_bytes(checkpoint.SHIPPED.read_bytes()[:-10] + b"0123456789")
    checkpoint.manifest_path(copy).write_text(checkpoint.manifest_path(checkpoint.SHIPPED).read_text())
    monkeypatch.setattr(checkpoint, "SHIPPED", copy)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("deserialised an unverified file"))
    assert not MSFR().availability().ok
    with pytest.raises(WeightsError, match="does not match the sha256"):
        MSFR().load(CPU)


def test_a_users_checkpoint_in_the_weights_folder_wins(tmp_path, monkeypatch):
    torch.manual_seed(0)
    own = tmp_path / "msfr" / "msfr.pt"
    checkpoint.save(own, {"config": {"settings": {"variant": "residual"}}, "model": MSFRNet("residual").state_dict(),
                          "history": []})
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path))
    metric = MSFR()
    assert metric.checkpoint_path() == own and metric.identity().weights["checkpoint"] != checkpoint.pinned_sha256(
        checkpoint.SHIPPED)
    metric.load(CPU)
    assert metric.variant == "residual"
    assert 0.0 <= metric.score_batch([tensor(photo())], [tensor(photo())])[0] <= 1.0


def test_the_contract_of_iqabench_testing(msfr):
    scores = check_metric(MSFR())
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_a_copy_scores_above_its_heavily_degraded_versions(msfr):
    from iqabench.degrade import degrade

    reference = photo("coffee", 384)
    copies = [reference] + [degrade(reference, kind, 4, seed=1) for kind in ("blur", "noise", "jpeg")]
    scores = msfr.score_batch([tensor(c) for c in copies], [tensor(reference)] * len(copies))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > max(scores[1:]), scores


@requires_shared
def test_a_real_tid2013_pair_and_the_calibration_pairs_are_scored(msfr):
    reference = load_image(shared_file("data/tid2013/I01.BMP"))
    distorted = load_image(shared_file("data/tid2013/i01_01_5.bmp"))
    score = msfr.score_batch([distorted], [reference])[0]
    assert 0.0 <= score <= 1.0
    names = sorted(p.name for p in shared_file("data/calib/dist_dir").iterdir())
    scores = msfr.score_batch([load_image(CALIB / "dist_dir" / n) for n in names],
                              [load_image(shared_file(f"data/calib/ref_dir/{n}")) for n in names])
    assert len(scores) == 5 and all(0.0 <= s <= 1.0 for s in scores)
    assert msfr.score_batch([reference], [reference])[0] > score


def test_images_under_one_patch_and_mismatched_pairs_fail_with_the_reason(msfr):
    small = tensor(photo(size=100))
    with pytest.raises(ImageError, match="needs at least 128 pixels on each side"):
        msfr.score_batch([small], [small])
    with pytest.raises(ImageError, match="sizes differ"):
        msfr.score_batch([tensor(photo(size=256))], [tensor(photo(size=200))])
    with pytest.raises(ValueError, match="full-reference"):
        msfr.score_batch([tensor(photo())])


def _iqabench(tmp_path, *args):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_STORE=str(tmp_path / "s.sqlite"),
                       IQABENCH_DATA=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "iqabench", *args], capture_output=True, text=True,
                          env=environment, timeout=900)


def test_msfr_on_a_dataset_without_references_exits_2_with_the_reason(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("astronaut", "camera"):
        Image.fromarray(photo(name)).save(folder / f"{name}.png")
    done = _iqabench(tmp_path, "run", "--metric", "msfr", "--dataset", "folder", "--root", str(folder))
    assert done.returncode == 2, done.stderr
    assert "msfr is a full-reference metric" in done.stderr and "no reference images" in done.stderr


def test_msfr_runs_on_a_full_reference_meta_info_folder(tmp_path):
    from test_msfr_data import tiny_fr_set

    root = tiny_fr_set(tmp_path / "fr", size=160, levels=(1, 4), sources=("astronaut", "camera"))
    (root / "dist" / "tiny.png").parent.mkdir(exist_ok=True)
    Image.fromarray(photo(size=100)).save(root / "dist" / "tiny.png")
    Image.fromarray(photo(size=100)).save(root / "refs" / "tiny.png")
    with open(root / "meta_info.csv", "a") as handle:
        handle.write("refs/tiny.png,dist/tiny.png,0.5,train\n")
    done = _iqabench(tmp_path, "run", "--metric", "msfr", "--dataset", "metainfo", "--root", str(root))
    assert done.returncode == 1, done.stderr  # one failed image
    assert "12 scored now" in done.stdout and "1 failed" in done.stdout, done.stdout
    assert "needs at least 128 pixels" in done.stderr
