"""ArcFace (Deng et al. 2019, the paper's ref. [49]) for the identity loss of Eq. 8: the IR-SE50 network that pSp
(ref. [35]) uses for its ID loss, TreB1eN's InsightFace_Pytorch model, distributed as pSp's ``model_ir_se50.pth``
and, the same network and key names, as facexlib's ``recognition_arcface_ir_se50.pth``.

Module names follow that model (``input_layer.*``, ``body.N.shortcut_layer.*``, ``body.N.res_layer.{0..5}``
with the squeeze-excitation at ``res_layer.5.fc1|fc2``, ``output_layer.{0,3,4}``) so the file loads with
``strict=True``. Input: 112×112 RGB in [-1, 1]; output: the 512-d embedding, L2-normalised. ``width`` < 64
narrows it, for tests only.

The face crop fed to it: GFIQA-20k's faces are aligned by the eyes (§III-A: the crop is centred on the eyes'
midpoint, 4 interocular distances wide, eyes level), so the box ArcFace expects is fixed in every image and is
computed here from ArcFace's 112-px five-point template (eyes at (38.29, 51.70) and (73.53, 51.50)); no
landmark detector is needed. pSp does the same on FFHQ with a fixed box.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: ArcFace's 112×112 template: left and right eye centres.
LEFT_EYE, RIGHT_EYE = (38.2946, 51.6963), (73.5318, 51.5014)
#: GFIQA-20k's alignment (§III-A): crop side = 4 × interocular distance, centred on the eyes' midpoint.
GFIQA_SIDE_PER_EYE_DISTANCE = 4.0
UNITS = (3, 4, 14, 3)


def face_box() -> tuple[float, float, float, float]:
    """(top, left, bottom, right) of ArcFace's input in a GFIQA-aligned face, as fractions of its side."""
    eye_distance = (RIGHT_EYE[0] - LEFT_EYE[0]) / 112
    side = (1 / GFIQA_SIDE_PER_EYE_DISTANCE) / eye_distance
    mid_x, mid_y = (LEFT_EYE[0] + RIGHT_EYE[0]) / 2 / 112, (LEFT_EYE[1] + RIGHT_EYE[1]) / 2 / 112
    top, left = 0.5 - mid_y * side, 0.5 - mid_x * side
    return top, left, top + side, left + side


def crop_face(images: torch.Tensor, size: int = 112) -> torch.Tensor:
    """ArcFace's input from GFIQA-aligned faces (B, 3, H, W) in [-1, 1]."""
    height, width = images.shape[2:]
    top, left, bottom, right = face_box()
    y0, y1 = max(0, round(top * height)), min(height, round(bottom * height))
    x0, x1 = max(0, round(left * width)), min(width, round(right * width))
    return F.interpolate(images[:, :, y0:y1, x0:x1], size=(size, size), mode="bilinear", align_corners=False,
                         antialias=True)


class SEModule(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, max(1, channels // reduction), 1, bias=False)
        self.fc2 = nn.Conv2d(max(1, channels // reduction), channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True)))))


class BottleneckIRSE(nn.Module):
    def __init__(self, in_channels: int, depth: int, stride: int) -> None:
        super().__init__()
        self.shortcut_layer = (nn.MaxPool2d(1, stride) if in_channels == depth else
                               nn.Sequential(nn.Conv2d(in_channels, depth, 1, stride, bias=False), nn.BatchNorm2d(depth)))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channels), nn.Conv2d(in_channels, depth, 3, 1, 1, bias=False), nn.PReLU(depth),
            nn.Conv2d(depth, depth, 3, stride, 1, bias=False), nn.BatchNorm2d(depth), SEModule(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


class IRSE50(nn.Module):
    """ArcFace's IR-SE50 backbone (112-px input). Frozen: a loss network."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                                         nn.PReLU(width))
        body = []
        in_channels = width
        for index, units in enumerate(UNITS):
            depth = width * 2 ** index
            for unit in range(units):
                body.append(BottleneckIRSE(in_channels, depth, 2 if unit == 0 else 1))
                in_channels = depth
        self.body = nn.Sequential(*body)
        embedding = width * 8
        self.output_layer = nn.Sequential(nn.BatchNorm2d(embedding), nn.Dropout(0.6), nn.Flatten(),
                                          nn.Linear(embedding * 7 * 7, embedding), nn.BatchNorm1d(embedding))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> "IRSE50":
        return super().train(False)  # a frozen loss network: batch statistics and dropout stay off

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.output_layer(self.body(self.input_layer(faces))), dim=1)


__all__ = ["IRSE50", "crop_face", "face_box"]
