"""Weight-free full-reference measures on luma, and the pseudo-quality built from them.

They label the synthetic full-reference set (:mod:`iqabench_training.synthetic_fr`) that msfr and gada
pre-train on where no human-labelled full-reference data is available. The pseudo-quality is a
stand-in for human opinion: every figure measured against it says so.

Luma is ITU-R BT.601 ``Y = 0.299 R + 0.587 G + 0.114 B`` on the [0, 255] scale.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import convolve, gaussian_filter

#: MS-SSIM's scale weights (Wang, Simoncelli and Bovik 2003, section 3.2).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: SSIM's constants for 8-bit images: (K1·L)², (K2·L)² with K1 = 0.01, K2 = 0.03, L = 255.
C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
#: GMSD's stability constant for 8-bit images (Xue et al. 2014, section III-A).
GMSD_C = 170.0
#: GMSD above which the pseudo-quality's GMSD term is 0 (heavy noise on these images reaches ~0.3).
GMSD_MAX = 0.35


def luma(image: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 H×W×3 (or H×W grey) image, float64 on [0, 255]."""
    values = np.asarray(image, dtype=np.float64)
    if values.ndim == 2:
        return values
    return values[..., :3] @ np.array([0.299, 0.587, 0.114])


def _ssim_terms(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure term, Gaussian window σ 1.5 over 11 taps (Wang et al. 2004)."""
    def blur(v):
        return gaussian_filter(v, 1.5, truncate=5 / 1.5, mode="reflect")

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    cs = (2 * cov + C2) / (vx + vy + C2)
    luminance = (2 * mx * my + C1) / (mx * mx + my * my + C1)
    return float(np.mean(luminance * cs)), float(np.mean(cs))


def _halve(v: np.ndarray) -> np.ndarray:
    """2×2 mean, dropping an odd last row or column."""
    h, w = v.shape[0] // 2 * 2, v.shape[1] // 2 * 2
    return v[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def ms_ssim(reference: np.ndarray, distorted: np.ndarray) -> float:
    """Multi-scale SSIM (Wang, Simoncelli and Bovik 2003, equation 7) of the luma: five scales, each
    halved by a 2×2 mean; the contrast-structure term at every scale, luminance at the coarsest.
    Negative contrast-structure terms (possible for anti-correlated images) are clipped to 0."""
    x, y = luma(reference), luma(distorted)
    if min(x.shape) < 11 * 2 ** (len(MS_SSIM_WEIGHTS) - 1):
        raise ValueError(f"MS-SSIM needs images of at least {11 * 16} pixels a side, got {x.shape}")
    value = 1.0
    for scale, weight in enumerate(MS_SSIM_WEIGHTS):
        ssim, cs = _ssim_terms(x, y)
        last = scale == len(MS_SSIM_WEIGHTS) - 1
        value *= max(ssim if last else cs, 0.0) ** weight
        x, y = _halve(x), _halve(y)
    return float(value)


_PREWITT = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64) / 3


def gmsd(reference: np.ndarray, distorted: np.ndarray) -> float:
    """Gradient magnitude similarity deviation (Xue, Zhang, Mou and Bovik 2014, equations 1–4): both
    lumas halved by a 2×2 mean, Prewitt gradients, the standard deviation of the similarity map.
    0 for identical images; larger is worse."""
    x, y = _halve(luma(reference)), _halve(luma(distorted))

    def magnitude(v):
        return np.hypot(convolve(v, _PREWITT, mode="nearest"), convolve(v, _PREWITT.T, mode="nearest"))

    gx, gy = magnitude(x), magnitude(y)
    similarity = (2 * gx * gy + GMSD_C) / (gx * gx + gy * gy + GMSD_C)
    return float(np.std(similarity))


def pseudo_quality(reference: np.ndarray, distorted: np.ndarray) -> float:
    """½·MS-SSIM + ½·(1 − GMSD / :data:`GMSD_MAX`), each term clipped to [0, 1]: 1 for a copy of the
    reference, towards 0 as either measure sees more damage. A documented stand-in for a MOS."""
    structural = min(max(ms_ssim(reference, distorted), 0.0), 1.0)
    gradient = 1.0 - min(gmsd(reference, distorted) / GMSD_MAX, 1.0)
    return 0.5 * structural + 0.5 * gradient


__all__ = ["GMSD_MAX", "gmsd", "luma", "ms_ssim", "pseudo_quality"]
