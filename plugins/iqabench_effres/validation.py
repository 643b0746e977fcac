"""Validation during training (supplement §1: "a validation data set constructed similarly to the
evaluation data"): each held-out face at eight effective resolutions, each by a random resampling method
with independent JPEG, noise and contrast nuisances; scored by the metric's rule (:func:`.inference.read_face`)
with fewer patches than inference to stay cheap; grouped SRCC and PRA per face, averaged, as in the paper's
evaluation, computed by the core's statistics (:func:`iqabench_training.validation.grouped_figures`): a face
scored constant has no SRCC and is left out of its mean, which is NaN when every face is."""

from __future__ import annotations

import numpy as np
from iqabench_training.validation import grouped_figures

from iqabench.degrade import RESAMPLE_METHODS, downscale_upscale

from .faces import at_height, image_paths, read_rgb
from .inference import NoFaceError, read_face
from .masks import masker
from .samples import SampleRecipe, nuisances

FACTORS = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.0625)
PATCHES = 25


def validation_set(sources, mask: str, seed: int = 0,
                   height: int | str | None = None) -> list[list[tuple[np.ndarray, np.ndarray, float]]]:
    """Per face (downscaled to ``height`` when taller, as the training faces): (degraded image, its mask,
    factor) for each of :data:`FACTORS`."""
    rng = np.random.default_rng([seed, 7])
    face_masker = masker(mask)
    recipe = SampleRecipe(jpeg_quality=(50, 95), grey_probability=0.0)
    faces = []
    for path in image_paths(sources):
        image = at_height(read_rgb(path), height)
        region = face_masker.mask(image)
        versions = []
        for factor in FACTORS:
            method = RESAMPLE_METHODS[int(rng.integers(len(RESAMPLE_METHODS)))]
            degraded = downscale_upscale(image, factor, method) if factor < 1 else image
            versions.append((nuisances(degraded, recipe, rng), region, factor))
        faces.append(versions)
    return faces


def validate(model, faces, patch: int, device) -> dict:
    """Grouped SRCC and PRA over the faces with more than two versions scored (a version where no face is
    found is left out), and how many faces that is."""
    scores, factors, groups = [], [], []
    for face, versions in enumerate(faces):
        scored = []
        for image, region, factor in versions:
            try:
                scored.append((read_face(model, image, region, patch, device, patches=PATCHES).score, factor))
            except NoFaceError:
                continue
        if len(scored) > 2:
            scores += [score for score, _ in scored]
            factors += [factor for _, factor in scored]
            groups += [face] * len(scored)
    return grouped_figures(scores, factors, groups, counted="faces")


__all__ = ["FACTORS", "validate", "validation_set"]
