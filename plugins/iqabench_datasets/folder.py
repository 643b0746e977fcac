"""A plain folder of images, scored without labels.

Every file under the root (recursively) whose extension is an image's, in any case, is a sample with
no MOS; hidden files and folders (names starting with ``.``) are skipped. Ids are the paths relative
to the root, sorted. Metrics can score such a folder; correlations need labels and are not computed.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .paths import sample_id

EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    paths = [
        path for path in root.rglob("*")
        if path.suffix.lower() in EXTENSIONS and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    if not paths:
        raise DatasetError(
            f"No images under {root} (looked for {', '.join(sorted(EXTENSIONS))}, in sub-folders too). "
            "Pass --root with the folder that holds them."
        )
    return ReadResult(sorted((Sample(id=sample_id(root, path), path=path) for path in paths), key=lambda s: s.id))
