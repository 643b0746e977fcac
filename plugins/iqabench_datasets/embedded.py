"""The built-in ``default`` dataset: sample photographs of scikit-image, degraded synthetically.

Six public-domain/CC0 photographs that ship inside scikit-image (:data:`SOURCES`) are resized to at
most 384 pixels on the long side (Pillow Lanczos, RGB) and degraded with :mod:`iqabench.degrade`:
Gaussian blur, Gaussian noise and JPEG, levels 1–4 each: 6 × 3 × 4 = 72 samples. The MOS is
``5 - level`` (4 mild … 1 severe, higher is better); the pristine image (level 0, MOS 5) is not a
sample but the reference of every sample made from it, so full-reference metrics work too; the group
is the source photograph.

The files are written under the root on first use (``reference/<source>.png``,
``<kind>/<source>_<level>.png``) and reused after. Each file is written to a temporary name and
renamed, so concurrent first uses never leave a partial file, and the same machine always writes the
same bytes. A stamp file records the recipe; when the recipe changes, the files are rewritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np
import skimage.data
from PIL import Image

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.degrade import KINDS, LEVELS, degrade

SOURCES = ("astronaut", "camera", "chelsea", "coffee", "immunohistochemistry", "rocket")
MAX_SIDE = 384
TOP_MOS = 5
STAMP = ".recipe"
PNG_COMPRESS_LEVEL = 1  # zlib level: fast to write, lossless like any other


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    materialise(root)
    samples = [
        Sample(
            id=degraded_name(source, kind, level),
            path=root / degraded_name(source, kind, level),
            ref_path=root / reference_name(source),
            mos=float(TOP_MOS - level),
            group=source,
        )
        for source in SOURCES for kind, level in degradations()
    ]
    return ReadResult(samples, None, "photo")


def degradations() -> list[tuple[str, int]]:
    """(kind, level) of every degraded version of a source, in sample order."""
    return [(kind, level) for kind in KINDS for level in range(1, len(LEVELS[kind]) + 1)]


def reference_name(source: str) -> str:
    return f"reference/{source}.png"


def degraded_name(source: str, kind: str, level: int) -> str:
    return f"{kind}/{source}_{level}.png"


def recipe() -> str:
    """What the files depend on; a change rewrites them."""
    return json.dumps({"version": 1, "sources": SOURCES, "max_side": MAX_SIDE, "levels": LEVELS,
                       "png_compress_level": PNG_COMPRESS_LEVEL}, sort_keys=True)


def materialise(root: Path) -> None:
    """Write every file of the dataset that is missing (all of them when the recipe changed)."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = root / STAMP
    current = hashlib.sha256(recipe().encode()).hexdigest()
    stale = not stamp.is_file() or stamp.read_text().strip() != current
    for source in SOURCES:
        wanted = {reference_name(source): (None, 0)}
        wanted.update({degraded_name(source, kind, level): (kind, level) for kind, level in degradations()})
        todo = {name: job for name, job in wanted.items() if stale or not (root / name).is_file()}
        if not todo:
            continue
        pristine = reference_image(source)
        for name, (kind, level) in todo.items():
            image = pristine if kind is None else degrade(pristine, kind, level, seed=noise_seed(source, kind, level))
            write_atomically(root / name, png_bytes(image))
    if stale:
        write_atomically(stamp, current.encode())


def reference_image(source: str) -> np.ndarray:
    """``skimage.data.<source>()`` as RGB, resized so that its long side is at most :data:`MAX_SIDE`."""
    image = Image.fromarray(getattr(skimage.data, source)()).convert("RGB")
    scale = MAX_SIDE / max(image.size)
    if scale < 1:
        size = tuple(max(1, round(side * scale)) for side in image.size)
        image = image.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(image)


def noise_seed(source: str, kind: str, level: int) -> int:
    """A seed fixed by the file's name, independent of Python's hash randomisation."""
    return zlib.crc32(f"{source}/{kind}/{level}".encode())


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a hidden temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
