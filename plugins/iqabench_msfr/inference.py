"""Scoring one image (§II-B, "Training and Testing"): the mean of the network's outputs over the image's
128×128 patches on the inference grid of :mod:`.patches`. The image score is clipped to the metric's
range [0, 1] (the training labels' scale, :mod:`.train`); patch outputs are averaged unclipped."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from iqabench.errors import ImageError

from .model import PATCH, as_input
from .patches import crops, inference_grid


class TooSmallError(ImageError):
    """The image has a side under one patch."""


def _corners(d: torch.Tensor, o: torch.Tensor) -> np.ndarray:
    if d.shape != o.shape:
        raise ImageError(f"reference {tuple(o.shape)} and distorted {tuple(d.shape)} image sizes differ")
    corners = inference_grid(*d.shape)
    if not len(corners):
        raise TooSmallError(f"image too small: {d.shape[1]}×{d.shape[0]} pixels; msfr scores 128×128 patches "
                            f"and needs at least {PATCH} pixels on each side")
    return corners


@torch.no_grad()
def score_pairs(model: torch.nn.Module, pairs: Sequence[tuple[torch.Tensor, torch.Tensor]], device: torch.device,
                batch: int = 128) -> list[float]:
    """Image scores (before clipping) of (distorted luma, reference luma) pairs, the patches of consecutive
    images pooled into forward passes of up to ``batch`` patches (one image's four patches alone would
    leave the first fully connected layer's 12-million-value matrix to be read for four rows). The scores
    equal :func:`score_lumas`'s: in eval mode a patch's output does not depend on its batch. Raises on the
    first pair that cannot be scored."""
    table = [(index, y, x) for index, (d, o) in enumerate(pairs) for y, x in _corners(d, o)]
    sums, counts = np.zeros(len(pairs)), np.zeros(len(pairs))
    for start in range(0, len(table), batch):
        rows = table[start:start + batch]
        parts = [crops(pairs[i][0], pairs[i][1], np.array([[y, x]])) for i, y, x in rows]
        d_patches, r_patches = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
        outputs = model(as_input(d_patches, device), as_input(r_patches, device)).float().cpu().numpy()
        owners = np.array([i for i, _, _ in rows])
        np.add.at(sums, owners, outputs.astype(np.float64))
        np.add.at(counts, owners, 1)
    return (sums / counts).tolist()


@torch.no_grad()
def score_lumas(model: torch.nn.Module, d: torch.Tensor, o: torch.Tensor, device: torch.device,
                batch: int = 128) -> tuple[float, np.ndarray]:
    """(image score before clipping, patch scores) of distorted luma ``d`` against reference luma ``o``,
    both (H, W) float32 on [0, 1]. ``model`` must be in eval mode."""
    corners = _corners(d, o)
    scores = []
    for start in range(0, len(corners), batch):
        d_patches, r_patches = crops(d, o, corners[start:start + batch])
        scores.append(model(as_input(d_patches, device), as_input(r_patches, device)).float().cpu())
    patch_scores = torch.cat(scores).numpy()
    return float(patch_scores.mean()), patch_scores


__all__ = ["TooSmallError", "score_lumas", "score_pairs"]
