"""The GADA networks (Bongini et al., "GADA: Generative Adversarial Data Augmentation for Image Quality
Assessment", ICIAP 2019, §3.3 and Fig. 2).

* :class:`Generator`: an auto-encoder. The reference is encoded by three convolutions (64, 128 and 128
  maps); at the bottleneck a noise vector z and embeddings of the distortion class c and the target
  quality q are concatenated to the code; the decoder up-samples back with skip connections (U-Net,
  the paper's refs. [5, 16]). Output: G(z, x, c, q), a distorted version of x.
* :class:`Discriminator`: three convolutions (64, 128, 128 maps, "to mimic the encoder") and a 1×1
  convolution to 1024 maps, shared by three heads: *source* (one linear unit, sigmoid: real or fake,
  Eq. 1), *classifier* (linear 128, then one unit per distortion class, softmax: Eq. 2) and *evaluator*
  (linear 128, then one unit: the quality, trained with the MSE of Eq. 3).

What the paper leaves open and is chosen here (each is recorded in the checkpoint's config):

* kernels 4×4 with stride 2, LeakyReLU(0.2) and batch normalisation after every convolution but the first
  (and on the decoder's hidden layers), as in pix2pix (ref. [5]). Measured here: without it the pooled features
  of the discriminator barely vary at the start, and in 150 steps of the direct recipe its classifier stayed at
  chance (cross-entropy 1.75 of ln 6 = 1.79) and its evaluator reached a validation SRCC of 0.18; with it,
  1.50 and 0.67. At test time the evaluator runs in eval mode (running statistics), so a crop's score does not
  depend on the other crops of the batch;
* the 1024 maps are reduced to a 1024-vector by global average pooling before the fully-connected heads
  (a fully-connected layer on the raw 16×16×1024 maps of a 128-pixel crop would hold 33.5 M weights per
  head; the paper calls the network "very shallow" and modestly sized);
* z has 64 values, c and q are embedded in 16 values each (a learnt table for c, a linear map for q); all
  three are tiled over the bottleneck's positions;
* the generator predicts a residual added to the reference (the last skip connection), so that the L1
  reconstruction term starts small;
* images enter both networks on [-1, 1] (pixels on [0, 1] times 2 minus 1);
* ``width`` scales every convolution's maps (1.0: the paper's 64, 128, 128 and 1024; the CPU recipe of the
  shipped checkpoint uses 0.25: 16, 32, 32 and 256); the heads keep the paper's 128 units.
"""

from __future__ import annotations

import torch
from torch import nn

#: feature maps of the three convolutions (§3.3) and of the discriminator's 1×1 convolution.
ENCODER_MAPS = (64, 128, 128)
SHARED_MAPS = 1024
HEAD_UNITS = 128
NOISE = 64
EMBEDDING = 16


def _down(inputs: int, outputs: int, norm: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(inputs, outputs, 4, stride=2, padding=1)]
    if norm:
        layers.append(nn.BatchNorm2d(outputs))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2, inplace=True))


def maps(width: float) -> tuple[int, int, int, int]:
    """The maps of the three convolutions and of the 1×1 convolution at ``width`` (1.0: the paper's)."""
    return tuple(max(1, round(n * width)) for n in (*ENCODER_MAPS, SHARED_MAPS))


def _trunk(width: float) -> nn.Sequential:
    a, b, c, shared = maps(width)
    return nn.Sequential(_down(3, a, norm=False), _down(a, b), _down(b, c), nn.Conv2d(c, shared, 1),
                         nn.BatchNorm2d(shared), nn.LeakyReLU(0.2, inplace=True),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _head(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, HEAD_UNITS), nn.ReLU(inplace=True), nn.Linear(HEAD_UNITS, outputs))


def _up(inputs: int, outputs: int, last: bool = False) -> nn.Module:
    layer = nn.ConvTranspose2d(inputs, outputs, 4, stride=2, padding=1)
    return layer if last else nn.Sequential(layer, nn.BatchNorm2d(outputs), nn.ReLU(inplace=True))


class Generator(nn.Module):
    """G(z, x, c, q) (§3.2, §3.3): ``forward(reference, classes, quality, noise=None)`` with ``reference``
    (N, 3, H, W) on [0, 1], ``classes`` (N,) long, ``quality`` (N,) float; returns (N, 3, H, W) on about
    [0, 1] (not clamped: the discriminator sees what the generator makes). H and W are multiples of 8."""

    def __init__(self, classes: int, width: float = 1.0, noise: int = NOISE, embedding: int = EMBEDDING) -> None:
        super().__init__()
        self.noise_size = noise
        a, b, c, _ = maps(width)
        self.enc1, self.enc2, self.enc3 = _down(3, a, norm=False), _down(a, b), _down(b, c)
        self.class_embedding = nn.Embedding(classes, embedding)
        self.quality_embedding = nn.Linear(1, embedding)
        self.dec3 = _up(c + noise + 2 * embedding, b)
        self.dec2 = _up(b + b, a)
        self.dec1 = _up(a + a, 3, last=True)

    def forward(self, reference: torch.Tensor, classes: torch.Tensor, quality: torch.Tensor,
                noise: torch.Tensor | None = None) -> torch.Tensor:
        x = reference * 2 - 1
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        n, _, h, w = e3.shape
        if noise is None:
            noise = torch.randn(n, self.noise_size, device=x.device, dtype=x.dtype)
        code = torch.cat([noise, self.class_embedding(classes), self.quality_embedding(quality.view(-1, 1).to(x.dtype))], 1)
        d3 = self.dec3(torch.cat([e3, code[:, :, None, None].expand(n, code.shape[1], h, w)], 1))
        d2 = self.dec2(torch.cat([d3, e2], 1))
        residual = self.dec1(torch.cat([d2, e1], 1))
        return (x + residual + 1) / 2


class Discriminator(nn.Module):
    """The shared trunk and its three heads (§3.3). :meth:`forward` returns (source logit, class logits,
    quality), each per crop; :meth:`quality` runs the trunk and the evaluator alone (the test path, §4.2)."""

    #: the parts of the network, by name, for freezing and for shipping only what inference needs.
    TRUNK = "trunk"
    HEADS = ("source", "classifier", "evaluator")

    def __init__(self, classes: int, width: float = 1.0) -> None:
        super().__init__()
        shared = maps(width)[3]
        self.trunk = _trunk(width)
        self.source = nn.Linear(shared, 1)
        self.classifier = _head(shared, classes)
        self.evaluator = _head(shared, 1)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` (N, 3, H, W) on [0, 1] -> (N, 1024)."""
        return self.trunk(images * 2 - 1)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        shared = self.features(images)
        return self.source(shared).squeeze(1), self.classifier(shared), self.evaluator(shared).squeeze(1)

    def quality(self, images: torch.Tensor) -> torch.Tensor:
        """The evaluator's quality of each crop, (N,)."""
        return self.evaluator(self.features(images)).squeeze(1)


class Evaluator(nn.Module):
    """What the metric runs: the discriminator's trunk and evaluator only (§4.2, "with only the evaluator
    branch"). Its state dict uses the discriminator's names, so it loads from a full checkpoint too."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        self.trunk = _trunk(width)
        self.evaluator = _head(maps(width)[3], 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.evaluator(self.trunk(images * 2 - 1)).squeeze(1)


def inference_state(discriminator_state: dict) -> dict:
    """The entries of a discriminator state dict that :class:`Evaluator` needs (trunk and evaluator)."""
    return {name: value for name, value in discriminator_state.items()
            if name.startswith(("trunk.", "evaluator."))}


__all__ = ["Discriminator", "Evaluator", "Generator", "inference_state", "maps"]
