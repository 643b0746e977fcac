"""facexlib's BiSeNet face parser (``facexlib/parsing/bisenet.py`` + ``resnet.py``, itself zllrunning's
face-parsing.PyTorch), written again with the same module names and shapes so that facexlib's
``parsing_bisenet.pth`` loads with ``strict=True``.

Input: (N, 3, 512, 512) RGB on [0, 1] normalised with ImageNet's mean and std (facexlib's
``inference/inference_parsing.py``); output: the 19 CelebAMask-HQ class logits at the input size (the main
head; the two auxiliary heads come after it, as in facexlib).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NUM_CLASSES = 19
#: facexlib's 19 labels (CelebAMask-HQ order); there is no "invalid" class in this model.
LABELS = (
    "background", "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "l_ear", "r_ear", "ear_r",
    "nose", "mouth", "u_lip", "l_lip", "neck", "neck_l", "cloth", "hair", "hat",
)
#: the classes the paper counts as background: background, neck, neck_l, cloth, hat.
BACKGROUND = frozenset({0, 14, 15, 16, 18})
INPUT_SIZE = 512
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WEIGHTS_FILE = "parsing_bisenet.pth"
WEIGHTS_URL = "https://github.com/xinntao/facexlib/releases/download/v0.2.0/parsing_bisenet.pth"
WEIGHTS_SUBDIR = "facexlib"


class ConvBNReLU(nn.Module):
    def __init__(self, in_chan: int, out_chan: int, ks: int = 3, stride: int = 1, padding: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chan, out_chan, kernel_size=ks, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_chan)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class BasicBlock(nn.Module):
    def __init__(self, in_chan: int, out_chan: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_chan, out_chan, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_chan)
        self.conv2 = nn.Conv2d(out_chan, out_chan, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_chan)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if in_chan != out_chan or stride != 1:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_chan, out_chan, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(out_chan)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(shortcut + residual)


def _layer(in_chan: int, out_chan: int, blocks: int, stride: int) -> nn.Sequential:
    rest = (BasicBlock(out_chan, out_chan) for _ in range(blocks - 1))
    return nn.Sequential(BasicBlock(in_chan, out_chan, stride), *rest)


class ResNet18(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = _layer(64, 64, 2, 1)
        self.layer2 = _layer(64, 128, 2, 2)
        self.layer3 = _layer(128, 256, 2, 2)
        self.layer4 = _layer(256, 512, 2, 2)

    def forward(self, x: torch.Tensor):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        feat8 = self.layer2(self.layer1(x))
        feat16 = self.layer3(feat8)
        feat32 = self.layer4(feat16)
        return feat8, feat16, feat32


class BiSeNetOutput(nn.Module):
    def __init__(self, in_chan: int, mid_chan: int, num_class: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(in_chan, mid_chan, ks=3, stride=1, padding=1)
        self.conv_out = nn.Conv2d(mid_chan, num_class, kernel_size=1, bias=False)

    def forward(self, x: torch.Tensor):
        feat = self.conv(x)
        return self.conv_out(feat), feat


class AttentionRefinementModule(nn.Module):
    def __init__(self, in_chan: int, out_chan: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(in_chan, out_chan, ks=3, stride=1, padding=1)
        self.conv_atten = nn.Conv2d(out_chan, out_chan, kernel_size=1, bias=False)
        self.bn_atten = nn.BatchNorm2d(out_chan)
        self.sigmoid_atten = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv(x)
        atten = self.sigmoid_atten(self.bn_atten(self.conv_atten(F.avg_pool2d(feat, feat.size()[2:]))))
        return feat * atten


class ContextPath(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.resnet = ResNet18()
        self.arm16 = AttentionRefinementModule(256, 128)
        self.arm32 = AttentionRefinementModule(512, 128)
        self.conv_head32 = ConvBNReLU(128, 128, ks=3, stride=1, padding=1)
        self.conv_head16 = ConvBNReLU(128, 128, ks=3, stride=1, padding=1)
        self.conv_avg = ConvBNReLU(512, 128, ks=1, stride=1, padding=0)

    def forward(self, x: torch.Tensor):
        feat8, feat16, feat32 = self.resnet(x)
        avg = self.conv_avg(F.avg_pool2d(feat32, feat32.size()[2:]))
        avg_up = F.interpolate(avg, feat32.size()[2:], mode="nearest")
        feat32_up = F.interpolate(self.arm32(feat32) + avg_up, feat16.size()[2:], mode="nearest")
        feat32_up = self.conv_head32(feat32_up)
        feat16_up = F.interpolate(self.arm16(feat16) + feat32_up, feat8.size()[2:], mode="nearest")
        feat16_up = self.conv_head16(feat16_up)
        return feat8, feat16_up, feat32_up


class FeatureFusionModule(nn.Module):
    def __init__(self, in_chan: int, out_chan: int) -> None:
        super().__init__()
        self.convblk = ConvBNReLU(in_chan, out_chan, ks=1, stride=1, padding=0)
        self.conv1 = nn.Conv2d(out_chan, out_chan // 4, kernel_size=1, stride=1, padding=0, bias=False)
        self.conv2 = nn.Conv2d(out_chan // 4, out_chan, kernel_size=1, stride=1, padding=0, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.sigmoid = nn.Sigmoid()

    def forward(self, fsp: torch.Tensor, fcp: torch.Tensor) -> torch.Tensor:
        feat = self.convblk(torch.cat([fsp, fcp], dim=1))
        atten = self.sigmoid(self.conv2(self.relu(self.conv1(F.avg_pool2d(feat, feat.size()[2:])))))
        return feat * atten + feat


class BiSeNet(nn.Module):
    """``forward(x)`` → (out, out16, out32) logits at the input size, ``out`` being the one to use."""

    def __init__(self, num_class: int = NUM_CLASSES) -> None:
        super().__init__()
        self.cp = ContextPath()
        self.ffm = FeatureFusionModule(256, 256)
        self.conv_out = BiSeNetOutput(256, 256, num_class)
        self.conv_out16 = BiSeNetOutput(128, 64, num_class)
        self.conv_out32 = BiSeNetOutput(128, 64, num_class)

    def forward(self, x: torch.Tensor):
        size = x.size()[2:]
        feat_res8, feat_cp8, feat_cp16 = self.cp(x)
        out, _ = self.conv_out(self.ffm(feat_res8, feat_cp8))
        out16, _ = self.conv_out16(feat_cp8)
        out32, _ = self.conv_out32(feat_cp16)
        return tuple(F.interpolate(o, size, mode="bilinear", align_corners=True) for o in (out, out16, out32))


def weight_file():
    """The user's ``parsing_bisenet.pth`` where :mod:`iqabench.weights` finds it, or None; never downloads."""
    from iqabench import weights

    return weights.find(WEIGHTS_FILE, WEIGHTS_SUBDIR)


def load(path) -> BiSeNet:
    """facexlib's weights into a BiSeNet in eval mode (``weights_only`` load, ``strict=True``)."""
    model = BiSeNet(NUM_CLASSES)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    model.load_state_dict(state, strict=True)
    return model.eval()


__all__ = ["BACKGROUND", "LABELS", "NUM_CLASSES", "WEIGHTS_FILE", "WEIGHTS_URL", "BiSeNet", "load", "weight_file"]
