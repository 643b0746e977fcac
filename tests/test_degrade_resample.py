"""Resampling degradations of iqabench.degrade: TF2 ``tf.image.resize`` kernels, spans and borders, and the
downscale-upscale degradation of Kansy et al. (supplement, Table 1)."""

from itertools import pairwise

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from iqabench import degrade
from iqabench.degrade import KINDS, LEVELS, RESAMPLE_METHODS, downscale_upscale, resize

INTERPOLATING = ("area", "bicubic", "bilinear", "lanczos3", "lanczos5", "nearest")
SMOOTHING = ("gaussian", "mitchellcubic")


def texture(height=96, width=80, channels=3, seed=0):
    """Seeded noise smoothed at several scales: detail at every frequency, like a natural image."""
    rng = np.random.default_rng(seed)
    shape = (height, width, channels)
    layers = [
        s * gaussian_filter(rng.normal(size=shape), (s, s, 0), mode="wrap") for s in (0.7, 1.5, 3, 6, 12)
    ]
    values = sum(layers)
    return np.rint(255 * (values - values.min()) / np.ptp(values)).astype(np.uint8)


def kernel(method):
    function, _ = degrade._KERNELS[method]
    return lambda x: function(np.asarray(x, dtype=np.float64))


def test_method_names_and_levels_unchanged():
    assert RESAMPLE_METHODS == (
        "area",
        "bicubic",
        "bilinear",
        "gaussian",
        "lanczos3",
        "lanczos5",
        "mitchellcubic",
        "nearest",
    )
    assert KINDS == ("blur", "noise", "jpeg") and set(LEVELS) == set(KINDS)
    assert set(INTERPOLATING + SMOOTHING) == set(RESAMPLE_METHODS)


def test_kernel_radii_are_tensorflows():
    radii = {method: radius for method, (_, radius) in degrade._KERNELS.items()}
    assert radii == {
        "bilinear": 1,
        "bicubic": 2,
        "lanczos3": 3,
        "lanczos5": 5,
        "gaussian": 1.5,
        "mitchellcubic": 2,
    }


def test_triangle_kernel():
    np.testing.assert_allclose(kernel("bilinear")([0, 0.25, 0.5, 1, 1.5]), [1, 0.75, 0.5, 0, 0])


def test_keys_cubic_kernel_is_keys_with_a_minus_half():
    a = -0.5
    x = np.linspace(0, 2.5, 101)
    expected = np.where(
        x < 1,
        (a + 2) * x**3 - (a + 3) * x**2 + 1,
        np.where(x < 2, a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a, 0),
    )
    np.testing.assert_allclose(kernel("bicubic")(x), expected, atol=1e-12)
    np.testing.assert_allclose(kernel("bicubic")([0, 0.5, 1, 1.5, 2]), [1, 0.5625, 0, -0.0625, 0], atol=1e-12)


def test_mitchell_cubic_kernel_is_mitchell_netravali_with_b_c_one_third():
    b = c = 1 / 3
    x = np.linspace(0, 2.5, 101)
    expected = np.where(
        x < 1,
        ((12 - 9 * b - 6 * c) * x**3 + (-18 + 12 * b + 6 * c) * x**2 + (6 - 2 * b)) / 6,
        np.where(
            x < 2,
            ((-b - 6 * c) * x**3 + (6 * b + 30 * c) * x**2 + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6,
            0,
        ),
    )
    np.testing.assert_allclose(kernel("mitchellcubic")(x), expected, atol=1e-12)
    np.testing.assert_allclose(kernel("mitchellcubic")([0, 1, 2]), [8 / 9, 1 / 18, 0], atol=1e-12)


@pytest.mark.parametrize("radius", [3, 5])
def test_lanczos_kernels(radius):
    lanczos = kernel(f"lanczos{radius}")
    np.testing.assert_allclose(lanczos([0, 0.0005]), [1, 1])
    np.testing.assert_allclose(lanczos(np.arange(1, radius + 1)), 0, atol=1e-12)
    np.testing.assert_allclose(lanczos([radius + 0.5, 7.5]), 0)
    x = np.array([0.5, 1.3, 2.7])
    np.testing.assert_allclose(lanczos(x), np.sinc(x) * np.sinc(x / radius), rtol=1e-12)


def test_gaussian_kernel_has_sigma_half_and_radius_one_and_a_half():
    np.testing.assert_allclose(
        kernel("gaussian")([0, 0.5, 1, 1.49]), np.exp(-(np.array([0, 0.5, 1, 1.49]) ** 2) / 0.5)
    )
    np.testing.assert_array_equal(kernel("gaussian")([1.5, 2]), [0, 0])


SIZES = [
    (1, 1),
    (1, 5),
    (5, 1),
    (4, 2),
    (2, 4),
    (7, 3),
    (3, 7),
    (64, 4),
    (4, 64),
    (100, 37),
    (37, 100),
    (33, 33),
]


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
@pytest.mark.parametrize("antialias", [True, False])
def test_weights_sum_to_one_and_stay_inside(method, antialias):
    for in_size, out_size in SIZES:
        index, weights = degrade._spans(method, in_size, out_size, antialias)
        assert index.shape == weights.shape and index.shape[0] == out_size
        assert index.min() >= 0 and index.max() < in_size
        np.testing.assert_allclose(weights.sum(axis=1), 1, atol=1e-12)


def test_antialias_stretches_the_kernel_only_when_shrinking():
    _, weights = degrade._spans("bilinear", 64, 16, True)
    assert np.count_nonzero(weights[5]) == 8  # triangle of radius 1 stretched by 4
    _, weights = degrade._spans("bilinear", 64, 16, False)
    assert np.count_nonzero(weights[5]) == 2
    enlarged = [degrade._spans("bilinear", 16, 64, antialias)[1] for antialias in (True, False)]
    np.testing.assert_array_equal(*enlarged)


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
def test_constant_image_stays_constant(method):
    for value in (0, 77, 255):
        for in_size, out_size in SIZES:
            image = np.full((in_size, out_size + 2, 3), value, np.uint8)
            out = resize(image, out_size, in_size, method)
            assert out.shape == (out_size, in_size, 3)
            assert np.all(out == value), (method, value, in_size, out_size)


@pytest.mark.parametrize("method", INTERPOLATING)
def test_same_size_is_an_exact_copy_for_interpolating_methods(method):
    image = texture()
    np.testing.assert_array_equal(resize(image, *image.shape[:2], method), image)


@pytest.mark.parametrize("method", SMOOTHING)
def test_same_size_smooths_for_non_interpolating_kernels_as_tensorflow_does(method):
    image = texture()
    assert np.abs(resize(image, *image.shape[:2], method).astype(int) - image).max() > 0


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
def test_factor_one_is_a_copy(method):
    image = texture()
    out = downscale_upscale(image, 1.0, method)
    np.testing.assert_array_equal(out, image)
    assert out is not image


def test_hand_computed_four_to_two():
    row = np.array([[0, 70, 140, 210]], np.uint8)
    # Triangle kernel stretched by 2, output 0 samples at 1.0: inputs 0, 1, 2 at distances 0.25, 0.25, 0.75
    # (in stretched units) weigh 0.75, 0.75, 0.25 -> 3/7, 3/7, 1/7 -> (70*3 + 140)/7 = 50; output 1 mirrors:
    # (70 + 140*3 + 210*3)/7 = 160.
    np.testing.assert_array_equal(resize(row, 1, 2, "bilinear"), [[50, 160]])
    np.testing.assert_array_equal(resize(row.T, 2, 1, "bilinear"), [[50], [160]])
    # Keys cubic stretched by 2: distances 0.25, 0.25, 0.75, 1.25 weigh 0.8671875, 0.8671875, 0.2265625,
    # -0.0703125 (sum 1.890625): (70*0.8671875 + 140*0.2265625 - 210*0.0703125)/1.890625 = 41.07.
    np.testing.assert_array_equal(resize(row, 1, 2, "bicubic"), [[41, 169]])
    np.testing.assert_array_equal(resize(row, 1, 2, "area"), [[35, 175]])
    # Half-pixel nearest neighbour: floor((i + 0.5) * 2) = 1, 3.
    np.testing.assert_array_equal(resize(row, 1, 2, "nearest"), [[70, 210]])


def test_area_averages_the_covered_input():
    row = np.array([[0, 30, 60, 90, 120, 150]], np.uint8)
    # 6 -> 4: output 1 covers [1.5, 3) = half of pixel 1 and all of pixel 2 -> (15 + 60)/1.5 = 50.
    np.testing.assert_array_equal(resize(row, 1, 4, "area"), [[10, 50, 100, 140]])


def test_nearest_downscale_upscale_picks_half_pixel_centres():
    image = texture(8, 8, 1)[:, :, 0]
    out = downscale_upscale(image, 0.5, "nearest")
    rows = 2 * (np.arange(8) // 2) + 1
    np.testing.assert_array_equal(out, image[np.ix_(rows, rows)])


def test_reduced_size_is_rounded_and_enlarged_with_the_same_method(monkeypatch):
    calls = []

    def spy(image, height, width, method, antialias=True):
        calls.append((image.shape[:2], height, width, method, antialias))
        return resize(image, height, width, method, antialias)

    monkeypatch.setattr(degrade, "resize", spy)
    downscale_upscale(texture(30, 10), 0.25, "lanczos3")  # 7.5 -> 8, 2.5 -> 2 (half to even)
    assert calls == [((30, 10), 8, 2, "lanczos3", True), ((8, 2), 30, 10, "lanczos3", True)]


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
def test_reduced_size_is_at_least_one_pixel(method):
    image = texture(8, 8)
    out = downscale_upscale(image, 1 / 16, method)  # 8/16 rounds to 0 -> 1×1 -> a flat image
    assert out.shape == image.shape
    assert np.all(out == out[0, 0])


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
def test_error_does_not_grow_with_the_factor(method):
    image = texture(192, 160)
    errors = [
        np.abs(downscale_upscale(image, factor, method).astype(float) - image).mean()
        for factor in (1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 1)
    ]
    assert all(worse >= better for worse, better in pairwise(errors)), errors
    assert errors[0] > 10 and errors[-1] == 0


def checkerboard(size=64):
    y, x = np.indices((size, size))
    return (255 * ((x + y) % 2)).astype(np.uint8)


def test_antialiased_bilinear_shrinks_a_checkerboard_to_grey():
    out = resize(checkerboard(), 16, 16, "bilinear")
    assert abs(out.mean() - 127.5) < 1 and out.min() >= 125 and out.max() <= 130


def test_nearest_aliases_a_checkerboard():
    out = resize(checkerboard(), 16, 16, "nearest")
    assert set(np.unique(out)) <= {0, 255}
    assert abs(out.mean() - 127.5) > 100
    third = resize(checkerboard(), 21, 21, "nearest")  # stride 3 keeps full-contrast squares
    assert third.min() == 0 and third.max() == 255


@pytest.mark.parametrize("method", RESAMPLE_METHODS)
def test_shapes_and_determinism(method):
    colour = texture(50, 70)
    grey = colour[:, :, 0].copy()
    for image in (grey, colour):
        out = downscale_upscale(image, 0.3, method)
        assert out.dtype == np.uint8 and out.shape == image.shape
        assert out.tobytes() == downscale_upscale(image, 0.3, method).tobytes()
        assert resize(image, 23, 31, method).shape == (23, 31) + image.shape[2:]
    np.testing.assert_array_equal(
        downscale_upscale(grey, 0.3, method), downscale_upscale(colour, 0.3, method)[:, :, 0]
    )


def test_bad_arguments():
    image = texture(16, 16)
    with pytest.raises(ValueError, match="unknown resampling method"):
        downscale_upscale(image, 0.5, "cubic")
    with pytest.raises(ValueError, match="unknown resampling method"):
        resize(image, 8, 8, "box")
    for factor in (0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"within \(0, 1\]"):
            downscale_upscale(image, factor, "bilinear")
    with pytest.raises(ValueError, match="at least 1×1"):
        resize(image, 0, 8, "bilinear")
    with pytest.raises(ValueError, match="uint8"):
        downscale_upscale(image.astype(np.float32), 0.5, "bilinear")


# Independent implementations of the same scheme (kernel stretched by 1/scale when shrinking, half-pixel
# centres, taps outside the image dropped and the rest renormalised): PyTorch's antialiased interpolate and
# Pillow's resampling of float images. They must give the same uint8 images, up to a float tie.


@pytest.mark.parametrize("method", ["bilinear", "bicubic"])
def test_agrees_with_torch_antialiased_interpolate(method):
    torch = pytest.importorskip("torch")
    image = texture(37, 53, seed=1)
    batch = torch.from_numpy(image.astype(np.float64)).permute(2, 0, 1)[None]
    for height, width in [(9, 13), (20, 30), (80, 100), (1, 1), (5, 70)]:
        reference = torch.nn.functional.interpolate(batch, size=(height, width), mode=method, antialias=True)
        reference = np.clip(np.rint(reference[0].permute(1, 2, 0).numpy()), 0, 255)
        assert np.abs(resize(image, height, width, method) - reference).max() <= 1


@pytest.mark.parametrize(
    ("method", "pillow"),
    [
        ("lanczos3", Image.Resampling.LANCZOS),
        ("bicubic", Image.Resampling.BICUBIC),
        ("bilinear", Image.Resampling.BILINEAR),
    ],
)
def test_agrees_with_pillow_on_float_images(method, pillow):
    image = texture(37, 53, 1, seed=2)[:, :, 0]
    source = Image.fromarray(image.astype(np.float32), mode="F")
    for height, width in [(9, 13), (20, 30), (80, 100), (1, 1), (5, 70)]:
        reference = np.clip(np.rint(np.asarray(source.resize((width, height), pillow))), 0, 255)
        assert np.abs(resize(image, height, width, method) - reference).max() <= 1
