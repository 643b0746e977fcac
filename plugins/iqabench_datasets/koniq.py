"""KonIQ-10k, official release layout.

``koniq10k_scores_and_distributions.csv`` has the columns ``image_name, c1..c5, c_total, MOS, SD,
MOS_zscore``; ``MOS`` (1–5, the paper's scale) and ``SD`` are used. The images are in ``1024x768/``
(or ``512x384/``, the half-size archive: option ``resolution``; by default the first folder present).
The official train/validation/test split (7,058/1,000/2,015) comes from
``koniq10k_distributions_sets.csv`` (github subpic/koniq, ``metadata/``; column ``set``) when that
file sits beside the scores; without it the samples have no split.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .labels import UniqueNames, find_label_file, parse_mos, parse_number, read_csv, where

RESOLUTIONS = ("1024x768", "512x384")
SETS_FILE = "koniq10k_distributions_sets.csv"
SPLIT_NAMES = {"training": "train", "validation": "val", "test": "test"}


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options)
    folder = image_folder(root, options)
    splits = official_splits(root / SETS_FILE)
    seen = UniqueNames()
    samples = []
    for line, row in read_csv(labels, ["image_name", "MOS", "SD"]):
        at = where(labels, line)
        name = row["image_name"]
        seen.add(name, at)
        relative = f"{folder}/{name}"
        samples.append(Sample(
            id=relative,
            path=root / relative,
            mos=parse_mos(card, row["MOS"], at),
            std=parse_number(row["SD"], at, "SD"),
            split=splits.get(name),
        ))
    return ReadResult(samples, labels, None)


def image_folder(root: Path, options: dict) -> str:
    chosen = options.get("resolution")
    if chosen is not None:
        if chosen not in RESOLUTIONS:
            raise DatasetError(f"koniq10k option resolution={chosen!r}; choose one of {list(RESOLUTIONS)}.")
        return chosen
    return next((name for name in RESOLUTIONS if (root / name).is_dir()), RESOLUTIONS[0])


def official_splits(path: Path) -> dict[str, str]:
    """image name -> train/val/test from the official sets file, or {} when it is absent."""
    if not path.is_file():
        return {}
    splits = {}
    for line, row in read_csv(path, ["image_name", "set"]):
        if row["set"] not in SPLIT_NAMES:
            raise DatasetError(
                f"{where(path, line)}: set {row['set']!r} is not one of {sorted(SPLIT_NAMES)}; "
                "is this the official koniq10k_distributions_sets.csv?"
            )
        splits[row["image_name"]] = SPLIT_NAMES[row["set"]]
    return splits
