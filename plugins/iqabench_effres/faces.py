"""Clean training faces: the files (a folder, searched recursively, or a text file of paths), decoded to
RGB, with their foreground masks and a manifest (path and sha256) that the checkpoint keeps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from iqabench.hashing import file_sha256

from .masks import masker
from .sharpness import AUTO, resized, sharp_height

SUFFIXES = {".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"}


@dataclass
class Faces:
    images: list[np.ndarray]
    masks: list[np.ndarray]
    manifest: list[dict]


def image_paths(sources) -> list[Path]:
    """Every image under the given folders (recursively, sorted), in the given lists of paths, and the given
    image files themselves."""
    paths = []
    for source in map(Path, sources):
        if source.is_dir():
            paths += sorted(p for p in source.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(source).parts))
        elif source.is_file() and source.suffix == ".txt":
            lines = [line.strip() for line in source.read_text().splitlines()]
            paths += [(source.parent / line) for line in lines if line and not line.startswith("#")]
        elif source.is_file() and source.suffix.lower() in SUFFIXES:
            paths.append(source)
        else:
            raise FileNotFoundError(f"face source {str(source)!r} is neither an image ({', '.join(sorted(SUFFIXES))}), "
                                    f"a folder of images nor a .txt list of image paths")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} listed face images do not exist, e.g. {missing[0]!r}")
    if not paths:
        raise FileNotFoundError(f"no images in {', '.join(map(str, sources))}")
    return paths


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def at_height(image: np.ndarray, height: int | str | None) -> np.ndarray:
    """``image`` downscaled (Pillow's Lanczos, aspect kept) to ``height`` pixels when it is taller; as it is
    otherwise or without a height. ``"auto"``: to the height its spectrum shows sharp (:func:`sharp_height`)."""
    if height == AUTO:
        height = sharp_height(image)
    if height is None or image.shape[0] <= height:
        return image
    return resized(image, height)


def load_faces(sources, mask: str, root: Path | None = None,
               height: int | str | None = None) -> Faces:
    """Decode every training image (downscaled to ``height`` when taller, :func:`at_height`) and compute its
    mask with the named masker."""
    faces = Faces([], [], [])
    face_masker = masker(mask)
    for path in image_paths(sources):
        try:
            image = at_height(read_rgb(path), height)
        except ValueError as error:
            raise ValueError(f"training face {path}: {error}; remove it from the list") from error
        faces.images.append(image)
        faces.masks.append(face_masker.mask(image))
        name = str(path.resolve().relative_to(root.resolve())) if root else str(path)
        faces.manifest.append({"path": name, "sha256": file_sha256(path), "height": image.shape[0],
                               "foreground": round(float(faces.masks[-1].mean()), 4)})
    return faces


__all__ = ["AUTO", "Faces", "at_height", "image_paths", "load_faces", "read_rgb"]
