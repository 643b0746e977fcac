"""The one place that decodes and validates images: :func:`load_image`.

:func:`load_image` returns a float32 tensor (C, H, W) with values in [0, 1]. Its rules:

* EXIF orientation is applied (``ImageOps.exif_transpose``). pyiqa does not apply it, so a file
  with an orientation tag other than 1 is the one case where the 8-bit rule below differs from pyiqa.
* 8-bit images become RGB through Pillow's ``convert("RGB")`` and are divided by 255, exactly as
  pyiqa loads them (``to_tensor(Image.open(p).convert("RGB"))``); the NIQE and BRISQUE
  calibrations rely on this being bit-exact. So: grey (L) is replicated to 3 channels; 1-bit gives
  0 and 1; P goes through its palette; CMYK, YCbCr and LAB use Pillow's conversions; alpha (LA,
  PA, RGBA, premultiplied RGBa) is dropped, not composited on a background, because pyiqa and the
  published numbers convert with ``convert("RGB")``, which drops it.
* 16-bit grey (I;16, I;16B, I;16L, and I, whose values must lie in 0..65535) is divided by 65535 in
  float32, keeping its precision (``convert("RGB")`` would clip it to 255, so pyiqa differs here).
  Pillow itself decodes 48-bit RGB PNG and 16-bit RGB TIFF to 8 bits per channel; they follow the
  8-bit rule. F (32-bit float) is taken as it is and must lie in [0, 1]. Grey is replicated for C = 3.
* ``channels=1`` gives luma, ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B): Pillow's ``convert("L")``
  of the RGB image for 8-bit data, the grey values themselves (unrounded) for high-depth grey.
* A multi-frame file (GIF, APNG, TIFF) gives its first frame.
* The size is checked from the header before any pixel is decoded: more than ``max_pixels``
  pixels, or a side shorter than ``min_size``, is refused. The default limit, 100 megapixels, is
  1.2 GB decoded (float32 × 3 channels = 12 bytes a pixel), and decoding briefly needs about half as
  much again (the 8-bit pixels); a 285 KB PNG can hold 10000×10000 pixels. The runner also caps the
  decoded pixels of a batch (:func:`iqabench.settings.batch_pixels`). Pillow's own decompression-bomb check
  (``Image.MAX_IMAGE_PIXELS``) is off while a load runs, since ``max_pixels`` replaces it, and is
  restored when the last concurrent load returns. Truncated files are refused;
  ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set.

Every failure raises :class:`~iqabench.errors.ImageError` with a message that names the problem
and what to do, and not the path: the runner records it per sample and the report groups failures
by message.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import threading
from typing import BinaryIO, Iterator

import numpy as np
import torch
from PIL import Image, ImageOps

from . import settings
from .errors import ImageError

__all__ = ["load_image"]

#: modes decoded from their own values rather than through convert("RGB"): mode -> full scale.
_HIGH_DEPTH = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I": 65535, "F": 1}
#: where a header stores width and height, for naming a zero-size image Pillow refuses to open.
_HEADER_SIZE = {"PNG": (16, ">II"), "GIF": (6, "<HH")}

_limit_lock = threading.Lock()
_active_loads = 0
_saved_limit: int | None = None


def load_image(
    path: str | os.PathLike, channels: int = 3, max_pixels: int | None = None, min_size: int = 1
) -> torch.Tensor:
    """Decode and validate one image file; float32 (channels, H, W) in [0, 1] (rules: module docstring).

    ``max_pixels`` defaults to :func:`iqabench.settings.max_pixels` (``IQABENCH_MAX_PIXELS``, 100 megapixels)."""
    max_pixels = max_pixels if max_pixels is not None else settings.max_pixels()
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, not {channels!r}")
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        raise ImageError("file not found: check the dataset root and the file name in the labels") from None
    except IsADirectoryError:
        raise ImageError("a directory, not an image file: the labels name a folder where a file should be") from None
    except PermissionError:
        raise ImageError("permission denied: the file exists but cannot be read; check its permissions") from None
    except OSError as exc:
        raise ImageError(f"cannot open the file: {exc.strerror}") from None
    with file, _pillow_bomb_check_off():
        image = _open(file, max_pixels, min_size)
        try:
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
        except Exception as exc:  # any decoder failure belongs to this file
            raise _failure(image.format, "data", exc) from None
        return _to_tensor(image, channels)


@contextlib.contextmanager
def _pillow_bomb_check_off() -> Iterator[None]:
    """Set Image.MAX_IMAGE_PIXELS to None while any load runs; restore it after the last one."""
    global _active_loads, _saved_limit
    with _limit_lock:
        if _active_loads == 0:
            _saved_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
        _active_loads += 1
    try:
        yield
    finally:
        with _limit_lock:
            _active_loads -= 1
            if _active_loads == 0:
                Image.MAX_IMAGE_PIXELS = _saved_limit


def _open(file: BinaryIO, max_pixels: int, min_size: int) -> Image.Image:
    """Identify the file and check its size from the header; nothing is decoded yet."""
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise ImageError("empty file (0 bytes): an interrupted download or copy? Fetch the file again")
    try:
        image = Image.open(file)
    except Image.UnidentifiedImageError:
        raise _unidentified(file, size) from None
    except Image.DecompressionBombError as exc:  # only when other code sets MAX_IMAGE_PIXELS meanwhile
        raise _too_large(f"Pillow refused it as a possible decompression bomb ({exc})", max_pixels) from None
    except Exception as exc:  # a plugin failed after recognising the format
        raise _failure(_sniff(file)[0], "header", exc) from None
    width, height = image.size
    if width * height > max_pixels:
        raise _too_large(f"{width}×{height} = {width * height:,} pixels", max_pixels)
    if min(width, height) < min_size:
        raise ImageError(
            f"image too small: {width}×{height} pixels; this metric needs at least {min_size} pixels on each side"
        )
    return image


def _to_tensor(image: Image.Image, channels: int) -> torch.Tensor:
    """(channels, H, W) float32 in [0, 1] by the module's rules."""
    if image.mode in _HIGH_DEPTH:
        grey = torch.from_numpy(_high_depth(image))[None]
        return grey.repeat(3, 1, 1) if channels == 3 else grey
    if channels == 1 and image.mode == "L":
        picture = image
    else:
        try:
            picture = image.convert("RGB")
        except ValueError:
            raise ImageError(
                f"unsupported pixel mode {image.mode!r}: Pillow cannot convert it to RGB; save the image as RGB or grey"
            ) from None
        if channels == 1:
            picture = picture.convert("L")
    array = torch.from_numpy(np.array(picture, dtype=np.uint8))
    del picture
    pixels = array.view(array.shape[0], array.shape[1], -1).permute(2, 0, 1)
    # the same values as torchvision's to_tensor (uint8 to float32, then / 255), so the result is bit-exact
    # with pyiqa's; converted straight into the one float32 tensor (12 bytes a pixel for RGB) and divided
    # in place, so no second float32 copy or contiguous 8-bit copy is made (2.7 GB less at 100 megapixels).
    tensor = torch.empty(pixels.shape, dtype=torch.float32)
    tensor.copy_(pixels)
    del array, pixels
    return tensor.div_(255)


def _high_depth(image: Image.Image) -> np.ndarray:
    """A 16-bit, 32-bit integer or float grey image as float32 (H, W) in [0, 1]."""
    values = np.asarray(image)
    scale = _HIGH_DEPTH[image.mode]
    if image.mode == "F":
        if not np.isfinite(values).all() or values.min() < 0 or values.max() > 1:
            raise ImageError(
                f"floating-point pixels outside [0, 1] (min {values.min():g}, max {values.max():g}): their scale "
                "is unknown; save the image as 8- or 16-bit, or as floats in [0, 1]"
            )
    elif image.mode == "I" and (values.min() < 0 or values.max() > scale):
        raise ImageError(
            f"32-bit integer pixels outside 0..65535 (min {values.min()}, max {values.max()}): their scale is "
            "unknown; save the image as 8- or 16-bit"
        )
    return values.astype(np.float32) / np.float32(scale)


def _too_large(what: str, max_pixels: int) -> ImageError:
    return ImageError(
        f"image too large: {what}; the limit is {max_pixels:,} pixels, raise it with --max-pixels N "
        "or IQABENCH_MAX_PIXELS=N"
    )


_QUOTED_BYTES = re.compile(r"b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\"")


def _failure(fmt: str | None, stage: str, exc: Exception) -> ImageError:
    """A truncated or corrupt file of format ``fmt``; ``stage`` is "header" or "data"."""
    name = fmt or "image"
    # Pillow quotes bytes of the file in some errors; a file's contents never reach the store
    reason = _QUOTED_BYTES.sub("<bytes of the file>", str(exc)) or type(exc).__name__
    if "truncated" in reason.lower():
        where = "inside its header" if stage == "header" else "before its image data is complete"
        return ImageError(f"truncated {name} file: it ends {where} ({reason}); download or copy it again")
    qualifier = "corrupt or unsupported" if stage == "header" else "corrupt"
    return ImageError(f"{qualifier} {name} {stage}: Pillow cannot decode it ({reason}); re-export or replace the file")


def _sniff(file: BinaryIO) -> tuple[str | None, bytes]:
    """The format whose signature starts the file (None if none does) and the first 512 bytes."""
    file.seek(0)
    head = file.read(512)
    Image.init()
    for fmt, (_, accept) in Image.OPEN.items():
        try:
            if accept is not None and accept(head[:16]):
                return fmt, head
        except (IndexError, struct.error):  # a signature test reading past a very short file
            continue
    return None, head


def _unidentified(file: BinaryIO, size: int) -> ImageError:
    """Why Pillow could not identify the file: not an image at all, a zero size, or a broken header."""
    fmt, head = _sniff(file)
    if fmt is None:
        return ImageError(
            f"not an image: Pillow recognises no image format in this {size:,}-byte file{_content_hint(head)}"
        )
    verdict = Image.OPEN[fmt][1](head[:16])
    if isinstance(verdict, str):  # Pillow knows the format but lacks the codec
        return ImageError(f"unreadable {fmt} file: {verdict}")
    if fmt in _HEADER_SIZE and len(head) >= _HEADER_SIZE[fmt][0] + 8:
        offset, layout = _HEADER_SIZE[fmt]
        width, height = struct.unpack_from(layout, head, offset)
        if width == 0 or height == 0:
            return ImageError(f"zero-size image: the {fmt} header says {width}×{height} pixels; re-export the file")
    return _failure(fmt, "header", _plugin_error(fmt, file))


def _plugin_error(fmt: str, file: BinaryIO) -> Exception:
    """The error of ``fmt``'s plugin on this file, which Image.open does not keep."""
    file.seek(0)
    try:
        Image.OPEN[fmt][0](file, "")
    except Exception as exc:
        return exc
    return Exception(f"the {fmt} plugin reads it alone but Image.open does not")


def _content_hint(head: bytes) -> str:
    lowered = head.lower()
    if b"<html" in lowered or b"<!doctype html" in lowered or lowered.lstrip().startswith(b"<?xml"):
        return (
            "; it looks like an HTML or XML page: a failed download (an error or login page) saved under an "
            "image name? Download it again"
        )
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if all(c.isprintable() or c.isspace() for c in text):
        return "; it looks like text, not image data"
    return ""
