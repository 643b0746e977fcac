"""Small real metrics for runner tests: deterministic functions of the decoded pixels.

Kept in their own module so a subprocess (the SIGKILL test) can import them too.
"""

import math
import time

from iqabench import Metric


class MeanIntensity(Metric):
    """Mean pixel value; optionally sleeps per batch so a test can kill the process mid-run."""

    name = "mean-intensity"
    batch_size = 2

    def __init__(self, sleep: float = 0.0) -> None:
        super().__init__()
        self.sleep = sleep

    def score_batch(self, images, refs=None):
        time.sleep(self.sleep)
        return [float(image.mean()) for image in images]


class NanForDark(MeanIntensity):
    """Returns NaN for images darker than 0.2: a metric bug the runner must record, not score."""

    name = "nan-for-dark"

    def score_batch(self, images, refs=None):
        return [math.nan if float(i.mean()) < 0.2 else float(i.mean()) for i in images]


class RaisesOnWide(MeanIntensity):
    """Raises for any batch holding an image wider than tall: the runner must isolate that image."""

    name = "raises-on-wide"
    batch_size = 4

    def score_batch(self, images, refs=None):
        for image in images:
            if image.shape[-1] > image.shape[-2]:
                raise RuntimeError(f"cannot handle wide image {tuple(image.shape)}")
        return [float(image.mean()) for image in images]


class AbsDifference(Metric):
    """Full-reference: mean absolute difference to the reference (lower is better)."""

    name = "abs-difference"
    kind = "FR"
    lower_better = True

    def score_batch(self, images, refs=None):
        return [float((i - r).abs().mean()) for i, r in zip(images, refs)]


def write_images(directory, count: int, size=(40, 48)) -> list:
    """``count`` real PNG images with distinct content (gradients of varying brightness)."""
    from PIL import Image
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        h, w = size
        ramp = np.linspace(0, 1, w)[None, :] * np.linspace(0.2, 1, h)[:, None]
        pixels = (255 * np.clip(ramp * (i + 1) / count, 0, 1)).astype("uint8")
        path = directory / f"img{i:03d}.png"
        Image.fromarray(np.stack([pixels] * 3, axis=-1)).save(path)
        paths.append(path)
    return paths
