"""Builders of image files for tests: bad files that ``load_image`` refuses, and odd but valid ones.

* :func:`build_bad_image_corpus` writes files that each fail in their own way and returns
  file name -> a distinctive substring of ``load_image``'s error message for that file.
* :func:`build_odd_image_corpus` writes valid files in unusual modes and returns
  file name -> the Pillow mode the file opens in.

Both are deterministic, need only Pillow and numpy, and write small files (under 32 KiB each).
Other test modules (end-to-end runs) reuse them: keep the signatures and file names stable.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

#: side of tiny.png: it loads with min_size <= TINY_SIDE and fails with a larger min_size.
TINY_SIDE = 2
#: width and height that huge.png's header claims; over the default limit (100 megapixels).
HUGE_SIDE = 30000
#: width and height of the odd-mode files (exif_rotated.jpg loads as ODD_SIZE[1] wide, ODD_SIZE[0] high).
ODD_SIZE = (128, 96)


def build_bad_image_corpus(directory: str | Path) -> dict[str, str]:
    """Write the bad files into ``directory`` (created if needed); return name -> expected message part.

    Every message part holds with load_image's defaults, except tiny.png, a valid 2×2 image that
    fails only with min_size > TINY_SIDE; huge.png also needs IQABENCH_MAX_PIXELS unset or below
    HUGE_SIDE². folder.png is a directory. The files contain no third-party data.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = _encode(picture(*ODD_SIZE), "JPEG", quality=90)
    png = _encode(picture(*ODD_SIZE), "PNG")
    files = {
        "empty.png": (b"", "empty file (0 bytes)"),
        "text_as.jpg": (b"Quality ratings, batch 3: see the spreadsheet.\n" * 4, "looks like text"),
        "html_error_page.jpg": (_HTML_404, "looks like an HTML or XML page"),
        "zeros.png": (bytes(1024), "no image format in this 1,024-byte file"),
        "truncated.jpg": (jpeg[: len(jpeg) * 3 // 5], "truncated JPEG file: it ends before its image data"),
        "truncated.png": (png[: len(png) * 3 // 5], "truncated PNG file: it ends before its image data"),
        "truncated_header.png": (png[:20], "truncated PNG file: it ends inside its header"),
        "corrupt_header.png": (_flip(png, 29, 1), "corrupt or unsupported PNG header"),
        "corrupt_data.jpg": (_bogus_marker_mid_scan(jpeg), "corrupt JPEG data"),
        "corrupt_data.png": (_flip(png, _idat_data_offset(png), 2), "corrupt PNG data"),
        "huge.png": (
            _png(HUGE_SIDE, HUGE_SIDE, 8, 0, b""),
            f"image too large: {HUGE_SIDE}×{HUGE_SIDE} = {HUGE_SIDE * HUGE_SIDE:,} pixels",
        ),
        "tiny.png": (_encode(picture(TINY_SIDE, TINY_SIDE), "PNG"), f"image too small: {TINY_SIDE}×{TINY_SIDE}"),
        "zero_width.png": (_png(0, 16, 8, 0, b"\0" * 16), "zero-size image: the PNG header says 0×16"),
        "zero_frames.gif": (b"GIF89a" + struct.pack("<HHBBB", 4, 4, 0, 0, 0) + b";", "no more images in GIF file"),
        "unsupported_mode.tif": (_premultiplied_grey_tiff(), "unsupported pixel mode 'La'"),
        "float_out_of_range.tif": (
            _encode(Image.fromarray(np.full((16, 16), 200.0, np.float32)), "TIFF"),
            "floating-point pixels outside [0, 1]",
        ),
        "int32_out_of_range.tif": (
            _encode(Image.fromarray(np.full((16, 16), 1_000_000, np.int32)), "TIFF"),
            "32-bit integer pixels outside 0..65535",
        ),
    }
    expected = {}
    for name, (data, message) in files.items():
        (folder / name).write_bytes(data)
        expected[name] = message
    (folder / "folder.png").mkdir(exist_ok=True)
    expected["folder.png"] = "a directory, not an image file"
    return expected


def build_odd_image_corpus(directory: str | Path) -> dict[str, str]:
    """Write valid files in unusual modes into ``directory``; return name -> the mode Pillow opens them in.

    Each is ODD_SIZE (width, height) and holds :func:`picture` converted (the 16-bit and float ones :func:`picture16`).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    rgb = picture(*ODD_SIZE)
    ramp = np.linspace(0, 255, ODD_SIZE[1]).round().astype(np.uint8)
    alpha = Image.fromarray(np.repeat(ramp[:, None], ODD_SIZE[0], axis=1))  # top transparent, bottom opaque
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    grey_alpha = rgb.convert("L")
    grey_alpha.putalpha(alpha)
    palette = rgb.quantize(16)
    palette.info["transparency"] = 0
    grey16 = picture16()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    files = {
        "grey.png": (rgb.convert("L"), "PNG", {}),
        "grey_alpha.png": (grey_alpha, "PNG", {}),
        "palette_transparent.png": (palette, "PNG", {}),
        "rgba.png": (rgba, "PNG", {}),
        "cmyk.jpg": (rgb.convert("CMYK"), "JPEG", {"quality": 95}),
        "lab.tif": (rgb.convert("LAB"), "TIFF", {}),
        "bilevel.png": (rgb.convert("1"), "PNG", {}),
        "exif_rotated.jpg": (rgb, "JPEG", {"quality": 95, "exif": exif}),
        "grey16.png": (Image.fromarray(grey16), "PNG", {}),
        "grey16_big_endian.tif": (Image.frombytes("I;16B", ODD_SIZE, grey16.astype(">u2").tobytes()), "TIFF", {}),
        "float.tif": (Image.fromarray(grey16.astype(np.float32) / 65535), "TIFF", {}),
    }
    modes = {}
    for name, (image, fmt, options) in files.items():
        image.save(folder / name, fmt, **options)
        modes[name] = image.mode
    (folder / "grey16.pgm").write_bytes(b"P5\n%d %d\n65535\n" % ODD_SIZE + grey16.astype(">u2").tobytes())
    modes["grey16.pgm"] = "I"  # Pillow opens 16-bit PGM as 32-bit integer mode I
    (folder / "rgb48.png").write_bytes(_png(*ODD_SIZE, 16, 2, _rows(np.dstack([grey16] * 3).astype(">u2"))))
    modes["rgb48.png"] = "RGB"  # Pillow keeps 8 bits per channel of a 48-bit PNG
    return modes


def picture16() -> np.ndarray:
    """The 16-bit grey content of the odd-mode files: (height, width) uint16 using the full range."""
    width, height = ODD_SIZE
    ramp = np.linspace(0, 65535, width * height).round().astype(np.uint16)
    return ramp.reshape(height, width)


def picture(width: int, height: int) -> Image.Image:
    """The deterministic RGB picture of the files: smooth regions, edges and texture."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    noise = np.random.default_rng(7).normal(0, 12, (height, width, 3))
    rgb = np.dstack([
        128 + 90 * np.sin(x / 9) * np.cos(y / 13),
        255 * x / max(width - 1, 1),
        np.where((x // 16 + y // 16) % 2 == 0, 200, 60),
    ]) + noise
    return Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB")


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _flip(data: bytes, offset: int, count: int) -> bytes:
    """``data`` with ``count`` bytes from ``offset`` inverted."""
    flipped = bytearray(data)
    for i in range(offset, offset + count):
        flipped[i] ^= 0xFF
    return bytes(flipped)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG whose IHDR says what it is told, whatever the rows hold: crafted sizes stay tiny on disk."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def _rows(pixels: np.ndarray) -> bytes:
    """PNG scanlines (filter type 0) of an (H, W, C) array already in its on-disk byte order."""
    return b"".join(b"\0" + row.tobytes() for row in pixels)


def _idat_data_offset(png: bytes) -> int:
    """Where the compressed data of the first IDAT chunk starts (its zlib header)."""
    return png.index(b"IDAT") + 4


def _bogus_marker_mid_scan(jpeg: bytes) -> bytes:
    """``jpeg`` with 6 bytes in the middle of its entropy-coded data replaced by an invalid DHT segment.

    Flipping random bits of the scan often decodes to garbage without an error; a bogus marker
    segment makes libjpeg stop with an error in every version.
    """
    sos = jpeg.index(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", jpeg[sos + 2 : sos + 4])[0]
    middle = (start + jpeg.rindex(b"\xff\xd9")) // 2
    bogus = b"\xff\xc4\x00\x04\xff\xff"
    return jpeg[:middle] + bogus + jpeg[middle + len(bogus) :]


def _premultiplied_grey_tiff() -> bytes:
    """A grey + associated-alpha TIFF, which Pillow opens in mode La and cannot convert to RGB."""
    data = _encode(Image.new("LA", (16, 16), (100, 128)), "TIFF")
    extra_samples = struct.pack("<HHI", 338, 3, 1)  # tag ExtraSamples, SHORT, one value
    at = data.index(extra_samples) + len(extra_samples)
    return data[:at] + struct.pack("<H", 1) + data[at + 2 :]  # 2 (unassociated alpha) -> 1 (associated)


_HTML_404 = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body>
</html>
"""
