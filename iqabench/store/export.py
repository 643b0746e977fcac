"""Per-image rows with the labels each score was computed against, and their CSV export."""

from __future__ import annotations

import csv

from .connection import Connection
from .errors import guarded

#: the columns of the CSV export, in order.
COLUMNS = ["metric", "dataset", "sample_id", "score", "error", "mos", "std", "group", "split",
           "config_hash", "weights_hash", "content_hash", "labels_id", "run_id", "created_at"]


class Export(Connection):
    """Reading every score and failure as a row with its labels."""

    @guarded
    def per_image(self, metric: str | None = None, dataset: str | None = None) -> list[dict]:
        """Per-image rows (scores and failures), with the labels of the label set each was scored against."""
        where, params = [], []
        if metric:
            where.append("s.metric=?")
            params.append(metric)
        if dataset:
            where.append("s.dataset=?")
            params.append(dataset)
        sql = (
            "SELECT s.metric, s.config_hash, s.weights_hash, s.dataset, s.sample_id, s.content_hash, s.score,"
            " s.error, m.mos, m.std, m.grp AS 'group', m.split, r.labels_id, s.run_id, s.created_at"
            " FROM scores s JOIN runs r ON r.id=s.run_id"
            " LEFT JOIN samples m ON m.dataset=s.dataset AND m.sample_id=s.sample_id AND m.labels_id=r.labels_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY s.metric, s.dataset, s.sample_id"
        )
        return self._dicts(sql, params)

    @guarded
    def export_csv(self, out, metric: str | None = None, dataset: str | None = None) -> int:
        """Write :meth:`per_image` rows as CSV to a text stream; returns the number of rows."""
        rows = self.per_image(metric, dataset)
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return len(rows)
