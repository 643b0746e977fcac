"""gfiqa-prior's pretrained files: GFPGAN's StyleGAN2 state dict, with the key names and shapes of
BasicSR's StyleGAN2Generator(512, channel_multiplier=1, num_mlp=8) written out here independently of the model
code, loads strictly and lands where it should; a wrong key or shape is refused naming it; torchvision's ResNet50
and VGG16 and facexlib's ArcFace key names fit; LPIPS matches the lpips package with its real linear layers."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from iqabench_gfiqa_prior import files, gfpgan_weights
from iqabench_gfiqa_prior.arcface import IRSE50
from iqabench_gfiqa_prior.encoder import ResNet50
from iqabench_gfiqa_prior.lpips import LPIPS
from iqabench_gfiqa_prior.stylegan2 import Generator

from iqabench.errors import WeightsError

#: BasicSR's channel table at channel multiplier 1 (``channels`` in StyleGAN2Generator.__init__).
CHANNELS = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32}


def gfpgan_shapes() -> dict[str, tuple[int, ...]]:
    """The keys and shapes of ``params_ema`` in StyleGAN2_512_Cmul1_FFHQ_B12G4_scratch_800k.pth."""
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(1, 9):  # style_mlp.0 is the parameter-free NormStyleCode
        shapes[f"style_mlp.{layer}.weight"] = (512, 512)
        shapes[f"style_mlp.{layer}.bias"] = (512,)
    shapes["constant_input.weight"] = (1, 512, 4, 4)

    def style_conv(prefix: str, cin: int, cout: int) -> None:
        shapes[f"{prefix}.modulated_conv.weight"] = (1, cout, cin, 3, 3)
        shapes[f"{prefix}.modulated_conv.modulation.weight"] = (cin, 512)
        shapes[f"{prefix}.modulated_conv.modulation.bias"] = (cin,)
        shapes[f"{prefix}.weight"] = (1,)
        shapes[f"{prefix}.activate.bias"] = (cout,)

    def to_rgb(prefix: str, cin: int) -> None:
        shapes[f"{prefix}.modulated_conv.weight"] = (1, 3, cin, 1, 1)
        shapes[f"{prefix}.modulated_conv.modulation.weight"] = (cin, 512)
        shapes[f"{prefix}.modulated_conv.modulation.bias"] = (cin,)
        shapes[f"{prefix}.bias"] = (1, 3, 1, 1)

    style_conv("style_conv1", 512, 512)
    to_rgb("to_rgb1", 512)
    for j, level in enumerate(range(3, 10)):
        cin, cout = CHANNELS[2 ** (level - 1)], CHANNELS[2 ** level]
        style_conv(f"style_convs.{2 * j}", cin, cout)
        style_conv(f"style_convs.{2 * j + 1}", cout, cout)
        to_rgb(f"to_rgbs.{j}", cout)
    for index in range(15):
        resolution = 2 ** ((index + 5) // 2)
        shapes[f"noises.noise{index}"] = (1, 1, resolution, resolution)
    return shapes


@pytest.fixture(scope="module")
def generator():
    return Generator(512, 512, 8, channel_multiplier=1)


@pytest.fixture(scope="module")
def gfpgan_state():
    return {name: torch.zeros(shape) for name, shape in gfpgan_shapes().items()}


def test_the_generator_has_gfpgans_exact_keys_and_shapes(generator):
    assert gfpgan_weights.expected_shapes(generator) == gfpgan_shapes()
    assert len(gfpgan_shapes()) == 8 * 2 + 1 + 5 + 4 + 14 * 5 + 7 * 4 + 15


def test_a_gfpgan_file_loads_strictly_and_lands_in_place(tmp_path, generator, gfpgan_state):
    state = dict(gfpgan_state)
    state["style_mlp.3.weight"] = torch.arange(512 * 512, dtype=torch.float32).view(512, 512)
    state["to_rgbs.6.bias"] = torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)
    state["noises.noise14"] = torch.full((1, 1, 512, 512), 0.5)
    path = tmp_path / gfpgan_weights.FILE
    torch.save({"params_ema": state}, path)
    sha256 = gfpgan_weights.load_into(generator, path)
    assert len(sha256) == 64
    assert torch.equal(generator.style_mlp[3].weight, state["style_mlp.3.weight"])
    assert torch.equal(generator.to_rgbs[6].bias, state["to_rgbs.6.bias"])
    assert torch.equal(generator.noises.noise14, state["noises.noise14"])


def test_a_wrong_key_is_refused_naming_it(tmp_path, generator, gfpgan_state):
    state = dict(gfpgan_state)
    state["style_convs.3.modulated_conv.modulation.weigth"] = state.pop("style_convs.3.modulated_conv.modulation.weight")
    path = tmp_path / "renamed.pth"
    torch.save({"params_ema": state}, path)
    with pytest.raises(WeightsError) as raised:
        gfpgan_weights.load_into(generator, path)
    message = str(raised.value)
    assert "missing keys: 'style_convs.3.modulated_conv.modulation.weight'" in message
    assert "unexpected keys: 'style_convs.3.modulated_conv.modulation.weigth'" in message
    assert gfpgan_weights.FILE in message and "channel multiplier 1" in message


def test_a_wrong_shape_is_refused_naming_it_and_guessing_why(tmp_path, generator, gfpgan_state):
    state = dict(gfpgan_state)
    state["to_rgbs.3.modulated_conv.weight"] = torch.zeros(1, 3, 512, 1, 1)  # a channel multiplier 2 file
    path = tmp_path / "cmul2.pth"
    torch.save({"params_ema": state}, path)
    with pytest.raises(WeightsError, match=r"'to_rgbs\.3\.modulated_conv\.weight' is \(1, 3, 512, 1, 1\), "
                                           r"expected \(1, 3, 256, 1, 1\).*channel multiplier 2"):
        gfpgan_weights.load_into(generator, path)


def test_a_gfpgan_restoration_model_or_other_payload_is_refused(tmp_path, generator):
    path = tmp_path / "GFPGANv1.pth"
    torch.save({"params_ema": {"stylegan_decoder.constant_input.weight": torch.zeros(1)}}, path)
    with pytest.raises(WeightsError, match="missing keys"):
        gfpgan_weights.load_into(generator, path)
    torch.save({"stylegan_decoder.constant_input.weight": torch.zeros(1)}, path)
    with pytest.raises(WeightsError, match="GFPGAN restoration model"):
        gfpgan_weights.load_into(generator, path)
    torch.save([1, 2], path)
    with pytest.raises(WeightsError, match="not a dict"):
        gfpgan_weights.load_into(generator, path)


def test_torchvision_resnet50_and_vgg16_keys_fit():
    from torchvision.models import resnet50, vgg16

    with torch.device("meta"):
        torchvision_resnet, torchvision_vgg = resnet50(), vgg16()
        ours, lpips = ResNet50(), LPIPS()
    resnet_keys = {k: tuple(v.shape) for k, v in torchvision_resnet.state_dict().items() if not k.startswith("fc.")}
    assert resnet_keys == {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    vgg_keys = {k: tuple(v.shape) for k, v in torchvision_vgg.state_dict().items() if k.startswith("features.")}
    assert vgg_keys == {k: tuple(v.shape) for k, v in lpips.state_dict().items() if k.startswith("features.")}


@pytest.mark.skipif(importlib.util.find_spec("facexlib") is None, reason="facexlib is not installed")
def test_arcface_keys_are_those_of_the_ir_se50_file():
    from facexlib.recognition.arcface_arch import Backbone

    with torch.device("meta"):
        theirs, ours = Backbone(50, 0.6, "ir_se"), IRSE50()
    assert {k: tuple(v.shape) for k, v in theirs.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in ours.state_dict().items()}


@pytest.mark.skipif(importlib.util.find_spec("lpips") is None, reason="the lpips package is not installed")
def test_lpips_matches_the_lpips_package_with_its_real_linear_layers():
    """The linear layers are the real v0.1 file (pinned sha256); the VGG is random (ImageNet's is not here)."""
    import lpips as package

    found = files.lpips_package_file()
    assert found is not None and found.name == "vgg.pth"
    theirs = package.LPIPS(net="vgg", pretrained=True, pnet_rand=True, verbose=False).eval()
    vgg = {f"features.{key.split('.')[1]}.{key.split('.')[2]}": value for key, value in theirs.net.state_dict().items()}
    ours = LPIPS()
    ours.load_pretrained(vgg, torch.load(found, map_location="cpu", weights_only=True))
    x, y = torch.rand(2, 3, 48, 48) * 2 - 1, torch.rand(2, 3, 48, 48) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours(x, y), theirs(x, y).flatten(), atol=1e-5, rtol=1e-5)


def test_every_file_is_named_with_its_source_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    monkeypatch.setattr(files, "lpips_package_file", lambda: None)
    with pytest.raises(WeightsError) as raised:
        files.resolve(files.training_files("full"))
    message = str(raised.value)
    for name, where in [(gfpgan_weights.FILE, "gfiqa-prior"), ("resnet50-0676ba61.pth", "checkpoints"),
                        ("vgg16-397923af.pth", "checkpoints"), ("vgg.pth", "lpips"), ("model_ir_se50.pth", "gfiqa-prior")]:
        assert name in message and str(tmp_path / where) in message, name
    assert "https://github.com/TencentARC/GFPGAN/releases/download/v0.1.0/" in message
    assert "5 pretrained file(s)" in message
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "resnet50-19c8e357.pth").write_bytes(b"x")  # the older torchvision name counts
    assert files.RESNET50.find() == tmp_path / "checkpoints" / "resnet50-19c8e357.pth"
    assert files.missing(files.training_files("baseline")) == []
