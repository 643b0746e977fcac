"""A dataset opened at a root: its samples present, missing and refused, and the identity of its labels."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .card import DatasetCard
from .sample import Refused, Sample


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
