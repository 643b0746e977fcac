"""The network (supplement §1, Table 1 "Model parameters"): a ResNet backbone, global average pooling and
one linear output with no activation. Inputs are RGB patches on the [0, 255] scale (the scale of the
adversarial noise), normalised inside the network with ImageNet's mean and standard deviation."""

from __future__ import annotations

import torch
from torch import nn

#: backbone name -> (torchvision constructor name, ImageNet weight file as torchvision names it).
BACKBONES = {
    "resnet18": ("resnet18", "resnet18-f37072fd.pth"),
    "resnet34": ("resnet34", "resnet34-b627a593.pth"),
    "resnet50": ("resnet50", "resnet50-0676ba61.pth"),
}
IMAGENET_URL = "https://download.pytorch.org/models/{}"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class EffResNet(nn.Module):
    """ResNet → average pooling → Linear(features, 1). ``forward`` returns one unclipped value per patch;
    inference clips to [0, 1] (supplement §1)."""

    def __init__(self, backbone: str = "resnet50") -> None:
        super().__init__()
        import torchvision.models

        if backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")
        self.backbone_name = backbone
        network = getattr(torchvision.models, BACKBONES[backbone][0])(weights=None)
        features = network.fc.in_features
        network.fc = nn.Identity()
        self.backbone = network
        self.head = nn.Linear(features, 1)
        # Start near the middle of the targets' range: MAPE punishes an early output far from the small
        # targets (down to 1/16) hard. An initialisation choice; the paper does not give one.
        nn.init.constant_(self.head.bias, 0.5)
        self.head.weight.data.mul_(0.1)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255, persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255, persistent=False)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """``patches``: (N, 3, H, W) float on [0, 255]. Returns (N,) effective resolutions."""
        return self.head(self.backbone((patches - self.mean) / self.std)).squeeze(1)

    def load_imagenet(self, path) -> None:
        """Start the backbone from torchvision's ImageNet weights (the paper's pretraining); the final
        ``fc`` of the classifier is not used."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = {key: value for key, value in state.items() if not key.startswith("fc.")}
        self.backbone.load_state_dict(state, strict=True)


def network_of(payload: dict) -> EffResNet:
    """The network a checkpoint payload holds (:mod:`.checkpoint`), in float32 (shipped weights are float16)."""
    model = EffResNet(payload["config"]["settings"]["backbone"])
    model.load_state_dict({name: value.float() for name, value in payload["model"].items()})
    return model


__all__ = ["BACKBONES", "EffResNet", "IMAGENET_URL", "network_of"]
