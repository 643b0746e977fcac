"""The built-in ``default-faces`` dataset: two portraits that ship inside installed packages, at known
effective resolutions, one folder per person (the layout of the ``faces`` card, Kansy et al.'s evaluation).

The portraits are scikit-image's ``astronaut`` (Eileen Collins, NASA, public domain) and matplotlib's
``grace_hopper`` sample image (public domain), each cropped to a square around the face at its own pixel
size (:data:`CROPS`; no resizing, so the crop is as sharp as the file). ``<person>/00.png`` is the crop,
effective resolution 1.0; ``01.png`` … are copies shrunk by a factor ``f`` and enlarged back with
:func:`iqabench.degrade.downscale_upscale` (TensorFlow's kernels, the method named in :data:`COPIES`),
effective resolution ``f``. The labels are written to ``labels.csv`` and read by the ``faces`` reader.

Files are written under the root on first use, each to a temporary name then renamed, and reused after;
a stamp records the recipe, and a changed recipe rewrites them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from iqabench.dataset import DatasetCard, ReadResult
from iqabench.degrade import downscale_upscale

from . import person_folders
from .embedded import STAMP, png_bytes, write_atomically

#: person -> (top, left, side) of the square face crop, in the source image's pixels.
CROPS: dict[str, tuple[int, int, int]] = {"astronaut": (0, 96, 256), "grace_hopper": (80, 100, 320)}
#: (factor, TensorFlow resize method) of each degraded copy, in file order (01.png, 02.png, ...).
COPIES: tuple[tuple[float, str], ...] = (
    (0.85, "bicubic"), (0.7, "area"), (0.55, "bilinear"), (0.4, "lanczos3"), (0.3, "mitchellcubic"),
    (0.2, "bicubic"),
)


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    materialise(root)
    return person_folders.read(card, root, options)


def source_image(person: str) -> np.ndarray:
    """The uncropped portrait as RGB uint8, from the package that ships it."""
    if person == "astronaut":
        import skimage.data

        return np.asarray(Image.fromarray(skimage.data.astronaut()).convert("RGB"))
    if person == "grace_hopper":
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as handle:
            return np.asarray(Image.open(handle).convert("RGB"))
    raise KeyError(person)


def face_crop(person: str) -> np.ndarray:
    top, left, side = CROPS[person]
    return np.ascontiguousarray(source_image(person)[top:top + side, left:left + side])


def files() -> dict[str, tuple[str, float, str | None]]:
    """Every file of the set: name -> (person, effective resolution, method or None for the clean crop)."""
    listed = {}
    for person in CROPS:
        listed[f"{person}/00.png"] = (person, 1.0, None)
        for number, (factor, method) in enumerate(COPIES, start=1):
            listed[f"{person}/{number:02d}.png"] = (person, factor, method)
    return listed


def recipe() -> str:
    """What the files depend on; a change rewrites them."""
    return json.dumps({"version": 1, "crops": CROPS, "copies": COPIES}, sort_keys=True)


def materialise(root: Path) -> None:
    """Write every file of the dataset that is missing (all of them when the recipe changed)."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = root / STAMP
    current = hashlib.sha256(recipe().encode()).hexdigest()
    stale = not stamp.is_file() or stamp.read_text().strip() != current
    listed = files()
    todo = {name: job for name, job in listed.items() if stale or not (root / name).is_file()}
    crops = {person: face_crop(person) for person in {person for person, _, _ in todo.values()}}
    for name, (person, factor, method) in todo.items():
        image = crops[person] if method is None else downscale_upscale(crops[person], factor, method)
        write_atomically(root / name, png_bytes(image))
    labels = "image,effective_resolution\n" + "".join(f"{name},{factor}\n" for name, (_, factor, _) in listed.items())
    if stale or not (root / person_folders.LABEL_FILE).is_file():
        write_atomically(root / person_folders.LABEL_FILE, labels.encode())
    if stale:
        write_atomically(stamp, current.encode())
