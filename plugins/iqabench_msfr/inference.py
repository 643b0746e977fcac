"""Scoring one image (§II-B, "Training and Testing"): the mean of the network's outputs over the image's
128×128 patches on the inference grid of :mod:`.patches`. The image score is clipped to the metric's
range [0, 1] (the training labels' scale, :mod:`.train`); patch outputs are averaged unclipped."""

from __future__ import annotations

import numpy as np
import torch

from iqabench.errors import ImageError

from .model import PATCH, as_input
from .patches import crops, inference_grid


class TooSmallError(ImageError):
    """The image has a side under one patch."""


@torch.no_grad()
def score_lumas(model: torch.nn.Module, d: torch.Tensor, o: torch.Tensor, device: torch.device,
                batch: int = 128) -> tuple[float, np.ndarray]:
    """(image score before clipping, patch scores) of distorted luma ``d`` against reference luma ``o``,
    both (H, W) float32 on [0, 1]. ``model`` must be in eval mode."""
    if d.shape != o.shape:
        raise ImageError(f"reference {tuple(o.shape)} and distorted {tuple(d.shape)} image sizes differ")
    corners = inference_grid(*d.shape)
    if not len(corners):
        raise TooSmallError(f"image too small: {d.shape[1]}×{d.shape[0]} pixels; msfr scores 128×128 patches "
                            f"and needs at least {PATCH} pixels on each side")
    scores = []
    for start in range(0, len(corners), batch):
        d_patches, r_patches = crops(d, o, corners[start:start + batch])
        scores.append(model(as_input(d_patches, device), as_input(r_patches, device)).float().cpu())
    patch_scores = torch.cat(scores).numpy()
    return float(patch_scores.mean()), patch_scores


__all__ = ["TooSmallError", "score_lumas"]
