"""The scores and failures in the store: recording a batch in one transaction, and reading them back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .claims import release
from .connection import Connection
from .errors import guarded
from .rows import ScoreKey, StoredScore, stored_rows
from .schema import now


class Scores(Connection):
    """Writing and reading the rows of the ``scores`` table."""

    @guarded
    def stored(self, key: ScoreKey) -> dict[tuple[str, str], StoredScore]:
        """Every stored score and failure under ``key``, by (sample id, content hash)."""
        rows = self.conn.execute(
            "SELECT sample_id, content_hash, score, error, run_id FROM scores"
            " WHERE metric=? AND config_hash=? AND weights_hash=? AND dataset=?",
            (key.metric, key.config_hash, key.weights_hash, key.dataset),
        ).fetchall()
        return {(r[0], r[1]): StoredScore(*r) for r in rows}

    def add_scores(self, key: ScoreKey, run_id: int, rows: Iterable[tuple[str, str, float | None, str | None, float]]) -> int:
        """Commit (sample id, content hash, score, error, seconds) rows in one transaction (all or none);
        returns the rows written. A failure already stored is replaced by a new result
        (``--retry-failed``); a score never is."""
        return sum(kept is None for kept in self.record(key, run_id, rows))

    @guarded
    def record(self, key: ScoreKey, run_id: int, rows: Iterable[tuple[str, str, float | None, str | None, float]],
               expected: Mapping[tuple[str, str], int | None] | None = None) -> list[StoredScore | None]:
        """Commit (sample id, content hash, score, error, seconds) rows in one transaction (all or none) and
        release this run's claims on them; for each row, None when it was written, else the stored row kept.

        A stored score is never replaced. A stored failure is replaced by a score; by another failure only
        when ``expected`` is None (replace every failure) or names that failure's run (the failure this run
        retries): a failure another run wrote meanwhile is kept."""
        rows = list(rows)
        created = now()
        with self.transaction():
            stored = stored_rows(self.conn, key, [(r[0], r[1]) for r in rows])
            outcome: list[StoredScore | None] = []
            for sid, digest, score, error, _ in rows:
                kept = stored.get((sid, digest))
                if kept is not None and kept.error is not None and (
                        score is not None or expected is None or kept.run_id == expected.get((sid, digest))):
                    kept = None
                outcome.append(kept)
            self.conn.executemany(
                "INSERT INTO scores(metric, config_hash, weights_hash, dataset, sample_id, content_hash,"
                " score, error, seconds, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET score=excluded.score, error=excluded.error,"
                " seconds=excluded.seconds, run_id=excluded.run_id, created_at=excluded.created_at",
                [(key.metric, key.config_hash, key.weights_hash, key.dataset, sid, digest, score, error, seconds,
                  run_id, created) for (sid, digest, score, error, seconds), kept in zip(rows, outcome) if kept is None],
            )
            release(self.conn, key, run_id, [(r[0], r[1]) for r in rows])
        return outcome

    @guarded
    def current_scores(self, dataset: str, labels_id: str, metric: str, config_hash: str,
                       weights_hash: str | None) -> list[dict]:
        """The scores and failures of one metric configuration on the samples of one label set whose content
        hash is the one the label set recorded (a score of an image that changed since is not returned).
        With ``weights_hash`` None, the weights of the newest matching score are used."""
        if weights_hash is None:
            row = self.conn.execute(
                "SELECT weights_hash FROM scores WHERE dataset=? AND metric=? AND config_hash=?"
                " ORDER BY created_at DESC LIMIT 1", (dataset, metric, config_hash)).fetchone()
            if row is None:
                return []
            weights_hash = row[0]
        return self._dicts(
            "SELECT s.sample_id, s.score, s.error, s.run_id, s.weights_hash FROM scores s"
            " JOIN samples m ON m.dataset=s.dataset AND m.sample_id=s.sample_id AND m.labels_id=?"
            "  AND s.content_hash IN (m.content_hash, m.pair_hash)"
            " WHERE s.dataset=? AND s.metric=? AND s.config_hash=? AND s.weights_hash=? ORDER BY s.sample_id",
            (labels_id, dataset, metric, config_hash, weights_hash))

    @guarded
    def stored_metrics(self, dataset: str) -> list[str]:
        """Names of the metrics with any score or failure stored for ``dataset``."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT metric FROM scores WHERE dataset=? ORDER BY metric",
                                                (dataset,))]
