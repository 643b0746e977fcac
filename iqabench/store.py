"""The score store: every per-image score (or failure) in one SQLite file, in WAL mode.

A score is keyed by (metric, config hash, weights hash, dataset, sample id, content hash), as
DESIGN.md says: change any of them and the score is recomputed; change none and a rerun computes
nothing. Each batch is committed in its own transaction, so a process killed with SIGKILL loses
at most the batch it was scoring, and ``INSERT OR IGNORE`` on the primary key keeps two processes
writing one store from creating duplicates.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from .hashing import file_sha256

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    metric TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    metric_config TEXT NOT NULL,
    weights_hash TEXT NOT NULL,
    weights TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_root TEXT NOT NULL,
    device TEXT NOT NULL,
    host TEXT NOT NULL,
    versions TEXT NOT NULL,
    n_total INTEGER,
    n_scored INTEGER,
    n_skipped INTEGER,
    n_missing INTEGER,
    n_failed INTEGER
);
CREATE TABLE IF NOT EXISTS scores (
    metric TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    weights_hash TEXT NOT NULL,
    dataset TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    score REAL,
    error TEXT,
    seconds REAL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (metric, config_hash, weights_hash, dataset, sample_id, content_hash),
    CHECK ((score IS NULL) <> (error IS NULL))
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (
    dataset TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    mos REAL,
    std REAL,
    grp TEXT,
    split TEXT,
    PRIMARY KEY (dataset, sample_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
) WITHOUT ROWID;
"""


def default_store_path() -> Path:
    """``$IQABENCH_STORE`` when set, else ``~/.cache/iqabench/scores.sqlite``."""
    env = os.environ.get("IQABENCH_STORE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "iqabench" / "scores.sqlite"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ScoreKey:
    """The part of a score's key shared by every sample of one (metric, dataset) run."""

    metric: str
    config_hash: str
    weights_hash: str
    dataset: str


@dataclass(frozen=True)
class StoredScore:
    sample_id: str
    content_hash: str
    score: float | None
    error: str | None


class ScoreStore:
    """A connection to one store file. Cheap to open; safe to open from several processes."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(SCHEMA)  # idempotent; executescript manages its own transaction
        self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "ScoreStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def transaction(self):
        """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock up front, so writers queue instead of failing."""
        return _Transaction(self.conn)

    # -- content hashes --------------------------------------------------------------------
    def content_hash(self, path: Path) -> str:
        """sha256 of a file, cached in the store by (absolute path, size, mtime)."""
        path = Path(path).resolve()
        stat = path.stat()
        row = self.conn.execute(
            "SELECT sha256 FROM file_hashes WHERE path=? AND size=? AND mtime_ns=?",
            (str(path), stat.st_size, stat.st_mtime_ns),
        ).fetchone()
        if row:
            return row[0]
        sha = file_sha256(path)
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO file_hashes(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                (str(path), stat.st_size, stat.st_mtime_ns, sha),
            )
        return sha

    # -- runs ------------------------------------------------------------------------------
    def begin_run(
        self,
        key: ScoreKey,
        *,
        metric_config: dict,
        weights: dict,
        dataset_root: str,
        device: str,
        host: str,
        versions: dict,
    ) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs(started_at, status, metric, config_hash, metric_config, weights_hash, weights,"
                " dataset, dataset_root, device, host, versions) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now(),
                    key.metric,
                    key.config_hash,
                    json.dumps(metric_config, sort_keys=True),
                    key.weights_hash,
                    json.dumps(weights, sort_keys=True),
                    key.dataset,
                    dataset_root,
                    device,
                    host,
                    json.dumps(versions, sort_keys=True),
                ),
            )
            return int(cursor.lastrowid)

    def end_run(self, run_id: int, *, status: str, total: int, scored: int, skipped: int, missing: int, failed: int) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET ended_at=?, status=?, n_total=?, n_scored=?, n_skipped=?, n_missing=?, n_failed=?"
                " WHERE id=?",
                (now(), status, total, scored, skipped, missing, failed, run_id),
            )

    def runs(self) -> list[dict]:
        with closing(self.conn.execute("SELECT * FROM runs ORDER BY id")) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    # -- scores ----------------------------------------------------------------------------
    def stored(self, key: ScoreKey) -> dict[tuple[str, str], StoredScore]:
        """Every stored score and failure under ``key``, by (sample id, content hash)."""
        rows = self.conn.execute(
            "SELECT sample_id, content_hash, score, error FROM scores"
            " WHERE metric=? AND config_hash=? AND weights_hash=? AND dataset=?",
            (key.metric, key.config_hash, key.weights_hash, key.dataset),
        ).fetchall()
        return {(r[0], r[1]): StoredScore(*r) for r in rows}

    def add_scores(self, key: ScoreKey, run_id: int, rows: Iterable[tuple[str, str, float | None, str | None, float]]) -> int:
        """Commit (sample id, content hash, score, error, seconds) rows in one transaction; returns rows written.

        A failure already stored is replaced by a new result (``--retry-failed``); a score never is.
        """
        created = now()
        written = 0
        with self.transaction():
            for sample_id, content_hash, score, error, seconds in rows:
                cursor = self.conn.execute(
                    "INSERT INTO scores(metric, config_hash, weights_hash, dataset, sample_id, content_hash,"
                    " score, error, seconds, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO UPDATE SET score=excluded.score, error=excluded.error,"
                    " seconds=excluded.seconds, run_id=excluded.run_id, created_at=excluded.created_at"
                    " WHERE scores.score IS NULL",
                    (key.metric, key.config_hash, key.weights_hash, key.dataset, sample_id, content_hash,
                     score, error, seconds, run_id, created),
                )
                written += cursor.rowcount
        return written

    # -- labels ----------------------------------------------------------------------------
    def put_labels(self, dataset: str, samples: Sequence) -> None:
        """Record each sample's label so statistics and leaderboards can be computed from the store alone."""
        with self.transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO labels(dataset, sample_id, mos, std, grp, split) VALUES (?, ?, ?, ?, ?, ?)",
                [(dataset, s.id, s.mos, s.std, s.group, s.split) for s in samples],
            )

    # -- reading ---------------------------------------------------------------------------
    def per_image(self, metric: str | None = None, dataset: str | None = None) -> list[dict]:
        """Per-image rows (scores and failures) joined with labels, newest configuration first."""
        where, params = [], []
        if metric:
            where.append("s.metric=?")
            params.append(metric)
        if dataset:
            where.append("s.dataset=?")
            params.append(dataset)
        sql = (
            "SELECT s.metric, s.config_hash, s.weights_hash, s.dataset, s.sample_id, s.content_hash, s.score,"
            " s.error, l.mos, l.std, l.grp AS 'group', l.split, s.run_id, s.created_at"
            " FROM scores s LEFT JOIN labels l ON l.dataset=s.dataset AND l.sample_id=s.sample_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY s.metric, s.dataset, s.sample_id"
        )
        with closing(self.conn.execute(sql, params)) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def export_csv(self, out, metric: str | None = None, dataset: str | None = None) -> int:
        """Write :meth:`per_image` rows as CSV to a text stream; returns the number of rows."""
        rows = self.per_image(metric, dataset)
        columns = ["metric", "dataset", "sample_id", "score", "error", "mos", "std", "group", "split",
                   "config_hash", "weights_hash", "content_hash", "run_id", "created_at"]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return len(rows)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
