"""Luminance, residual maps and patch grids (§II-A, §II-B).

- **Luma**: ITU-R BT.601 ``Y = 0.299 R + 0.587 G + 0.114 B`` of RGB on [0, 1] (the paper says "luminance
  domain" and "gray-scale" without a formula); a grey image is its own luma.
- **Residual**: ``|D − O|`` of the two lumas (eq. 1).
- **Inference grid**: every 128×128 patch on a stride of 128 from the top-left corner, plus a last row and
  column flush with the bottom and right edges when the side is not a multiple of 128, so that every pixel
  is scored (those last patches overlap their neighbours). The paper averages "the network outputs of each
  128×128 image patch" without a stride. An image with a side under 128 pixels has no patch: the metric
  refuses it (``min_size``), a per-image failure with the reason.
- **Training grid**: stride 128 from a random offset per image and epoch, so that over the epochs the
  patches cover the whole image.
"""

from __future__ import annotations

import numpy as np
import torch

from .model import PATCH

#: BT.601 luma weights for R, G, B.
BT601 = (0.299, 0.587, 0.114)


def luma(image: torch.Tensor) -> torch.Tensor:
    """(H, W) float32 luma of a (3, H, W) RGB or (1, H, W) grey float tensor on [0, 1]."""
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected a (3, H, W) or (1, H, W) image, got shape {tuple(image.shape)}")
    if image.shape[0] == 1:
        return image[0].float()
    weights = torch.tensor(BT601, dtype=torch.float32, device=image.device)
    return torch.einsum("chw,c->hw", image.float(), weights)


def _positions(side: int, size: int, stride: int, offset: int = 0, flush: bool = True) -> list[int]:
    positions = list(range(offset, side - size + 1, stride))
    if flush and positions and positions[-1] != side - size:
        positions.append(side - size)
    return positions


def inference_grid(height: int, width: int, size: int = PATCH) -> np.ndarray:
    """Top-left corners (y, x) of the inference patches (module docstring); empty when a side is under ``size``."""
    ys, xs = _positions(height, size, size), _positions(width, size, size)
    if not ys or not xs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def training_grid(height: int, width: int, rng: np.random.Generator, size: int = PATCH) -> np.ndarray:
    """Stride ``size`` from a random offset in [0, size) per axis (kept within the image), no flush row."""
    ys, xs = (_positions(side, size, size, int(rng.integers(0, max(1, min(size, side - size + 1)))), False)
              for side in (height, width))
    if not ys or not xs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def crops(d: torch.Tensor, o: torch.Tensor, corners: np.ndarray, size: int = PATCH) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 1, size, size) distorted-luma patches and their residual maps |D − O| at ``corners``."""
    d_patches = torch.stack([d[y:y + size, x:x + size] for y, x in corners]).unsqueeze(1)
    o_patches = torch.stack([o[y:y + size, x:x + size] for y, x in corners]).unsqueeze(1)
    return d_patches, (d_patches - o_patches).abs()


__all__ = ["BT601", "crops", "inference_grid", "luma", "training_grid"]
