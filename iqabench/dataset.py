"""The dataset contract: cards (one TOML per dataset), samples, and label validation.

A :class:`DatasetSpec` pairs a :class:`DatasetCard` with a reader, a function that turns a root
folder into a :class:`ReadResult`: the samples, the label file it actually read and what its groups
are. :func:`open_dataset` runs the reader, validates the labels and splits the samples into three:
those whose image files exist, those that are missing, and those refused with a reason (one
``lstat`` per file, kept for hashing). A sample is refused, for every reader alike, when its image or
reference resolves outside the dataset root (a ``../`` or absolute name in a label file, a symbolic
link leading out; allowed with ``IQABENCH_ALLOW_OUTSIDE_ROOT=1`` or the open option
``allow_outside_root``), is a dangling symbolic link, a directory or another non-regular file. A
refused file outside the root is never opened, not even to hash it; the runner counts refused samples
as failed images with their reason.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import stat as stat_mode
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

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


class Refused(NamedTuple):
    """A sample refused when its dataset was opened, and why: a per-image failure that never reaches a
    metric. ``reference`` is true when only its reference image is refused (outside the root, a dangling
    link, a directory): a no-reference metric could still score the image itself."""

    sample: Sample
    reason: str
    reference: bool = False


#: what a card's ``kind`` may be, as listings show it: NR (images with labels), FR (images with their
#: references too), or either, as the label file that is read says.
CARD_KINDS = {"NR": "NR", "FR": "FR", "NR/FR": "NR or FR (from the label file)"}


@dataclass(frozen=True)
class DatasetCard:
    """What a TOML card in ``datasets/`` says about one dataset."""

    name: str
    format: str
    title: str = ""
    #: one of :data:`CARD_KINDS`.
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
        if data.get("kind", "NR") not in CARD_KINDS:
            raise DatasetError(f"dataset card {path}: kind {data['kind']!r} is not one of {', '.join(CARD_KINDS)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise DatasetError(f"dataset card {path}: {exc}") from None

    @property
    def kind_text(self) -> str:
        """The kind in words: ``"NR or FR (from the label file)"`` for ``NR/FR``."""
        return CARD_KINDS.get(self.kind, self.kind)

    def default_root(self) -> Path:
        """``$IQABENCH_DATA/<name>`` when set, else ``~/.cache/iqabench/data/<name>``."""
        return settings.data_dir() / self.name

    def how_to_get(self, root: Path, root_given: bool = False) -> str:
        """The paragraph printed when the dataset is not found at ``root`` (``root_given``: the user chose
        that folder, so it is not suggested again)."""
        lines = [f"Dataset {self.name!r} ({self.title or self.name}) was not found at {root}."]
        if self.download:
            lines.append(f"Download it from: {self.download}")
        elif self.homepage:
            lines.append(f"Homepage: {self.homepage}")
        where = (f"Put it at {root} with this layout" if root_given else
                 f"Put it at {self.default_root()} (or set IQABENCH_DATA, or pass --root PATH) with this layout")
        lines.append(f"{where}:")
        lines.extend(self._layout_lines())
        if self.licence:
            lines.append(f"Licence: {self.licence}")
        return "\n".join(lines)

    def missing_label_file(self, path: Path, root: Path) -> str:
        """The message for a label file that is not there while the dataset's folder is."""
        lines = [f"Label file {path} not found. Dataset {self.name!r} is read from {root}, which exists; "
                 f"its label file belongs there as this layout shows:"]
        lines.extend(self._layout_lines())
        if self.download or self.homepage:
            lines.append(f"It comes with the dataset: {self.download or self.homepage}")
        lines.append("Or pass --labels PATH (a relative path is relative to the current folder).")
        return "\n".join(lines)

    def _layout_lines(self) -> list[str]:
        return ["    " + line for line in self.layout.strip().splitlines()]


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
    """A dataset opened at a root: the samples present, those whose files are missing, those refused
    (with the reason), the label file read (with its sha256), the grouping, and the ``stat`` of every
    file found (for content hashes). Only :attr:`samples` may be opened: a refused sample's files are
    outside the root or are not image files."""

    card: DatasetCard
    root: Path
    samples: list[Sample]
    missing: list[Sample]
    label_file: Path | None = None
    label_file_sha256: str | None = None
    group_by: str | None = None
    #: os.fspath(path) -> its stat, for every file found (string keys: hashed once, unlike Path's).
    file_stats: dict[str, os.stat_result] = field(default_factory=dict, repr=False)
    #: the samples refused when the dataset was opened, each with its reason: per-image failures whose files
    #: are never opened (outside the root, a dangling link, a directory, ...).
    refused: list[Refused] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.card.name

    def labels_id(self) -> str:
        """The identity of this label set: a hash of every sample's id, MOS, std, group and split (so two
        label files of one dataset are two label sets in the store, and the same labels are one)."""
        everything = self.samples + self.missing + [r.sample for r in self.refused]
        rows = sorted(([s.id, s.mos, s.std, s.group, s.split] for s in everything),
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
    """Read ``spec`` at ``root`` (default: the card's default root), validate, find missing and refused files.

    A card with option ``materialise = true`` has a reader that writes its data into the root, so
    its root need not exist yet. Option ``allow_outside_root`` (or ``IQABENCH_ALLOW_OUTSIDE_ROOT=1``)
    lets label files name images outside the root.
    """
    card = spec.card
    options = dict(options or {})
    root_given = root is not None
    root = (Path(root).expanduser() if root_given else card.default_root()).resolve()
    if not root.exists() and not card.options.get("materialise"):
        raise DatasetError(card.how_to_get(root, root_given))
    allow_outside = bool(options.get("allow_outside_root")) or settings.allow_outside_root()
    options["allow_outside_root"] = allow_outside  # readers that walk folders follow no link out unless allowed
    result = spec.reader(card, root, options)
    if not isinstance(result, ReadResult):
        raise DatasetError(f"the reader of dataset {card.name!r} returned {type(result).__name__}; "
                           "a reader returns iqabench.dataset.ReadResult(samples, label_file, group_by)")
    validate_labels(card, result.samples, f"dataset {card.name!r} at {root}")
    files = _FileChecks(root, allow_outside)
    present, missing, refused = [], [], []
    for sample in result.samples:
        problem, reference = files.check(sample.path), False
        if problem is None and sample.ref_path is not None:
            problem = files.check(sample.ref_path)
            if problem is not None and problem is not MISSING:
                problem, reference = f"its reference image: {problem}", True
        if problem is None:
            present.append(sample)
        elif problem is MISSING:
            missing.append(sample)
        else:
            refused.append(Refused(sample, problem, reference))
    label_file = result.label_file
    return Dataset(card=card, root=root, samples=present, missing=missing, label_file=label_file,
                   label_file_sha256=file_sha256(label_file) if label_file else None, group_by=result.group_by,
                   file_stats=files.stats, refused=refused)


#: what :meth:`_FileChecks.check` returns for a path where there is nothing at all.
MISSING = "missing"

OUTSIDE_ROOT = (
    "outside the dataset root: the label names a file that resolves (after symbolic links) outside the root, "
    "so it is refused; fix the label, or set IQABENCH_ALLOW_OUTSIDE_ROOT=1 if that file is meant to be scored"
)
DANGLING_LINK = "dangling symbolic link: the link exists but what it points to does not; fix or remove the link"
LINK_LOOP = "symbolic link loop: the link leads back to itself, never to a file; fix or remove the link"
DIRECTORY = "a directory, not an image file: a folder is named where an image file should be"
NOT_REGULAR = "not a regular file (a pipe, socket or device) where an image file should be"


class _FileChecks:
    """Classifies the files a dataset names: a regular file inside the root (its ``stat`` kept in
    :attr:`stats`), missing, or refused with a reason. Each path is looked at once; a regular file costs
    one ``lstat``, a symbolic link a ``stat`` and a ``realpath``, and each folder one ``realpath``."""

    def __init__(self, root: Path, allow_outside: bool) -> None:
        real_root = os.path.realpath(root)
        self.prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
        self.real_root = real_root
        self.allow_outside = allow_outside
        self.stats: dict[str, os.stat_result] = {}
        self._problems: dict[str, str] = {}
        self._folders_inside: dict[str, bool] = {}

    def check(self, path: Path) -> str | None:
        """None for a usable file, :data:`MISSING`, or the reason the file is refused."""
        name = os.fspath(path)
        if name in self.stats:  # a reference shared by many samples
            return None
        if name in self._problems:
            return self._problems[name]
        problem = self._check(name)
        if problem is not None:
            self._problems[name] = problem
        return problem

    def _inside(self, real: str) -> bool:
        return self.allow_outside or real == self.real_root or real.startswith(self.prefix)

    def _check(self, name: str) -> str | None:
        folder, sep, base = name.rpartition(os.sep)
        if base in ("", ".", ".."):
            inside = self._inside(os.path.realpath(name))
        else:  # the file is inside when its folder, links resolved, is: one realpath per folder
            inside = self._folders_inside.get(folder)
            if inside is None:
                real_folder = os.path.realpath(folder or (os.sep if sep else "."))
                inside = self._folders_inside[folder] = self._inside(real_folder)
        if not inside:  # never touch a file outside the root: not even a stat
            return OUTSIDE_ROOT
        try:
            found = os.lstat(name)
        except OSError:
            return MISSING
        if stat_mode.S_ISLNK(found.st_mode):  # a broken link says so wherever it points; a link out is refused
            try:
                found = os.stat(name)
            except OSError as exc:
                return LINK_LOOP if exc.errno == errno.ELOOP else DANGLING_LINK
            if not self._inside(os.path.realpath(name)):
                return OUTSIDE_ROOT
        if stat_mode.S_ISDIR(found.st_mode):
            return DIRECTORY
        if not stat_mode.S_ISREG(found.st_mode):
            return NOT_REGULAR
        self.stats[name] = found
        return None
