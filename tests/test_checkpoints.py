"""The shared checkpoint files: atomic save, format and sha256 checks, shipping with a manifest, when to save."""

import json
import time

import pytest
import torch

from iqabench_training.checkpoints import CheckpointKind, SaveClock, half_precision, manifest_path, pinned_sha256
from iqabench.errors import WeightsError

KIND = CheckpointKind("toy", "iqabench-toy/1")


def test_save_load_round_trip_and_no_partial_left(tmp_path):
    path = tmp_path / "run" / "toy.pt"
    KIND.save(path, {"model": {"w": torch.arange(3.0)}, "config": {"a": 1}})
    assert not path.with_suffix(".pt.partial").exists()
    payload = KIND.load(path)
    assert payload["format"] == "iqabench-toy/1" and payload["config"] == {"a": 1}
    assert torch.equal(payload["model"]["w"], torch.arange(3.0))


def test_another_models_checkpoint_is_refused_by_name(tmp_path):
    path = tmp_path / "other.pt"
    CheckpointKind("other", "iqabench-other/1").save(path, {})
    with pytest.raises(WeightsError, match="is not a toy checkpoint"):
        KIND.load(path)


def test_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(WeightsError, match="iqabench train toy"):
        KIND.load(tmp_path / "absent.pt")
    found = KIND.availability(tmp_path / "absent.pt")
    assert found.state == "unavailable" and "iqabench train toy" in found.reason


def test_shipped_file_is_pinned_and_a_changed_one_refused(tmp_path):
    target = tmp_path / "toy-shipped.pt"
    manifest = KIND.write_shipped(target, {"model": half_precision({"w": torch.ones(4), "n": torch.tensor([2])})},
                                  {"command": "iqabench train toy"})
    assert json.loads(manifest_path(target).read_text()) == manifest
    assert manifest["sha256"] == pinned_sha256(target) and manifest["command"] == "iqabench train toy"
    loaded = KIND.load_pinned(target)
    assert loaded["model"]["w"].dtype == torch.float16 and loaded["model"]["n"].dtype == torch.int64
    assert KIND.availability(target).state == "present"
    with target.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(WeightsError, match="does not match the sha256"):
        KIND.load_pinned(target)
    assert KIND.availability(target).state == "unavailable"


def test_a_users_own_checkpoint_without_manifest_is_present(tmp_path):
    path = tmp_path / "mine.pt"
    KIND.save(path, {})
    assert pinned_sha256(path) is None
    assert "no manifest pins its sha256" in KIND.availability(path).reason


def test_save_clock_saves_at_boundaries_intervals_and_when_out_of_time():
    clock = SaveClock(minutes=None, save_minutes=60)
    assert not clock.out_of_time()
    assert not clock.due(False, False)
    assert clock.due(True, False)
    clock.last_save -= 3601
    assert clock.due(False, False) and not clock.due(False, False)
    short = SaveClock(minutes=0.0, save_minutes=60)
    time.sleep(0.01)
    assert short.out_of_time() and short.due(False, short.out_of_time())


def test_a_truncated_checkpoint_is_a_clear_error_and_mmap_reads_the_same(tmp_path):
    path = tmp_path / "toy.pt"
    KIND.save(path, {"model": {"w": torch.arange(4.0)}})
    assert torch.equal(KIND.load(path, mmap=True)["model"]["w"], torch.arange(4.0))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(WeightsError, match="could not be read as a toy checkpoint"):
        KIND.load(path)
