"""The score store: every per-image score (or failure) in one SQLite file, in WAL mode.

A score is keyed by (metric, config hash, weights hash, dataset, sample id, content hash), as
DESIGN.md says: change any of them and the score is recomputed; change none and a rerun computes
nothing. Each batch is committed in its own transaction, so a process killed with SIGKILL loses
at most the batch it was scoring, and the primary key keeps two processes writing one store from
creating duplicates.

Labels live in *label sets*: the samples of a dataset as a run found them (id, MOS, std, group,
split, and the content hash of the image, and of the image with its reference), keyed by
(dataset, labels id), where the labels id hashes the labels themselves. Two label files of one
dataset are two label sets; statistics read one of them and count only the scores whose content
hash is the one the label set recorded, so the score of an image that has since changed is never used.

The schema carries a version (``meta.schema_version``); an older store is migrated in place when
opened (nothing is deleted), a newer one is refused with a message.
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
from typing import TYPE_CHECKING, Iterable, Mapping

from . import settings
from .errors import IqabenchError
from .hashing import file_sha256

if TYPE_CHECKING:
    from .dataset import Dataset

SCHEMA_VERSION = 2
#: rows per ``IN (...)`` lookup, below SQLite's limit on bound parameters.
_CHUNK = 500

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
    labels_id TEXT,
    device TEXT NOT NULL,
    host TEXT NOT NULL,
    versions TEXT NOT NULL,
    n_total INTEGER,
    n_scored INTEGER,
    n_stored INTEGER,
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
CREATE TABLE IF NOT EXISTS label_sets (
    dataset TEXT NOT NULL,
    labels_id TEXT NOT NULL,
    root TEXT NOT NULL,
    label_file TEXT,
    label_file_sha256 TEXT,
    group_by TEXT,
    n_present INTEGER NOT NULL,
    n_missing INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (dataset, labels_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS samples (
    dataset TEXT NOT NULL,
    labels_id TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    content_hash TEXT,
    pair_hash TEXT,
    mos REAL,
    std REAL,
    grp TEXT,
    split TEXT,
    PRIMARY KEY (dataset, labels_id, sample_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
) WITHOUT ROWID;
"""

#: schema 1 -> 2: labels keyed by (dataset, sample id) become the label set "schema-1" of each dataset,
#: without content hashes (so statistics never use them before a run records the images again); the
#: runs' n_skipped is renamed n_stored and gains labels_id. Scores are kept as they are.
MIGRATE_1_TO_2 = """
ALTER TABLE runs RENAME COLUMN n_skipped TO n_stored;
ALTER TABLE runs ADD COLUMN labels_id TEXT;
INSERT INTO label_sets(dataset, labels_id, root, label_file, label_file_sha256, group_by, n_present, n_missing,
                       updated_at, used)
    SELECT l.dataset, 'schema-1', COALESCE((SELECT r.dataset_root FROM runs r WHERE r.dataset = l.dataset
                                            ORDER BY r.id DESC LIMIT 1), ''),
           NULL, NULL, NULL, COUNT(*), 0, '1970-01-01T00:00:00+00:00', 0
    FROM labels l GROUP BY l.dataset;
INSERT INTO samples(dataset, labels_id, sample_id, content_hash, pair_hash, mos, std, grp, split)
    SELECT dataset, 'schema-1', sample_id, NULL, NULL, mos, std, grp, split FROM labels;
DROP TABLE labels;
"""


class StoreError(IqabenchError):
    """The store file cannot be used as it is (written by a newer iqabench, say)."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def pair_hash(image_hash: str, ref_hash: str) -> str:
    """The content hash of a full-reference sample: the image's and the reference's, together."""
    return f"{image_hash[:32]}{ref_hash[:32]}"


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


@dataclass(frozen=True)
class SampleHashes:
    """A sample's content hash, and with its reference (full-reference metrics), when it has one."""

    image: str
    pair: str | None

    def for_kind(self, kind: str) -> str:
        return self.pair if kind == "FR" and self.pair is not None else self.image


@dataclass(frozen=True)
class LabelSet:
    """A dataset's samples as a run recorded them (see the module docstring)."""

    dataset: str
    labels_id: str
    root: str
    label_file: str | None
    label_file_sha256: str | None
    group_by: str | None
    n_present: int
    n_missing: int
    updated_at: str


class ScoreStore:
    """A connection to one store file. Cheap to open; safe to open from several processes."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else settings.store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._prepare_schema()

    def _prepare_schema(self) -> None:
        """Create the tables, or migrate an older store; refuse a store of a newer schema."""
        with self.transaction():
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = 0
            if "meta" in tables:
                row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the score store {self.path} has schema version {version}, written by a newer iqabench "
                    f"(this one reads version {SCHEMA_VERSION}); upgrade iqabench, or pass --store with another file")
            if version == 0 and "scores" in tables:
                version = 1  # stores made before the version was recorded
            for statement in _statements(SCHEMA):
                self.conn.execute(statement)
            if version == 1:
                for statement in _statements(MIGRATE_1_TO_2):
                    self.conn.execute(statement)
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                              (str(SCHEMA_VERSION),))

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
    def content_hash(self, path: Path | str) -> str:
        """sha256 of one file, cached in the store by (absolute path, size, mtime)."""
        name = os.fspath(path)
        return self.content_hashes({name: os.stat(name)})[name]

    def content_hashes(self, stats: Mapping[str, os.stat_result]) -> dict[str, str]:
        """sha256 of many files (by path) whose ``stat`` the caller has: one lookup per 500 files, the files
        not cached (or changed since) hashed and recorded in one transaction."""
        keys = {path: (os.path.abspath(path), st.st_size, st.st_mtime_ns) for path, st in stats.items()}
        cached: dict[str, tuple[int, int, str]] = {}
        names = sorted({key[0] for key in keys.values()})
        for start in range(0, len(names), _CHUNK):
            chunk = names[start:start + _CHUNK]
            rows = self.conn.execute(
                f"SELECT path, size, mtime_ns, sha256 FROM file_hashes WHERE path IN ({','.join('?' * len(chunk))})",
                chunk).fetchall()
            cached.update({r[0]: (r[1], r[2], r[3]) for r in rows})
        result, new = {}, {}
        for path, (name, size, mtime) in keys.items():
            hit = cached.get(name)
            if hit is not None and hit[:2] == (size, mtime):
                result[path] = hit[2]
                continue
            if name not in new:
                new[name] = (size, mtime, file_sha256(name))
            result[path] = new[name][2]
        if new:
            with self.transaction():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO file_hashes(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                    [(name, *value) for name, value in new.items()])
        return result

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
        labels_id: str | None = None,
    ) -> int:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs(started_at, status, metric, config_hash, metric_config, weights_hash, weights,"
                " dataset, dataset_root, labels_id, device, host, versions)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), key.metric, key.config_hash, json.dumps(metric_config, sort_keys=True), key.weights_hash,
                 json.dumps(weights, sort_keys=True), key.dataset, dataset_root, labels_id, device, host,
                 json.dumps(versions, sort_keys=True)),
            )
            return int(cursor.lastrowid)

    def end_run(self, run_id: int, *, status: str, total: int, scored: int, stored: int, missing: int,
                failed: int) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET ended_at=?, status=?, n_total=?, n_scored=?, n_stored=?, n_missing=?, n_failed=?"
                " WHERE id=?",
                (now(), status, total, scored, stored, missing, failed, run_id),
            )

    def runs(self, ids: Iterable[int] | None = None) -> list[dict]:
        """Every run, or those with the given ids, in order."""
        if ids is None:
            return self._dicts("SELECT * FROM runs ORDER BY id")
        wanted = sorted(set(ids))
        return [row for start in range(0, len(wanted), _CHUNK) for row in self._dicts(
            f"SELECT * FROM runs WHERE id IN ({','.join('?' * len(wanted[start:start + _CHUNK]))}) ORDER BY id",
            wanted[start:start + _CHUNK])]

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
        """Commit (sample id, content hash, score, error, seconds) rows in one transaction (all or none);
        returns the rows written. A failure already stored is replaced by a new result
        (``--retry-failed``); a score never is."""
        created = now()
        with self.transaction():
            before = self.conn.total_changes
            self.conn.executemany(
                "INSERT INTO scores(metric, config_hash, weights_hash, dataset, sample_id, content_hash,"
                " score, error, seconds, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET score=excluded.score, error=excluded.error,"
                " seconds=excluded.seconds, run_id=excluded.run_id, created_at=excluded.created_at"
                " WHERE scores.score IS NULL",
                [(key.metric, key.config_hash, key.weights_hash, key.dataset, sample_id, content_hash,
                  score, error, seconds, run_id, created) for sample_id, content_hash, score, error, seconds in rows],
            )
            return self.conn.total_changes - before

    # -- label sets ------------------------------------------------------------------------
    def put_label_set(self, dataset: "Dataset", hashes: Mapping[str, SampleHashes]) -> str:
        """Record ``dataset``'s samples as a label set (rows written only where they changed); returns its id.

        ``hashes`` holds the content hashes of the samples that were hashed; the others are recorded
        without one (a score is only counted once its image is hashed again)."""
        labels_id = dataset.labels_id()
        rows = {s.id: (s.id, hashes[s.id].image if s.id in hashes else None,
                       hashes[s.id].pair if s.id in hashes else None, s.mos, s.std, s.group, s.split)
                for s in dataset.samples}
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

    def label_sets(self, dataset: str) -> list[LabelSet]:
        """The label sets recorded for ``dataset``, the most recently used first."""
        rows = self.conn.execute(
            "SELECT dataset, labels_id, root, label_file, label_file_sha256, group_by, n_present, n_missing, updated_at"
            " FROM label_sets WHERE dataset=? ORDER BY used DESC", (dataset,)).fetchall()
        return [LabelSet(*row) for row in rows]

    def labelled_samples(self, dataset: str, labels_id: str) -> list[dict]:
        """The samples of one label set: sample id, content hashes, MOS, group."""
        return self._dicts("SELECT sample_id, content_hash, pair_hash, mos, grp AS 'group' FROM samples"
                           " WHERE dataset=? AND labels_id=? ORDER BY sample_id", (dataset, labels_id))

    # -- reading ---------------------------------------------------------------------------
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

    def stored_metrics(self, dataset: str) -> list[str]:
        """Names of the metrics with any score or failure stored for ``dataset``."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT metric FROM scores WHERE dataset=? ORDER BY metric",
                                                (dataset,))]

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

    def export_csv(self, out, metric: str | None = None, dataset: str | None = None) -> int:
        """Write :meth:`per_image` rows as CSV to a text stream; returns the number of rows."""
        rows = self.per_image(metric, dataset)
        columns = ["metric", "dataset", "sample_id", "score", "error", "mos", "std", "group", "split",
                   "config_hash", "weights_hash", "content_hash", "labels_id", "run_id", "created_at"]
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return len(rows)

    def _dicts(self, sql: str, params: Iterable = ()) -> list[dict]:
        with closing(self.conn.execute(sql, tuple(params))) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
