"""The dataset contract: cards (one TOML per dataset), samples, and label validation.

A :class:`DatasetSpec` pairs a :class:`DatasetCard` with a reader, a function that turns a root
folder into a :class:`ReadResult`: the samples, the label file it actually read and what its groups
are. :func:`open_dataset` runs the reader, validates the labels and splits the samples into those
whose image files exist and those that are missing (one ``stat`` per file, kept for hashing).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat as stat_mode
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from . import settings
from .errors import DatasetError
from .hashing import file_sha256


@dataclass(frozen=True)
class Sample:
    """One image to score. ``id`` is unique within the dataset (usually the path relative to root)."""

    id: str
    path: Path
    ref_path: Path | None = None
    mos: float | None = None
    std: float | None = None
    group: str | None = None
    split: str | None = None


@dataclass(frozen=True)
class DatasetCard:
    """What a TOML card in ``datasets/`` says about one dataset."""

    name: str
    format: str
    title: str = ""
    kind: str = "NR"
    label_file: str | None = None
    mos_range: tuple[float, float] | None = None
    #: the direction of the labels: true for DMOS (a lower score is a better image), as on metrics.
    lower_better: bool = False
    expected_images: int | None = None
    homepage: str = ""
    download: str = ""
    layout: str = ""
    licence: str = ""
    citation: str = ""
    options: dict = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> "DatasetCard":
        with open(path, "rb") as f:
            data = tomllib.load(f)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise DatasetError(f"dataset card {path}: unknown keys {unknown}; known keys are {sorted(known)}")
        if "mos_range" in data:
            data["mos_range"] = tuple(float(v) for v in data["mos_range"])
        try:
            return cls(**data)
        except TypeError as exc:
            raise DatasetError(f"dataset card {path}: {exc}") from None

    def default_root(self) -> Path:
        """``$IQABENCH_DATA/<name>`` when set, else ``~/.cache/iqabench/data/<name>``."""
        return settings.data_dir() / self.name

    def how_to_get(self, root: Path) -> str:
        """The paragraph printed when the dataset is not found at ``root``."""
        lines = [f"Dataset {self.name!r} ({self.title or self.name}) was not found at {root}."]
        if self.download:
            lines.append(f"Download it from: {self.download}")
        elif self.homepage:
            lines.append(f"Homepage: {self.homepage}")
        lines.append(
            f"Put it at {self.default_root()} (or set IQABENCH_DATA, or pass --root PATH) with this layout:"
        )
        lines.extend("    " + line for line in self.layout.strip().splitlines())
        if self.licence:
            lines.append(f"Licence: {self.licence}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ReadResult:
    """What a reader found: the samples, the label file it read (None when the reader makes the labels
    itself), and what a sample's group is (``"reference"``, ``"photo"``; None when there are no groups)."""

    samples: list[Sample]
    label_file: Path | None = None
    group_by: str | None = None


#: reader(card, root, options) -> ReadResult. Raises DatasetError when the root is not in the card's layout.
Reader = Callable[[DatasetCard, Path, dict], ReadResult]


@dataclass(frozen=True)
class DatasetSpec:
    """What a plugin registers: a card and the reader for its layout."""

    card: DatasetCard
    reader: Reader

    @property
    def name(self) -> str:
        return self.card.name


@dataclass
class Dataset:
    """A dataset opened at a root: the samples present, those whose files are missing, the label file
    read (with its sha256), the grouping, and the ``stat`` of every file found (for content hashes)."""

    card: DatasetCard
    root: Path
    samples: list[Sample]
    missing: list[Sample]
    label_file: Path | None = None
    label_file_sha256: str | None = None
    group_by: str | None = None
    #: os.fspath(path) -> its stat, for every file found (string keys: hashed once, unlike Path's).
    file_stats: dict[str, os.stat_result] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.card.name

    def labels_id(self) -> str:
        """The identity of this label set: a hash of every sample's id, MOS, std, group and split (so two
        label files of one dataset are two label sets in the store, and the same labels are one)."""
        rows = sorted(([s.id, s.mos, s.std, s.group, s.split] for s in self.samples + self.missing),
                      key=lambda row: row[0])  # ids are unique (validate_labels)
        canonical = json.dumps([self.group_by, rows], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def validate_labels(card: DatasetCard, samples: Sequence[Sample], source: str) -> None:
    """Reject NaN or out-of-range MOS and duplicate ids, naming the first offenders."""
    duplicates = [sid for sid, n in Counter(s.id for s in samples).items() if n > 1]
    if duplicates:
        raise DatasetError(
            f"{source}: {len(duplicates)} image(s) labelled more than once, first: {duplicates[:5]}. "
            "Each image must have exactly one label row; fix or deduplicate the label file."
        )
    if all(s.mos is None for s in samples) and card.label_file is None:
        return
    unlabelled = [s.id for s in samples if s.mos is None]
    if unlabelled:
        raise DatasetError(
            f"{source}: {len(unlabelled)} image(s) without a MOS, first: {unlabelled[:5]}. "
            "Every row needs a numeric score."
        )
    bad = [s.id for s in samples if s.mos is not None and not math.isfinite(s.mos)]
    if bad:
        raise DatasetError(
            f"{source}: {len(bad)} MOS value(s) are NaN or infinite, first: {bad[:5]}. "
            "Fix the label file or remove those rows."
        )
    if card.mos_range is not None:
        lo, hi = card.mos_range
        out = [(s.id, s.mos) for s in samples if s.mos is not None and not lo <= s.mos <= hi]
        if out:
            raise DatasetError(
                f"{source}: {len(out)} MOS value(s) outside the card's range [{lo}, {hi}], first: {out[:3]}. "
                "Is this the right label file for this dataset?"
            )


def open_dataset(spec: DatasetSpec, root: Path | None = None, options: dict | None = None) -> Dataset:
    """Read ``spec`` at ``root`` (default: the card's default root), validate, find missing files.

    A card with option ``materialise = true`` has a reader that writes its data into the root, so
    its root need not exist yet.
    """
    card = spec.card
    root = Path(root).expanduser() if root is not None else card.default_root()
    if not root.exists() and not card.options.get("materialise"):
        raise DatasetError(card.how_to_get(root))
    result = spec.reader(card, root, dict(options or {}))
    if not isinstance(result, ReadResult):
        raise DatasetError(f"the reader of dataset {card.name!r} returned {type(result).__name__}; "
                           "a reader returns iqabench.dataset.ReadResult(samples, label_file, group_by)")
    validate_labels(card, result.samples, f"dataset {card.name!r} at {root}")
    stats: dict[str, os.stat_result] = {}
    present, missing = [], []
    for sample in result.samples:
        files_exist = _stat_file(sample.path, stats) and (sample.ref_path is None or _stat_file(sample.ref_path, stats))
        (present if files_exist else missing).append(sample)
    label_file = result.label_file
    return Dataset(card=card, root=root, samples=present, missing=missing, label_file=label_file,
                   label_file_sha256=file_sha256(label_file) if label_file else None, group_by=result.group_by,
                   file_stats=stats)


def _stat_file(path: Path, stats: dict[str, os.stat_result]) -> bool:
    """Whether ``path`` is a regular file; its ``stat`` is kept in ``stats`` (looked up once per path)."""
    name = os.fspath(path)
    if name in stats:
        return True
    try:
        found = os.stat(name)
    except OSError:
        return False
    if not stat_mode.S_ISREG(found.st_mode):
        return False
    stats[name] = found
    return True
