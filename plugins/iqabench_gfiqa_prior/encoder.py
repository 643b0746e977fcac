"""The multistage encoder E of §IV-A (Eq. 1, Table I): a ResNet50 (He et al.) whose four stages feed four
map2style groups, each turning one stage's features into style codes, as pSp (Richardson et al., the paper's
ref. [35]) does with its GradualStyleBlocks.

The ResNet50 has torchvision's module names (``conv1``, ``bn1``, ``layer1.0.conv1``, …, ``layerN.0.downsample``),
so ImageNet's ``resnet50-0676ba61.pth`` loads into it (its ``fc.*`` is dropped); ``width`` < 64 narrows it, for
tests only. Table I at 512 px: stages of 256×128², 512×64², 1024×32², 2048×16².

map2style (pSp's GradualStyleBlock): stride-2 3×3 convolutions with leaky ReLU down to 1×1, then an equalised
linear layer: one 512-d code per block. The generator takes 16 codes at 512 px; generator stage j (Table I,
two levels each) takes the 4 codes of group j, made from ResNet stage 5 − j (coarse codes from the deepest
features, as pSp does): group 1 from stage 4, …, group 4 from stage 1. ``blocks_per_group=1`` is the other
reading of Table I (one code per group, repeated for its 4 layers).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .stylegan2 import EqualLinear

#: torchvision's ImageNet normalisation, the input of an ImageNet-trained ResNet50.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LAYERS = (3, 4, 6, 3)


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride in the 3×3 convolution)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
                           if stride != 1 or inplanes != out else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class ResNet50(nn.Module):
    """ResNet50 without its classifier; ``forward`` returns the four stages' features (Table I)."""

    def __init__(self, width: int = 64, layers=LAYERS) -> None:
        super().__init__()
        self.width = width
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = width
        for index, blocks in enumerate(layers):
            planes = width * 2 ** index
            stage = [Bottleneck(inplanes, planes, stride=1 if index == 0 else 2)]
            inplanes = planes * Bottleneck.expansion
            stage += [Bottleneck(inplanes, planes) for _ in range(blocks - 1)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*stage))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    @property
    def stage_channels(self) -> list[int]:
        return [self.width * 2 ** index * Bottleneck.expansion for index in range(4)]

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """``images`` RGB in [0, 1]; returns stages 1–4."""
        x = self.maxpool(self.relu(self.bn1(self.conv1((images - self.mean) / self.std))))
        stages = []
        for index in range(1, 5):
            x = getattr(self, f"layer{index}")(x)
            stages.append(x)
        return stages

    def load_imagenet(self, state: dict) -> None:
        """torchvision's ImageNet weights (``resnet50-0676ba61.pth``); the classifier ``fc.*`` is not used."""
        state = {name: value for name, value in state.items() if not name.startswith("fc.")}
        self.load_state_dict(state, strict=True)


class Map2Style(nn.Module):
    """pSp's GradualStyleBlock: log2(spatial) stride-2 convolutions to 1×1, then an equalised linear layer."""

    def __init__(self, in_channels: int, style_dim: int, spatial: int) -> None:
        super().__init__()
        steps = max(1, int(math.log2(spatial)))
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(steps):
            layers += [nn.Conv2d(channels, style_dim, 3, stride=2, padding=1), nn.LeakyReLU()]
            channels = style_dim
        self.convs = nn.Sequential(*layers)
        self.linear = EqualLinear(style_dim, style_dim)
        self.style_dim = style_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)
        return self.linear(x.mean((2, 3)))


def code_groups(num_latent: int) -> list[range]:
    """The codes of each generator stage (Table I): 16 codes at 512 px -> 0–3, 4–7, 8–11, 12–15."""
    if num_latent % 4:
        raise ValueError(f"{num_latent} style codes cannot be split into Table I's four generator stages "
                         "(use a generator of 32, 128, 512 or 2048 pixels)")
    size = num_latent // 4
    return [range(j * size, (j + 1) * size) for j in range(4)]


class Encoder(nn.Module):
    """E of Eq. 1: ``forward(images)`` returns the ResNet stages and the style-code offsets (B, num_latent,
    style_dim) that Eq. 2 adds to the average latent w̄."""

    def __init__(self, image_size: int = 512, num_latent: int = 16, style_dim: int = 512, width: int = 64,
                 blocks_per_group: int | None = None) -> None:
        super().__init__()
        self.backbone = ResNet50(width)
        self.num_latent, self.style_dim = num_latent, style_dim
        groups = code_groups(num_latent)
        per_group = len(groups[0])
        self.blocks_per_group = blocks_per_group or per_group
        if per_group % self.blocks_per_group:
            raise ValueError(f"blocks_per_group {self.blocks_per_group} does not divide the {per_group} codes of a group")
        channels = self.backbone.stage_channels
        # map2style j (Table I) reads ResNet stage j; generator stage 5 - j takes its codes.
        self.map2style = nn.ModuleList()
        for stage in range(4):
            spatial = image_size // 2 ** (stage + 2)
            self.map2style.append(nn.ModuleList(Map2Style(channels[stage], style_dim, spatial)
                                                for _ in range(self.blocks_per_group)))

    def forward(self, images: torch.Tensor, needed: int | None = None) -> tuple[list[torch.Tensor], torch.Tensor]:
        """``needed``: only the first ``needed`` codes are computed (Eq. 4 injects the first K); the blocks of the
        others do not run and their offsets are zero (the average latent w̄ itself)."""
        stages = self.backbone(images)
        needed = self.num_latent if needed is None else needed
        repeat = self.num_latent // 4 // self.blocks_per_group
        codes = []
        for stage in (3, 2, 1, 0):  # generator stage 1 takes ResNet stage 4's codes
            for block in self.map2style[stage]:
                if len(codes) < needed:
                    code = block(stages[stage])
                else:
                    code = stages[stage].new_zeros(images.shape[0], self.style_dim)
                codes += [code] * repeat
        return stages, torch.stack(codes, dim=1)


__all__ = ["Encoder", "IMAGENET_MEAN", "IMAGENET_STD", "Map2Style", "ResNet50", "code_groups"]
