"""gfiqa-prior's networks: Table I's shapes at 512 px (meta device: shapes only) and scaled down, the
plain-PyTorch upfirdn2d against scipy, gradients that reach the encoder and predictor but not the frozen
generator, and a training step whose loss falls. Random weights, reduced sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from iqabench_gfiqa_prior.arcface import face_box
from iqabench_gfiqa_prior.losses import LossWeights, objective
from iqabench_gfiqa_prior.model import GfiqaPrior, ModelConfig, build_losses_networks, build_untrained_for_tests
from iqabench_gfiqa_prior.stylegan2 import Generator, resample_kernel, upfirdn2d

#: the reduced model of these tests: 32 px (8 codes, 2 per generator stage), narrow networks.
TINY = ModelConfig(size=32, k=6, style_dim=32, narrow=1 / 32, encoder_width=8, hidden=(64, 32), vgg_width=8,
                   arcface_width=8)


pytestmark = pytest.mark.usefixtures("one_thread")


def shapes(tensors) -> list[tuple[int, ...]]:
    return [tuple(t.shape[1:]) for t in tensors]


def test_table_one_shapes_at_512_px():
    """Table I, every row, at the paper's sizes (no weights or memory: the meta device)."""
    with torch.device("meta"):
        model = GfiqaPrior(ModelConfig())
        trace = {}
        out = model(torch.zeros(2, 3, 512, 512), trace=trace, all_codes=True)
    assert shapes(trace["stages"]) == [(256, 128, 128), (512, 64, 64), (1024, 32, 32), (2048, 16, 16)]
    assert tuple(out["offsets"].shape) == (2, 16, 512)  # four map2style groups of 4 codes of 512
    assert shapes(trace["generator_stages"]) == [(512, 8, 8), (512, 32, 32), (128, 128, 128), (32, 512, 512)]
    assert tuple(trace["map2quality"].shape[1:]) == (1024, 16, 16)
    assert tuple(trace["modulation"].shape[1:]) == (1024, 16, 16)
    assert tuple(trace["concat"].shape[1:]) == (2048, 16, 16)
    assert tuple(trace["pooled"].shape[1:]) == (2048,)
    assert [layer.out_features for layer in model.predictor.head if hasattr(layer, "out_features")] == [1024, 512, 1]
    assert tuple(out["score"].shape) == (2,) and tuple(out["reference"].shape) == (2, 3, 512, 512)
    assert len(model.predictor.map2quality) == 5


def test_table_one_scaled_down():
    """The same rows at 32 px with narrow networks: every spatial size divided by 16, channels by the widths."""
    model, _ = build_untrained_for_tests(TINY)
    trace = {}
    out = model(torch.rand(2, 3, 32, 32), trace=trace, reconstruct=True)
    assert shapes(trace["stages"]) == [(32, 8, 8), (64, 4, 4), (128, 2, 2), (256, 1, 1)]  # width 8: 4w·2^i
    assert tuple(out["offsets"].shape) == (2, 8, 32)
    assert shapes(trace["generator_stages"]) == [(16, 4, 4), (16, 8, 8), (16, 16, 16), (16, 32, 32)]
    refined = 16 * 2 ** 5  # the last generator features, doubled by each of the 5 map2quality blocks
    assert tuple(trace["map2quality"].shape[1:]) == (refined, 1, 1)
    assert tuple(trace["modulation"].shape[1:]) == (refined, 1, 1)
    assert tuple(trace["concat"].shape[1:]) == (2 * refined, 1, 1)
    assert tuple(out["reconstruction"].shape) == tuple(out["reference"].shape) == (2, 3, 32, 32)
    assert torch.isfinite(out["score"]).all()


def test_only_the_first_k_codes_are_injected():
    model, _ = build_untrained_for_tests(TINY)
    offsets = torch.randn(1, TINY.num_latent, TINY.style_dim)
    latents = model.latents(offsets, TINY.k)
    assert torch.equal(latents[0, :TINY.k], model.w_avg + offsets[0, :TINY.k])
    assert torch.equal(latents[0, TINY.k:], model.w_avg.expand(TINY.num_latent - TINY.k, -1))
    # the map2style blocks of the discarded codes do not run when scoring; the score is the same either way
    model.eval()
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        scored, everything = model(images), model(images, all_codes=True)
    assert torch.equal(scored["offsets"][:, TINY.k:], torch.zeros(2, TINY.num_latent - TINY.k, TINY.style_dim))
    assert torch.allclose(scored["score"], everything["score"], atol=1e-6)


@pytest.mark.parametrize("up, pad", [(2, (2, 1)), (1, (1, 1)), (1, (-1, 2))])
def test_upfirdn2d_is_scipys_separable_upfirdn(up, pad):
    """The blur of BasicSR's CUDA op: zero insertion, padding, FIR filter, as scipy.signal.upfirdn per axis."""
    from scipy.signal import upfirdn

    taps = np.array([1.0, 3.0, 3.0, 1.0]) / 8 * up
    image = np.random.default_rng(0).normal(size=(5, 6))
    out = upfirdn2d(torch.from_numpy(image)[None, None].float(), resample_kernel() * up ** 2, up=up, pad=pad)[0, 0]
    full = np.apply_along_axis(lambda row: upfirdn(taps, row, up), 1, image)
    full = np.apply_along_axis(lambda column: upfirdn(taps, column, up), 0, full)
    # scipy's full convolution starts 3 samples before the first input; upfirdn2d's starts pad[0] before it
    full = np.pad(full, ((0, 8), (0, 8)))
    start = 3 - pad[0]
    expected = full[start:start + out.shape[0], start:start + out.shape[1]]
    assert out.shape == (5 * up + sum(pad) - 3, 6 * up + sum(pad) - 3)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)


def test_generator_batches_images_independently_and_noise_is_fixed():
    torch.manual_seed(0)
    generator = Generator(32, 16, num_mlp=2, narrow=1 / 32).eval()
    latents = torch.randn(2, generator.num_latent, 16)
    with torch.no_grad():
        both, features = generator(latents)
        first, _ = generator(latents[:1])
        again, _ = generator(latents)
    assert torch.allclose(both[:1], first, atol=1e-5) and torch.equal(both, again)
    assert [f.shape[-1] for f in features] == generator.levels == [4, 8, 16, 32]


def test_gradients_reach_the_encoder_and_predictor_but_not_the_generator():
    model, _ = build_untrained_for_tests(TINY)
    lpips, arcface, _ = build_losses_networks(TINY, None)
    images, mos = torch.rand(2, 3, 32, 32), torch.rand(2)
    model.train()
    total, terms = objective(model(images, reconstruct=True), images, mos, LossWeights(), lpips, arcface)
    total.backward()
    assert set(terms) == {"total", "quality", "l2", "lpips", "identity", "regularisation"}
    for part in (model.encoder.backbone, model.encoder.map2style, model.predictor):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)
    for frozen in (model.generator, lpips, arcface):
        assert all(not p.requires_grad and p.grad is None for p in frozen.parameters())
    assert not model.generator.training  # frozen (§V): always in eval mode
    assert {id(p) for p in model.trainable()}.isdisjoint(id(p) for p in model.generator.parameters())


def test_a_training_step_lowers_the_loss():
    model, _ = build_untrained_for_tests(TINY)
    lpips, arcface, _ = build_losses_networks(TINY, None)
    generator_before = {name: value.clone() for name, value in model.generator.state_dict().items()}
    images, mos = torch.rand(4, 3, 32, 32), torch.tensor([0.2, 0.4, 0.6, 0.8])
    optimizer = torch.optim.Adam(model.trainable(), lr=1e-3)
    losses = []
    for _ in range(6):
        model.train()
        total, _ = objective(model(images, reconstruct=True), images, mos, LossWeights(), lpips, arcface)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(float(total.detach()))
    assert losses[-1] < 0.8 * losses[0], losses
    assert all(torch.equal(value, generator_before[name]) for name, value in model.generator.state_dict().items())


def test_the_baseline_and_ablations_build():
    """Table III's ResNet50 (no generator, L_q only) and Table V's variants."""
    images, mos = torch.rand(2, 3, 32, 32), torch.rand(2)
    for variant in ("baseline", "no-ref", "no-map", "no-mod"):
        model, _ = build_untrained_for_tests(ModelConfig(**{**TINY.to_dict(), "variant": variant}))
        out = model(images, reconstruct=model.generator is not None)
        total, terms = objective(out, images, mos, LossWeights())
        assert torch.isfinite(total) and out["score"].shape == (2,)
        assert (model.generator is None) == (variant == "baseline") and ("l2" in terms) == (variant != "baseline")
    with pytest.raises(ValueError, match="between 1 and the 16"):
        ModelConfig(k=17)


def test_arcface_box_follows_gfiqa_alignment():
    """The face box in a GFIQA crop (eyes' midpoint at the centre, 4 interocular distances wide)."""
    top, left, bottom, right = face_box()
    assert bottom - top == pytest.approx(right - left) == pytest.approx(0.7946, abs=1e-3)
    assert 0 < top < 0.2 and 0 < left < 0.2 and bottom < 1 and right < 1
