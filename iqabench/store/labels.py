"""Label sets: a dataset's samples (labels and content hashes) as a run found them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .connection import Connection
from .errors import guarded
from .schema import now

if TYPE_CHECKING:
    from ..dataset import Dataset

#: the content hash recorded for a sample whose image (or whose reference) could not be read.
UNREADABLE, UNREADABLE_REFERENCE = "unreadable", "unreadable-reference"


def pair_hash(image_hash: str, ref_hash: str) -> str:
    """The content hash of a full-reference sample: the image's and the reference's, together."""
    return f"{image_hash[:32]}{ref_hash[:32]}"


@dataclass(frozen=True)
class SampleHashes:
    """A sample's content hash, and with its reference (full-reference metrics), when it has one.

    A file that could not be read has the hash :data:`UNREADABLE` (the image; then the pair too) or
    :data:`UNREADABLE_REFERENCE` (the reference: the pair only) and the reason in ``error`` or
    ``ref_error``; its failure is recorded under that hash, which the label set records too."""

    image: str
    pair: str | None
    error: str | None = None
    ref_error: str | None = None

    def for_kind(self, kind: str) -> str:
        return self.pair if kind == "FR" and self.pair is not None else self.image

    def error_for(self, kind: str) -> str | None:
        """Why a metric of ``kind`` cannot score this sample before decoding it; None when it can."""
        if self.error is not None:
            return self.error
        return self.ref_error if kind == "FR" else None


@dataclass(frozen=True)
class LabelSet:
    """A dataset's samples as a run recorded them (see :mod:`iqabench.store`)."""

    dataset: str
    labels_id: str
    root: str
    label_file: str | None
    label_file_sha256: str | None
    group_by: str | None
    n_present: int
    n_missing: int
    updated_at: str


class Labels(Connection):
    """Recording label sets, and reading them back."""

    @guarded
    def put_label_set(self, dataset: Dataset, hashes: Mapping[str, SampleHashes]) -> str:
        """Record ``dataset``'s samples as a label set (rows written only where they changed); returns its id.

        ``hashes`` holds the content hashes of the samples that were hashed; the others are recorded
        without one (a score is only counted once its image is hashed again). A sample whose file could not
        be read, or that was refused when the dataset was opened, is recorded with the hash ``UNREADABLE``
        (:class:`SampleHashes`), so that its failure counts in the statistics' tables."""
        labels_id = dataset.labels_id()
        refused = [refusal.sample for refusal in getattr(dataset, "refused", ())]  # their failures count too
        rows = {s.id: (s.id, hashes[s.id].image if s.id in hashes else None,
                       hashes[s.id].pair if s.id in hashes else None, s.mos, s.std, s.group, s.split)
                for s in dataset.samples + refused}
        existing = {r[0]: r for r in self.conn.execute(
            "SELECT sample_id, content_hash, pair_hash, mos, std, grp, split FROM samples"
            " WHERE dataset=? AND labels_id=?", (dataset.name, labels_id))}
        changed = [row for sid, row in rows.items() if existing.get(sid) != row]
        gone = [sid for sid in existing if sid not in rows]
        label_file = str(dataset.label_file.resolve()) if dataset.label_file else None
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO label_sets(dataset, labels_id, root, label_file, label_file_sha256, group_by,"
                " n_present, n_missing, updated_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " (SELECT COALESCE(MAX(used), 0) + 1 FROM label_sets))",
                (dataset.name, labels_id, str(dataset.root.resolve()), label_file, dataset.label_file_sha256,
                 dataset.group_by, len(dataset.samples), len(dataset.missing), now()))
            self.conn.executemany(
                "INSERT OR REPLACE INTO samples(dataset, labels_id, sample_id, content_hash, pair_hash, mos, std,"
                " grp, split) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [(dataset.name, labels_id, *row) for row in changed])
            self.conn.executemany("DELETE FROM samples WHERE dataset=? AND labels_id=? AND sample_id=?",
                                  [(dataset.name, labels_id, sid) for sid in gone])
        return labels_id

    @guarded
    def label_sets(self, dataset: str) -> list[LabelSet]:
        """The label sets recorded for ``dataset``, the most recently used first."""
        rows = self.conn.execute(
            "SELECT dataset, labels_id, root, label_file, label_file_sha256, group_by, n_present, n_missing, updated_at"
            " FROM label_sets WHERE dataset=? ORDER BY used DESC", (dataset,)).fetchall()
        return [LabelSet(*row) for row in rows]

    @guarded
    def labelled_samples(self, dataset: str, labels_id: str) -> list[dict]:
        """The samples of one label set: sample id, content hashes, MOS, group."""
        return self._dicts("SELECT sample_id, content_hash, pair_hash, mos, grp AS 'group' FROM samples"
                           " WHERE dataset=? AND labels_id=? ORDER BY sample_id", (dataset, labels_id))
