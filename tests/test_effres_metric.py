"""The effres metric with the checkpoint the package ships: registration and identity, scores on real
faces, the pinned hash, per-image failures, and the headline command on a GFIQA-layout folder built
from the shared faces (offline, as on a fresh clone)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from iqabench_effres import checkpoint, testset
from iqabench_effres.metric import EffRes
from shared_data import SHARED, needs_shared, requires_shared, shared_file

from iqabench.errors import WeightsError
from iqabench.images import load_image
from iqabench.plugins import load_registry

FACES = SHARED / "data" / "faces"


@pytest.fixture(scope="module")
def effres():
    metric = load_registry().metric("effres")
    metric.load(torch.device("cpu"))
    return metric


def test_the_shipped_checkpoint_is_small_pinned_and_documented():
    manifest = json.loads(checkpoint.manifest_path(checkpoint.SHIPPED).read_text())
    assert checkpoint.SHIPPED.stat().st_size < 25 * 2**20
    assert manifest["sha256"] == checkpoint.pinned_sha256(checkpoint.SHIPPED)
    for field in ("command", "data", "device", "minutes", "figures"):
        assert manifest[field], field
    payload = checkpoint.load(checkpoint.SHIPPED, manifest["sha256"])
    assert payload["config"]["settings"]["backbone"] == "resnet18"
    assert len(payload["data"]) == manifest["data"]["images"]


def test_identity_names_the_mask_and_the_checkpoint_without_loading():
    registry = load_registry()
    plain, nomask = registry.metric("effres").identity(), registry.metric("effres-nomask").identity()
    assert plain.config["mask"] == "mediapipe" and nomask.config["mask"] == "none"
    assert plain.config_hash != nomask.config_hash
    assert plain.weights == {"checkpoint": checkpoint.pinned_sha256(checkpoint.SHIPPED)}


def test_a_changed_checkpoint_is_refused_before_it_is_read(tmp_path, monkeypatch):
    copy = tmp_path / checkpoint.SHIPPED.name
    copy.write_bytes(checkpoint.SHIPPED.read_bytes()[:-10] + b"0123456789")
    checkpoint.manifest_path(copy).write_text(checkpoint.manifest_path(checkpoint.SHIPPED).read_text())
    monkeypatch.setattr(checkpoint, "SHIPPED", copy)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("deserialised an unverified file"))
    with pytest.raises(WeightsError, match="does not match the sha256"):
        EffRes().load(torch.device("cpu"))


@requires_shared
def test_sharper_copies_of_a_real_face_score_higher(effres):
    from iqabench.degrade import downscale_upscale

    face = (load_image(shared_file("data/faces/hq/celebahq/ref_male_012712.jpg")) * 255).round().byte()
    pixels = face.permute(1, 2, 0).numpy()
    copies = [downscale_upscale(pixels, factor, "bicubic") for factor in (1.0, 0.3, 0.08)]
    scores = effres.score_batch([torch.from_numpy(c).permute(2, 0, 1).float() / 255 for c in copies])
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > scores[1] > scores[2], scores


@requires_shared
def test_a_real_face_scores_the_median_of_its_patches_on_the_shipped_checkpoint(effres):
    face = (load_image(shared_file("data/faces/hq/celebahq/ref_male_012712.jpg")) * 255).round().byte()
    pixels = np.ascontiguousarray(face.permute(1, 2, 0).numpy()[::2, ::2])  # 512 px, as the ci faces
    result = effres.face_score(pixels)
    assert len(result.patch_scores) > 10
    assert result.score == pytest.approx(float(np.clip(np.median(result.patch_scores), 0, 1)), abs=1e-7)
    calibrated = effres.score_batch([torch.from_numpy(pixels).permute(2, 0, 1).float() / 255])[0]
    assert calibrated == effres.calibrated(result.score)


@requires_shared
def test_a_real_face_enlarged_by_pixel_replication_reads_no_more_than_its_distinct_rows(effres, tmp_path, capsys):
    from PIL import Image

    from iqabench_effres import scoremap

    face = Image.open(shared_file("data/faces/hq/celebahq/ref_male_012712.jpg")).convert("RGB")
    sharp = face.resize((256, 256), Image.Resampling.LANCZOS)
    blocky = sharp.resize((128, 128), Image.Resampling.LANCZOS).resize((256, 256), Image.Resampling.NEAREST)
    assert effres.face_score(np.asarray(sharp)).bound == 1.0
    result = effres.face_score(np.asarray(blocky))
    assert result.bound == pytest.approx(0.5, abs=0.01) and result.score <= result.bound  # every other row repeats
    blocky.save(tmp_path / "blocky.png")
    assert scoremap.main([str(tmp_path / "blocky.png"), "--out", str(tmp_path / "map.png")]) == 0
    assert f"at most {result.bound:.4f}: rows or columns of the face are replicated" in capsys.readouterr().out


@requires_shared
def test_a_checkpoint_with_a_calibration_scores_through_it_and_is_another_identity(tmp_path, monkeypatch):
    from iqabench_effres.calibration import fit

    shipped = checkpoint.load(checkpoint.SHIPPED)
    assert "calibration" not in shipped, "the shipped checkpoint reads as trained (its page says why)"
    uncalibrated = EffRes().identity().weights_hash
    calibration = fit([0.2, 0.5, 0.8], [0.1, 0.6, 1.0], "three made-up knots")
    weights = tmp_path / "weights"
    weights.mkdir()
    checkpoint.save(weights / "effres.pt", {**shipped, "calibration": calibration.as_dict()})
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(weights))
    metric = EffRes()
    assert metric.identity().weights_hash != uncalibrated
    metric.load(torch.device("cpu"))
    assert metric.calibration == calibration
    face = (load_image(shared_file("data/faces/hq/celebahq/ref_male_012712.jpg")) * 255).round().byte()
    pixels = np.ascontiguousarray(face.permute(1, 2, 0).numpy()[::4, ::4])
    raw = metric.face_score(pixels).score
    calibrated = metric.score_batch([torch.from_numpy(pixels).permute(2, 0, 1).float() / 255])[0]
    assert calibrated == calibration(raw) != raw


def test_an_image_without_a_face_fails_with_a_reason(effres):
    noise = torch.from_numpy(np.random.default_rng(0).random((3, 256, 256), dtype=np.float32))
    with pytest.raises(Exception, match="half face"):
        effres.score_batch([noise])


@requires_shared
@needs_shared("data/faces")
def test_the_headline_command_runs_offline_on_a_gfiqa_layout_folder(tmp_path):
    root = tmp_path / "gfiqa"
    assert testset.main(["--faces", str(FACES), "--out", str(root), "--gfiqa", "--limit", "2", "--versions", "3",
                         "--size", "256"]) == 0
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_STORE=str(tmp_path / "s.sqlite"),
                       IQABENCH_DATA=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "iqabench", "run", "--metric", "effres", "--dataset", "gfiqa",
                           "--root", str(root)], capture_output=True, text=True, env=environment, timeout=900)
    # 0, or 1 when the face mask finds no face in the blurriest copies: those are per-image failures
    # with their reason (documented), never scores of background
    assert done.returncode in (0, 1), done.stderr
    scored, failed = (int(n) for n in re.search(r"effres: (\d+) scored now, 0 stored, 0 missing, (\d+) failed",
                                                 done.stdout).groups())
    assert scored + failed == 8 and scored >= 6, done.stdout
    assert failed == 0 or "no 128-pixel patch is at least half face" in done.stderr
    assert "SRCC" in done.stdout
