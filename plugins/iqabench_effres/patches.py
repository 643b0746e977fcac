"""Patch grids and their face-foreground fractions (supplement Table 1, "Preprocessing" and
"Postprocessing parameters")."""

from __future__ import annotations

import math

import numpy as np

#: Table 1, "Postprocessing parameters": about 100 patches, at least 90% foreground; 50% when none has
#: 90% (the training threshold, see :mod:`.inference`).
PATCHES = 100
MIN_FOREGROUND = 0.9
FALLBACK_FOREGROUND = 0.5
#: a face reading below the window's top is read again at smaller scales, each ``COARSE_STEP`` of the last;
#: the readings inside the window, times their scale, estimate its effective resolution
#: (:func:`.inference.read_face`; not in the paper).
COARSE_WINDOW = (0.35, 0.6)
COARSE_STEP = 0.8
#: face pixels two neighbouring rows (or columns) must share to be compared for replication
#: (:func:`.inference.replication_bound`; not in the paper).
REPLICATION_MIN_PIXELS = 32


def foreground_table(mask: np.ndarray) -> np.ndarray:
    """Summed-area table of a bool mask, (H+1)×(W+1), so that any patch's foreground count is O(1)."""
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = np.cumsum(np.cumsum(mask, axis=0, dtype=np.int64), axis=1)
    return table


def foreground_fractions(table: np.ndarray, corners: np.ndarray, size: int) -> np.ndarray:
    """Foreground fraction of each ``size``×``size`` patch whose top-left corners are rows of ``corners`` (y, x)."""
    y, x = corners[:, 0], corners[:, 1]
    count = table[y + size, x + size] - table[y, x + size] - table[y + size, x] + table[y, x]
    return count / float(size * size)


def grid(height: int, width: int, size: int, stride: int, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Top-left corners (y, x) of every ``size`` patch at ``stride`` starting at ``offset`` that fits."""
    ys = np.arange(offset[0], height - size + 1, stride)
    xs = np.arange(offset[1], width - size + 1, stride)
    return np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def training_grid(height: int, width: int, size: int, stride: int, rng: np.random.Generator) -> np.ndarray:
    """The training grid: stride 128 from a random start offset in [0, stride) per axis (Table 1)."""
    offset = tuple(int(rng.integers(0, max(1, min(stride, side - size + 1)))) for side in (height, width))
    return grid(height, width, size, stride, offset)


def inference_stride(height: int, width: int, size: int, patches: int = 100) -> int:
    """The stride that gives about ``patches`` patches (supplement §1: "we calculate the patch stride
    dynamically to obtain about 100 patches"): the root of (a/s + 1)(b/s + 1) = patches, a = H − size,
    b = W − size, rounded to a whole pixel (at least 1)."""
    a, b = height - size, width - size
    if a <= 0 and b <= 0:
        return max(size, 1)
    if a * b == 0:
        return max(1, round((a + b) / (patches - 1)))
    inverse = (-(a + b) + math.sqrt((a + b) ** 2 + 4 * a * b * (patches - 1))) / (2 * a * b)
    return max(1, round(1 / inverse))


def inference_grid(height: int, width: int, size: int, patches: int = 100) -> np.ndarray:
    """About ``patches`` corners at the stride of :func:`inference_stride`, the grid centred in the image."""
    stride = inference_stride(height, width, size, patches)
    counts = [(side - size) // stride + 1 for side in (height, width)]
    offset = tuple((side - size - (count - 1) * stride) // 2 for side, count in zip((height, width), counts))
    return grid(height, width, size, stride, offset)


__all__ = ["COARSE_STEP", "COARSE_WINDOW", "FALLBACK_FOREGROUND", "MIN_FOREGROUND", "PATCHES", "REPLICATION_MIN_PIXELS", "foreground_fractions", "foreground_table", "grid", "inference_grid", "inference_stride",
           "training_grid"]
