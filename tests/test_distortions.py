"""KADID-style distortions of iqabench_training.distortions on two real photographs: every kind and level,
severity growing with the level, determinism, and bad input."""

from functools import cache
from itertools import pairwise

import numpy as np
import pytest
from iqabench_training.distortions import (
    KINDS,
    LEVEL_COUNT,
    PARAMETERS,
    RANDOM_KINDS,
    distort,
)
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

PHOTOS = ("astronaut", "coffee")
#: tone and colour kinds that SSIM measures poorly: their severity is the mean absolute difference.
MAD_KINDS = {"brighten", "darken", "mean_shift", "saturation_decrease", "saturation_increase", "color_shift"}
LEVELS = range(1, LEVEL_COUNT + 1)


@cache
def photo(name: str) -> np.ndarray:
    image = np.asarray(Image.fromarray(getattr(data, name)()).resize((192, 192), Image.Resampling.LANCZOS))
    image.flags.writeable = False
    return image


def severity(reference: np.ndarray, distorted: np.ndarray, kind: str) -> float:
    """Larger is worse: 1 - SSIM, or the mean absolute difference for the kinds in MAD_KINDS."""
    if kind in MAD_KINDS:
        return float(np.abs(distorted.astype(np.float64) - reference).mean())
    return 1 - structural_similarity(reference, distorted, channel_axis=-1, data_range=255)


def test_kinds_cover_kadid():
    assert len(KINDS) >= 22
    assert len(set(KINDS)) == len(KINDS)
    assert all(kind.isidentifier() and kind == kind.lower() for kind in KINDS)
    assert set(RANDOM_KINDS) <= set(KINDS)
    assert all(len(PARAMETERS[kind]) == LEVEL_COUNT for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_level_returns_a_distorted_copy(kind):
    image = photo("astronaut")
    for level in LEVELS:
        out, parameter = distort(image, kind, level, np.random.default_rng(0))
        assert out.dtype == np.uint8 and out.shape == image.shape, (kind, level)
        assert not np.array_equal(out, image), f"{kind} level {level} left the image unchanged"
        assert isinstance(parameter, str) and parameter, (kind, level)


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_level_is_worse_than_the_last(kind, name):
    image = photo(name)
    scores = [severity(image, distort(image, kind, level, np.random.default_rng(0))[0], kind) for level in LEVELS]
    for level, (before, after) in enumerate(pairwise(scores), start=2):
        assert after > before, f"{kind} on {name}: level {level} is not worse than level {level - 1}: {scores}"


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_bytes_and_other_seeds_differ_only_for_random_kinds(kind):
    image = photo("coffee")
    first, words = distort(image, kind, 3, np.random.default_rng(7))
    again, words_again = distort(image, kind, 3, np.random.default_rng(7))
    assert first.tobytes() == again.tobytes() and words == words_again
    other, _ = distort(image, kind, 3, np.random.default_rng(8))
    assert np.array_equal(first, other) == (kind not in RANDOM_KINDS)


def test_input_is_not_modified():
    image = np.array(photo("astronaut"))
    before = image.copy()
    for kind in KINDS:
        distort(image, kind, LEVEL_COUNT, np.random.default_rng(0))
    assert np.array_equal(image, before)


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown distortion kind 'fog'") as error:
        distort(photo("coffee"), "fog", 1, np.random.default_rng(0))
    assert all(kind in str(error.value) for kind in KINDS)


@pytest.mark.parametrize("level", [0, 6, 2.0])
def test_level_outside_one_to_five_is_refused(level):
    with pytest.raises(ValueError, match=r"level must be an integer 1\.\.5"):
        distort(photo("coffee"), "jpeg", level, np.random.default_rng(0))


def test_bad_image_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        distort(photo("coffee").astype(np.float32), "jpeg", 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="shape"):
        distort(np.zeros((8, 8, 2), np.uint8), "jpeg", 1, np.random.default_rng(0))


@pytest.mark.parametrize("kind", ["gaussian_blur", "jpeg", "chroma_noise", "saturation_increase", "color_block"])
def test_grey_and_rgba_give_rgb(kind):
    rgb = photo("astronaut")
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])
    out_grey, _ = distort(grey, kind, 2, np.random.default_rng(0))
    out_rgba, _ = distort(rgba, kind, 2, np.random.default_rng(0))
    assert out_grey.shape == out_rgba.shape == rgb.shape
    assert out_grey.dtype == out_rgba.dtype == np.uint8
    assert np.array_equal(out_rgba, distort(rgb, kind, 2, np.random.default_rng(0))[0])
