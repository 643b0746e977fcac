"""The whole model of §IV (Fig. 7): encoder E (ResNet50 + map2style, Eq. 1), the frozen StyleGAN2 generator G fed
with w̄ + E(x) (Eq. 2), of whose codes only the first K are injected (Eq. 4, the others stay w̄), and the quality
predictor on the target features and the generator's last-scale features (§IV-B).

:class:`ModelConfig` holds every size; its defaults are the paper's (512 px, K = 12: the best K of Table V; the
text we have lost the number after "We selected"). Smaller sizes exist for tests. :func:`build` makes the model
from the pretrained files (:mod:`.files`) and refuses without them; the only way to get random weights is
:func:`build_untrained_for_tests`, which marks the model so that nothing it trains can be scored
(:mod:`.metric` refuses such checkpoints).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .encoder import Encoder, ResNet50
from .predictor import VARIANTS, Predictor
from .stylegan2 import Generator, stage_features


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and choices. ``size``: input and generator resolution; ``k``: codes injected (Eq. 4);
    ``variant``: Table V's ablations (:data:`.predictor.VARIANTS`); ``blocks_per_group``: map2style blocks per
    generator stage (None: one per code, as pSp). The ``*_width`` and ``narrow`` fields shrink the networks
    for tests only (64 and 1.0 are the real networks)."""

    size: int = 512
    k: int = 12
    variant: str = "full"
    style_dim: int = 512
    num_mlp: int = 8
    channel_multiplier: float = 1
    narrow: float = 1.0
    encoder_width: int = 64
    blocks_per_group: int | None = None
    hidden: tuple[int, ...] = (1024, 512)
    #: the losses' networks (LPIPS's VGG16, ArcFace): 64 is the real width.
    vgg_width: int = 64
    arcface_width: int = 64

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant {self.variant!r}: one of {', '.join(VARIANTS)}")
        if not 1 <= self.k <= self.num_latent:
            raise ValueError(f"k = {self.k}: between 1 and the {self.num_latent} style codes of a {self.size}-px generator")
        object.__setattr__(self, "hidden", tuple(self.hidden))

    @property
    def uses_generator(self) -> bool:
        return self.variant != "baseline"

    @property
    def num_latent(self) -> int:
        return 2 * (self.size.bit_length() - 1) - 2

    @property
    def paper_sized(self) -> bool:
        """True for the networks the pretrained files fit."""
        return (self.size == 512 and self.style_dim == 512 and self.num_mlp == 8 and self.channel_multiplier == 1
                and self.narrow == 1.0 and self.encoder_width == 64 and self.vgg_width == 64
                and self.arcface_width == 64)

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        return cls(**{**values, "hidden": tuple(values.get("hidden", (1024, 512)))})


class GfiqaPrior(nn.Module):
    """E, G and the predictor. ``forward(images)`` (RGB in [0, 1], ``size`` × ``size``) returns a dict with the
    score and what the losses and tests need."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        if config.uses_generator:
            self.encoder = Encoder(config.size, config.num_latent, config.style_dim, config.encoder_width,
                                   config.blocks_per_group)
            self.generator = Generator(config.size, config.style_dim, config.num_mlp, config.channel_multiplier,
                                       narrow=config.narrow)
            self.generator.requires_grad_(False)
            self.register_buffer("w_avg", torch.zeros(1, config.style_dim))
            reference_channels = self.generator.channels[config.size]
            backbone = self.encoder.backbone
        else:
            self.encoder = None
            self.generator = None
            self.backbone = ResNet50(config.encoder_width)
            backbone = self.backbone
            reference_channels = 1
        self.predictor = Predictor(backbone.stage_channels[3], reference_channels, config.size, config.size // 32,
                                   config.variant, config.hidden)

    def train(self, mode: bool = True) -> "GfiqaPrior":
        super().train(mode)
        if self.generator is not None:
            self.generator.eval()  # frozen (§V)
        return self

    def trainable(self) -> list[nn.Parameter]:
        """The encoder's and the predictor's parameters (§V: only they are optimised)."""
        parts = [self.encoder if self.encoder is not None else self.backbone, self.predictor]
        return [p for part in parts for p in part.parameters()]

    def latents(self, offsets: torch.Tensor, k: int | None = None) -> torch.Tensor:
        """w̄ + E(x) (Eq. 2), with only the first ``k`` offsets kept (Eq. 4); None keeps all."""
        if k is not None and k < offsets.shape[1]:
            keep = torch.zeros(offsets.shape[1], device=offsets.device, dtype=offsets.dtype)
            keep[:k] = 1
            offsets = offsets * keep.view(1, -1, 1)
        return self.w_avg.unsqueeze(1) + offsets

    def forward(self, images: torch.Tensor, reconstruct: bool = False, trace: dict | None = None,
                all_codes: bool = False) -> dict:
        """``score`` (B,); with a generator also ``offsets`` (E(x)), ``reference`` (x̂_K of Eq. 4, in [-1, 1]);
        ``reconstruct=True`` adds ``reconstruction`` (x̂ of Eq. 2 with all codes, for Eqs. 6–8). Without it only
        the first K codes' map2style blocks run (the others are discarded by Eq. 4) unless ``all_codes``."""
        config = self.config
        if self.generator is None:
            stages = self.backbone(images)
            if trace is not None:
                trace["stages"] = stages
            return {"score": self.predictor(stages[3], trace=trace)}
        needed = None if reconstruct or all_codes else config.k
        stages, offsets = self.encoder(images, needed=needed)
        reference, features = self.generator(self.latents(offsets, config.k))
        out = {"offsets": offsets, "reference": reference}
        if trace is not None:
            trace.update(stages=stages, generator_stages=stage_features(features))
        reference_features = features[-1] if self.predictor.uses_reference else None
        out["score"] = self.predictor(stages[3], reference_features, trace=trace)
        if reconstruct:
            out["reconstruction"] = self.generator(self.latents(offsets))[0]
        return out


def to_model_input(images: torch.Tensor, size: int) -> torch.Tensor:
    """Square faces at the model's size: the central square, resized (antialiased bilinear). GFIQA-20k's faces
    are 512 × 512 already."""
    height, width = images.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    images = images[..., top:top + side, left:left + side]
    if side != size:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return images


@dataclass
class Pretrained:
    """The file each pretrained part came from (key -> {"file", "sha256"}), or ``random_weights`` (tests only)."""

    files: dict[str, dict] = field(default_factory=dict)
    random_weights: bool = False


def read_tensors(path: Path) -> dict:
    from iqabench.errors import WeightsError

    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(f"{str(path)!r} could not be read as a tensors-only file ({type(exc).__name__}: {exc})") from exc
    if isinstance(payload, dict) and isinstance(payload.get("state_dict"), dict):
        payload = payload["state_dict"]
    if not isinstance(payload, dict):
        raise WeightsError(f"{str(path)!r} is not a state dict")
    return payload


def _record(path: Path) -> dict:
    from iqabench.hashing import file_sha256

    return {"file": path.name, "sha256": file_sha256(path)}


def load_generator(model: GfiqaPrior, path: Path, w_avg: torch.Tensor | None = None) -> dict:
    """GFPGAN's generator into ``model`` (strictly checked) and w̄: the given one (a checkpoint's), or computed."""
    from . import gfpgan_weights

    gfpgan_weights.load_into(model.generator, path)
    model.w_avg.copy_(w_avg if w_avg is not None else model.generator.mean_latent())
    return _record(path)


def build(config: ModelConfig, paths: dict[str, Path]) -> tuple[GfiqaPrior, Pretrained]:
    """The model for training, from the pretrained files (:func:`.files.resolve`): ImageNet ResNet50 in the
    encoder, GFPGAN's StyleGAN2 (frozen) and w̄. Refuses a config whose networks the files do not fit."""
    if not config.paper_sized:
        raise ValueError("the pretrained files fit only the paper's sizes (size 512, full widths); smaller models "
                         "exist for tests (build_untrained_for_tests)")
    model = GfiqaPrior(config)
    pretrained = Pretrained()
    backbone = model.encoder.backbone if model.encoder is not None else model.backbone
    backbone.load_imagenet(read_tensors(paths["resnet50"]))
    pretrained.files["resnet50"] = _record(paths["resnet50"])
    if config.uses_generator:
        pretrained.files["stylegan2"] = load_generator(model, paths["stylegan2"])
    return model, pretrained


def build_losses_networks(config: ModelConfig, paths: dict[str, Path] | None):
    """LPIPS (VGG16 + linear layers) and ArcFace for Eqs. 7–8, from their files; random only for tests
    (``paths`` None)."""
    from .arcface import IRSE50
    from .lpips import LPIPS

    lpips, arcface = LPIPS(config.vgg_width), IRSE50(config.arcface_width)
    records = {}
    if paths is not None:
        lpips.load_pretrained(read_tensors(paths["vgg16"]), read_tensors(paths["lpips"]))
        arcface.load_state_dict(read_tensors(paths["arcface"]), strict=True)
        records = {key: _record(paths[key]) for key in ("vgg16", "lpips", "arcface")}
    return lpips, arcface, records


def build_untrained_for_tests(config: ModelConfig, seed: int = 0) -> tuple[GfiqaPrior, Pretrained]:
    """Random weights everywhere, for tests of shapes, gradients and the training loop at reduced sizes. Its
    ``Pretrained`` says ``random_weights``; checkpoints trained from it are refused by the metrics."""
    torch.manual_seed(seed)
    model = GfiqaPrior(config)
    if model.generator is not None:
        model.w_avg.copy_(model.generator.mean_latent(samples=256, seed=seed, chunk=256))
    return model, Pretrained(random_weights=True)


__all__ = ["GfiqaPrior", "ModelConfig", "Pretrained", "build", "build_losses_networks", "build_untrained_for_tests",
           "load_generator", "read_tensors", "to_model_input"]
