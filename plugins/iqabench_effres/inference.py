"""Scoring one face (supplement §1 and Table 1, "Postprocessing parameters"): patches on a grid whose
stride gives about 100 patches, those with at least 90% face foreground kept, the median of their scores,
clipped to [0, 1].

When no patch reaches 90% foreground (a small face in a large photo, a face the mask found only in
part), the patches with at least 50% foreground are used instead, the training threshold; the result
says so (``threshold``). When none reaches 50% either, :class:`NoFaceError` is raised: the image is a
per-image failure, never a score of background.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from iqabench.errors import ImageError

from .patches import FALLBACK_FOREGROUND, MIN_FOREGROUND, PATCHES, foreground_fractions, foreground_table, inference_grid


class NoFaceError(ImageError):
    """No patch of the image has enough face foreground to be scored."""


@dataclass(frozen=True)
class FaceScore:
    score: float
    #: the foreground threshold the patches met (0.9, or 0.5 as the documented fallback).
    threshold: float
    corners: np.ndarray
    patch_scores: np.ndarray


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


__all__ = ["FALLBACK_FOREGROUND", "FaceScore", "MIN_FOREGROUND", "NoFaceError", "patch_corners", "score_face"]
