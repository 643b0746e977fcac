"""effres training pieces: patches, adversarial inputs, a few real training steps, checkpoints, inference
on the awkward cases the module docstrings promise (no mask, smaller than a patch, greyscale)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pytest
import torch
from PIL import Image

from iqabench_effres import checkpoint
from iqabench_effres.adversarial import LINF_RADIUS, fgsm, pgd_l2
from iqabench_effres.inference import FALLBACK_FOREGROUND, MIN_FOREGROUND, NoFaceError, score_face
from iqabench_effres.model import EffResNet
from iqabench_effres.patches import foreground_fractions, foreground_table, inference_grid, inference_stride
from iqabench_effres.samples import SampleMaker, SampleRecipe
from iqabench_effres.train import TrainSettings, absolute_error, build_model, log_absolute_error, mape, train


def textured(size: int = 256, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(base).resize((size, size), Image.Resampling.BICUBIC)).astype(np.int16)
    return np.clip(smooth + rng.integers(-40, 41, smooth.shape), 0, 255).astype(np.uint8)


def test_inference_stride_gives_about_100_patches():
    for height, width in [(1024, 1024), (512, 768), (300, 2000), (129, 129)]:
        count = len(inference_grid(height, width, 128))
        assert 80 <= count <= 120 or min(height, width) < 140, (height, width, count)
    assert len(inference_grid(128, 128, 128)) == 1
    assert inference_stride(1024, 1024, 128) == 100  # (896/s + 1)^2 = 100 -> s ≈ 99.6


def test_foreground_fractions_match_direct_counts():
    rng = np.random.default_rng(1)
    mask = rng.random((50, 60)) < 0.3
    corners = np.array([[0, 0], [10, 20], [34, 44]])
    direct = [mask[y:y + 16, x:x + 16].mean() for y, x in corners]
    assert np.allclose(foreground_fractions(foreground_table(mask), corners, 16), direct)


@pytest.mark.parametrize("attack", ["pgd", "fgsm"])
def test_adversarial_input_stays_in_the_linf_ball_and_the_pixel_range(attack):
    torch.manual_seed(0)
    model = EffResNet("resnet18").eval()
    images = torch.cat([torch.zeros(1, 3, 64, 64), torch.full((1, 3, 64, 64), 255.0),
                        torch.rand(2, 3, 64, 64) * 255])
    targets = torch.tensor([0.2, 0.5, 0.9, 0.1])
    loss = lambda batch: mape(model(batch), targets)  # noqa: E731
    adversarial = pgd_l2(loss, images, step=15.0, steps=3) if attack == "pgd" else fgsm(loss, images)
    assert (adversarial - images).abs().max() <= LINF_RADIUS + 1e-4
    assert adversarial.min() >= 0 and adversarial.max() <= 255
    assert not torch.equal(adversarial, images)
    assert loss(adversarial) > loss(images)  # it is an attack: the loss goes up


def test_samples_have_targets_in_range_and_enough_foreground():
    image = textured(512)
    mask = np.zeros(image.shape[:2], bool)
    mask[100:400, 120:420] = True
    maker = SampleMaker([image], [mask], SampleRecipe.for_patch(128))
    rng = np.random.default_rng(0)
    targets = []
    for _ in range(30):
        patches, labels = maker.draw(rng)
        assert patches.shape[1:] == (128, 128, 3) and patches.dtype == np.uint8
        targets += list(labels)
    targets = np.array(targets)
    assert targets.min() >= 1 / 16 - 1e-6 and targets.max() <= 1.0
    assert len(set(np.round(targets, 4))) > 5


def test_recipe_overrides_replace_table_1s_values_and_give_more_sharp_targets():
    recipe = SampleRecipe.for_patch(128, prescale_heights=(160, 512), downscale_probability=0.6)
    assert (recipe.prescale_heights, recipe.downscale_probability, recipe.patch) == ((160, 512), 0.6, 128)
    image = textured(256)
    mask = np.ones(image.shape[:2], bool)
    sharp = {}
    for name, chosen in (("table 1", SampleRecipe.for_patch(128)), ("overridden", recipe)):
        maker, rng = SampleMaker([image], [mask], chosen), np.random.default_rng(0)
        labels = np.concatenate([maker.draw(rng)[1] for _ in range(300)])
        sharp[name] = float(np.mean(labels == 1.0))
    assert sharp["overridden"] > 3 * sharp["table 1"], sharp


def test_the_losses_and_their_choice():
    predicted, target = torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.25])
    assert absolute_error(predicted, target).item() == pytest.approx(0.375)
    assert mape(predicted, target).item() == pytest.approx((0.5 + 1.0) / 2)
    assert TrainSettings(loss="l1").criterion() is absolute_error and TrainSettings().criterion() is mape
    assert log_absolute_error(predicted, target).item() == pytest.approx(
        (np.log(2) + np.log(2)) / 2 + 0.375, rel=1e-6)
    below = torch.tensor([-0.5], requires_grad=True)
    log_absolute_error(below, torch.tensor([0.5])).backward()
    assert below.grad.item() < 0, "a prediction below the floor is still pushed up"
    assert TrainSettings(loss="log-l1").criterion() is log_absolute_error
    with pytest.raises(ValueError, match="unknown loss 'l2'; choose one of mape, l1, log-l1"):
        train(TrainSettings(loss="l2"), [], Path("unused.pt"))


def test_the_command_line_recipe_options_become_recipe_overrides():
    from iqabench_effres.command import recipe_overrides

    assert recipe_overrides(None, None) == {}
    assert recipe_overrides((512, 160), 0.6) == {"prescale_heights": [160, 512], "downscale_probability": 0.6}
    assert recipe_overrides(None, None, ("nearest=3", "gaussian = 2")) == {
        "method_weights": {"nearest": 3.0, "gaussian": 2.0}}
    with pytest.raises(click.BadParameter, match="METHOD=WEIGHT"):
        recipe_overrides(None, None, ("nearest",))


def test_method_weights_make_a_method_likelier_and_unknown_ones_are_named():
    from iqabench.degrade import RESAMPLE_METHODS

    probabilities = SampleRecipe(method_weights={"nearest": 3.0}).method_probabilities()
    assert probabilities[RESAMPLE_METHODS.index("nearest")] == pytest.approx(3 / (len(RESAMPLE_METHODS) + 2))
    assert SampleRecipe().method_probabilities() == pytest.approx(np.full(len(RESAMPLE_METHODS), 1 / 8))
    with pytest.raises(ValueError, match="unknown resampling method.*nearst"):
        SampleRecipe(method_weights={"nearst": 3.0}).method_probabilities()
    with pytest.raises(ValueError, match="not all 0"):
        SampleRecipe(method_weights=dict.fromkeys(RESAMPLE_METHODS, 0.0)).method_probabilities()


def _fixed_batch(faces, settings):
    maker = SampleMaker([np.asarray(Image.open(p).convert("RGB")) for p in sorted(faces.iterdir())],
                        [np.ones((256, 256), bool)] * 2, settings.sample_recipe())
    rng = np.random.default_rng(99)
    patches, targets = zip(*(maker.draw(rng) for _ in range(12)))
    patches, targets = np.concatenate(patches)[:32], np.concatenate(targets)[:32]
    return torch.from_numpy(patches).permute(0, 3, 1, 2).float(), torch.from_numpy(targets)


def _loss_on(model, batch):
    with torch.no_grad():
        return mape(model.train()(batch[0]), batch[1]).item()


def test_a_few_training_steps_lower_the_loss_and_the_checkpoint_round_trips(tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    for seed in range(2):
        Image.fromarray(textured(256, seed)).save(faces / f"{seed}.png")
    settings = TrainSettings(backbone="resnet18", patch=128, batch=8, accumulate=8, epochs=1, epoch_patches=8 * 16,
                             attack="fgsm", mask="none", workers=0)
    batch = _fixed_batch(faces, settings)
    torch.manual_seed(settings.seed)
    before = _loss_on(build_model(settings), batch)
    out = tmp_path / "effres.pt"
    steps, epochs = [], []
    payload = train(settings, [faces], out, device=torch.device("cpu"),
                    progress=lambda state, _: steps.append(state["steps"]), on_epoch=epochs.append)
    assert steps == list(range(1, 17))
    assert epochs == payload["history"] and [figures["epoch"] for figures in epochs] == [1]
    saved = checkpoint.load(out)
    assert saved["config"]["settings"]["backbone"] == "resnet18"
    assert [entry["path"] for entry in saved["data"]] == [str(faces / "0.png"), str(faces / "1.png")]
    model = EffResNet("resnet18")
    model.load_state_dict(saved["model"])
    for name, value in payload["model"].items():
        assert torch.equal(model.state_dict()[name], value), name
    assert _loss_on(model, batch) < 0.95 * before
    # resuming with other settings is refused, not silently mixed
    with pytest.raises(ValueError, match="other settings"):
        train(TrainSettings(**{**settings.__dict__, "seed": 1}), [faces], out, device=torch.device("cpu"))
    # ... but more epochs continue where it stopped
    longer = train(TrainSettings(**{**settings.__dict__, "epochs": 2}), [faces], out, device=torch.device("cpu"))
    assert longer["progress"]["epoch"] == 2 and longer["progress"]["steps"] == 32
    assert [figures["epoch"] for figures in longer["history"]] == [1, 2]


def test_a_constant_model_has_no_validation_srcc_and_the_best_epoch_waits_for_a_number(tmp_path, monkeypatch):
    from iqabench_effres import train as recipe
    from iqabench_effres.validation import validate, validation_set

    faces = tmp_path / "faces"
    faces.mkdir()
    Image.fromarray(textured(256, 0)).save(faces / "0.png")
    held_out = validation_set([faces / "0.png"], "none")
    constant = EffResNet("resnet18").eval()
    torch.nn.init.zeros_(constant.head.weight)
    figures = validate(constant, held_out, 128, torch.device("cpu"))
    assert np.isnan(figures["srcc"]) and figures["pra"] == 0.5 and figures["faces"] == 1  # the core's answer

    validated = iter([figures, {"srcc": 0.25, "pra": 0.6, "faces": 1}, {**figures}])
    monkeypatch.setattr(recipe, "validate", lambda *_: next(validated))
    settings = TrainSettings(backbone="resnet18", patch=128, batch=8, accumulate=8, epochs=3, epoch_patches=8,
                             attack="none", mask="none", workers=0)
    out = tmp_path / "effres.pt"
    payload = train(settings, [faces], out, validation=[faces / "0.png"], device=torch.device("cpu"))
    assert [h["epoch"] for h in payload["history"]] == [1, 2, 3] and payload["progress"]["best"] == 0.25
    best = checkpoint.load(out.with_suffix(".best.pt"))  # epoch 1 (NaN) was best until epoch 2; NaN never beats it
    assert [h["epoch"] for h in best["history"]] == [1, 2] and best["progress"]["best"] == 0.25


def test_shipped_copy_is_half_precision_and_pinned(tmp_path):
    model = EffResNet("resnet18")
    source, shipped = tmp_path / "full.pt", tmp_path / "ship" / "effres.pt"
    checkpoint.save(source, {"config": {"settings": {"backbone": "resnet18", "patch": 128}}, "model": model.state_dict(),
                             "optimizer": {}, "data": [], "history": []})
    manifest = checkpoint.ship(source, shipped, {"command": "test"})
    assert manifest["sha256"] == checkpoint.pinned_sha256(shipped)
    loaded = checkpoint.load(shipped, manifest["sha256"])
    assert "optimizer" not in loaded
    assert loaded["model"]["head.weight"].dtype == torch.float16
    shipped.write_bytes(shipped.read_bytes() + b"x")
    with pytest.raises(Exception, match="does not match the sha256"):
        checkpoint.load(shipped, manifest["sha256"])


def test_inference_thresholds_and_failures():
    model = EffResNet("resnet18").eval()
    image = textured(256)
    full = np.ones((256, 256), bool)
    assert score_face(model, image, full, 128, torch.device("cpu")).threshold == MIN_FOREGROUND
    # a face covering ~60% of every patch: the documented fallback to the training threshold
    partial = np.zeros((256, 256), bool)
    partial[:, 50:210] = True
    assert score_face(model, image, partial, 128, torch.device("cpu"), patches=4).threshold == FALLBACK_FOREGROUND
    with pytest.raises(NoFaceError, match="half face"):
        score_face(model, image, np.zeros((256, 256), bool), 128, torch.device("cpu"))
    with pytest.raises(NoFaceError, match="no patch fits"):
        score_face(model, textured(64), np.ones((64, 64), bool), 128, torch.device("cpu"))
    grey = np.repeat(image.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    score = score_face(model, grey, full, 128, torch.device("cpu")).score
    assert 0.0 <= score <= 1.0


def test_score_map_colours_scored_patches_and_greys_the_rest():
    from iqabench_effres.inference import FaceScore
    from iqabench_effres.scoremap import colour, render

    image = textured(256)
    result = FaceScore(0.5, MIN_FOREGROUND, np.array([[0, 0], [0, 128]]), np.array([0.0, 1.0]))
    drawn = np.asarray(render(image, result, 128))
    assert drawn.shape == (256, 512, 3) and np.array_equal(drawn[:, :256], image)
    heat = drawn[:, 256:].astype(int)
    assert heat[:128, :128, 0].mean() > heat[:128, :128, 1].mean()  # score 0: red
    assert heat[:128, 128:, 1].mean() > heat[:128, 128:, 0].mean()  # score 1: green
    assert np.array_equal(colour(np.array([0.0, 0.5, 1.0])), [[220, 40, 40], [235, 210, 50], [40, 180, 60]])


def test_source_height_downscales_taller_faces_and_init_starts_from_a_checkpoint(tmp_path):
    from iqabench_effres.faces import at_height, load_faces

    tall, short = textured(512, 0), textured(128, 1)
    assert at_height(tall, 256).shape == (256, 256, 3) and at_height(short, 256) is short
    assert at_height(np.zeros((600, 300, 3), np.uint8), 200).shape == (200, 100, 3)
    faces = tmp_path / "faces"
    faces.mkdir()
    Image.fromarray(tall).save(faces / "tall.png")
    Image.fromarray(short).save(faces / "short.png")
    loaded = load_faces([faces], "none", height=256)
    assert sorted(image.shape[0] for image in loaded.images) == [128, 256]
    assert sorted(mask.shape[0] for mask in loaded.masks) == [128, 256]

    source = tmp_path / "start.pt"
    start = EffResNet("resnet18")
    checkpoint.save(source, {"config": {"settings": {"backbone": "resnet18", "patch": 128}},
                             "model": {k: v.half() for k, v in start.state_dict().items()}})
    built = build_model(TrainSettings(backbone="resnet18", init=str(source)))
    assert torch.equal(built.state_dict()["head.weight"], start.state_dict()["head.weight"].half().float())
    with pytest.raises(ValueError, match="holds a resnet18, not a resnet34"):
        build_model(TrainSettings(backbone="resnet34", init=str(source)))


def test_the_train_command_prints_each_epoch_with_its_validation_figures(tmp_path):
    from click.testing import CliRunner

    from iqabench_effres.command import effres

    faces, held_out = tmp_path / "faces", tmp_path / "held-out"
    for folder, seeds in ((faces, (0, 1)), (held_out, (2,))):
        folder.mkdir()
        for seed in seeds:
            Image.fromarray(textured(256, seed)).save(folder / f"{seed}.png")
    out = tmp_path / "effres.pt"
    arguments = ["--data", str(faces), "--val", str(held_out / "2.png"), "--out", str(out), "--backbone", "resnet18",
                 "--patch", "128", "--batch", "8", "--accumulate", "8", "--epochs", "2", "--epoch-patches", "16",
                 "--attack", "none", "--mask", "none", "--workers", "0", "--device", "cpu"]
    result = CliRunner().invoke(effres, arguments)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    finished = [line for line in lines if line.startswith("epoch ") and ": loss " in line]
    assert [line.split(":")[0] for line in finished] == ["epoch 1", "epoch 2"]  # on_epoch's lines; the summary's are indented
    assert all(" val SRCC " in line and " PRA " in line for line in finished)
    assert "every epoch so far (resumed runs included):" in lines and f"checkpoint: {out}" in lines


def test_face_sources_are_images_folders_or_lists_and_anything_else_is_named(tmp_path):
    from iqabench_effres.faces import image_paths

    folder = tmp_path / "faces"
    (folder / "deeper").mkdir(parents=True)
    for name in ("a.png", "deeper/b.jpg"):
        Image.fromarray(textured(32)).save(folder / name)
    listed = tmp_path / "list.txt"
    listed.write_text("# a comment\nfaces/a.png\n")
    assert image_paths([folder]) == [folder / "a.png", folder / "deeper" / "b.jpg"]
    assert image_paths([listed, folder / "deeper" / "b.jpg"]) == [tmp_path / "faces/a.png", folder / "deeper" / "b.jpg"]
    notes = tmp_path / "notes.md"
    notes.write_text("not a face")
    with pytest.raises(FileNotFoundError, match="face source .*notes.md.* is neither an image"):
        image_paths([notes])
