"""msfr training: every Table II variant builds with the right shapes, a few real SGD steps on a tiny
full-reference folder lower the loss, checkpoints round-trip and resume exactly, the shipped compact copy
(float16 and int8 rows) stays close to the trained weights, and ``iqabench train msfr`` runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from iqabench_msfr import checkpoint
from iqabench_msfr.data import label_file, load_split, read_rows
from iqabench_msfr.model import VARIANTS, MSFRNet, feature_count
from iqabench_msfr.train import TrainSettings, assemble, epoch_batches, train
from test_msfr_data import tiny_fr_set

CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_fr_set(tmp_path_factory.mktemp("msfr") / "fr", size=160, levels=(1, 2, 4))


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_builds_and_gives_one_score_per_patch(variant):
    torch.manual_seed(0)
    model = MSFRNet(variant).eval()
    d, r = torch.rand(3, 1, 128, 128), torch.rand(3, 1, 128, 128) * 0.1
    features = model.features(d, r)
    assert features.shape == (3, feature_count(variant))
    assert model(d, r).shape == (3,)
    assert feature_count(variant) == {"distorted": 512, "residual": 512, "concat": 1024, "full": 5952}[variant]
    assert [m.out_features for m in model.head if isinstance(m, torch.nn.Linear)] == [2048, 1024, 1]
    streams = [name for name in ("distorted", "residual") if getattr(model, name) is not None]
    assert streams == {"distorted": ["distorted"], "residual": ["residual"]}.get(variant, ["distorted", "residual"])
    convolutions = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert [m.out_channels for m in convolutions] == [8, 8, 16, 16, 32] * len(streams)
    # the streams read only their own input: the residual variant ignores D, the distorted one R
    if variant == "residual":
        assert torch.equal(model(torch.zeros_like(d), r), model(d, r))
    if variant == "distorted":
        assert torch.equal(model(d, torch.zeros_like(r)), model(d, r))


def test_the_full_network_uses_both_streams_and_the_pyramid():
    torch.manual_seed(0)
    model = MSFRNet("full").eval()
    d, r = torch.rand(2, 1, 128, 128), torch.rand(2, 1, 128, 128) * 0.1
    features = model.features(d, r)
    assert not torch.equal(model.features(d, torch.zeros_like(r))[:, 2720:5440], features[:, 2720:5440])
    assert torch.equal(model.features(d, torch.zeros_like(r))[:, 5440:], features[:, 5440:])  # FPN: D only
    with pytest.raises(ValueError, match="unknown variant"):
        MSFRNet("both")


def test_epoch_batches_depend_only_on_seed_and_epoch(tiny):
    rows, _ = read_rows(label_file(tiny))
    training = load_split(tiny, rows, "train", (0.0, 1.0))
    settings = TrainSettings(batch=16)
    first = epoch_batches(training, 0, settings)
    assert all(np.array_equal(a, b) for a, b in zip(first, epoch_batches(training, 0, settings)))
    assert not np.array_equal(first[0], epoch_batches(training, 1, settings)[0])
    d, r, targets = assemble(training, first[0])
    assert d.shape == r.shape == (16, 1, 128, 128) and targets.shape == (16,)
    assert (r >= 0).all() and r.max() < 1


def _loss_on(model, batch):
    with torch.no_grad():
        return torch.nn.functional.mse_loss(model.train()(batch[0], batch[1]), batch[2]).item()


def test_a_few_training_steps_lower_the_loss_and_the_checkpoint_round_trips(tiny, tmp_path):
    settings = TrainSettings(variant="concat", batch=16, epochs=2)  # the paper's SGD, 1e-3
    rows, _ = read_rows(label_file(tiny))
    training = load_split(tiny, rows, "train", (0.0, 1.0))
    batch = assemble(training, np.concatenate(epoch_batches(training, 0, settings)))
    torch.manual_seed(settings.seed)
    before = MSFRNet("concat")
    before.start_output_at(float(training.targets.mean()))
    loss_before = _loss_on(before, batch)
    out = tmp_path / "msfr.pt"
    seen = []
    payload = train(settings, tiny, out, device=CPU, progress=lambda state, _: seen.append(state["loss"]))
    steps = len(seen)
    assert steps == payload["progress"]["steps"] >= 4
    assert _loss_on(checkpoint.build(checkpoint.load(out)).train(), batch) < 0.7 * loss_before
    history = payload["history"]
    assert [h["epoch"] for h in history] == [1, 2] and history[-1]["images"] == 9
    assert all(-1 <= h["srcc"] <= 1 for h in history)
    saved = checkpoint.load(out)
    assert saved["config"]["settings"]["variant"] == "concat" and saved["config"]["luma"] == "BT.601"
    assert saved["data"]["labels"]["sha256"] and len(saved["data"]["files"]) == 5 + 5 * 9
    assert saved["data"]["test_references"] == ["refs/rocket.png"]
    model = MSFRNet("concat")
    model.load_state_dict(saved["model"])
    for name, value in payload["model"].items():
        assert torch.equal(model.state_dict()[name], value), name
    with pytest.raises(ValueError, match="other settings"):
        train(TrainSettings(**{**settings.__dict__, "seed": 1}), tiny, out, device=CPU)
    longer = train(TrainSettings(**{**settings.__dict__, "epochs": 3}), tiny, out, device=CPU)
    assert [h["epoch"] for h in longer["history"]] == [1, 2, 3] and longer["progress"]["steps"] > steps


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_where_it_stopped_and_ends_where_an_uninterrupted_one_does(tiny, tmp_path):
    settings = TrainSettings(variant="residual", batch=16, epochs=2)
    straight = train(settings, tiny, tmp_path / "straight.pt", device=CPU, hash_images=False)

    def stop_at_step_3(state, _):
        if state["steps"] == 3:
            raise Interrupted

    out = tmp_path / "resumed.pt"
    with pytest.raises(Interrupted):
        train(settings, tiny, out, device=CPU, save_minutes=0, progress=stop_at_step_3, hash_images=False)
    assert checkpoint.load(out)["progress"]["steps"] == 3
    resumed = train(settings, tiny, out, device=CPU, hash_images=False)
    assert resumed["progress"]["steps"] == straight["progress"]["steps"] and resumed["progress"]["resumes"] == 1
    for name, value in straight["model"].items():
        assert torch.allclose(resumed["model"][name].float(), value.float(), atol=1e-5), name


def test_a_run_stopped_by_time_is_evaluated_and_another_label_file_is_refused(tiny, tmp_path):
    settings = TrainSettings(variant="distorted", batch=16, epochs=1)
    out = tmp_path / "msfr.pt"
    stopped = train(settings, tiny, out, device=CPU, minutes=0, hash_images=False)
    # stopped by time mid-epoch: the saved weights are evaluated too, flagged as partial
    assert stopped["history"][-1]["partial"] and stopped["history"][-1]["steps"] == 1
    assert stopped["history"][-1]["images"] == 9
    other = tiny_fr_set(tmp_path / "other", size=160, levels=(2, 3))
    with pytest.raises(ValueError, match="another label file"):
        train(settings, other, out, device=CPU, hash_images=False)


def test_the_shipped_copy_is_compact_pinned_and_close(tmp_path):
    torch.manual_seed(0)
    model = MSFRNet("full").eval()
    source, shipped = tmp_path / "full.pt", tmp_path / "ship" / "msfr.pt"
    checkpoint.save(source, {"config": {"settings": {"variant": "full"}}, "model": model.state_dict(),
                             "optimizer": {}, "history": [],
                             "data": {"root": str(tmp_path / "set"), "labels": {"path": str(tmp_path / "set" / "a.csv"),
                                                                               "sha256": "0" * 64}}})
    manifest = checkpoint.ship(source, shipped, {"command": "test"})
    assert manifest["sha256"] == checkpoint.pinned_sha256(shipped)
    assert manifest["bytes"] < 25 * 2**20 < 2 * sum(v.numel() for v in model.state_dict().values())
    loaded = checkpoint.load(shipped, manifest["sha256"])
    assert "optimizer" not in loaded
    # the data manifest names the training folder and label file, not where they were on the training machine
    assert loaded["data"] == {"root": "set", "labels": {"path": "a.csv", "sha256": "0" * 64}}
    # the two large matrices (5952 x 2048, 2048 x 1024) as int8 rows, the rest in float16
    assert loaded["model"]["head.0.weight.int8"].dtype == loaded["model"]["head.2.weight.int8"].dtype == torch.int8
    assert loaded["model"]["head.4.weight"].dtype == loaded["model"]["distorted.layers.0.0.weight"].dtype == torch.float16
    copy = checkpoint.build(loaded)
    d, r = torch.rand(8, 1, 128, 128), torch.rand(8, 1, 128, 128) * 0.2
    with torch.no_grad():
        assert torch.allclose(copy(d, r), model(d, r), atol=2e-3)
    shipped.write_bytes(shipped.read_bytes() + b"x")
    with pytest.raises(Exception, match="does not match the sha256"):
        checkpoint.load(shipped, manifest["sha256"])


def test_the_train_command_trains_a_variant_from_one_flag(tiny, tmp_path):
    from iqabench.cli import main

    out = tmp_path / "cli.pt"
    result = CliRunner().invoke(main, ["train", "msfr", "--data", str(tiny), "--out", str(out), "--variant", "residual",
                                       "--epochs", "1", "--batch", "16", "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert "epoch 1: loss" in result.output and "test SRCC" in result.output
    assert checkpoint.load(out)["config"]["settings"]["variant"] == "residual"
    helped = CliRunner().invoke(main, ["train", "msfr", "--help"])
    assert "distorted|residual|concat|full" in helped.output.replace(" ", "") or "[distorted" in helped.output
    bad = CliRunner().invoke(main, ["train", "msfr", "--data", str(tiny), "--out", str(tmp_path / "x.pt"),
                                    "--mos-range", "2", "3", "--epochs", "1"])
    assert bad.exit_code == 2 and "outside --mos-range" in bad.output


def test_pooled_scoring_equals_scoring_image_by_image():
    from iqabench_msfr.inference import score_lumas, score_pairs

    torch.manual_seed(0)
    model = MSFRNet("full").eval()
    pairs = [(torch.rand(h, w), torch.rand(h, w)) for h, w in ((128, 128), (200, 300), (256, 130))]
    pooled = score_pairs(model, pairs, CPU, batch=5)
    alone = [score_lumas(model, d, o, CPU)[0] for d, o in pairs]
    assert np.allclose(pooled, alone, atol=1e-5)
    assert len(score_lumas(model, *pairs[1], CPU)[1]) == 6  # 2 rows × 3 columns, the last ones flush


def test_folding_batch_normalisation_into_the_convolutions_keeps_the_scores():
    from iqabench_msfr.model import fused_for_inference

    torch.manual_seed(0)
    model = MSFRNet("full")
    with torch.no_grad():  # running statistics other than the initial ones
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    model.eval()
    d, r = torch.rand(4, 1, 128, 128), torch.rand(4, 1, 128, 128) * 0.1
    with torch.no_grad():
        expected = model(d, r)
        fused = fused_for_inference(model)
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
        assert torch.allclose(fused(d, r), expected, atol=1e-5)


def test_init_starts_a_new_run_from_another_checkpoints_weights(tiny, tmp_path):
    settings = TrainSettings(variant="distorted", batch=16, epochs=1)
    first = tmp_path / "first.pt"
    train(settings, tiny, first, device=CPU, hash_images=False)
    started = train(settings, tiny, tmp_path / "tuned.pt", device=CPU, minutes=0, hash_images=False, init=first)
    # Stopped by time after one step: one SGD step away from the first run's weights, not from a fresh network.
    first_weights = checkpoint.load(first)["model"]
    fresh = MSFRNet("distorted").state_dict()
    name = next(n for n, v in first_weights.items() if v.is_floating_point() and v.dim() == 4)
    tuned = started["model"][name]
    assert (tuned - first_weights[name]).abs().max() < (tuned - fresh[name]).abs().max()
    assert started["data"]["init"]["checkpoint"] == "first.pt" and len(started["data"]["init"]["sha256"]) == 64
    with pytest.raises(ValueError, match="variant"):
        train(TrainSettings(variant="residual", batch=16, epochs=1), tiny, tmp_path / "other.pt", device=CPU,
              hash_images=False, init=first)
