"""The network (§II-A, Fig. 2 and Fig. 3) and the ablations of Table II.

Each stream (one for the distorted luma D, one for the residual map R = |D − O|, eq. 1) is five 3×3
convolutions with 8, 8, 16, 16 and 32 kernels ("inspired by AlexNet … kernel size 3×3"), each followed
by batch normalisation and ELU (eq. 2, α = 1). The first four are followed by 2×2 max-pooling, so a
128×128 patch leaves the fourth layer at 8×8 and the fifth convolution's output is 32×8×8.

Choices where the paper is silent or cannot be followed literally, each stated:

- **Spatial pyramid pooling** (Fig. 3, bins 1×1, 2×2, 4×4, 8×8) takes the place of the fifth layer's
  max-pooling: after a fifth 2×2 pooling the map would be 4×4, too small for 8×8 bins. The bins are
  averages, as in the pyramid pooling module of Zhao et al. (PSPNet, the paper's ref. [28]); the 8×8
  level is the fifth layer's map itself. 32 × (1 + 4 + 16 + 64) = 2,720 values per stream.
- **Feature pyramid** "from the network structure of the distorted image stream" (ref. [29], Lin et al.,
  FPN): 1×1 lateral convolutions bring the outputs C2…C5 of the distorted stream's layers 2 to 5 to 32
  channels, a top-down pathway adds each level to the nearest-neighbour upsampled level above (FPN §3);
  layer 1 is left out, as FPN leaves out C1 "due to its large memory footprint", and FPN's 3×3
  smoothing convolutions are left out to keep the CPU cost down. Each merged level P2…P5 is averaged to
  2×2 bins: 4 × 32 × 4 = 512 values.
- **Fully connected** 2048, 1024, 1 ("fully connected layers with size [2048, 1024, 1]") with ELU
  between them and no dropout (none is mentioned). Input: SPP(D) ‖ SPP(R) ‖ FPN(D) = 5,952 values.
- **Table II** has no description beyond its column names and "a single stream with distorted images or
  residual maps as well as direct concatenation between the two streams"; its conclusion is that the
  multi-scale features make the difference. Read here as: ``distorted`` and ``residual`` are one stream
  whose fifth layer is max-pooled to 32×4×4 and flattened (512 values) into the same fully connected
  layers; ``concat`` is both streams so flattened and concatenated (1,024 values), no pyramid; ``full``
  is the proposed network. So ``concat`` and ``full`` differ only by the multi-scale features.

Inputs are luma on [0, 1] (BT.601, :mod:`.patches`) with no further normalisation (the first batch
normalisation rescales). ``forward(d, r)`` takes both (N, 1, 128, 128) and returns (N,) scores.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

PATCH = 128
KERNELS = (8, 8, 16, 16, 32)
SPP_BINS = (1, 2, 4, 8)
FPN_CHANNELS = 32
FPN_BINS = 2
FC = (2048, 1024)
VARIANTS = ("distorted", "residual", "concat", "full")
#: Table II's column for each variant.
TABLE_II = {"distorted": "Distorted Image", "residual": "Residual Map", "concat": "Direct Concat", "full": "Proposed"}


class Stream(nn.Module):
    """Five conv 3×3 → BN → ELU layers; max-pooling 2×2 after the first four. ``forward`` returns the
    output of every layer (C1…C5; C5 is 32×8×8 for a 128-pixel patch, not pooled)."""

    def __init__(self) -> None:
        super().__init__()
        layers, channels = [], 1
        for kernels in KERNELS:
            layers.append(nn.Sequential(nn.Conv2d(channels, kernels, 3, padding=1), nn.BatchNorm2d(kernels),
                                        nn.ELU(alpha=1.0)))
            channels = kernels
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < len(self.layers) - 1:
                x = F.max_pool2d(x, 2)
            outputs.append(x)
        return outputs


def spatial_pyramid(x: torch.Tensor, bins=SPP_BINS) -> torch.Tensor:
    """Average of each of the b×b bins for every b in ``bins``, flattened and concatenated (Fig. 3)."""
    return torch.cat([F.adaptive_avg_pool2d(x, b).flatten(1) for b in bins], dim=1)


class FeaturePyramid(nn.Module):
    """FPN's lateral connections and top-down pathway (Lin et al. §3) over C2…C5 of one stream."""

    def __init__(self, channels=KERNELS[1:], width: int = FPN_CHANNELS) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in channels)

    def forward(self, levels: list[torch.Tensor]) -> torch.Tensor:
        merged = self.lateral[-1](levels[-1])
        pooled = [F.adaptive_avg_pool2d(merged, FPN_BINS).flatten(1)]
        for lateral, level in zip(reversed(self.lateral[:-1]), reversed(levels[:-1])):
            if merged.shape[-1] != level.shape[-1]:
                merged = F.interpolate(merged, size=level.shape[-2:], mode="nearest")
            merged = lateral(level) + merged
            pooled.append(F.adaptive_avg_pool2d(merged, FPN_BINS).flatten(1))
        return torch.cat(pooled, dim=1)


def feature_count(variant: str) -> int:
    """Values entering the first fully connected layer."""
    plain = KERNELS[-1] * 4 * 4
    spp = KERNELS[-1] * sum(b * b for b in SPP_BINS)
    return {"distorted": plain, "residual": plain, "concat": 2 * plain,
            "full": 2 * spp + (len(KERNELS) - 1) * FPN_CHANNELS * FPN_BINS ** 2}[variant]


class MSFRNet(nn.Module):
    """The full network or one of the Table II ablations (``variant``, one of :data:`VARIANTS`)."""

    def __init__(self, variant: str = "full") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.distorted = Stream() if variant != "residual" else None
        self.residual = Stream() if variant != "distorted" else None
        self.pyramid = FeaturePyramid() if variant == "full" else None
        sizes = (feature_count(variant), *FC)
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ELU(alpha=1.0)]
        layers.append(nn.Linear(sizes[-1], 1))
        self.head = nn.Sequential(*layers)

    def features(self, d: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """The vector the fully connected layers read, (N, :func:`feature_count`)."""
        parts = []
        d_levels = self.distorted(d) if self.distorted is not None else None
        r_levels = self.residual(r) if self.residual is not None else None
        if self.variant == "full":
            parts = [spatial_pyramid(d_levels[-1]), spatial_pyramid(r_levels[-1]), self.pyramid(d_levels[1:])]
        else:
            parts = [F.max_pool2d(levels[-1], 2).flatten(1) for levels in (d_levels, r_levels) if levels is not None]
        return torch.cat(parts, dim=1)

    def forward(self, d: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(d, r)).squeeze(1)

    def start_output_at(self, value: float) -> None:
        """Set the last layer's bias so that the untrained network starts near ``value`` (the training targets'
        mean; an initialisation choice the paper does not make or exclude)."""
        with torch.no_grad():
            self.head[-1].bias.fill_(value)


def fused_for_inference(model: MSFRNet) -> MSFRNet:
    """``model`` (in eval mode) with each batch normalisation folded into the convolution before it
    (``torch.nn.utils.fusion.fuse_conv_bn_eval``): the same function up to float rounding, without the
    normalisation passes over the full-resolution maps. For scoring only; training needs the layers apart."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model.eval()
    for stream in (model.distorted, model.residual):
        if stream is None:
            continue
        for layer in stream.layers:
            layer[0] = fuse_conv_bn_eval(layer[0], layer[1])
            layer[1] = nn.Identity()
    return model


def on_device(model: MSFRNet, device: torch.device) -> MSFRNet:
    """``model`` on ``device``, in channels-last memory order (measured here: a training step about 20%
    faster on the CPU, max-pooling several times faster)."""
    return model.to(device=device, memory_format=torch.channels_last)


def as_input(patches: torch.Tensor, device: torch.device) -> torch.Tensor:
    """(N, 1, H, W) patches on ``device`` in the memory order of :func:`on_device`."""
    return patches.to(device=device, memory_format=torch.channels_last)


__all__ = ["FC", "KERNELS", "MSFRNet", "PATCH", "SPP_BINS", "TABLE_II", "VARIANTS", "as_input", "feature_count", "fused_for_inference", "on_device"]
