"""Validation during training (supplement §1: "a validation data set constructed similarly to the
evaluation data"): each held-out face at eight effective resolutions, each by a random resampling method
with independent JPEG, noise and contrast nuisances; scored with fewer patches than inference to stay
cheap; grouped SRCC and PRA per face, averaged, as in the paper's evaluation."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from iqabench.degrade import RESAMPLE_METHODS, downscale_upscale

from .faces import at_height, image_paths, read_rgb
from .inference import NoFaceError, score_face
from .masks import masker
from .samples import SampleRecipe, nuisances

FACTORS = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15, 0.1, 0.0625)
PATCHES = 25


def validation_set(sources, mask: str, seed: int = 0,
                   height: int | None = None) -> list[list[tuple[np.ndarray, np.ndarray, float]]]:
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


def pairwise_ranking_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Share of pairs with different labels that the scores order the same way (ties count half)."""
    i, j = np.triu_indices(len(labels), 1)
    differ = labels[i] != labels[j]
    agree = np.sign(scores[i] - scores[j]) * np.sign(labels[i] - labels[j])
    return float(np.mean((agree[differ] > 0) + 0.5 * (agree[differ] == 0)))


def validate(model, faces, patch: int, device) -> dict:
    srcc, pra = [], []
    for versions in faces:
        scored = []
        for image, region, factor in versions:
            try:
                scored.append((score_face(model, image, region, patch, device, patches=PATCHES).score, factor))
            except NoFaceError:
                continue
        if len(scored) > 2:
            scores, labels = map(np.asarray, zip(*scored))
            srcc.append(spearmanr(scores, labels)[0] if np.ptp(scores) > 0 else 0.0)
            pra.append(pairwise_ranking_accuracy(scores, labels))
    return {"srcc": round(float(np.mean(srcc)), 4), "pra": round(float(np.mean(pra)), 4), "faces": len(srcc)}


__all__ = ["FACTORS", "pairwise_ranking_accuracy", "validate", "validation_set"]
