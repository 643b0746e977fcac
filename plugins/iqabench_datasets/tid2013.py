"""TID2013, official release layout.

``mos_with_names.txt`` has one ``<mos> <name>`` line per distorted image (3,000 lines, MOS 0–9,
higher is better); ``mos_std.txt``, when present, one standard deviation per line in the same order.
``distorted_images/i01_01_1.bmp`` is reference 01, distortion type 01, level 1; references are
``reference_images/I01.BMP`` … ``I24.BMP`` and ``i25.bmp``. The release mixes cases (``I01_01_1.bmp``
beside ``i01_01_2.bmp``), so names are matched to files ignoring case; sample ids keep the label
file's spelling. The group is the reference (``I01`` … ``I25``).
"""

from __future__ import annotations

import io
from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .labels import UniqueNames, find_label_file, parse_mos, parse_number, read_text, where
from .paths import CaseInsensitivePaths

STD_FILE = "mos_std.txt"


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options)
    rows = read_lines(labels)
    stds = read_stds(root / STD_FILE, len(rows))
    resolve = CaseInsensitivePaths(root)
    seen = UniqueNames()
    samples = []
    for (line, text), std in zip(rows, stds, strict=True):
        at = where(labels, line)
        fields = text.split()
        if len(fields) != 2:
            raise DatasetError(f"{at}: expected '<mos> <image name>', got {text!r}.")
        mos_text, name = fields
        seen.add(name, at)
        reference = reference_of(name, at)
        relative = f"distorted_images/{name}"
        samples.append(Sample(
            id=relative,
            path=resolve(relative),
            ref_path=resolve(f"reference_images/{reference}.BMP"),
            mos=parse_mos(card, mos_text, at),
            std=std,
            group=reference,
        ))
    return ReadResult(samples, labels, "reference")


def reference_of(name: str, at: str) -> str:
    """``i01_01_1.bmp`` -> ``I01``."""
    prefix = name.split("_", 1)[0]
    if len(prefix) != 3 or prefix[0] not in "Ii" or not prefix[1:].isdigit():
        raise DatasetError(f"{at}: image name {name!r} is not of the form i01_01_1.bmp (reference_type_level).")
    return "I" + prefix[1:]


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines with their line numbers; an empty file raises."""
    lines = io.StringIO(read_text(path))  # universal newlines, as a file opened in text mode
    rows = [(number, text.strip()) for number, text in enumerate(lines, 1) if text.strip()]
    if not rows:
        raise DatasetError(f"Label file {path} is empty; expected '<mos> <image name>' lines.")
    return rows


def read_stds(path: Path, count: int) -> list[float | None]:
    """Standard deviations from ``mos_std.txt`` (one per line), or Nones when the file is absent."""
    if not path.is_file():
        return [None] * count
    rows = read_lines(path)
    if len(rows) != count:
        raise DatasetError(
            f"{path} has {len(rows)} values but mos_with_names.txt has {count} rows; "
            "they must list the same images in the same order."
        )
    return [parse_number(text, where(path, line), "standard deviation") for line, text in rows]
