"""effres' inference rule (supplement §1, Table 1 "Postprocessing parameters"): the median of the scores of
the patches with at least 90% face foreground (50% when none has 90%), clipped to [0, 1]; and the reading
of coarse faces again at half size (not in the paper)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from iqabench_effres.inference import NoFaceError, coarse_weight, half_size, patch_corners, read_face, score_face
from iqabench_effres.patches import (COARSE_BLEND, FALLBACK_FOREGROUND, MIN_FOREGROUND, foreground_fractions,
                                     foreground_table)

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


# --- coarse faces read again at half size --------------------------------------------------------------

def flat_face(red: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """An image whose every patch (at any size) scores red / 255 with PatchBrightness, all face."""
    image = np.zeros((size, size, 3), dtype=np.uint8)
    image[:, :, 0] = red
    return image, np.ones((size, size), dtype=bool)


def test_half_size_averages_two_by_two_blocks_and_keeps_half_face_blocks():
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    mask = np.zeros((5, 7), dtype=bool)
    mask[0, :4] = True  # half of the first two blocks of the top row
    mask[2:4, 4:6] = True  # all of one block
    small, small_mask = half_size(image, mask)
    assert small.shape == (2, 3, 3) and small_mask.shape == (2, 3)
    blocks = image[:4, :6].astype(float).reshape(2, 2, 3, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(small, blocks, atol=0.5 + 1e-9)  # rounded to uint8
    assert small_mask.tolist() == [[True, True, False], [False, False, True]]


def test_a_coarse_reading_takes_the_half_size_reading_halved():
    image, mask = flat_face(40, size=2 * SIZE)  # reads 40/255 = 0.157 at every size, below COARSE_BLEND[0]
    result = read_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    assert result.half_score == pytest.approx(40 / 255, abs=1e-6)  # 16 px: one patch, not halved again
    assert result.score == pytest.approx(40 / 255 / 2, abs=1e-6)
    assert score_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu")).score == pytest.approx(40 / 255)


def test_a_half_size_image_that_reads_coarse_is_halved_again():
    image, mask = flat_face(40, size=4 * SIZE)  # 64 -> 32 -> 16 px, each reading 0.157
    result = read_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    assert result.half_score == pytest.approx(40 / 255 / 2, abs=1e-6)
    assert result.score == pytest.approx(40 / 255 / 4, abs=1e-6)


def test_between_the_two_bounds_the_readings_blend_linearly():
    low, high = COARSE_BLEND
    red = 77
    full = red / 255
    assert low < full < high
    weight = (high - full) / (high - low)
    assert coarse_weight(full) == pytest.approx(weight) and coarse_weight(low) == 1.0 and coarse_weight(high) == 0.0
    result = read_face(PatchBrightness(), *flat_face(red, size=2 * SIZE), SIZE, torch.device("cpu"))
    assert result.score == pytest.approx(weight * full / 2 + (1 - weight) * full, abs=1e-6)


def test_a_sharp_reading_is_not_read_again():
    image, mask = skewed_face()
    image[:, :, 0] = 200
    result = read_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    plain = score_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    assert result.half_score is None and result.score == plain.score


def test_no_half_size_reading_keeps_the_full_size_one():
    image, mask = flat_face(40, size=2 * SIZE - 2)  # half size is smaller than a patch
    assert read_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu")).half_score is None
    image, mask = flat_face(40, size=2 * SIZE)
    mask[:, 10:] = False  # a 10-pixel band: 10/16 of a patch at full size, 5/16 at half size
    result = read_face(PatchBrightness(), image, mask, SIZE, torch.device("cpu"))
    assert result.half_score is None and result.score == pytest.approx(40 / 255, abs=1e-6)
