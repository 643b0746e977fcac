"""Synthetic degradations: Gaussian blur, Gaussian noise and JPEG compression.

Every function takes a ``uint8`` image (H×W grey or H×W×C colour) and returns a new ``uint8`` image of
the same shape. They are deterministic: the same input, parameter and seed give the same bytes on one
machine (NumPy's PCG64 generator, SciPy's filter, Pillow's libjpeg). The built-in ``default`` dataset
and training code share them, so a degradation means the same thing everywhere.

Severity levels 1 (mild) to 4 (severe) map to parameters through :data:`LEVELS`; level 0 is the
pristine image itself. The steps roughly double, so that each level is visibly worse than the last
on images of about 384 pixels:

========  ============================  ================================
kind      parameter                     levels 1, 2, 3, 4
========  ============================  ================================
blur      Gaussian sigma, pixels        0.8, 1.6, 3.2, 6.4
noise     Gaussian sigma, of 0–255      6, 12, 24, 48
jpeg      Pillow JPEG quality           40, 20, 10, 5
========  ============================  ================================
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

#: kind -> the parameter of levels 1..4 (index 0 is level 1).
LEVELS: dict[str, tuple[float, ...]] = {
    "blur": (0.8, 1.6, 3.2, 6.4),
    "noise": (6.0, 12.0, 24.0, 48.0),
    "jpeg": (40, 20, 10, 5),
}

KINDS: tuple[str, ...] = tuple(LEVELS)


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 H×W or H×W×C image, got {image.dtype} with shape {image.shape}")
    return image


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Blur each channel with a Gaussian of standard deviation ``sigma`` pixels (mirrored borders)."""
    image = _check_image(image)
    if sigma <= 0:
        return image.copy()
    sigmas = (sigma, sigma) + (0,) * (image.ndim - 2)
    return _to_uint8(gaussian_filter(image.astype(np.float64), sigmas, mode="reflect", truncate=4.0))


def gaussian_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Add white Gaussian noise of standard deviation ``sigma`` (0–255 scale), drawn with ``seed``."""
    image = _check_image(image)
    rng = np.random.default_rng(seed)
    return _to_uint8(image.astype(np.float64) + rng.normal(0.0, sigma, image.shape))


def jpeg_compress(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode as baseline JPEG at ``quality`` (1–95, Pillow's scale, 4:2:0 chroma) and decode again."""
    image = _check_image(image)
    if not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be within 1..95, got {quality}")
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality), subsampling="4:2:0")
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("L" if image.ndim == 2 else "RGB"))


def degrade(image: np.ndarray, kind: str, level: int, seed: int = 0) -> np.ndarray:
    """Apply degradation ``kind`` ("blur", "noise" or "jpeg") at ``level`` 0..4; 0 returns a copy.

    ``seed`` only matters for noise.
    """
    if kind not in LEVELS:
        raise ValueError(f"unknown degradation {kind!r}; known: {', '.join(KINDS)}")
    if not 0 <= level <= len(LEVELS[kind]):
        raise ValueError(f"level must be within 0..{len(LEVELS[kind])}, got {level}")
    if level == 0:
        return _check_image(image).copy()
    parameter = LEVELS[kind][level - 1]
    if kind == "blur":
        return gaussian_blur(image, parameter)
    if kind == "noise":
        return gaussian_noise(image, parameter, seed)
    return jpeg_compress(image, int(parameter))


__all__ = ["KINDS", "LEVELS", "degrade", "gaussian_blur", "gaussian_noise", "jpeg_compress"]
