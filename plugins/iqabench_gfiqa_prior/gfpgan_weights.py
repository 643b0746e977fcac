"""Loading GFPGAN's StyleGAN2 file into :class:`.stylegan2.Generator` (§V: "The pretrained StyleGAN2 model is
taken from GFPGAN").

``StyleGAN2_512_Cmul1_FFHQ_B12G4_scratch_800k.pth`` (GFPGAN's v0.1.0 release) is a ``torch.save`` dict whose
``params_ema`` entry is the state dict of BasicSR's ``StyleGAN2Generator(out_size=512, num_style_feat=512,
num_mlp=8, channel_multiplier=1)``; GFPGANv1 loads it with ``load_state_dict(..., strict=True)``. Its keys:
``style_mlp.{1..8}.weight|bias``, ``constant_input.weight``, ``style_conv1.*``, ``to_rgb1.*``,
``style_convs.{0..13}.modulated_conv.weight|modulation.weight|modulation.bias``, ``style_convs.N.weight`` (noise
strength), ``style_convs.N.activate.bias``, ``to_rgbs.{0..6}.*`` and ``noises.noise{0..14}``. It is read with
``torch.load(weights_only=True)`` (tensors only), every key and shape is checked, and a mismatch is refused with
a message that names the keys.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.errors import WeightsError

FILE = "StyleGAN2_512_Cmul1_FFHQ_B12G4_scratch_800k.pth"
URL = f"https://github.com/TencentARC/GFPGAN/releases/download/v0.1.0/{FILE}"
#: which entry of the file holds the generator (the exponential moving average of the weights).
PARAM_KEY = "params_ema"
#: how many mismatched keys a message lists.
SHOWN = 6


def expected_shapes(generator) -> dict[str, tuple[int, ...]]:
    """Key -> shape of ``generator``'s state dict (what the file must hold)."""
    return {name: tuple(value.shape) for name, value in generator.state_dict().items()}


def generator_state(payload, source: str = "the file") -> dict:
    """The generator's state dict inside a loaded GFPGAN file: ``params_ema`` (or ``params``), or the dict itself
    when it already is a state dict."""
    if not isinstance(payload, dict):
        raise WeightsError(f"{source} holds a {type(payload).__name__}, not a dict of tensors with a {PARAM_KEY!r} entry")
    for key in (PARAM_KEY, "params"):
        if isinstance(payload.get(key), dict):
            return payload[key]
    if any(name.startswith("stylegan_decoder.") for name in payload):
        raise WeightsError(f"{source} is a GFPGAN restoration model (its keys start with 'stylegan_decoder.'), not "
                           f"the StyleGAN2 generator {FILE}; download {URL}")
    return payload


def check_state(state: dict, expected: dict[str, tuple[int, ...]], source: str = "the file") -> None:
    """Raise :class:`WeightsError` naming the missing, unexpected and mis-shaped keys, if any."""
    import torch

    not_tensors = sorted(name for name, value in state.items() if not isinstance(value, torch.Tensor))
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(name for name in set(state) & set(expected)
                   if isinstance(state[name], torch.Tensor) and tuple(state[name].shape) != expected[name])
    if not (missing or unexpected or wrong or not_tensors):
        return

    def listed(names, describe=repr):
        more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        return ", ".join(describe(name) for name in names[:SHOWN]) + more

    problems = []
    if missing:
        problems.append(f"missing keys: {listed(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {listed(unexpected)}")
    if wrong:
        problems.append("wrong shapes: " + listed(wrong, lambda name: f"{name!r} is {tuple(state[name].shape)}, "
                                                                      f"expected {expected[name]}"))
    if not_tensors:
        problems.append(f"not tensors: {listed(not_tensors)}")
    hint = _guess(state)
    raise WeightsError(f"{source} is not the StyleGAN2 generator this model loads ({FILE}: BasicSR's "
                       f"StyleGAN2Generator, 512 px, channel multiplier 1, 8 mapping layers, in {PARAM_KEY!r}): "
                       + "; ".join(problems) + (f". {hint}" if hint else ""))


def _guess(state: dict) -> str:
    """A hint for a near miss: another channel multiplier or size."""
    rgb = sorted(name for name in state if name.startswith("to_rgbs.") and name.endswith(".modulated_conv.weight"))
    weight = state.get("to_rgbs.3.modulated_conv.weight")
    parts = []
    if rgb:
        levels = len({name.split(".")[1] for name in rgb})
        parts.append(f"it has {levels} upsampling levels ({2 ** (levels + 2)} px; 7 expected for 512 px)")
    if weight is not None and hasattr(weight, "shape") and len(weight.shape) == 5:
        multiplier = weight.shape[2] / 256
        if multiplier != 1:
            parts.append(f"its 64-px level has {weight.shape[2]} maps (channel multiplier {multiplier:g}; 1 expected)")
    return ("It looks like another StyleGAN2: " + ", ".join(parts) + ".") if parts else ""


def load_into(generator, path: Path) -> str:
    """Load the GFPGAN file at ``path`` into ``generator`` (checked key by key, then ``strict=True``); returns
    the file's sha256 for the record."""
    import torch

    from iqabench.hashing import file_sha256

    source = f"{str(path)!r}"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one that holds more than tensors
        raise WeightsError(f"{source} could not be read as a tensors-only checkpoint ({type(exc).__name__}: {exc}); "
                           f"download {FILE} again from {URL}") from exc
    state = generator_state(payload, source)
    check_state(state, expected_shapes(generator), source)
    generator.load_state_dict(state, strict=True)
    return file_sha256(path)


__all__ = ["FILE", "PARAM_KEY", "URL", "check_state", "expected_shapes", "generator_state", "load_into"]
