"""The gada metrics with the checkpoints the package ships: registration and identity, the pinned hash,
scores of real LIVE Challenge images (deterministic, heavy blur scores lower), a user's own checkpoint in the
weights folder, the split file, and the headline command on the shared CLIVE folder offline, as on a fresh clone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from iqabench_gada import checkpoint
from iqabench_gada.command import SPLITS
from iqabench_gada.data import read_split
from iqabench_gada.metric import Gada, GadaDirect
from shared_data import SHARED, needs_shared, requires_shared, shared_file

from iqabench.degrade import gaussian_blur
from iqabench.errors import WeightsError
from iqabench.images import load_image
from iqabench.plugins import load_registry

CLIVE = SHARED / "data" / "clive"


@pytest.fixture(scope="module")
def gada():
    metric = load_registry().metric("gada")
    metric.load(torch.device("cpu"))
    return metric


@pytest.mark.parametrize("path", [checkpoint.SHIPPED, checkpoint.SHIPPED_DIRECT])
def test_the_shipped_checkpoints_are_small_pinned_and_documented(path):
    manifest = json.loads(checkpoint.manifest_path(path).read_text())
    assert path.stat().st_size < 25 * 2**20
    assert manifest["sha256"] == checkpoint.pinned_sha256(path)
    for field in ("command", "data", "device", "minutes", "figures", "deviations_from_the_paper"):
        assert manifest[field], field
    payload = checkpoint.load(path, manifest["sha256"])
    assert payload["config"]["settings"]["augment"] is (path == checkpoint.SHIPPED)
    assert payload["config"]["settings"]["crop"] == Gada.min_size
    assert [h["phase"] for h in payload["history"]] == [1, 2, 3]
    assert payload["data"]["labelled"]["split_file"] == "livec.json"


def test_identity_names_the_checkpoint_without_loading():
    registry = load_registry()
    plain, direct = registry.metric("gada").identity(), registry.metric("gada-direct").identity()
    assert plain.weights == {"checkpoint": checkpoint.pinned_sha256(checkpoint.SHIPPED)}
    assert direct.weights == {"checkpoint": checkpoint.pinned_sha256(checkpoint.SHIPPED_DIRECT)}
    assert plain.config["crops"] == 30 and plain.weights_hash != direct.weights_hash
    assert registry.metric("gada").availability().state == "present"


def test_a_changed_checkpoint_is_refused_before_it_is_read(tmp_path, monkeypatch):
    copy = tmp_path / checkpoint.SHIPPED.name
    copy.write_bytes(checkpoint.SHIPPED.read_bytes()[:-10] + b"0123456789")
    checkpoint.manifest_path(copy).write_text(checkpoint.manifest_path(checkpoint.SHIPPED).read_text())
    monkeypatch.setattr(Gada, "shipped", copy)
    assert not Gada().availability().ok
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("deserialised an unverified file"))
    with pytest.raises(WeightsError, match="does not match the sha256"):
        Gada().load(torch.device("cpu"))


def test_a_users_checkpoint_in_the_weights_folder_wins(tmp_path, monkeypatch):
    own = tmp_path / "gada.pt"
    own.write_bytes(checkpoint.SHIPPED_DIRECT.read_bytes())
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path))
    assert Gada.checkpoint_path() == own and GadaDirect.checkpoint_path() == checkpoint.SHIPPED_DIRECT
    metric = Gada()
    assert "no manifest pins" in metric.availability().reason
    metric.load(torch.device("cpu"))
    assert metric.weights == {"checkpoint": checkpoint.pinned_sha256(checkpoint.SHIPPED_DIRECT)}


def test_the_split_file_is_disjoint_and_covers_the_400_images():
    split = read_split(SPLITS / "livec.json")
    assert len(split["train"]) == 320 and len(split["test"]) == 80
    assert not set(split["train"]) & set(split["test"])


def test_scores_are_deterministic_and_need_a_crop(gada):
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.random((3, 96, 120), dtype=np.float32))
    first, second = gada.score_batch([image, image])
    assert np.isfinite(first) and first == second
    with pytest.raises(ValueError, match="smaller than the 64-pixel crop"):
        gada.score_batch([torch.rand(3, 40, 200)])


@requires_shared
def test_real_images_score_and_heavy_blur_scores_lower(gada):
    names = read_split(SPLITS / "livec.json")["test"][:6]
    images = [load_image(shared_file(f"data/clive/{name}")) for name in names]
    scores = gada.score_batch(images)
    assert all(np.isfinite(scores)) and len(set(scores)) == len(scores)
    blurred = [torch.from_numpy(gaussian_blur((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), 6.0))
               .permute(2, 0, 1).float() / 255 for image in images]
    lower = gada.score_batch(blurred)
    assert sum(b < s for b, s in zip(lower, scores)) >= 5, (scores, lower)


@requires_shared
@needs_shared("data/clive")
def test_the_headline_command_runs_offline_on_the_shared_clive_folder(tmp_path):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1", IQABENCH_STORE=str(tmp_path / "s.sqlite"),
                       IQABENCH_DATA=str(tmp_path / "data"))
    environment.pop("IQABENCH_WEIGHTS_DIR", None)  # a fresh clone: the shipped checkpoint only
    done = subprocess.run([sys.executable, "-m", "iqabench", "run", "--metric", "gada", "--dataset", "livec",
                           "--root", str(CLIVE), "--allow-missing", "--limit", "12"],
                          capture_output=True, text=True, env=environment, timeout=900)
    assert done.returncode == 0, done.stderr
    assert re.search(r"gada: 12 scored now, 0 stored, \d+ missing, 0 failed", done.stdout), done.stdout
    assert "SRCC" in done.stdout
