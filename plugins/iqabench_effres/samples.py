"""Self-supervised training samples (supplement §1 and Table 1, "Preprocessing parameters").

From a clean face image and its foreground mask, one draw makes a few labelled patches:

1. **Prescale** (80% of draws) to a random height in [384, 2048] ([256, 2048] for 128-pixel patches).
   The target starts at y = min(1, H / h): upscaling a sharp image of height H to h leaves it H / h of
   its resolution; downscaling keeps it sharp. The prescale uses Pillow's bicubic or Lanczos resampling
   (chosen at random): it is not the degradation being learned, only a change of face size.
2. **Downscale and upscale back** (90% of draws) by a factor f uniform in [1/16, 1] with one of the eight
   TensorFlow methods, antialiased (:func:`iqabench.degrade.downscale_upscale`). The target becomes
   min(y, f): information lost at a coarser scale is not restored by a finer one. The paper says only
   that the target is "adjusted accordingly"; min is our reading. With probability
   ``foreign_resampler`` the round trip uses Pillow's filters instead, so that the network does not learn
   one implementation's kernels (an addition for generalisation, not in the paper). ``method_weights``
   makes some TensorFlow methods likelier than others (uniform by default, as in the paper).
3. **Nuisances** (an addition for generalisation, independent of the target): grey conversion, contrast
   and brightness changes, Gaussian noise and JPEG at quality 40–95, each with its own probability.
4. **Patches** of 256 (or 128) pixels at stride 128 from a random offset; patches with less than 50%
   foreground are dropped.

To keep a draw cheap, a window of a few patches around a random foreground pixel is cut from the image
before resampling; resampling is local, so inside the window this equals degrading the whole image
except within a kernel's reach of the window's edge, which behaves like an image border.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from iqabench.degrade import RESAMPLE_METHODS, downscale_upscale

from .patches import foreground_fractions, foreground_table, training_grid

PILLOW_FILTERS = {
    "pillow-box": Image.Resampling.BOX, "pillow-bilinear": Image.Resampling.BILINEAR,
    "pillow-hamming": Image.Resampling.HAMMING, "pillow-bicubic": Image.Resampling.BICUBIC,
    "pillow-lanczos": Image.Resampling.LANCZOS, "pillow-nearest": Image.Resampling.NEAREST,
}


@dataclass(frozen=True)
class SampleRecipe:
    """Table 1's preprocessing values (the 128-pixel column by default) plus the nuisances."""

    patch: int = 128
    stride: int = 128
    prescale_probability: float = 0.8
    prescale_heights: tuple[int, int] = (256, 2048)
    downscale_probability: float = 0.9
    max_downscale: float = 16.0
    min_foreground: float = 0.5
    #: patches per side of the window cut for one draw.
    window_patches: int = 3
    foreign_resampler: float = 0.3
    contrast_probability: float = 0.3
    noise_probability: float = 0.3
    noise_sigma: tuple[float, float] = (1.0, 8.0)
    jpeg_probability: float = 0.5
    jpeg_quality: tuple[int, int] = (40, 95)
    grey_probability: float = 0.05
    #: relative weights of :data:`RESAMPLE_METHODS` (a method not named weighs 1).
    method_weights: dict = field(default_factory=dict)

    def method_probabilities(self) -> np.ndarray:
        """The probability of each of :data:`RESAMPLE_METHODS` in a TensorFlow round trip."""
        unknown = sorted(set(self.method_weights) - set(RESAMPLE_METHODS))
        if unknown:
            raise ValueError(f"unknown resampling method(s) {', '.join(unknown)}; choose among "
                             f"{', '.join(RESAMPLE_METHODS)}")
        weights = np.array([float(self.method_weights.get(m, 1.0)) for m in RESAMPLE_METHODS])
        if np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"method weights must be at least 0 and not all 0, not {self.method_weights}")
        return weights / weights.sum()

    @classmethod
    def for_patch(cls, patch: int, **overrides) -> "SampleRecipe":
        """Table 1's two columns: 256-pixel patches prescale to [384, 2048], 128-pixel ones to [256, 2048];
        ``overrides`` replace any value."""
        heights = (384, 2048) if patch >= 256 else (256, 2048)
        return cls(**{"patch": patch, "prescale_heights": heights, **overrides})


def _pillow_resize(image: np.ndarray, height: int, width: int, resample) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((width, height), resample))


def _window(shape: tuple[int, int], centre: tuple[int, int], size: int) -> tuple[slice, slice]:
    top = min(max(0, centre[0] - size // 2), max(0, shape[0] - size))
    left = min(max(0, centre[1] - size // 2), max(0, shape[1] - size))
    return slice(top, top + size), slice(left, left + size)


def nuisances(image: np.ndarray, recipe: SampleRecipe, rng: np.random.Generator) -> np.ndarray:
    """Grey, contrast and brightness, noise, then JPEG, each with the recipe's probability."""
    values = image.astype(np.float32)
    if rng.random() < recipe.grey_probability:
        values = np.repeat(values @ np.float32([0.299, 0.587, 0.114])[:, None], 3, axis=2)
    if rng.random() < recipe.contrast_probability:
        values = (values - 128.0) * rng.uniform(0.7, 1.3) + 128.0 + rng.uniform(-20, 20)
    if rng.random() < recipe.noise_probability:
        values = values + rng.normal(0.0, rng.uniform(*recipe.noise_sigma), values.shape)
    image = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if rng.random() < recipe.jpeg_probability:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=int(rng.integers(recipe.jpeg_quality[0],
                                                                                    recipe.jpeg_quality[1] + 1)))
        image = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    return image


class SampleMaker:
    """Draws labelled patches from clean faces: ``draw(rng)`` → (patches uint8 N×P×P×3, targets float32 N)."""

    def __init__(self, images: list[np.ndarray], masks: list[np.ndarray], recipe: SampleRecipe) -> None:
        usable = [(image, mask) for image, mask in zip(images, masks) if mask.any()]
        if not usable:
            raise ValueError("no training image has any face foreground: check the masks")
        self.images, self.masks = zip(*usable)
        self.recipe = recipe
        self.probabilities = recipe.method_probabilities()

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        recipe = self.recipe
        index = int(rng.integers(len(self.images)))
        image, mask = self.images[index], self.masks[index]
        height = image.shape[0]
        scale, target = 1.0, 1.0
        if rng.random() < recipe.prescale_probability:
            scale = rng.uniform(*recipe.prescale_heights) / height
            target = min(1.0, 1.0 / scale)
        window = recipe.patch + (recipe.window_patches - 1) * recipe.stride
        image, mask = self._prescaled_window(image, mask, scale, window, rng)
        if rng.random() < recipe.downscale_probability:
            factor = rng.uniform(1.0 / recipe.max_downscale, 1.0)
            image = self._round_trip(image, factor, rng)
            target = min(target, factor)
        image = nuisances(image, recipe, rng)
        return self._patches(image, mask, target, rng)

    def _prescaled_window(self, image, mask, scale, window, rng):
        """Cut a window of about ``window`` pixels (after prescaling) around a random foreground pixel, with
        a margin for the resampling kernel, and prescale only that."""
        ys, xs = np.nonzero(mask)
        pick = int(rng.integers(len(ys)))
        margin = int(math.ceil(4 / min(scale, 1.0))) + 2
        source = int(math.ceil(window / scale)) + 2 * margin
        rows, cols = _window(mask.shape, (int(ys[pick]), int(xs[pick])), source)
        image, mask = image[rows, cols], mask[rows, cols]
        if scale != 1.0:
            height = max(1, round(image.shape[0] * scale))
            width = max(1, round(image.shape[1] * scale))
            method = Image.Resampling.BICUBIC if rng.random() < 0.5 else Image.Resampling.LANCZOS
            image = _pillow_resize(image, height, width, method)
            mask = _pillow_resize(mask.astype(np.uint8) * 255, height, width, Image.Resampling.NEAREST) > 127
        rows, cols = _window(mask.shape, (mask.shape[0] // 2, mask.shape[1] // 2), window)
        return image[rows, cols], mask[rows, cols]

    def _round_trip(self, image: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.recipe.foreign_resampler:
            method = RESAMPLE_METHODS[int(rng.choice(len(RESAMPLE_METHODS), p=self.probabilities))]
            return downscale_upscale(image, factor, method)
        filters = list(PILLOW_FILTERS.values())
        down, up = (filters[int(rng.integers(len(filters)))] for _ in range(2))
        height, width = image.shape[:2]
        small = _pillow_resize(image, max(1, round(height * factor)), max(1, round(width * factor)), down)
        return _pillow_resize(small, height, width, up)

    def _patches(self, image, mask, target, rng):
        size = self.recipe.patch
        if min(image.shape[:2]) < size:
            return np.zeros((0, size, size, 3), np.uint8), np.zeros(0, np.float32)
        corners = training_grid(image.shape[0], image.shape[1], size, self.recipe.stride, rng)
        keep = corners[foreground_fractions(foreground_table(mask), corners, size) >= self.recipe.min_foreground]
        patches = np.stack([image[y:y + size, x:x + size] for y, x in keep]) if len(keep) else \
            np.zeros((0, size, size, 3), np.uint8)
        return patches, np.full(len(keep), target, np.float32)


__all__ = ["PILLOW_FILTERS", "SampleMaker", "SampleRecipe", "nuisances"]
