"""KADID-style synthetic distortions: one clean RGB image degraded by one of 25 kinds at one of 5 levels.

The kinds follow KADID-10k (H. Lin, V. Hosu and D. Saupe, "KADID-10k: A Large-scale Artificially Distorted IQA
Database", QoMEX 2019), which degrades each reference by 25 types at 5 levels; all 25 are implemented here,
with numpy, scipy, Pillow and scikit-image only. Levels run from mild (1; barely visible for most kinds,
clearly visible for the compression, pixelate, quantization and contrast kinds) to severe (5) on 192–256-pixel
photographs; each is worse than the last (SSIM falls, or for the tone and colour kinds marked MAD, the mean
absolute difference from the reference grows; checked on scikit-image's astronaut and coffee at 192 px). Sizes
in pixels, values on 0–255.

=============================  ===============================  ================================
kind (KADID-10k type)          parameter                        levels 1–5
=============================  ===============================  ================================
gaussian_blur (#1)             Gaussian sigma                   0.5, 1, 1.8, 3, 5
lens_blur (#2)                 disc radius                      1, 2, 3, 5, 8
motion_blur (#3)               line length, random angle        3, 5, 9, 15, 25
color_diffusion (#4)           sigma of the Cb/Cr blur          1, 3, 6, 10, 16
color_shift (#5, MAD)          green shift, random direction    1, 2, 4, 7, 12
color_quantization (#6)        palette colours                  64, 32, 16, 8, 4
saturation_decrease (#7, MAD)  chroma kept                      0.7, 0.5, 0.3, 0.15, 0
saturation_increase (#8, MAD)  chroma factor                    1.4, 1.8, 2.5, 3.5, 5
jpeg2000 (#9)                  compression ratio                12, 24, 48, 96, 200
jpeg (#10)                     Pillow quality                   43, 30, 18, 8, 2
white_noise (#11)              noise sigma                      4, 8, 13, 20, 30
chroma_noise (#12)             Cb/Cr noise sigma                4, 8, 14, 22, 34
impulse_noise (#13)            salt-and-pepper density          0.002, 0.006, 0.015, 0.035, 0.08
multiplicative_noise (#14)     speckle sigma                    0.04, 0.08, 0.13, 0.2, 0.3
denoised_noise (#15)           noise sigma before TV denoising  8, 14, 22, 32, 48
brighten (#16, MAD)            gamma                            0.85, 0.7, 0.55, 0.42, 0.3
darken (#17, MAD)              gamma                            1.2, 1.5, 2, 2.7, 3.7
mean_shift (#18, MAD)          offset, random sign              10, 20, 32, 48, 70
jitter (#19)                   displacement sd                  0.3, 0.6, 1, 1.6, 2.5
non_eccentricity_patch (#20)   patches moved                    5, 15, 35, 70, 130
pixelate (#21)                 block size                       2, 3, 5, 8, 12
quantization (#22)             levels per channel               20, 14, 10, 6, 4
color_block (#23)              blocks pasted                    2, 4, 7, 11, 16
sharpen (#24)                  unsharp-mask amount              0.6, 1.2, 2, 3.5, 6
contrast_change (#25)          contrast kept                    0.8, 0.65, 0.5, 0.35, 0.2
=============================  ===============================  ================================

Deviations from KADID-10k: color_diffusion blurs YCbCr chroma (KADID blurs Lab a*b*); denoised_noise uses
total-variation denoising (KADID uses DnCNN); saturation_decrease and saturation_increase scale the distance
from BT.601 luma (KADID uses HSV and Lab); brighten and darken are gamma curves on RGB (KADID uses tone curves
in a colour space); color_shift moves the whole green channel (KADID blends the shift in by gradient
magnitude); quantization is uniform per channel (KADID uses multi-level Otsu thresholds); contrast_change only
lowers contrast (KADID also raises it); mean_shift picks its sign at random; sharpen (KADID's high sharpen) is
an unsharp mask of Gaussian sigma 1.5. On a grey image the saturation kinds and color_diffusion change
nothing. Patch and block sizes scale with the shorter side (1/16 and 1/12 of it). Randomness comes only from
the ``rng`` passed in; the kinds in :data:`RANDOM_KINDS` draw from it, the others ignore it.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage, signal
from skimage import draw, restoration

LEVEL_COUNT = 5
#: kind -> its parameter at levels 1–5 (see the module's table for units).
PARAMETERS: dict[str, tuple[float, ...]] = {
    "gaussian_blur": (0.5, 1, 1.8, 3, 5),
    "lens_blur": (1, 2, 3, 5, 8),
    "motion_blur": (3, 5, 9, 15, 25),
    "color_diffusion": (1, 3, 6, 10, 16),
    "color_shift": (1, 2, 4, 7, 12),
    "color_quantization": (64, 32, 16, 8, 4),
    "saturation_decrease": (0.7, 0.5, 0.3, 0.15, 0),
    "saturation_increase": (1.4, 1.8, 2.5, 3.5, 5),
    "jpeg2000": (12, 24, 48, 96, 200),
    "jpeg": (43, 30, 18, 8, 2),
    "white_noise": (4, 8, 13, 20, 30),
    "chroma_noise": (4, 8, 14, 22, 34),
    "impulse_noise": (0.002, 0.006, 0.015, 0.035, 0.08),
    "multiplicative_noise": (0.04, 0.08, 0.13, 0.2, 0.3),
    "denoised_noise": (8, 14, 22, 32, 48),
    "brighten": (0.85, 0.7, 0.55, 0.42, 0.3),
    "darken": (1.2, 1.5, 2, 2.7, 3.7),
    "mean_shift": (10, 20, 32, 48, 70),
    "jitter": (0.3, 0.6, 1, 1.6, 2.5),
    "non_eccentricity_patch": (5, 15, 35, 70, 130),
    "pixelate": (2, 3, 5, 8, 12),
    "quantization": (20, 14, 10, 6, 4),
    "color_block": (2, 4, 7, 11, 16),
    "sharpen": (0.6, 1.2, 2, 3.5, 6),
    "contrast_change": (0.8, 0.65, 0.5, 0.35, 0.2),
}
KINDS: tuple[str, ...] = tuple(PARAMETERS)
#: the kinds whose output depends on the ``rng``.
RANDOM_KINDS = ("motion_blur", "color_shift", "white_noise", "chroma_noise", "impulse_noise",
                "multiplicative_noise", "denoised_noise", "mean_shift", "jitter", "non_eccentricity_patch",
                "color_block")
_LUMA = np.array([0.299, 0.587, 0.114])
_RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)


def distort(image: np.ndarray, kind: str, level: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """``image`` (uint8 H×W×3 RGB; H×W grey and H×W×4 RGBA are accepted) degraded by ``kind`` at ``level``
    1 (mild) … 5 (severe): a new uint8 H×W×3 image, and the parameter used, in words."""
    if kind not in PARAMETERS:
        raise ValueError(f"unknown distortion kind {kind!r}; known kinds: {', '.join(KINDS)}")
    if not (isinstance(level, (int, np.integer)) and 1 <= level <= LEVEL_COUNT):
        raise ValueError(f"level must be an integer 1..{LEVEL_COUNT} (1 mild, {LEVEL_COUNT} severe), got {level!r}")
    parameter = PARAMETERS[kind][level - 1]
    return _FUNCTIONS[kind](_rgb(image), parameter, rng)


def _rgb(image: np.ndarray) -> np.ndarray:
    """The image as uint8 H×W×3: grey stacked to three channels, alpha dropped."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return np.stack([image] * 3, axis=-1)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return np.ascontiguousarray(image[..., :3])
    raise ValueError(f"image must be H×W, H×W×3 or H×W×4, got shape {image.shape}")


def _uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _per_channel(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``image`` convolved with the 2-D ``kernel`` (normalised), edges reflected."""
    kernel = kernel / kernel.sum()
    pad = [(kernel.shape[0] // 2,) * 2, (kernel.shape[1] // 2,) * 2, (0, 0)]
    padded = np.pad(image.astype(np.float64), pad, mode="reflect")
    return signal.fftconvolve(padded, kernel[..., None], mode="valid", axes=(0, 1))


def _pillow_roundtrip(image: np.ndarray, format_: str, **options) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format_, **options)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB")).copy()


def _luma(values: np.ndarray) -> np.ndarray:
    return values @ _LUMA


def _ycbcr(image: np.ndarray) -> np.ndarray:
    """Full-range BT.601 YCbCr (as in JPEG), chroma centred on 0."""
    return image.astype(np.float64) @ _RGB_TO_YCBCR.T


def _from_ycbcr(ycbcr: np.ndarray) -> np.ndarray:
    return ycbcr @ _YCBCR_TO_RGB.T


# ---- blurs


def _gaussian_blur(image, sigma, rng):
    return _uint8(ndimage.gaussian_filter(image.astype(np.float64), (sigma, sigma, 0))), f"sigma {sigma:g}"


def _lens_blur(image, radius, rng):
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = (x**2 + y**2 <= radius**2 + 0.5).astype(np.float64)
    return _uint8(_per_channel(image, disc)), f"radius {radius:g}"


def _motion_blur(image, length, rng):
    angle = rng.uniform(0, np.pi)
    half = (length - 1) / 2
    dy, dx = half * np.sin(angle), half * np.cos(angle)
    kernel = np.zeros((length, length))
    rows, cols = draw.line(*(round(v) for v in (half - dy, half - dx, half + dy, half + dx)))
    kernel[rows, cols] = 1
    return _uint8(_per_channel(image, kernel)), f"length {length:g}, angle {np.degrees(angle):.0f}°"


# ---- colour


def _color_diffusion(image, sigma, rng):
    ycbcr = _ycbcr(image)
    ycbcr[..., 1:] = ndimage.gaussian_filter(ycbcr[..., 1:], (sigma, sigma, 0))
    return _uint8(_from_ycbcr(ycbcr)), f"Cb/Cr sigma {sigma:g}"


def _color_shift(image, distance, rng):
    angle = rng.uniform(0, 2 * np.pi)
    offset = (distance * np.sin(angle), distance * np.cos(angle))
    shifted = image.astype(np.float64)
    shifted[..., 1] = ndimage.shift(shifted[..., 1], offset, order=1, mode="nearest")
    return _uint8(shifted), f"green shift {distance:g} px at {np.degrees(angle):.0f}°"


def _color_quantization(image, colours, rng):
    quantised = Image.fromarray(image).quantize(colors=colours, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    return np.asarray(quantised.convert("RGB")).copy(), f"{colours:g} colours"


def _saturation(image, factor, rng):
    values = image.astype(np.float64)
    grey = _luma(values)[..., None]
    return _uint8(grey + factor * (values - grey)), f"chroma × {factor:g}"


# ---- compression


def _jpeg2000(image, ratio, rng):
    decoded = _pillow_roundtrip(image, "JPEG2000", quality_mode="rates", quality_layers=[ratio])
    return decoded, f"ratio 1:{ratio:g}"


def _jpeg(image, quality, rng):
    return _pillow_roundtrip(image, "JPEG", quality=quality), f"quality {quality:g}"


# ---- noise


def _white_noise(image, sigma, rng):
    return _uint8(image + rng.normal(0, sigma, image.shape)), f"sigma {sigma:g}"


def _chroma_noise(image, sigma, rng):
    ycbcr = _ycbcr(image)
    ycbcr[..., 1:] += rng.normal(0, sigma, ycbcr[..., 1:].shape)
    return _uint8(_from_ycbcr(ycbcr)), f"Cb/Cr sigma {sigma:g}"


def _impulse_noise(image, density, rng):
    noisy = image.copy()
    draws = rng.random(image.shape[:2])
    noisy[draws < density / 2] = 0
    noisy[(draws >= density / 2) & (draws < density)] = 255
    return noisy, f"density {density:g}"


def _multiplicative_noise(image, sigma, rng):
    return _uint8(image * (1 + rng.normal(0, sigma, image.shape))), f"sigma {sigma:g}"


def _denoised_noise(image, sigma, rng):
    noisy = np.clip(image + rng.normal(0, sigma, image.shape), 0, 255) / 255
    denoised = restoration.denoise_tv_chambolle(noisy, weight=1.2 * sigma / 255, channel_axis=-1)
    return _uint8(255 * denoised), f"sigma {sigma:g}, then TV denoising"


# ---- brightness


def _gamma(image, gamma, rng):
    return _uint8(255 * (image / 255.0) ** gamma), f"gamma {gamma:g}"


def _mean_shift(image, offset, rng):
    signed = offset if rng.random() < 0.5 else -offset
    return _uint8(image.astype(np.float64) + signed), f"offset {signed:+g}"


# ---- spatial


def _jitter(image, sd, rng):
    height, width = image.shape[:2]
    rows = np.clip(np.rint(np.arange(height)[:, None] + rng.normal(0, sd, (height, width))), 0, height - 1)
    cols = np.clip(np.rint(np.arange(width)[None, :] + rng.normal(0, sd, (height, width))), 0, width - 1)
    return image[rows.astype(int), cols.astype(int)], f"displacement sd {sd:g} px"


def _square(image, fraction):
    """The side of a square patch: ``1 / fraction`` of the image's shorter side, at least 4 pixels."""
    return max(4, min(image.shape[:2]) // fraction)


def _corner(image, size, rng):
    """A random top-left corner of a ``size`` square inside the image."""
    height, width = image.shape[:2]
    return int(rng.integers(height - size + 1)), int(rng.integers(width - size + 1))


def _non_eccentricity_patch(image, count, rng):
    height, width = image.shape[:2]
    size = _square(image, 16)
    out = image.copy()
    for _ in range(count):
        top, left = _corner(image, size, rng)
        dest_top = int(np.clip(top + rng.integers(-size, size + 1), 0, height - size))
        dest_left = int(np.clip(left + rng.integers(-size, size + 1), 0, width - size))
        out[dest_top:dest_top + size, dest_left:dest_left + size] = image[top:top + size, left:left + size]
    return out, f"{count:g} patches of {size} px"


def _pixelate(image, block, rng):
    height, width = image.shape[:2]
    small = Image.fromarray(image).resize((max(1, round(width / block)), max(1, round(height / block))),
                                          Image.Resampling.BOX)
    return np.asarray(small.resize((width, height), Image.Resampling.NEAREST)).copy(), f"block {block:g} px"


def _quantization(image, levels, rng):
    step = 256 / levels
    return _uint8((np.floor(image / step) + 0.5) * step), f"{levels:g} levels per channel"


def _color_block(image, count, rng):
    size = _square(image, 12)
    out = image.copy()
    for _ in range(count):
        top, left = _corner(image, size, rng)
        out[top:top + size, left:left + size] = rng.integers(0, 256, 3, dtype=np.uint8)
    return out, f"{count:g} blocks of {size} px"


# ---- sharpness and contrast


def _sharpen(image, amount, rng):
    values = image.astype(np.float64)
    detail = values - ndimage.gaussian_filter(values, (1.5, 1.5, 0))
    return _uint8(values + amount * detail), f"unsharp amount {amount:g}"


def _contrast_change(image, kept, rng):
    values = image.astype(np.float64)
    return _uint8(values.mean() + kept * (values - values.mean())), f"contrast × {kept:g}"


_FUNCTIONS = {
    "gaussian_blur": _gaussian_blur, "lens_blur": _lens_blur, "motion_blur": _motion_blur,
    "color_diffusion": _color_diffusion, "color_shift": _color_shift, "color_quantization": _color_quantization,
    "saturation_decrease": _saturation, "saturation_increase": _saturation,
    "jpeg2000": _jpeg2000, "jpeg": _jpeg, "white_noise": _white_noise, "chroma_noise": _chroma_noise,
    "impulse_noise": _impulse_noise, "multiplicative_noise": _multiplicative_noise,
    "denoised_noise": _denoised_noise, "brighten": _gamma, "darken": _gamma, "mean_shift": _mean_shift,
    "jitter": _jitter, "non_eccentricity_patch": _non_eccentricity_patch, "pixelate": _pixelate,
    "quantization": _quantization, "color_block": _color_block, "sharpen": _sharpen,
    "contrast_change": _contrast_change,
}
