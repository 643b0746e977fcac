"""A plain folder of images, scored without labels.

Every file under the root (recursively) whose extension is an image's, in any case, is a sample with
no MOS; hidden files and folders (names starting with ``.``) are skipped. Ids are the paths relative
to the root, sorted. Metrics can score such a folder; correlations need labels and are not computed.
"""

from __future__ import annotations

import os
from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    samples = _images(str(root), "")
    if not samples:
        raise DatasetError(
            f"No images under {root} (looked for {', '.join(sorted(EXTENSIONS))}, in sub-folders too). "
            "Pass --root with the folder that holds them."
        )
    return ReadResult(sorted(samples, key=lambda s: s.id))


def _images(folder: str, prefix: str) -> list[Sample]:
    """The image files under ``folder``, recursively (``scandir``: no extra ``stat`` for a plain file)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                found += _images(entry.path, f"{prefix}{entry.name}/")
            elif os.path.splitext(entry.name)[1].lower() in EXTENSIONS and entry.is_file():
                found.append(Sample(id=prefix + entry.name, path=Path(entry.path)))
    return found
