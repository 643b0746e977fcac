"""Where a face's own pixels are sharp, read from its spectrum (the training label 1 must be true).

A natural photograph's power spectrum falls off about as a power of frequency at every scale, so the share
of its luma's spectral energy that lies in the top octave (0.5–1 × Nyquist) stays about the same whatever
height the picture is shown at, as long as its pixels carry real detail. A picture shown larger than its
detail has almost nothing there: an antialiased 2× round trip lowers the share about tenfold on the
sharp training faces. :func:`sharp_height` is the largest of :data:`CANDIDATE_HEIGHTS` (up to the image's
own) at which the share keeps :data:`KEPT_SHARE` of its value at the smallest candidate, where the faces
are taken to be sharp; every height below the chosen one passes too.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

#: the source height that lets each face's spectrum choose it (:func:`sharp_height`).
AUTO = "auto"
#: heights tried, smallest first; the first is the reference at which the face is taken to be sharp.
CANDIDATE_HEIGHTS = (256, 384, 512)
#: the share of the reference's top-octave energy a height must keep to count as sharp.
KEPT_SHARE = 0.8
#: lowest frequency counted (× Nyquist), so that the mean level and the window's leakage do not weigh.
LOWEST_FREQUENCY = 0.05


def resized(image: np.ndarray, height: int) -> np.ndarray:
    """``image`` at ``height`` pixels (aspect kept) by Pillow's Lanczos filter, as :func:`faces.at_height`."""
    if image.shape[0] == height:
        return image
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))


def top_octave_share(image: np.ndarray) -> float:
    """The share of the luma's spectral energy (Hann-windowed, above :data:`LOWEST_FREQUENCY`) that lies
    between half and the full Nyquist frequency, radially."""
    luma = np.asarray(Image.fromarray(image).convert("L"), dtype=np.float64)
    luma -= luma.mean()
    rows, cols = luma.shape
    power = np.abs(np.fft.fft2(luma * np.outer(np.hanning(rows), np.hanning(cols)))) ** 2
    radius = np.hypot(*np.meshgrid(np.fft.fftfreq(rows) * 2, np.fft.fftfreq(cols) * 2, indexing="ij"))
    counted = (radius > LOWEST_FREQUENCY) & (radius <= 1)
    total = power[counted].sum()
    if total <= 0:
        raise ValueError("the image is flat: its spectrum cannot say where it is sharp")
    return float(power[counted & (radius > 0.5)].sum() / total)


def sharp_height(image: np.ndarray, heights: tuple[int, ...] = CANDIDATE_HEIGHTS,
                 kept: float = KEPT_SHARE) -> int:
    """The largest of ``heights`` (at most the image's own height) whose top-octave share keeps ``kept`` of
    the share at ``heights[0]``; the image's own height when it is shorter than ``heights[0]``."""
    own = image.shape[0]
    if own <= heights[0]:
        return own
    reference = top_octave_share(resized(image, heights[0]))
    chosen = heights[0]
    for height in heights[1:]:
        if height > own or top_octave_share(resized(image, height)) < kept * reference:
            break
        chosen = height
    return chosen


__all__ = ["AUTO", "CANDIDATE_HEIGHTS", "KEPT_SHARE", "resized", "sharp_height", "top_octave_share"]
