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
    """One image to score, with its label: what a reader returns for each image of a dataset.

    Attributes
    ----------
    id : str
        Unique within the dataset; usually the path relative to the root, with ``/``.
    path : pathlib.Path
        The image file.
    ref_path : pathlib.Path or None
        Its reference image, for full-reference metrics; None for a no-reference dataset.
    mos : float or None
        Its label (MOS, or DMOS when the card says ``lower_better``); None for an unlabelled dataset.
    std : float or None
        The label's standard deviation, where the dataset gives it.
    group : str or None
        Its group (reference image, person, photo) for grouped results.
    split : str or None
        Its split (``"train"``, ``"test"``), where the dataset gives one.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import Sample
    >>> sample = Sample("blur/cat_1.png", Path("photos/blur/cat_1.png"), ref_path=Path("photos/cat.png"),
    ...                 mos=4.0, group="cat")
    >>> sample.id, sample.mos, sample.group
    ('blur/cat_1.png', 4.0, 'cat')
    """

    id: str
    path: Path
    ref_path: Path | None = None
    mos: float | None = None
    std: float | None = None
    group: str | None = None
    split: str | None = None


class Refused(NamedTuple):
    """A sample refused when its dataset was opened, and why: a per-image failure that never reaches a
    metric.

    Attributes
    ----------
    sample : Sample
        The sample.
    reason : str
        Why, and what to do about it: outside the dataset root, a dangling symbolic link, a directory,
        not a regular file.
    reference : bool
        True when only its reference image is refused: a no-reference metric could still score the
        image itself.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult, open_dataset
    >>> def read(card, root, options):
    ...     return ReadResult([Sample("a.png", root / "a.png", mos=4.0), Sample("b.png", root / "b.png", mos=2.0)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> (root / "a.png").write_bytes(b"")  # opening checks that files exist; it decodes none
    0
    >>> dataset = open_dataset(spec, root)
    >>> (root / "b.png").mkdir()
    >>> refused = open_dataset(spec, root).refused
    >>> [(r.sample.id, r.reason.split(":")[0], r.reference) for r in refused]
    [('b.png', 'a directory, not an image file', False)]
    >>> tmp.cleanup()
    """

    sample: Sample
    reason: str
    reference: bool = False


#: what a card's ``kind`` may be, as listings show it: NR (images with labels), FR (images with their
#: references too), or either, as the label file that is read says.
CARD_KINDS = {"NR": "NR", "FR": "FR", "NR/FR": "NR or FR (from the label file)"}


@dataclass(frozen=True)
class DatasetCard:
    """What a TOML card in ``datasets/`` says about one dataset (:meth:`from_toml` reads one).

    Attributes
    ----------
    name : str
        The registered name (``iqabench run --dataset NAME``).
    format : str
        Which reader reads it (``"metainfo"``, ``"folder"``, ``"embedded"``, a plugin's own).
    title : str
        A title for listings.
    kind : {"NR", "FR", "NR/FR"}
        Images with labels, images with their references too, or either, as the label file says
        (:data:`CARD_KINDS`).
    label_file : str or None
        The label file, relative to the root.
    mos_range : tuple of float or None
        The labels' range; a label outside it is an error (:func:`validate_labels`).
    lower_better : bool
        The direction of the labels: True for DMOS (a lower score is a better image), as on metrics.
    expected_images : int or None
        How many images the complete dataset has.
    homepage, download, layout, licence, citation : str
        Where it comes from, how its root is laid out, and how to cite it; shown when it is not found.
    options : dict
        The reader's options (``materialise = true``: the reader writes the data itself).

    Examples
    --------
    >>> from iqabench import DatasetCard
    >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
    ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
    >>> card.kind_text, card.lower_better
    ('NR', False)
    """

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
        """Read a card from a TOML file whose keys are the card's attributes.

        Parameters
        ----------
        path : pathlib.Path
            The TOML file.

        Returns
        -------
        DatasetCard

        Raises
        ------
        iqabench.errors.DatasetError
            When a key is unknown, the ``kind`` is not one of :data:`CARD_KINDS`, or a required key
            (``name``, ``format``) is missing.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from iqabench import DatasetCard
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = Path(folder) / "my-photos.toml"
        ...     _ = path.write_text('name = "my-photos"\\nformat = "metainfo"\\nmos_range = [1, 5]\\n')
        ...     card = DatasetCard.from_toml(path)
        >>> card.name, card.format, card.mos_range
        ('my-photos', 'metainfo', (1.0, 5.0))
        """
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
        """The kind in words: ``"NR or FR (from the label file)"`` for ``NR/FR``.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> DatasetCard("pairs", format="metainfo", kind="NR/FR").kind_text
        'NR or FR (from the label file)'
        """
        return CARD_KINDS.get(self.kind, self.kind)

    def default_root(self) -> Path:
        """Where the dataset is read from without ``--root``.

        Returns
        -------
        pathlib.Path
            ``$IQABENCH_DATA/<name>`` when that variable is set, else ``~/.cache/iqabench/data/<name>``.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> card.default_root().name
        'my-photos'
        """
        return settings.data_dir() / self.name

    def how_to_get(self, root: Path, root_given: bool = False) -> str:
        """The paragraph printed when the dataset is not found at ``root``.

        Parameters
        ----------
        root : pathlib.Path
            Where it was looked for.
        root_given : bool, default False
            True when the user chose that folder, so that the default root is not suggested instead.

        Returns
        -------
        str
            Where to download it, where to put it with which layout, and its licence.

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> from pathlib import Path
        >>> print(card.how_to_get(Path("photos"), root_given=True))
        Dataset 'my-photos' (My photos) was not found at photos.
        Download it from: https://example.org/my-photos.zip
        Put it at photos with this layout:
            <root>/<id>.png
        """
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
        """The message for a label file that is not there while the dataset's folder is.

        Parameters
        ----------
        path : pathlib.Path
            The label file looked for.
        root : pathlib.Path
            The dataset's folder, which exists.

        Returns
        -------
        str

        Examples
        --------
        >>> from iqabench import DatasetCard
        >>> card = DatasetCard("my-photos", format="custom", title="My photos", mos_range=(1.0, 5.0),
        ...                    download="https://example.org/my-photos.zip", layout="<root>/<id>.png")
        >>> from pathlib import Path
        >>> print(card.missing_label_file(Path("photos/labels.csv"), Path("photos")))
        Label file photos/labels.csv not found. Dataset 'my-photos' is read from photos, which exists; ...
            <root>/<id>.png
        It comes with the dataset: https://example.org/my-photos.zip
        Or pass --labels PATH (a relative path is relative to the current folder).
        """
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
    """What a reader (:data:`Reader`) found at a dataset's root.

    Attributes
    ----------
    samples : list of Sample
        Every sample the labels name, whether or not its files exist (:func:`open_dataset` sorts them).
    label_file : pathlib.Path or None
        The label file it read; None when the reader makes the labels itself.
    group_by : str or None
        What a sample's group is, in words (``"reference"``, ``"photo"``, ``"person"``); None when there
        are no groups.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import Sample
    >>> from iqabench.dataset import ReadResult
    >>> result = ReadResult([Sample("a.png", Path("photos/a.png"), mos=3.0, group="cat")], group_by="photo")
    >>> len(result.samples), result.label_file, result.group_by
    (1, None, 'photo')
    """

    samples: list[Sample]
    label_file: Path | None = None
    group_by: str | None = None


#: reader(card, root, options) -> ReadResult. Raises DatasetError when the root is not in the card's layout.
Reader = Callable[[DatasetCard, Path, dict], ReadResult]


@dataclass(frozen=True)
class DatasetSpec:
    """What a plugin registers (:func:`iqabench.hookspecs.register_datasets`): a card and the reader for its
    layout.

    The reader is called as ``reader(card, root, options)`` and returns a :class:`ReadResult`; it raises
    :class:`iqabench.errors.DatasetError` when the root is not laid out as the card says. ``options`` holds
    the card's options and the caller's (``labels``: another label file; ``allow_outside_root``).

    Attributes
    ----------
    card : DatasetCard
        What the dataset is.
    reader : Reader
        How to read it.

    Examples
    --------
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult
    >>> def read(card, root, options):
    ...     return ReadResult([Sample(f"{i}.png", root / f"{i}.png", mos=float(i)) for i in range(1, 4)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> spec.name
    'my-photos'
    """

    card: DatasetCard
    reader: Reader

    @property
    def name(self) -> str:
        """The card's name."""
        return self.card.name


@dataclass
class Dataset:
    """A dataset opened at a root, as :func:`open_dataset` returns it.

    Only :attr:`samples` may be opened: a refused sample's files are outside the root or are not image
    files.

    Attributes
    ----------
    card : DatasetCard
        What the dataset is.
    root : pathlib.Path
        The folder it was read from, resolved.
    samples : list of Sample
        The samples whose files exist.
    missing : list of Sample
        The samples whose image (or reference) file is not there.
    label_file : pathlib.Path or None
        The label file read.
    label_file_sha256 : str or None
        Its sha256.
    group_by : str or None
        What a sample's group is, in words.
    file_stats : dict of str to os.stat_result
        The ``stat`` of every file found, by path (for content hashes).
    refused : list of Refused
        The samples refused, each with the reason: per-image failures whose files are never opened.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult, open_dataset
    >>> def read(card, root, options):
    ...     return ReadResult([Sample("a.png", root / "a.png", mos=4.0), Sample("b.png", root / "b.png", mos=2.0)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> (root / "a.png").write_bytes(b"")  # opening checks that files exist; it decodes none
    0
    >>> dataset = open_dataset(spec, root)
    >>> [s.id for s in dataset.samples], [s.id for s in dataset.missing], dataset.refused
    (['a.png'], ['b.png'], [])
    >>> tmp.cleanup()
    """

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
        """The card's name."""
        return self.card.name

    def labels_id(self) -> str:
        """The identity of this label set, under which the store keeps it.

        A hash of every sample's id, MOS, std, group and split, present, missing or refused: two label
        files of one dataset are two label sets in the store, and the same labels are one.

        Returns
        -------
        str
            16 hexadecimal digits.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from iqabench import DatasetCard, DatasetSpec, Sample
        >>> from iqabench.dataset import ReadResult, open_dataset
        >>> def read(card, root, options):
        ...     return ReadResult([Sample("a.png", root / "a.png", mos=4.0), Sample("b.png", root / "b.png", mos=2.0)])
        >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
        >>> tmp = tempfile.TemporaryDirectory()
        >>> root = Path(tmp.name)
        >>> (root / "a.png").write_bytes(b"")  # opening checks that files exist; it decodes none
        0
        >>> dataset = open_dataset(spec, root)
        >>> dataset.labels_id() == open_dataset(spec, root).labels_id()
        True
        >>> len(dataset.labels_id())
        16
        >>> tmp.cleanup()
        """
        everything = self.samples + self.missing + [r.sample for r in self.refused]
        rows = sorted(([s.id, s.mos, s.std, s.group, s.split] for s in everything),
                      key=lambda row: row[0])  # ids are unique (validate_labels)
        canonical = json.dumps([self.group_by, rows], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def validate_labels(card: DatasetCard, samples: Sequence[Sample], source: str) -> None:
    """Reject duplicate ids, unlabelled samples, NaN or infinite labels and labels outside the card's
    range, naming the first offenders.

    A dataset whose samples are all unlabelled and whose card names no label file (a folder of images)
    passes.

    Parameters
    ----------
    card : DatasetCard
        The dataset's card (its ``mos_range`` and ``label_file``).
    samples : sequence of Sample
        What the reader returned.
    source : str
        What the labels were read from, to begin each message with.

    Raises
    ------
    iqabench.errors.DatasetError
        When an id is labelled twice, a sample has no label while others do, a label is NaN or infinite,
        or a label is outside ``card.mos_range``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, Sample
    >>> from iqabench.dataset import validate_labels
    >>> card = DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0))
    >>> validate_labels(card, [Sample("a.png", Path("a.png"), mos=3.0)], "labels.csv")
    >>> validate_labels(card, [Sample("a.png", Path("a.png"), mos=7.0)], "labels.csv")
    Traceback (most recent call last):
    ...
    iqabench.errors.DatasetError: labels.csv: 1 MOS value(s) outside the card's range [1.0, 5.0], first: ...
    """
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
    """Read a dataset at a root, validate its labels, and sort its samples into present, missing and refused.

    A sample is refused, for every reader alike, when its image or reference resolves outside the root
    (a ``../`` or absolute name in a label file, a symbolic link leading out), is a dangling symbolic
    link, a directory or another non-regular file. A refused file outside the root is never opened, not
    even to hash it. Each file costs one ``lstat``, kept for hashing; no image is decoded.

    Parameters
    ----------
    spec : DatasetSpec
        The card and reader, as registered.
    root : pathlib.Path, optional
        The dataset's folder; by default the card's :meth:`~DatasetCard.default_root`. A card with option
        ``materialise = true`` has a reader that writes its data into the root, so its root need not
        exist yet.
    options : dict, optional
        For the reader: ``labels`` (another label file), ``allow_outside_root`` (let label files name
        images outside the root, as ``IQABENCH_ALLOW_OUTSIDE_ROOT=1`` does).

    Returns
    -------
    Dataset

    Raises
    ------
    iqabench.errors.DatasetError
        When the root does not exist (the message says where to get the dataset), the reader returns
        something else than a :class:`ReadResult`, or the labels are invalid (:func:`validate_labels`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult, open_dataset
    >>> def read(card, root, options):
    ...     return ReadResult([Sample("a.png", root / "a.png", mos=4.0), Sample("b.png", root / "b.png", mos=2.0)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> (root / "a.png").write_bytes(b"")  # opening checks that files exist; it decodes none
    0
    >>> dataset = open_dataset(spec, root)
    >>> [s.id for s in dataset.samples], [s.id for s in dataset.missing]
    (['a.png'], ['b.png'])
    >>> dataset.root == root.resolve()
    True
    >>> open_dataset(spec, root / "elsewhere")
    Traceback (most recent call last):
    ...
    iqabench.errors.DatasetError: Dataset 'my-photos' (my-photos) was not found at ...
    >>> tmp.cleanup()
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
