"""Scoring one face (supplement §1 and Table 1, "Postprocessing parameters"): patches on a grid whose
stride gives about 100 patches, those with at least 90% face foreground kept, the median of their scores,
clipped to [0, 1].

When no patch reaches 90% foreground (a small face in a large photo, a face the mask found only in
part), the patches with at least 50% foreground are used instead, the training threshold; the result
says so (``threshold``). When none reaches 50% either, :class:`NoFaceError` is raised: the image is a
per-image failure, never a score of background.

**Coarse faces are read again at half size** (:func:`read_face`; not in the paper). A patch of a face
whose effective resolution is far below its pixels holds only a few resolved pixels across, and the
network's reading flattens there: the shipped weights read faces at 1/16 to 1/8 of 512 px all about 0.18.
Halving the image (2×2 box average) doubles its effective resolution, towards the range the network
separates, so a face reading below the upper bound of :data:`.patches.COARSE_BLEND` is read again at half
size, by this same rule (so a large, very coarse face is halved again), and that reading, halved, takes
over: fully below the lower bound, linearly between the two. A half-size image smaller than a patch, or
without a patch of face, keeps the full-size reading.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from PIL import Image

from iqabench.errors import ImageError

from .patches import (COARSE_BLEND, FALLBACK_FOREGROUND, MIN_FOREGROUND, PATCHES, foreground_fractions,
                      foreground_table, inference_grid)


class NoFaceError(ImageError):
    """No patch of the image has enough face foreground to be scored."""


@dataclass(frozen=True)
class FaceScore:
    score: float
    #: the foreground threshold the patches met (0.9, or 0.5 as the documented fallback).
    threshold: float
    corners: np.ndarray
    patch_scores: np.ndarray
    #: the half-size image's reading (by :func:`read_face` itself, before halving) when it was read, else None.
    half_score: float | None = None


def patch_corners(mask: np.ndarray, size: int, patches: int = PATCHES) -> tuple[np.ndarray, float]:
    """Corners of the patches to score and the foreground threshold they met."""
    corners = inference_grid(mask.shape[0], mask.shape[1], size, patches)
    fractions = foreground_fractions(foreground_table(mask), corners, size)
    for threshold in (MIN_FOREGROUND, FALLBACK_FOREGROUND):
        kept = corners[fractions >= threshold]
        if len(kept):
            return kept, threshold
    found = f"the largest share in a patch is {fractions.max():.0%}" if len(fractions) else "no patch fits"
    raise NoFaceError(f"no {size}-pixel patch is at least half face ({found}); the mask found no face large "
                      f"enough. Crop the image to the face, or score it with effres-nomask.")


@torch.inference_mode()
def score_face(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray, size: int, device: torch.device,
               patches: int = PATCHES, batch: int = 32) -> FaceScore:
    """Effective resolution of one RGB uint8 image with its bool foreground mask: the median of the kept
    patches' scores, clipped to [0, 1]. The patches go through the network in batches of ``batch``, in
    channels-last memory order (the order the loaded model's weights are in; same numbers, faster on a CPU)."""
    corners, threshold = patch_corners(mask, size, patches)
    tensor = torch.tensor(image).permute(2, 0, 1).float()
    crops = torch.stack([tensor[:, y:y + size, x:x + size] for y, x in corners])
    scores = []
    for start in range(0, len(crops), batch):
        chunk = crops[start:start + batch].to(device, memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.float16, enabled=device.type == "cuda"):
            scores.append(model(chunk).float().cpu())
    patch_scores = torch.cat(scores).numpy()
    return FaceScore(float(np.clip(np.median(patch_scores), 0.0, 1.0)), threshold, corners, patch_scores)


def half_size(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image averaged over 2×2 blocks (an odd last row or column dropped) and its mask, foreground where
    at least half of a block is."""
    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    small = np.asarray(Image.fromarray(np.ascontiguousarray(image[:height, :width])).reduce(2))
    blocks = mask[:height, :width].reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))
    return small, blocks >= 0.5


def coarse_weight(full: float) -> float:
    """The half-size reading's share of the score, given the full-size reading (see the module docstring)."""
    low, high = COARSE_BLEND
    return float(np.clip((high - full) / (high - low), 0.0, 1.0))


def read_face(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray, size: int, device: torch.device,
              patches: int = PATCHES) -> FaceScore:
    """:func:`score_face`, with a face that reads coarse read again at half size by this same rule (the module
    docstring); the patches and their scores returned are the full-size ones."""
    full = score_face(model, image, mask, size, device, patches)
    weight = coarse_weight(full.score)
    if weight == 0.0 or min(image.shape[:2]) // 2 < size:
        return full
    try:
        half = read_face(model, *half_size(image, mask), size, device, patches).score
    except NoFaceError:
        return full
    return replace(full, score=weight * half / 2 + (1 - weight) * full.score, half_score=half)


__all__ = ["FALLBACK_FOREGROUND", "FaceScore", "MIN_FOREGROUND", "NoFaceError", "coarse_weight", "half_size",
           "patch_corners", "read_face", "score_face"]
