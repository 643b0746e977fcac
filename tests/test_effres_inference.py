"""effres' inference rule (supplement §1, Table 1 "Postprocessing parameters"): the median of the scores of
the patches with at least 90% face foreground (50% when none has 90%), clipped to [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from iqabench_effres.inference import NoFaceError, patch_corners, score_face
from iqabench_effres.patches import FALLBACK_FOREGROUND, MIN_FOREGROUND, foreground_fractions, foreground_table

SIZE = 16


class PatchBrightness(torch.nn.Module):
    """A network whose score of a patch is known: the mean of its red channel, on 0-1."""

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return patches[:, 0].mean(dim=(1, 2)) / 255.0


def skewed_face() -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 image whose patch scores have a median far from their mean, and a mask of its left 3/4."""
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[:, :, 0] = np.linspace(0, 40, 64, dtype=np.uint8)[None, :]  # dim everywhere...
    image[:20, :20, 0] = 255  # ...but one bright corner lifts the mean of a few patches, not their median
    mask = np.zeros((64, 64), dtype=bool)
    mask[:, :48] = True
    return image, mask


def test_the_score_is_the_median_of_the_kept_patches():
    image, mask = skewed_face()
    result = score_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    corners, threshold = patch_corners(mask, SIZE)
    fractions = foreground_fractions(foreground_table(mask), corners, SIZE)
    kept = corners[fractions >= MIN_FOREGROUND]
    expected = np.array([image[y:y + SIZE, x:x + SIZE, 0].mean() / 255.0 for y, x in kept])
    assert threshold == MIN_FOREGROUND and np.array_equal(result.corners, kept)
    np.testing.assert_allclose(result.patch_scores, expected, rtol=1e-6)
    assert result.score == pytest.approx(float(np.median(expected)), abs=1e-7)
    assert abs(np.mean(expected) - np.median(expected)) > 0.01  # the mean would be another score


def test_patches_outside_the_face_are_not_scored():
    image, mask = skewed_face()
    image[:, 48:, 0] = 255  # the background is bright: counted, it would raise the median
    result = score_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    assert all(x + SIZE <= 48 + SIZE * (1 - MIN_FOREGROUND) for _, x in result.corners)
    assert result.score < 0.2


def test_half_face_patches_are_the_fallback_and_none_is_a_failure():
    image, _ = skewed_face()
    half = np.zeros((64, 64), dtype=bool)
    half[::2, :] = True  # every patch is half face
    result = score_face(PatchBrightness(), image, half, SIZE, torch.device("cpu"))
    assert result.threshold == FALLBACK_FOREGROUND and len(result.corners) > 0
    with pytest.raises(NoFaceError, match="at least half face"):
        score_face(PatchBrightness(), image, np.zeros((64, 64), dtype=bool), SIZE, torch.device("cpu"))


def test_the_score_is_clipped_to_the_unit_interval():
    image, mask = skewed_face()

    class Above(PatchBrightness):
        def forward(self, patches):
            return super().forward(patches) + 2.0

    assert score_face(Above(), image, mask, SIZE, torch.device("cpu")).score == 1.0
