"""The quality predictor of §IV-B (Fig. 8, Eq. 5, Table I).

* The reference features F_g (the generator's last-scale features, 32×512² at 512 px) pass through n
  **map2quality** blocks, each a CBAM (Woo et al. 2018, the paper's ref. [46]) with a residual connection,
  then a stride-2 3×3 convolution doubling the channels (followed by a leaky ReLU: the paper does not say
  which activation, if any); n = log2(generator size / stage-4 size) = 5 at 512 px: 1024×16² (Table I).
* The target features F_t (ResNet stage 4, 2048×16²) go through a 1×1 convolution to as many channels.
* **Modulation** (SPADE, Park et al. 2019, ref. [47]; Eq. 5): F_m = γ(F_r) ⊙ (F_t − μ)/σ + β(F_r), with μ, σ the
  channel-wise mean and standard deviation of F_t over the batch and positions (a batch normalisation without
  parameters, as SPADE uses; at test time its running statistics, so a score does not depend on its batch) and
  γ, β 3×3 convolutions of the refined reference features F_r.
* **Concatenation** of F_t and F_m (2048×16²), global average pooling, fully connected 1024, 512, 1 (ReLU
  between them).

Table V's ablations are ``variant``: ``no-map`` (plain stride-2 convolution blocks instead of map2quality),
``no-mod`` (F_r concatenated without modulation), ``no-ref`` (no reference features: F_t alone) and
``baseline`` (the same as ``no-ref``; the model then has no generator, :mod:`.model`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

VARIANTS = ("full", "no-map", "no-mod", "no-ref", "baseline")


class ChannelAttention(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, hidden, 1, bias=False), nn.ReLU(inplace=True),
                                 nn.Conv2d(hidden, channels, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        average = self.mlp(x.mean((2, 3), keepdim=True))
        maximum = self.mlp(x.amax((2, 3), keepdim=True))
        return torch.sigmoid(average + maximum)


class SpatialAttention(nn.Module):
    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], dim=1)
        return torch.sigmoid(self.conv(pooled))


class CBAM(nn.Module):
    """Channel then spatial attention (Woo et al. 2018)."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * self.channel(x)
        return x * self.spatial(x)


class Map2Quality(nn.Module):
    """Fig. 8: x + CBAM(x), then a stride-2 convolution doubling the channels. ``attention=False`` is the
    'w/o map' ablation of Table V (an ordinary convolution block)."""

    def __init__(self, channels: int, attention: bool = True) -> None:
        super().__init__()
        self.cbam = CBAM(channels) if attention else None
        self.down = nn.Sequential(nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1), nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cbam is not None:
            x = x + self.cbam(x)
        return self.down(x)


class Modulation(nn.Module):
    """Eq. 5 (SPADE): γ(F_r) ⊙ BN(F_t) + β(F_r), BN without parameters."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Conv2d(channels, channels, 3, padding=1)
        self.beta = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, target: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        return self.gamma(reference) * self.norm(target) + self.beta(reference)


class Predictor(nn.Module):
    """F_t (stage 4) and F_g (the generator's last features) -> the quality score (Table I's predictor rows)."""

    def __init__(self, target_channels: int, reference_channels: int, reference_size: int, target_size: int,
                 variant: str = "full", hidden=(1024, 512)) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant {variant!r}: one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.uses_reference = variant not in ("no-ref", "baseline")
        blocks = int(round(math.log2(reference_size / target_size)))
        if 2 ** blocks * target_size != reference_size:
            raise ValueError(f"generator features of {reference_size} px cannot be halved down to the encoder's "
                             f"{target_size} px")
        refined = reference_channels * 2 ** blocks
        self.refined_channels = refined
        self.target = nn.Conv2d(target_channels, refined, 1)
        if self.uses_reference:
            channels = reference_channels
            self.map2quality = nn.Sequential(*[Map2Quality(channels * 2 ** i, attention=variant != "no-map")
                                               for i in range(blocks)])
            self.modulation = Modulation(refined) if variant != "no-mod" else None
        pooled = refined * (2 if self.uses_reference else 1)
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(pooled, width), nn.ReLU(inplace=True)]
            pooled = width
        layers.append(nn.Linear(pooled, 1))
        self.head = nn.Sequential(*layers)

    def forward(self, target: torch.Tensor, reference: torch.Tensor | None = None,
                trace: dict | None = None) -> torch.Tensor:
        """The score of each image, shape (B,). ``trace``, when given, receives the intermediate features."""
        target = self.target(target)
        if self.uses_reference:
            refined = self.map2quality(reference)
            fused = self.modulation(target, refined) if self.modulation is not None else refined
            joined = torch.cat([target, fused], dim=1)
            if trace is not None:
                trace.update(map2quality=refined, modulation=fused)
        else:
            joined = target
        pooled = joined.mean((2, 3))
        if trace is not None:
            trace.update(concat=joined, pooled=pooled)
        return self.head(pooled).squeeze(1)


__all__ = ["CBAM", "Map2Quality", "Modulation", "Predictor", "VARIANTS"]
