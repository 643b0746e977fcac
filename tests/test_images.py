"""iqabench.images: every decoding rule, every refusal, and bit-exact equality with pyiqa's loading path."""

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile
from torchvision.transforms.functional import to_tensor

from bad_inputs import ODD_SIZE, TINY_SIDE, build_bad_image_corpus, build_odd_image_corpus, picture, picture16
from shared_data import SHARED, requires_shared, shared_file
from iqabench import images, settings
from iqabench.errors import ImageError, UsageError
from iqabench.hashing import file_sha256
from iqabench.images import load_image

CALIB = SHARED / "data" / "calib"
#: 8-bit files of the odd corpus: they must load exactly as pyiqa loads them.
EIGHT_BIT = ["grey.png", "grey_alpha.png", "palette_transparent.png", "rgba.png", "cmyk.jpg", "lab.tif",
             "bilevel.png", "rgb48.png"]
#: high-depth grey files of the odd corpus, all holding picture16().
HIGH_DEPTH = ["grey16.png", "grey16_big_endian.tif", "grey16.pgm", "float.tif"]


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    return folder, build_bad_image_corpus(folder)


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    folder = tmp_path_factory.mktemp("odd")
    return folder, build_odd_image_corpus(folder)


def pyiqa_load(path) -> torch.Tensor:
    """pyiqa's loading path (pyiqa.utils.img_util.imread2tensor(path, rgb=True)), without pyiqa."""
    return to_tensor(Image.open(path).convert("RGB"))


def error_of(path, **options) -> str:
    with pytest.raises(ImageError) as caught:
        load_image(path, **options)
    return str(caught.value)


# -- refusals --------------------------------------------------------------------------------------
def test_every_bad_file_fails_with_its_own_message(bad):
    folder, expected = bad
    assert len(expected) >= 12
    messages = {}
    for name, part in expected.items():
        messages[name] = error_of(folder / name, max_pixels=100_000_000, min_size=TINY_SIDE + 1)
        assert part in messages[name], name
    assert len(set(messages.values())) == len(expected), messages
    # the report groups failures by message, so a message never names the file
    assert not [m for m in messages.values() if str(folder) in m or any(name in m for name in expected)]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_tiny_file_loads_when_the_metric_accepts_its_size(bad):
    folder, _ = bad
    assert load_image(folder / "tiny.png", min_size=TINY_SIDE).shape == (3, TINY_SIDE, TINY_SIDE)


def test_missing_file(tmp_path):
    assert error_of(tmp_path / "nowhere.png").startswith("file not found")


def test_other_open_errors(tmp_path):
    assert error_of(tmp_path / ("x" * 300 + ".png")) == "cannot open the file: File name too long"


@pytest.mark.parametrize("data", [b"\0", b"ab", b"BM", b"GIF8", b"II*\0", b"\x89PNG", b"\xff\xd8\xff"])
def test_very_short_files(tmp_path, data):
    path = tmp_path / "short.jpg"
    path.write_bytes(data)
    assert error_of(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root (or Windows) reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.png"
    picture(8, 8).save(path)
    path.chmod(0)
    assert error_of(path).startswith("permission denied")


def test_permission_error_is_mapped(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(images, "open", refuse, raising=False)
    assert error_of(tmp_path / "any.png").startswith("permission denied")


def test_too_large_names_size_limit_and_how_to_raise_it(tmp_path):
    path = tmp_path / "100x50.png"
    picture(100, 50).save(path)
    message = error_of(path, max_pixels=4999)
    assert "image too large: 100×50 = 5,000 pixels" in message and "4,999" in message
    assert "--max-pixels" in message and "IQABENCH_MAX_PIXELS" in message
    assert load_image(path, max_pixels=5000).shape == (3, 50, 100)


def test_size_is_checked_before_decoding(bad, monkeypatch):
    folder, _ = bad

    def no_decoding(self):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    assert error_of(folder / "huge.png").startswith("image too large")
    assert error_of(folder / "tiny.png", min_size=TINY_SIDE + 1).startswith("image too small")


def test_pillow_bomb_error_maps_to_too_large(tmp_path, monkeypatch):
    path = tmp_path / "any.png"
    picture(8, 8).save(path)

    def bomb(*args, **kwargs):
        raise Image.DecompressionBombError("Image size (900000000 pixels) exceeds limit of 178956970 pixels")

    monkeypatch.setattr(Image, "open", bomb)
    message = error_of(path)
    assert message.startswith("image too large") and "900000000 pixels" in message and "--max-pixels" in message


def test_max_pixels_replaces_pillow_limit_without_leaking(tmp_path, monkeypatch):
    path = tmp_path / "100x100.png"
    picture(100, 100).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow alone refuses > 2000 pixels
    assert load_image(path, max_pixels=10_000).shape == (3, 100, 100)
    assert error_of(path, max_pixels=9_999).startswith("image too large")
    assert Image.MAX_IMAGE_PIXELS == 1000
    with ThreadPoolExecutor(8) as pool:
        shapes = list(pool.map(lambda _: load_image(path, max_pixels=10_000).shape, range(64)))
    assert shapes == [(3, 100, 100)] * 64
    assert Image.MAX_IMAGE_PIXELS == 1000


def test_too_small_names_size_and_minimum(tmp_path):
    path = tmp_path / "40x30.png"
    picture(40, 30).save(path)
    message = error_of(path, min_size=31)
    assert "image too small: 40×30 pixels" in message and "at least 31 pixels" in message
    assert load_image(path, min_size=30).shape == (3, 30, 40)


def test_max_pixels_reads_the_environment_at_call_time(monkeypatch):
    monkeypatch.delenv("IQABENCH_MAX_PIXELS", raising=False)
    assert settings.max_pixels() == 100_000_000
    monkeypatch.setenv("IQABENCH_MAX_PIXELS", "12345")
    assert settings.max_pixels() == 12345
    with settings.overrides(max_pixels=99):
        assert settings.max_pixels() == 99
    monkeypatch.setenv("IQABENCH_MAX_PIXELS", "lots")
    with pytest.raises(UsageError, match=r"IQABENCH_MAX_PIXELS='lots' is not a positive whole number of pixels"):
        settings.max_pixels()


def test_a_bad_setting_is_exit_2_with_a_message_not_a_traceback(tmp_path, sample_images):
    env = {**os.environ, "IQABENCH_MAX_PIXELS": "abc", "IQABENCH_STORE": str(tmp_path / "s.sqlite")}
    result = subprocess.run([sys.executable, "-m", "iqabench", "run", "-m", "pyiqa:piqe", "-d", "folder", "--root",
                             str(sample_images[0].parent)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert "IQABENCH_MAX_PIXELS='abc'" in result.stderr and "Traceback" not in result.stderr


def test_channels_must_be_1_or_3(odd):
    folder, _ = odd
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        load_image(folder / "grey.png", channels=2)


# -- decoding rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, options", [("PNG", {}), ("JPEG", {"quality": 85}), ("BMP", {}), ("TIFF", {})])
def test_8bit_rgb_is_bit_exact_with_pyiqa(tmp_path, fmt, options):
    path = tmp_path / f"picture.{fmt.lower()}"
    picture(123, 77).save(path, fmt, **options)
    loaded = load_image(path)
    assert loaded.dtype == torch.float32 and loaded.is_contiguous()
    assert torch.equal(loaded, pyiqa_load(path))


@pytest.mark.parametrize("name", EIGHT_BIT)
def test_odd_8bit_modes_are_bit_exact_with_pyiqa(odd, name):
    folder, modes = odd
    with Image.open(folder / name) as image:
        assert image.mode == modes[name]
    loaded = load_image(folder / name)
    assert loaded.shape == (3, ODD_SIZE[1], ODD_SIZE[0])
    assert torch.equal(loaded, pyiqa_load(folder / name))


@pytest.mark.pyiqa
def test_equal_to_pyiqa_itself(odd):
    img_util = pytest.importorskip("pyiqa.utils.img_util", reason="the optional pyiqa extra is not installed")
    folder, _ = odd
    for name in EIGHT_BIT:
        assert torch.equal(load_image(folder / name), img_util.imread2tensor(str(folder / name), rgb=True)), name


@requires_shared
@pytest.mark.parametrize("folder", ["dist_dir", "ref_dir"])
def test_calibration_images_are_bit_exact_with_pyiqa(folder):
    paths = sorted(shared_file(f"data/calib/{folder}").glob("*.bmp"))
    assert paths, f"no .bmp files in {CALIB / folder}"
    for path in paths:
        assert torch.equal(load_image(path), pyiqa_load(path)), path.name


def test_alpha_is_dropped_not_composited(odd):
    folder, _ = odd
    with Image.open(folder / "rgba.png") as image:
        pixels = np.asarray(image)
    assert pixels[..., 3].min() == 0 and pixels[..., 3].max() == 255
    expected = torch.from_numpy(pixels[..., :3].copy()).permute(2, 0, 1).float() / 255
    assert torch.equal(load_image(folder / "rgba.png"), expected)

    with Image.open(folder / "grey_alpha.png") as image:
        grey = np.asarray(image)[..., 0]
    loaded = load_image(folder / "grey_alpha.png")
    assert all(torch.equal(channel, torch.from_numpy(grey.copy()).float() / 255) for channel in loaded)


def test_palette_goes_through_the_palette_ignoring_transparency(odd):
    folder, _ = odd
    with Image.open(folder / "palette_transparent.png") as image:
        assert image.info["transparency"] == 0
        index = np.asarray(image)
        colour = torch.tensor(image.getpalette()[:3], dtype=torch.float32) / 255
    transparent = torch.from_numpy(index == 0)
    assert transparent.any()
    loaded = load_image(folder / "palette_transparent.png")
    assert torch.equal(loaded[:, transparent], colour[:, None].expand(3, int(transparent.sum())))


@pytest.mark.parametrize("name, tolerance", [("cmyk.jpg", 0.03), ("lab.tif", 0.02)])
def test_colour_spaces_are_converted_to_rgb(odd, name, tolerance):
    folder, _ = odd
    original = to_tensor(picture(*ODD_SIZE))
    assert (load_image(folder / name) - original).abs().mean() < tolerance


def test_bilevel_gives_0_and_1(odd):
    folder, _ = odd
    for channels in (1, 3):
        assert load_image(folder / "bilevel.png", channels).unique().tolist() == [0.0, 1.0]


def test_exif_orientation_6_rotates_clockwise(odd):
    folder, _ = odd
    stored = pyiqa_load(folder / "exif_rotated.jpg")  # pyiqa ignores the orientation
    loaded = load_image(folder / "exif_rotated.jpg")
    width, height = ODD_SIZE
    assert stored.shape == (3, height, width) and loaded.shape == (3, width, height)
    # orientation 6 means "rotate 90° clockwise to display": the stored left column, read bottom to
    # top, becomes the top row
    assert torch.equal(loaded[:, 0, :], stored[:, :, 0].flip(-1))
    assert torch.equal(loaded[:, :, -1], stored[:, 0, :])


@pytest.mark.parametrize("name", HIGH_DEPTH)
def test_high_depth_grey_keeps_its_precision(odd, name):
    folder, modes = odd
    with Image.open(folder / name) as image:
        assert image.mode == modes[name]
    expected = torch.from_numpy(picture16().astype(np.float32) / np.float32(65535))
    grey = load_image(folder / name, channels=1)
    assert grey.dtype == torch.float32 and torch.equal(grey[0], expected)
    assert grey.unique().numel() > 256  # finer than 8 bits
    assert torch.equal(load_image(folder / name), expected.expand(3, -1, -1))


def test_48bit_png_keeps_the_8_bits_pillow_decodes(odd):
    folder, _ = odd
    high_bytes = torch.from_numpy((picture16() >> 8).astype(np.float32)) / 255
    assert torch.equal(load_image(folder / "rgb48.png"), high_bytes.expand(3, -1, -1))


def test_one_channel_is_bt601_luma(tmp_path):
    path = tmp_path / "picture.png"
    picture(64, 48).save(path)
    luma = load_image(path, channels=1)
    assert luma.shape == (1, 48, 64)
    assert torch.equal(luma, to_tensor(Image.open(path).convert("RGB").convert("L")))
    r, g, b = load_image(path)
    assert (luma[0] - (0.299 * r + 0.587 * g + 0.114 * b)).abs().max() <= 0.5 / 255 + 1e-6


def test_grey_is_replicated_to_three_channels(odd):
    folder, _ = odd
    grey = load_image(folder / "grey.png", channels=1)
    assert grey.shape == (1, ODD_SIZE[1], ODD_SIZE[0])
    assert torch.equal(load_image(folder / "grey.png"), grey.expand(3, -1, -1))


def test_multi_frame_file_gives_its_first_frame(tmp_path):
    path = tmp_path / "animation.gif"
    first, second = Image.new("RGB", (16, 16), (255, 0, 0)), Image.new("RGB", (16, 16), (0, 0, 255))
    first.save(path, save_all=True, append_images=[second])
    assert load_image(path)[:, 0, 0].tolist() == [1.0, 0.0, 0.0]


# -- file_sha256 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [0, 1, (1 << 20) * 2 + 12345])
def test_file_sha256(tmp_path, size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
