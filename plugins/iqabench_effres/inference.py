"""Scoring one face (supplement §1 and Table 1, "Postprocessing parameters"): patches on a grid whose
stride gives about 100 patches, those with at least 90% face foreground kept, the median of their scores,
clipped to [0, 1].

When no patch reaches 90% foreground (a small face in a large photo, a face the mask found only in
part), the patches with at least 50% foreground are used instead, the training threshold; the result
says so (``threshold``). When none reaches 50% either, :class:`NoFaceError` is raised: the image is a
per-image failure, never a score of background.

**Coarse faces are read again at smaller scales** (:func:`read_face`; not in the paper). A patch of a face
whose effective resolution is far below its pixels holds only a few resolved pixels across, and the
network's reading flattens there: the shipped weights read faces at 1/16 to 1/8 of 512 px all about 0.18.
Shrinking the image by a scale s (area average) raises its effective resolution to f/s, towards the range the
network separates. So a face reading below the top of :data:`.patches.COARSE_WINDOW` is read again at scales
0.8, 0.64, … (:data:`.patches.COARSE_STEP`, while a patch fits), each with about ``patches × s²`` patches (the
image holds s² of the pixels). Every reading r inside the window gives an estimate s·r, and the score is their
median. Readings rise as the scale falls, so the scales above and below the window need not all be read: a
face reading inside the window is read at smaller scales until a reading passes the window's top; a face
reading below it, from the smallest scale up, until a reading falls below the window's bottom. A face still
below the window at the smallest scale takes that scale's estimate; readings that step over the window take
the estimate of the one nearest it. A scale without a patch of face is passed over; a face that no smaller
scale can read (smaller than a patch, or without a patch of face) keeps the full-size reading.

**Replicated rows and columns bound the score** (:func:`replication_bound`; not in the paper). An image
enlarged by pixel replication (nearest neighbour, or a box filter enlarging) repeats rows and columns
exactly: enlarged by 1/f it repeats about 1 − f of them, and holds no more than f of its resolution in that
direction, however sharp its blocks look to a patch. So the score is at most the share of the face's rows
and of its columns that differ from their neighbour. A photograph never repeats a row of face exactly; JPEG
or noise after the enlargement break the repeats, and the bound is then 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from PIL import Image

from iqabench.errors import ImageError

from .patches import (COARSE_STEP, COARSE_WINDOW, FALLBACK_FOREGROUND, MIN_FOREGROUND, PATCHES, REPLICATION_MIN_PIXELS,
                      foreground_fractions, foreground_table, inference_grid)


class NoFaceError(ImageError):
    """No patch of the image has enough face foreground to be scored."""


@dataclass(frozen=True)
class FaceScore:
    score: float
    #: the foreground threshold the patches met (0.9, or 0.5 as the documented fallback).
    threshold: float
    corners: np.ndarray
    patch_scores: np.ndarray
    #: (scale, reading) of each smaller scale :func:`read_face` read, largest first; empty when none was read.
    readings: tuple[tuple[float, float], ...] = ()
    #: :func:`replication_bound` of the image (1: no replicated rows or columns), applied by :func:`read_face`.
    bound: float = 1.0


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


def rescaled(image: np.ndarray, mask: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The image area-averaged to ``height``×``width`` (Pillow's box filter) and its mask, foreground where at
    least half of the area it covers is."""
    small = np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize((width, height), Image.Resampling.BOX))
    area = Image.fromarray(mask.astype(np.float32)).resize((width, height), Image.Resampling.BOX)
    return small, np.asarray(area) >= 0.5


def coarse_estimate(full: float, readings: list[tuple[float, float]]) -> float:
    """The effective resolution from the full-size reading and the (scale, reading) pairs of the smaller
    scales (the module docstring)."""
    low, high = COARSE_WINDOW
    every = [(1.0, full), *readings]
    inside = [scale * reading for scale, reading in every if low <= reading <= high]
    if inside:
        return float(np.median(inside))
    scale, last = every[-1]
    if last < low:
        return scale * last
    scale, reading = min(every, key=lambda pair: max(low - pair[1], pair[1] - high))
    return scale * reading


def smaller_sizes(height: int, width: int, size: int) -> list[tuple[float, int, int]]:
    """(scale, height, width) of each smaller scale at which a ``size`` patch fits, largest first."""
    sizes, step = [], COARSE_STEP
    while min(round(height * step), round(width * step)) >= size:
        sizes.append((round(height * step) / height, round(height * step), round(width * step)))
        step *= COARSE_STEP
    return sizes


def replication_bound(image: np.ndarray, mask: np.ndarray, min_pixels: int = REPLICATION_MIN_PIXELS) -> float:
    """The smaller of the shares of the face's rows and of its columns that are not exact copies of the next
    one (the module docstring). A pair of neighbours is compared over the foreground both hold, and counts only
    when that is at least ``min_pixels`` pixels; a direction without such a pair bounds nothing (1)."""
    bound = 1.0
    for pixels, face in ((image, mask), (image.swapaxes(0, 1), mask.T)):
        shared = face[1:] & face[:-1]
        equal = (pixels[1:] == pixels[:-1]).reshape(*shared.shape, -1).all(axis=2) & shared
        counted = shared.sum(axis=1)
        compared = counted >= min_pixels
        if compared.any():
            repeated = equal.sum(axis=1)[compared] == counted[compared]
            bound = min(bound, 1.0 - float(repeated.mean()))
    return bound


def read_face(model: torch.nn.Module, image: np.ndarray, mask: np.ndarray, size: int, device: torch.device,
              patches: int = PATCHES) -> FaceScore:
    """:func:`score_face`, with a face that reads coarse read again at smaller scales, and the result bounded
    by :func:`replication_bound` (the module docstring); the patches and their scores returned are the
    full-size ones."""
    full = score_face(model, image, mask, size, device, patches)
    bound = replication_bound(image, mask)
    low, high = COARSE_WINDOW
    if full.score >= high:
        return replace(full, score=min(full.score, bound), bound=bound)
    upwards = full.score < low
    sizes = smaller_sizes(*image.shape[:2], size)
    readings: list[tuple[float, float]] = []
    for scale, height, width in reversed(sizes) if upwards else sizes:
        try:
            reading = score_face(model, *rescaled(image, mask, height, width), size, device,
                                 max(4, round(patches * scale * scale))).score
        except NoFaceError:
            continue
        readings.append((scale, reading))
        if (reading < low) if upwards else (reading > high):
            break
    readings.sort(reverse=True)
    return replace(full, score=min(coarse_estimate(full.score, readings), bound), readings=tuple(readings),
                   bound=bound)


__all__ = ["FALLBACK_FOREGROUND", "FaceScore", "MIN_FOREGROUND", "NoFaceError", "coarse_estimate", "patch_corners",
           "read_face", "replication_bound", "rescaled", "score_face", "smaller_sizes"]
