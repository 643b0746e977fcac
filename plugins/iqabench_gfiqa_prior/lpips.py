"""LPIPS (Zhang et al. 2018, the paper's ref. [66]) with VGG16 features, version 0.1: the perceptual loss of
Eq. 7 and the distance of the training-free variant (§VI-H).

The VGG16 has torchvision's names (``features.N.weight|bias``) so ImageNet's ``vgg16-397923af.pth`` loads into
it (the classifier is not used); the linear layers have the ``lpips`` package's names (``lin0.model.1.weight``,
…, ``lin4.model.1.weight``, shapes (1, C, 1, 1)) so its ``weights/v0.1/vgg.pth`` loads (sha256 a78928a0…, the same
bytes as pyiqa's ``LPIPS_v0.1_vgg-a78928a0.pth``). ``width`` < 64 narrows the VGG, for tests only.

d(x, y) = Σ_l mean_hw ‖w_l ⊙ (x̂_l − ŷ_l)‖², with x̂_l the channel-normalised features of relu1_2, relu2_2,
relu3_3, relu4_3 and relu5_3, inputs in [-1, 1] shifted and scaled as LPIPS does.
"""

from __future__ import annotations

import torch
from torch import nn

#: VGG16's configuration ("M": max pooling) and the ReLUs LPIPS reads (indices in ``features``).
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
TAPS = (3, 8, 15, 22, 29)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


def vgg16_features(width: int = 64) -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    for item in VGG16:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            out = max(1, item * width // 64)
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU(inplace=False)]
            channels = out
    return nn.Sequential(*layers[:TAPS[-1] + 1])


class NetLinLayer(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))


class LPIPS(nn.Module):
    """``forward(x, y)`` with images in [-1, 1]: the distance per image, shape (B,). Frozen (a loss and a metric)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.features = vgg16_features(width)
        widths = [self.features[index - 1].out_channels for index in TAPS]
        for index, channels in enumerate(widths):
            setattr(self, f"lin{index}", NetLinLayer(channels))
            getattr(self, f"lin{index}").model[1].weight.data.abs_()  # LPIPS's weights are never negative
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "LPIPS":
        return super().train(False)  # always in eval mode: no dropout

    def load_pretrained(self, vgg_state: dict, lin_state: dict) -> None:
        """torchvision's VGG16 (``features.*``; the classifier is dropped) and LPIPS's linear layers."""
        state = {name: value for name, value in vgg_state.items()
                 if name.startswith("features.") and int(name.split(".")[1]) <= TAPS[-1]}
        state.update({name: value for name, value in lin_state.items() if name.startswith("lin")})
        self.load_state_dict(state, strict=True)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = (x - self.shift) / self.scale, (y - self.shift) / self.scale
        total = x.new_zeros(x.shape[0])
        level = 0
        for index, layer in enumerate(self.features):
            x, y = layer(x), layer(y)
            if index in TAPS:
                dx, dy = normalize(x), normalize(y)
                lin = getattr(self, f"lin{level}").model[1]
                total = total + lin((dx - dy) ** 2).mean((1, 2, 3))
                level += 1
        return total


def normalize(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return features / (torch.sqrt(torch.sum(features ** 2, dim=1, keepdim=True)) + eps)


__all__ = ["LPIPS", "TAPS"]
