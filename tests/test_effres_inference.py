"""effres' inference rule (supplement §1, Table 1 "Postprocessing parameters"): the median of the scores of
the patches with at least 90% face foreground (50% when none has 90%), clipped to [0, 1]; the reading
of coarse faces again at smaller scales, and the bound of replicated rows and columns (not in the paper)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from iqabench_effres.inference import NoFaceError, patch_corners, read_face, replication_bound, rescaled, score_face
from iqabench_effres.patches import (COARSE_STEP, COARSE_WINDOW, FALLBACK_FOREGROUND, MIN_FOREGROUND, PATCHES,
                                     REPLICATION_MIN_PIXELS, foreground_fractions, foreground_table, inference_grid)

SIZE = 16


class PatchBrightness(torch.nn.Module):
    """A network whose score of a patch is known: the mean of its red channel, on 0-1."""

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return patches[:, 0].mean(dim=(1, 2)) / 255.0


def textured(image: np.ndarray) -> np.ndarray:
    """The image with a green channel in which no row or column equals its neighbour (rows y and y + 1 differ
    by x + 1 at column x), so that its replication bound is 1; the test networks read the red channel only."""
    y, x = np.indices(image.shape[:2])
    image[:, :, 1] = (x * y + x + y) % 256
    return image


def skewed_face() -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 image whose patch scores have a median far from their mean, and a mask of its left 3/4."""
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[:, :, 0] = np.linspace(0, 40, 64, dtype=np.uint8)[None, :]  # dim everywhere...
    image[:20, :20, 0] = 255  # ...but one bright corner lifts the mean of a few patches, not their median
    mask = np.zeros((64, 64), dtype=bool)
    mask[:, :48] = True
    return textured(image), mask


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


# --- coarse faces read again at smaller scales --------------------------------------------------------

CPU = torch.device("cpu")


def flat_face(red: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """An image whose every patch (at any size) scores red / 255 with PatchBrightness, all face."""
    image = np.zeros((size, size, 3), dtype=np.uint8)
    image[:, :, 0] = red
    return textured(image), np.ones((size, size), dtype=bool)


class EdgeDensity(torch.nn.Module):
    """A network that reads like effective resolution: the mean absolute step between neighbouring pixels of
    the red channel, on 0-1. Shrinking stripes by a scale s raises it to about reading / s."""

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return patches[:, 0].diff(dim=2).abs().mean(dim=(1, 2)) / 255.0


def stripes(period: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Vertical black and white stripes, ``period`` pixels a pair: EdgeDensity reads about 2 / period."""
    image = np.zeros((size, size, 3), dtype=np.uint8)
    image[:, (np.arange(size) % period) < period // 2, 0] = 255
    return textured(image), np.ones((size, size), dtype=bool)


def test_rescaled_averages_areas_and_keeps_half_face_areas():
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    mask = np.zeros((5, 7), dtype=bool)
    mask[0, :4] = True  # half of the first two blocks of the top row
    mask[2:4, 4:6] = True  # all of one block
    small, small_mask = rescaled(image[:4, :6], mask[:4, :6], 2, 3)
    assert small.shape == (2, 3, 3) and small_mask.shape == (2, 3)
    blocks = image[:4, :6].astype(float).reshape(2, 2, 3, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(small, blocks, atol=1 + 1e-9)  # rounded to uint8 after each axis
    assert small_mask.tolist() == [[True, True, False], [False, False, True]]


def test_a_face_reading_inside_the_window_is_read_at_smaller_scales_until_a_reading_passes_it():
    low, high = COARSE_WINDOW
    image, mask = stripes(5)  # reads 0.4 at full size, about 0.4 / s at scale s
    result = read_face(EdgeDensity(), image, mask, SIZE, CPU)
    plain = score_face(EdgeDensity(), image, mask, SIZE, CPU)
    assert low <= plain.score <= high and result.corners.tolist() == plain.corners.tolist()
    scales = [scale for scale, _ in result.readings]
    assert scales == pytest.approx([COARSE_STEP ** k for k in range(1, len(scales) + 1)], abs=0.02)
    readings = [reading for _, reading in result.readings]
    assert readings[-1] > high and all(reading <= high for reading in readings[:-1])  # stops past the window
    inside = [plain.score] + [scale * reading for scale, reading in result.readings if low <= reading <= high]
    assert len(inside) >= 2 and result.score == pytest.approx(float(np.median(inside)), abs=1e-7)
    assert result.score == pytest.approx(0.4, abs=0.02)  # each estimate s * reading recovers the full reading


def test_a_face_reading_below_the_window_is_read_from_the_smallest_scale_up():
    low, high = COARSE_WINDOW
    image, mask = stripes(16)  # reads 0.125 at full size, about 0.125 / s at scale s (stripes 4+ px wide)
    result = read_face(EdgeDensity(), image, mask, SIZE, CPU)
    assert score_face(EdgeDensity(), image, mask, SIZE, CPU).score < low
    scales = [scale for scale, _ in result.readings]
    assert scales == sorted(scales, reverse=True) and round(64 * scales[-1] * COARSE_STEP) < SIZE  # the smallest
    readings = [reading for _, reading in result.readings]
    assert readings[0] < low and all(reading >= low for reading in readings[1:])  # stops below the window
    assert scales[0] < COARSE_STEP - 0.02  # so the larger scales were not read
    inside = [scale * reading for scale, reading in result.readings if low <= reading <= high]
    assert len(inside) >= 2 and result.score == pytest.approx(float(np.median(inside)), abs=1e-7)
    assert result.score == pytest.approx(0.125, abs=0.01)


def test_the_estimates_inside_the_window_are_combined_by_their_median():
    red = 115  # 0.451 at every scale: inside the window everywhere, so every scale down to one patch is read
    result = read_face(PatchBrightness(), *flat_face(red), SIZE, CPU)
    estimates = [red / 255] + [scale * red / 255 for scale, _ in result.readings]
    assert result.readings[-1][0] * 64 >= SIZE > result.readings[-1][0] * 64 * COARSE_STEP
    assert result.score == pytest.approx(float(np.median(estimates)), abs=1e-7)
    assert abs(np.mean(estimates) - np.median(estimates)) > 0.01  # the mean would be another score


def test_a_face_still_coarse_at_the_smallest_scale_takes_that_scale_estimate():
    result = read_face(PatchBrightness(), *flat_face(40), SIZE, CPU)  # 0.157 at every scale, below the window
    (smallest, reading), = result.readings  # read first, and below the window: nothing larger is read
    assert reading == pytest.approx(40 / 255, abs=1e-6) and round(64 * smallest * COARSE_STEP) < SIZE
    assert result.score == pytest.approx(smallest * 40 / 255, abs=1e-6)


def test_readings_that_step_over_the_window_take_the_one_nearest_it():
    class Threshold(EdgeDensity):
        def forward(self, patches):  # 0.30 up to an edge density of 0.28, then 0.90
            return torch.where(super().forward(patches) > 0.28, 0.90, 0.30)

    image, mask = stripes(8)  # 0.30 at full size, 0.90 at every smaller scale
    result = read_face(Threshold(), image, mask, SIZE, CPU)
    assert len(result.readings) > 1 and all(reading == pytest.approx(0.90) for _, reading in result.readings)
    assert result.score == pytest.approx(0.30)  # 0.05 below the window, against 0.30 above it


def test_a_sharp_reading_is_not_read_again():
    image, mask = skewed_face()
    image[:, :, 0] = 200
    result = read_face(PatchBrightness(), image, mask, SIZE, CPU)
    assert result.bound == 1.0
    plain = score_face(PatchBrightness(), image, mask, SIZE, CPU)
    assert result.readings == () and result.score == plain.score


def test_no_smaller_reading_keeps_the_full_size_one():
    image, mask = flat_face(40, size=SIZE + 3)  # 0.8 of 19 pixels is smaller than a patch
    assert read_face(PatchBrightness(), image, mask, SIZE, CPU).readings == ()
    image, mask = flat_face(40, size=2 * SIZE)
    mask[:, 9:] = False  # a 9-pixel band: 9/16 of a patch at full size, 7/16 at the next scale
    result = read_face(PatchBrightness(), image, mask, SIZE, CPU)
    assert result.readings == () and result.score == pytest.approx(40 / 255, abs=1e-6)


def test_each_smaller_scale_is_read_with_patches_in_proportion_to_its_area():
    class Counting(PatchBrightness):
        scored = 0

        def forward(self, patches):
            Counting.scored += len(patches)
            return super().forward(patches)

    result = read_face(Counting(), *flat_face(115), SIZE, CPU)
    sides = [64] + [round(64 * scale) for scale, _ in result.readings]
    expected = [len(inference_grid(side, side, SIZE, max(4, round(PATCHES * (side / 64) ** 2)))) for side in sides]
    assert Counting.scored == sum(expected) and expected[0] > expected[-1]


def test_a_scale_without_a_patch_of_face_is_passed_over():
    image, mask = flat_face(40)  # reads below the window: read from the smallest scale up
    mask[:, 11:] = False  # an 11-pixel band: half a patch or more down to scale 0.8, less below
    result = read_face(PatchBrightness(), image, mask, SIZE, CPU)
    (scale, reading), = result.readings
    assert scale == pytest.approx(COARSE_STEP, abs=0.02) and result.score == pytest.approx(scale * 40 / 255, abs=1e-6)


# --- replicated rows and columns bound the score ----------------------------------------------------------


def enlarged(rows: int, columns: int, to: int = 64, seed: int = 0) -> np.ndarray:
    """Random pixels, ``rows``×``columns``, enlarged to ``to``×``to`` by nearest neighbour (pixel replication)."""
    small = np.random.default_rng(seed).integers(0, 256, (rows, columns, 3), dtype=np.uint8)
    return np.array(Image.fromarray(small).resize((to, to), Image.Resampling.NEAREST))


def test_the_bound_is_the_share_of_rows_and_columns_not_replicated():
    face = np.ones((64, 64), dtype=bool)
    assert replication_bound(enlarged(64, 64), face) == 1.0  # random pixels: no row repeats its neighbour
    # 40 distinct rows stretched over 64: 24 of the 63 neighbouring pairs repeat; columns are all distinct
    assert replication_bound(enlarged(40, 64), face) == pytest.approx(1 - 24 / 63)
    # the smaller of the two directions bounds the score
    assert replication_bound(enlarged(48, 32), face) == pytest.approx(1 - 32 / 63)
    grey = enlarged(40, 64)[:, :, 0]
    assert replication_bound(grey, face) == pytest.approx(1 - 24 / 63)  # one channel as three


def test_only_face_pixels_are_compared():
    image = enlarged(64, 64)
    image[:, 40:] = 128  # a flat background: its rows repeat each other
    face = np.zeros((64, 64), dtype=bool)
    face[:, :40] = True
    assert replication_bound(image, face) == 1.0
    image[:, :40] = enlarged(32, 64)[:, :40]  # now the face repeats every other row
    assert replication_bound(image, face) == pytest.approx(1 - 32 / 63)


def test_neighbours_sharing_too_few_face_pixels_are_not_compared():
    image = np.full((64, 64, 3), 90, dtype=np.uint8)  # every row and column repeats
    narrow = np.zeros((64, 64), dtype=bool)
    narrow[:, :REPLICATION_MIN_PIXELS - 1] = True  # rows share 31 face pixels, columns 64
    assert replication_bound(image, narrow) == 0.0  # the columns still count
    narrow[REPLICATION_MIN_PIXELS - 1:] = False
    assert replication_bound(image, narrow) == 1.0  # neither direction has a pair to compare


def test_a_replicated_face_reads_no_more_than_its_bound():
    class Sharp(torch.nn.Module):
        def forward(self, patches):  # blocks look sharp to a patch: every patch reads 0.95
            return torch.full((len(patches),), 0.95)

    image, face = enlarged(40, 40), np.ones((64, 64), dtype=bool)
    result = read_face(Sharp(), image, face, SIZE, CPU)
    assert result.bound == pytest.approx(1 - 24 / 63) and result.score == result.bound
    coarse = read_face(PatchBrightness(), image, face, SIZE, CPU)  # a reading below the bound is kept
    assert coarse.bound == result.bound and coarse.score < coarse.bound
    assert coarse.score == read_face(PatchBrightness(), textured(image.copy()), face, SIZE, CPU).score


def test_a_face_read_at_smaller_scales_is_bounded_too():
    image = enlarged(8, 8)  # 8 distinct rows and columns in 64: 56 of the 63 neighbouring pairs repeat
    image[:, :, 0] = 115  # PatchBrightness reads 0.451 at every scale: inside the window, read at smaller scales
    face = np.ones((64, 64), dtype=bool)
    result = read_face(PatchBrightness(), image, face, SIZE, CPU)
    assert result.readings and result.bound == pytest.approx(1 - 56 / 63)
    assert result.score == result.bound < read_face(PatchBrightness(), textured(image.copy()), face, SIZE, CPU).score
