"""Synthetic degradations: Gaussian blur, Gaussian noise, JPEG compression and resampling.

They are the degradations of the embedded datasets (``default``, ``default-faces``) and the resampling
kernels, generic and tied to no model: any dataset or plugin that degrades images uses them, so a
degradation means the same thing everywhere. Every function takes a ``uint8`` image (H×W grey or H×W×C
colour) and returns a new ``uint8`` image of the same shape. They are deterministic: the same input,
parameter and seed give the same bytes on one machine (NumPy's PCG64 generator, SciPy's filter, Pillow's
libjpeg).

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

Resampling (:func:`resize`, :func:`downscale_upscale`) is the effective-resolution degradation of Kansy
et al., "Self-Supervised Effective Resolution Estimation with Adversarial Augmentations" (supplement,
Table 1): shrink by a factor in [1/16, 1] and resize back, with one of :data:`RESAMPLE_METHODS`. It is
parameterised by factor and method, not by level, so it is not one of :data:`KINDS`. The kernels, pixel
centres and borders are those of TensorFlow 2's ``tf.image.resize(..., antialias=True)``, which the paper
used (tensorflow/python/ops/image_ops_impl.py ``resize_images_v2``):

* ``bilinear``, ``bicubic``, ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic`` go through the
  ScaleAndTranslate op (tensorflow/core/kernels/image/scale_and_translate_op.cc, ``ComputeSpansCore``),
  with the kernels of tensorflow/core/kernels/image/sampling_kernels.h (bilinear is the triangle kernel,
  bicubic Keys' cubic). Output pixel ``i`` is centred at ``(i + 0.5) / scale`` on the input, whose pixel
  ``j`` spans [j, j + 1); when shrinking with antialiasing the kernel is stretched by ``1 / scale``;
  taps outside the image are dropped and the rest renormalised to sum to 1 (no reflection).
  ``gaussian`` and ``mitchellcubic`` do not interpolate, so TensorFlow smooths the image even at its own
  size; so does :func:`resize`.
* ``area`` is ResizeArea (tensorflow/core/kernels/image/resize_area_op.cc): each output pixel is the mean
  of the input area it covers. It always antialiases.
* ``nearest`` is ResizeNearestNeighbor with half-pixel centres
  (tensorflow/core/kernels/image/resize_nearest_neighbor_op.cc), which ignores ``antialias``.
"""

from __future__ import annotations

import io
import math

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


# --- Resampling, after TensorFlow 2's tf.image.resize (see the module docstring) -----------------------

#: The interpolation methods of :func:`resize` and :func:`downscale_upscale`, TensorFlow's names.
RESAMPLE_METHODS: tuple[str, ...] = (
    "area",
    "bicubic",
    "bilinear",
    "gaussian",
    "lanczos3",
    "lanczos5",
    "mitchellcubic",
    "nearest",
)


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (Catmull-Rom)."""
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _mitchell_cubic(x: np.ndarray) -> np.ndarray:
    """Mitchell-Netravali cubic with B = C = 1/3."""
    near = ((7.0 / 6.0 * x - 2.0) * x) * x + 8.0 / 9.0
    far = ((-7.0 / 18.0 * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _lanczos(radius: float):
    def kernel(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi * np.pi * x * x)
        return np.where(x <= 1e-3, 1.0, np.where(x > radius, 0.0, value))

    return kernel


def _gaussian(x: np.ndarray) -> np.ndarray:
    """Gaussian of standard deviation 0.5, cut off at radius 1.5."""
    return np.where(x < 1.5, np.exp(-x * x / (2.0 * 0.5**2)), 0.0)


#: method -> (kernel of the absolute distance |x| >= 0, radius), as in TF's sampling_kernels.h.
_KERNELS = {
    "bilinear": (_triangle, 1.0),
    "bicubic": (_keys_cubic, 2.0),
    "lanczos3": (_lanczos(3.0), 3.0),
    "lanczos5": (_lanczos(5.0), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell_cubic, 2.0),
}


def _kernel_spans(method: str, in_size: int, out_size: int, antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Taps of TF's ScaleAndTranslate (``ComputeSpansCore``) with zero translation."""
    kernel, radius = _KERNELS[method]
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    span = min(2 * math.ceil(radius * kernel_scale) + 1, in_size)
    sample = (np.arange(out_size) + 0.5) * inv_scale
    start = np.clip(np.ceil(sample - radius * kernel_scale - 0.5), 0, in_size - 1).astype(np.intp)
    end = np.clip(np.floor(sample + radius * kernel_scale - 0.5), 0, in_size - 1).astype(np.intp) + 1
    index = start[:, None] + np.arange(span)
    weights = kernel(np.abs(index + 0.5 - sample[:, None]) / kernel_scale)
    weights[index >= end[:, None]] = 0.0
    total = weights.sum(axis=1, keepdims=True)
    # As in TF, an output pixel whose weights sum to (almost) zero is left black rather than divided by ~0.
    usable = np.abs(total) >= 1000 * np.finfo(np.float32).tiny
    weights = np.where(usable, weights / np.where(usable, total, 1.0), 0.0)
    return np.minimum(index, in_size - 1), weights


def _area_spans(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Taps of TF's ResizeArea: the overlap of each input pixel with [i, i + 1) * in / out, normalised."""
    scale = in_size / out_size
    low = np.arange(out_size) * in_size / out_size
    high = np.arange(1, out_size + 1) * in_size / out_size
    index = np.floor(low).astype(np.intp)[:, None] + np.arange(math.ceil(scale) + 1)
    overlap = np.minimum(index + 1, high[:, None]) - np.maximum(index, low[:, None])
    weights = np.where(index < in_size, np.maximum(overlap, 0.0), 0.0) / scale
    return np.minimum(index, in_size - 1), weights


def _nearest_spans(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """TF's ResizeNearestNeighbor with half-pixel centres: floor((i + 0.5) * in / out), in float32 as TF."""
    scale = np.float32(in_size) / np.float32(out_size)
    position = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale
    index = np.clip(np.floor(position).astype(np.intp), 0, in_size - 1)
    return index[:, None], np.ones((out_size, 1))


def _spans(method: str, in_size: int, out_size: int, antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """Taps, out_size × k each: output i = Σ_k weights[i, k] · input[index[i, k]]."""
    if method == "area":
        return _area_spans(in_size, out_size)
    if method == "nearest":
        return _nearest_spans(in_size, out_size)
    return _kernel_spans(method, in_size, out_size, antialias)


def _resample_axis0(values: np.ndarray, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Resample the rows of a 2-D array with the taps of :func:`_spans`, as one sparse product."""
    from scipy.sparse import csr_array  # 40 ms of import, paid only by resampling

    rows = np.repeat(np.arange(index.shape[0]), index.shape[1])
    matrix = csr_array((weights.ravel(), (rows, index.ravel())), shape=(index.shape[0], values.shape[0]))
    return matrix @ values


def _check_method(method: str) -> None:
    if method not in RESAMPLE_METHODS:
        raise ValueError(f"unknown resampling method {method!r}; known: {', '.join(RESAMPLE_METHODS)}")


def resize(image: np.ndarray, height: int, width: int, method: str, antialias: bool = True) -> np.ndarray:
    """Resize to ``height`` × ``width`` as TF2's ``tf.image.resize(image, (height, width), method,
    antialias)`` does, then round half to even and clip to ``uint8``.

    Separable: rows first, then columns, in float64 (TF: float32). ``antialias`` only matters when
    shrinking with a kernel method; ``area`` and ``nearest`` ignore it, as in TF. Without it the kernel
    is not stretched; for ``bilinear`` and ``bicubic`` TF then calls ResizeBilinear and ResizeBicubic
    with half-pixel centres, which compute the same (ResizeBicubic from a 1024-entry table of the kernel).
    """
    image = _check_image(image)
    _check_method(method)
    if height < 1 or width < 1:
        raise ValueError(f"output size must be at least 1×1, got {height}×{width}")
    in_height, in_width = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    values = image.reshape(in_height, in_width * channels).astype(np.float64)
    values = _resample_axis0(values, *_spans(method, in_height, height, antialias))
    values = values.reshape(height, in_width, channels).transpose(1, 0, 2).reshape(in_width, -1)
    values = _resample_axis0(values, *_spans(method, in_width, width, antialias))
    values = values.reshape(width, height, channels).transpose(1, 0, 2)
    return _to_uint8(values.reshape((height, width) + image.shape[2:]))


def downscale_upscale(image: np.ndarray, factor: float, method: str) -> np.ndarray:
    """Shrink by ``factor`` in (0, 1] and resize back, both with ``method`` (Kansy et al., supp. Table 1).

    The reduced size is round(H·factor) × round(W·factor) (half to even), at least 1×1; shrinking
    antialiases. The paper does not say which method enlarges again; the choice here is the same
    ``method``. Where the reduced size is the image's own (factor 1, or close to it on a small image) a
    copy is returned, rather than the image smoothed by ``gaussian`` or ``mitchellcubic`` at its own size.
    """
    image = _check_image(image)
    _check_method(method)
    if not 0 < factor <= 1:
        raise ValueError(f"downscaling factor must be within (0, 1], got {factor}")
    height, width = image.shape[:2]
    small = (max(1, round(height * factor)), max(1, round(width * factor)))
    if small == (height, width):
        return image.copy()
    return resize(resize(image, *small, method), height, width, method)


__all__ = [
    "KINDS",
    "LEVELS",
    "RESAMPLE_METHODS",
    "degrade",
    "downscale_upscale",
    "gaussian_blur",
    "gaussian_noise",
    "jpeg_compress",
    "resize",
]
