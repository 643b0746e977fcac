"""GADA training on tiny data made here with iqabench.degrade: the networks' shapes, each phase's loss falling
over a few real steps, what each phase freezes (``requires_grad`` and unchanged values after a step), the
direct baseline, checkpoints that round-trip and resume, and the compact shipped copy."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from iqabench_gada import checkpoint
from iqabench_gada.data import FullReferenceSet, LabelledSet, kind_of, make_split, read_pairs
from iqabench_gada.model import Discriminator, Evaluator, Generator, inference_state, maps
from iqabench_gada.train import TRAINABLE, Networks, TrainSettings, crop_scores, discriminator_loss, step, train
from PIL import Image

from iqabench.degrade import degrade

CPU = torch.device("cpu")


def textured(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(base).resize((size, size), Image.Resampling.BICUBIC)).astype(np.int16)
    return np.clip(smooth + rng.integers(-30, 31, smooth.shape), 0, 255).astype(np.uint8)


def make_fr_set(folder: Path, references: int = 3, size: int = 48, kind_column: bool = False) -> Path:
    """A meta-info folder as the synthetic full-reference set lays it out: refs/, dist/<stem>__<kind>_<level>.png,
    mos = 1 - level / 5 (higher is better), the last reference in 'test'."""
    (folder / "refs").mkdir(parents=True)
    (folder / "dist").mkdir()
    rows = []
    for index in range(references):
        ref = textured(size, index)
        ref_name = f"refs/img{index}.png"
        Image.fromarray(ref).save(folder / ref_name)
        for kind in ("blur", "noise", "jpeg"):
            for level in (1, 2, 3, 4):
                dist_name = f"dist/img{index}__{kind}_{level}.png"
                Image.fromarray(degrade(ref, kind, level, seed=index)).save(folder / dist_name)
                rows.append([ref_name, dist_name, f"{1 - level / 5:.3f}",
                             "test" if index == references - 1 else "train"] + ([kind] if kind_column else []))
    with open(folder / "meta_info.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ref_name", "dist_name", "mos", "split"] + (["kind"] if kind_column else []))
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def fr_folder(tmp_path_factory) -> Path:
    return make_fr_set(tmp_path_factory.mktemp("fr"))


@pytest.fixture(scope="module")
def pairs(fr_folder) -> FullReferenceSet:
    return FullReferenceSet(fr_folder, "train")


SMALL = dict(crop=32, batch=16, width=0.25, steps1=3, steps2=2, steps3=2, validation_crops=4)


def test_networks_have_the_papers_shape():
    generator, discriminator = Generator(4), Discriminator(4)
    assert maps(1.0) == (64, 128, 128, 1024) and maps(0.25) == (16, 32, 32, 256)
    convolutions = [m for m in discriminator.trunk if isinstance(m, torch.nn.Sequential)]
    assert [c[0].out_channels for c in convolutions] == [64, 128, 128]
    assert discriminator.trunk[3].out_channels == 1024 and discriminator.trunk[3].kernel_size == (1, 1)
    assert isinstance(discriminator.trunk[4], torch.nn.BatchNorm2d)
    assert discriminator.source.out_features == 1
    assert [l.out_features for l in discriminator.classifier if isinstance(l, torch.nn.Linear)] == [128, 4]
    assert [l.out_features for l in discriminator.evaluator if isinstance(l, torch.nn.Linear)] == [128, 1]
    assert [generator.enc1[0].out_channels, generator.enc2[0].out_channels, generator.enc3[0].out_channels] == [64, 128, 128]
    x = torch.rand(2, 3, 32, 32)
    fake = generator(x, torch.tensor([0, 3]), torch.tensor([0.2, 0.9]))
    assert fake.shape == x.shape
    source, classes, quality = discriminator(fake)
    assert source.shape == (2,) and classes.shape == (2, 4) and quality.shape == (2,)
    # the inference network is the discriminator's trunk and evaluator, and scores the same
    evaluator = Evaluator()
    evaluator.load_state_dict(inference_state(discriminator.state_dict()))
    assert torch.allclose(evaluator(x), discriminator.quality(x))


def test_the_noise_and_the_conditions_change_the_generated_image():
    torch.manual_seed(0)
    generator = Generator(3, 0.25)
    x = torch.rand(1, 3, 32, 32)
    a = generator(x, torch.tensor([0]), torch.tensor([0.5]), noise=torch.zeros(1, 64))
    assert not torch.equal(a, generator(x, torch.tensor([0]), torch.tensor([0.5]), noise=torch.ones(1, 64)))
    assert not torch.equal(a, generator(x, torch.tensor([2]), torch.tensor([0.5]), noise=torch.zeros(1, 64)))
    assert not torch.equal(a, generator(x, torch.tensor([0]), torch.tensor([0.9]), noise=torch.zeros(1, 64)))


def test_meta_info_reading_and_crops(fr_folder, pairs, tmp_path):
    assert kind_of("dist/a_b__blur_3.png") == "blur" and kind_of("dist/x__resample_0.25.png") == "resample"
    with pytest.raises(ValueError, match="kind"):
        kind_of("dist/plain.png")
    assert pairs.classes == ("blur", "jpeg", "noise") and len(pairs) == 24 and len(pairs.refs) == 2
    assert len(read_pairs(make_fr_set(tmp_path / "k", references=2, kind_column=True))) == 24
    refs, dists, classes, quality = pairs.draw_pairs(np.random.default_rng(0), 5, 32)
    assert refs.shape == dists.shape == (5, 3, 32, 32) and 0 <= refs.min() and refs.max() <= 1
    assert classes.dtype == torch.long and quality.dtype == torch.float32
    generated, conditions, targets = pairs.draw_conditions(np.random.default_rng(0), 5, 32)
    assert generated.shape == (5, 3, 32, 32) and conditions.shape == targets.shape == (5,)
    test = FullReferenceSet(fr_folder, "test")
    assert test.classes == pairs.classes and set(test.refs) == {"refs/img2.png"}
    assert len(FullReferenceSet(fr_folder, "test", limit=5)) == 5


def test_aligned_crops_come_from_the_same_place(pairs):
    refs, dists, classes, _ = pairs.draw_pairs(np.random.default_rng(3), 20, 16)
    noise = pairs.classes.index("noise")
    # a noisy copy differs from its reference by noise only: aligned crops stay close on average
    close = (refs[classes == noise] - dists[classes == noise]).abs().mean(dim=(1, 2, 3))
    assert len(close) and close.max() < 0.25


def test_split_is_seeded_and_disjoint():
    ids = [f"Images/{i}.bmp" for i in range(50)]
    split = make_split(ids, seed=3)
    assert split == make_split(list(reversed(ids)), seed=3)
    assert len(split["train"]) == 40 and len(split["test"]) == 10 and not set(split["train"]) & set(split["test"])
    assert make_split(ids, seed=4)["test"] != split["test"]


def _labelled(pairs: FullReferenceSet) -> LabelledSet:
    return LabelledSet.from_full_reference(pairs)


def _parameters(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers (batch normalisation's running statistics)."""
    return {name: value.detach().clone() for name, value in [*module.named_parameters(), *module.named_buffers()]}


@pytest.mark.parametrize("augment", [True, False])
@pytest.mark.parametrize("phase", [1, 2, 3])
def test_each_phase_freezes_what_the_paper_says(pairs, phase, augment):
    settings = TrainSettings(**SMALL, augment=augment)
    torch.manual_seed(0)
    networks = Networks(settings, len(pairs.classes), CPU)
    networks.enter(phase)
    parts = networks.parts()
    assert ("generator" in parts) == augment
    trainable = TRAINABLE[(phase, augment)]
    expected = {1: {"generator", "trunk", "source", "classifier", "evaluator"}, 2: {"trunk", "source", "classifier", "evaluator"},
                3: {"trunk", "evaluator"}}[phase] - ({"generator", "source"} if not augment else set())
    assert set(trainable) == expected
    before = {name: _parameters(part) for name, part in parts.items()}
    for _ in range(2):
        step(networks, phase, np.random.default_rng(phase), pairs, _labelled(pairs), CPU)
    for name, part in parts.items():
        flags = {p.requires_grad for p in part.parameters()}
        after = _parameters(part)
        changed = any(not torch.equal(before[name][key], after[key]) for key in after)
        if name in trainable:
            assert flags == {True}, name
            assert changed, f"phase {phase}: {name} should train"
            assert all(m.training for m in part.modules()), name
        else:
            assert flags == {False}, name
            assert not any(m.training for m in part.modules()), name  # running statistics frozen too
            assert not changed, f"phase {phase}: frozen {name} changed"
            assert all(p.grad is None for p in part.parameters()), name


def test_phase_learning_rates_are_divided_by_ten_after_phase_one(pairs):
    networks = Networks(TrainSettings(**SMALL), len(pairs.classes), CPU)
    rates = {}
    for phase in (1, 2, 3):
        networks.enter(phase)
        rates[phase] = ([g["lr"] for g in networks.d_optimizer.param_groups], networks.g_optimizer.param_groups[0]["lr"])
    assert rates[1] == ([1e-4, 5e-4], 5e-4)
    assert rates[2][0] == pytest.approx([1e-5, 5e-5]) and rates[3][1] == pytest.approx(5e-5)


def _fixed_batch(pairs):
    return pairs.draw_pairs(np.random.default_rng(99), 64, 32)


@pytest.mark.parametrize("phase", [1, 2, 3])
def test_a_few_steps_of_each_phase_lower_its_loss(pairs, phase):
    """Loss on one fixed batch before and after a few steps; higher rates than the paper's so that a few
    steps suffice (the rates are checked above)."""
    settings = TrainSettings(**{**SMALL, "batch": 32, "lr_discriminator": 2e-3, "lr_other": 2e-3, "later_divisor": 1.0})
    torch.manual_seed(0)
    networks = Networks(settings, len(pairs.classes), CPU)
    refs, dists, classes, quality = _fixed_batch(pairs)
    d, g = networks.discriminator, networks.generator
    fixed_noise = torch.randn(len(refs), 64)

    def losses() -> dict[str, float]:
        with torch.no_grad():
            supervised = discriminator_loss(d, dists, classes, quality)
            return {"d": supervised["total"].item(), "quality": torch.nn.functional.mse_loss(d.quality(dists), quality).item(),
                    "l1": torch.nn.functional.l1_loss(g(refs, classes, quality, fixed_noise), dists).item()}

    if phase > 1:  # later phases start from a trained AC-GAN, as in the recipe
        networks.enter(1)
        for _ in range(5):
            step(networks, 1, np.random.default_rng(1), pairs, None, CPU)
    networks.enter(phase)
    before = losses()
    rng = np.random.default_rng(7)
    for _ in range(15):
        step(networks, phase, rng, pairs, _labelled(pairs), CPU)
    after = losses()
    if phase == 1:
        assert after["l1"] < 0.9 * before["l1"], (before, after)  # the generator learns to reconstruct
        assert after["d"] < before["d"], (before, after)
    elif phase == 2:
        assert after["d"] < before["d"], (before, after)
        assert after["l1"] == before["l1"]  # frozen generator
    else:
        assert after["quality"] < before["quality"], (before, after)


def test_training_saves_resumes_and_round_trips(fr_folder, pairs, tmp_path):
    settings = TrainSettings(**SMALL)
    out = tmp_path / "gada.pt"
    seen = []
    payload = train(settings, out, phases=(1, 2), full_reference=fr_folder, device=CPU,
                    validation=lambda: LabelledSet.from_full_reference(FullReferenceSet(fr_folder, "test")),
                    progress=lambda state, _: seen.append((state["phase"], state["step"])))
    assert seen == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    saved = checkpoint.load(out)
    assert saved["progress"]["done"] == [1, 2] and saved["config"]["classes"] == ["blur", "jpeg", "noise"]
    assert [h["phase"] for h in saved["history"]] == [1, 2]
    assert saved["history"][0]["validation"]["images"] == 12
    assert saved["data"]["full_reference"]["pairs"] == 24
    assert len(saved["data"]["full_reference"]["files"]) == 26  # 2 references and 24 distorted images
    for name, value in payload["discriminator"].items():
        assert torch.equal(saved["discriminator"][name], value), name
    generator = Generator(3, settings.width)
    generator.load_state_dict(saved["generator"])
    # phase 3 resumes from the checkpoint; phases 1 and 2 are not run again
    seen.clear()
    labelled = lambda: _labelled(pairs)  # noqa: E731
    finished = train(settings, out, phases=(1, 2, 3), full_reference=fr_folder, labelled=labelled, device=CPU,
                     progress=lambda state, _: seen.append((state["phase"], state["step"])))
    assert seen == [(3, 1), (3, 2)] and finished["progress"]["done"] == [1, 2, 3]
    assert finished["data"]["labelled"]["pairs"] == 24
    # generator untouched by phases 2 and 3
    for name, value in finished["generator"].items():
        assert torch.equal(saved["generator"][name], value), name
    # other settings are refused, not mixed; a longer phase 3 continues
    with pytest.raises(ValueError, match="other settings"):
        train(TrainSettings(**{**SMALL, "seed": 1}), out, phases=(3,), labelled=labelled, device=CPU)
    longer = train(TrainSettings(**{**SMALL, "steps3": 4}), out, phases=(3,), labelled=labelled, device=CPU)
    assert longer["progress"]["done"] == [1, 2, 3]  # phase 3 counted as done already: a finished phase is not rerun


def test_stopping_on_time_saves_mid_phase_and_resumes(fr_folder, tmp_path):
    settings = TrainSettings(**{**SMALL, "steps1": 4})
    out = tmp_path / "gada.pt"
    stopped = train(settings, out, phases=(1,), full_reference=fr_folder, device=CPU, minutes=0.0)
    assert stopped["progress"]["step"] == 1 and stopped["progress"]["done"] == []
    assert checkpoint.load(out)["progress"]["step"] == 1
    resumed = train(settings, out, phases=(1,), full_reference=fr_folder, device=CPU)
    assert resumed["progress"]["done"] == [1] and resumed["progress"]["resumes"] == 1
    assert resumed["history"][0]["steps"] == 4


def test_the_direct_baseline_has_no_generator(fr_folder, pairs, tmp_path):
    out = tmp_path / "direct.pt"
    payload = train(TrainSettings(**SMALL, augment=False), out, full_reference=fr_folder,
                    labelled=lambda: _labelled(pairs), device=CPU)
    assert "generator" not in payload and payload["config"]["generator"] is False
    assert payload["progress"]["done"] == [1, 2, 3]
    assert set(payload["history"][0]["mean_losses_last_run"]) == {"d_class", "d_quality", "d_total"}


def test_shipped_copy_is_half_precision_pinned_and_scores_like_the_original(fr_folder, tmp_path):
    settings = TrainSettings(**SMALL)
    source = tmp_path / "full.pt"
    payload = train(settings, source, phases=(1,), full_reference=fr_folder, device=CPU)
    for inference_only in (False, True):
        shipped = tmp_path / f"ship{inference_only}" / "gada.pt"
        manifest = checkpoint.ship(source, shipped, {"command": "test"}, inference_only=inference_only)
        assert manifest["sha256"] == checkpoint.pinned_sha256(shipped)
        loaded = checkpoint.load(shipped, manifest["sha256"])
        assert "optimizer" not in loaded and "progress" not in loaded
        # the data manifest names the training folders, not where they were on the training machine
        assert loaded["data"]["full_reference"]["folder"] == fr_folder.name
        assert str(tmp_path) not in repr(loaded["data"])
        assert loaded["discriminator"]["evaluator.2.weight"].dtype == torch.float16
        assert ("generator" in loaded) != inference_only
        assert ("source.weight" in loaded["discriminator"]) != inference_only
    evaluator = Evaluator(settings.width).eval()
    evaluator.load_state_dict({k: v.float() for k, v in inference_state(loaded["discriminator"]).items()})
    full = Discriminator(3, settings.width).eval()
    full.load_state_dict(payload["discriminator"])
    image = textured(64, 5)
    assert crop_scores(evaluator, image, 32, 30) == pytest.approx(crop_scores(full.quality, image, 32, 30), abs=2e-3)
    assert crop_scores(evaluator, image, 32, 30) == crop_scores(evaluator, image, 32, 30)  # seeded crops
    shipped.write_bytes(shipped.read_bytes() + b"x")
    with pytest.raises(Exception, match="does not match the sha256"):
        checkpoint.load(shipped, manifest["sha256"])


def test_an_interrupt_saves_the_finished_steps(fr_folder, tmp_path, monkeypatch):
    from iqabench_gada import train as recipe

    real_step, calls = recipe.step, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(*args)

    monkeypatch.setattr(recipe, "step", interrupted)
    out = tmp_path / "gada.pt"
    with pytest.raises(KeyboardInterrupt):
        train(TrainSettings(**SMALL), out, phases=(1,), full_reference=fr_folder, device=CPU)
    assert checkpoint.load(out)["progress"]["step"] == 2


def test_the_command_line_runs_the_chosen_phases_and_resumes(fr_folder, tmp_path):
    from click.testing import CliRunner
    from iqabench_gada.command import gada

    out = tmp_path / "cli.pt"
    common = ["--fr", str(fr_folder), "--out", str(out), "--crop", "32", "--width", "0.25", "--batch", "8",
              "--steps1", "2", "--steps2", "2", "--steps3", "2", "--threads", "1", "--device", "cpu"]
    done = CliRunner().invoke(gada, [*common, "--phases", "1"])
    assert done.exit_code == 0, done.output
    assert "phase 1: 2 steps" in done.output and "validation SRCC" in done.output
    assert checkpoint.load(out)["progress"]["done"] == [1]
    done = CliRunner().invoke(gada, [*common, "--phases", "2,3", "--labelled", "fr"])
    assert done.exit_code == 0, done.output
    saved = checkpoint.load(out)
    assert saved["progress"]["done"] == [1, 2, 3] and saved["data"]["labelled"]["source"] == "full-reference set"
    refused = CliRunner().invoke(gada, [*common, "--phases", "3", "--restart"])
    assert refused.exit_code == 2 and "phase 3 fine-tunes on real labelled images" in refused.output
    assert CliRunner().invoke(gada, [*common, "--phases", "4"]).exit_code == 2
