"""A plain folder of images, scored without labels.

Every file under the root (recursively) whose extension is an image's, in any case, is a sample with
no MOS; hidden files and folders (names starting with ``.``) are skipped. Ids are the paths relative
to the root, sorted. Metrics can score such a folder; correlations need labels and are not computed.

Nothing named like an image is dropped silently: a dangling symbolic link, a pipe or device, and a
folder named like an image that holds no image are samples too, which
:func:`iqabench.dataset.open_dataset` refuses with their reason (counted as failed images); so is a
file reached through a symbolic link leading outside the root, and a link to a folder outside the
root, which is not walked (unless ``IQABENCH_ALLOW_OUTSIDE_ROOT=1``). A folder named like an image
that holds images is a folder. A symbolic link back to a folder above it is not followed again.
"""

from __future__ import annotations

import os
from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

EXTENSIONS = frozenset({".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    real_root = os.path.realpath(root)
    walk = _Walk(real_root, bool(options.get("allow_outside_root")))
    samples = walk.images(str(root), "", frozenset({real_root}))
    if not samples:
        raise DatasetError(
            f"No images under {root} (looked for {', '.join(sorted(EXTENSIONS))}, in sub-folders too). "
            "Pass --root with the folder that holds them."
        )
    return ReadResult(sorted(samples, key=lambda s: s.id))


class _Walk:
    """The entries named like images under a root, recursively (``scandir``: no extra ``stat`` for a plain
    file), following no link to a folder outside the root unless that is allowed."""

    def __init__(self, real_root: str, allow_outside: bool) -> None:
        self.real_root = real_root
        self.prefix = real_root.rstrip(os.sep) + os.sep
        self.allow_outside = allow_outside

    def images(self, folder: str, prefix: str, above: frozenset[str]) -> list[Sample]:
        """``above`` holds the real paths of the folders above ``folder``, so that a link loop ends."""
        found = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                named_like_image = os.path.splitext(entry.name)[1].lower() in EXTENSIONS
                if _is_dir(entry):
                    real = os.path.realpath(entry.path)
                    if not (self.allow_outside or real == self.real_root or real.startswith(self.prefix)):
                        # a link to a folder outside: not walked (it may be /), refused as one entry
                        found.append(Sample(id=prefix + entry.name, path=Path(entry.path)))
                        continue
                    inside = [] if real in above else self.images(entry.path, f"{prefix}{entry.name}/", above | {real})
                    found += inside
                    if named_like_image and not inside:  # a folder where an image should be: refused, not dropped
                        found.append(Sample(id=prefix + entry.name, path=Path(entry.path)))
                elif named_like_image:  # a file, a dangling link, a pipe: open_dataset refuses what is no file
                    found.append(Sample(id=prefix + entry.name, path=Path(entry.path)))
        return found


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is a folder, or a link to one; False for a link loop (``is_dir`` raises there)."""
    try:
        return entry.is_dir()
    except OSError:
        return False
