"""The layout of the store file: its tables, the migrations from older schemas, and its timestamps."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from .errors import StoreError

SCHEMA_VERSION = 3
#: the oldest schema this version reads without migrating it (a read-only store is not migrated).
READABLE_SCHEMA = 2

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
    n_failed INTEGER,
    pid INTEGER,
    process TEXT,
    error TEXT
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
CREATE TABLE IF NOT EXISTS claims (
    metric TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    weights_hash TEXT NOT NULL,
    dataset TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (metric, config_hash, weights_hash, dataset, sample_id, content_hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claims_by_run ON claims(run_id);
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

#: schema 2 -> 3: runs record their process (pid, and its start time: ``process``) and why they failed
#: (``error``); the ``claims`` table (created by SCHEMA) is new. Every row is kept; the runs of schema 2
#: have no pid, so a run of theirs left ``running`` stays so.
MIGRATE_2_TO_3 = """
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN process TEXT;
ALTER TABLE runs ADD COLUMN error TEXT;
"""


def now() -> str:
    """The time as the store records it (UTC, ISO 8601, to the second)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Create the tables, or migrate an older store; refuse a store of a newer schema. Runs inside the
    caller's transaction."""
    found = tables(conn)
    version = schema_version(conn)
    check_version(version, path)
    if version == 0 and found - {"sqlite_sequence"}:
        if "scores" not in found:
            raise StoreError(
                f"{path} is an SQLite database but not an iqabench score store (it has the tables "
                f"{', '.join(sorted(found))}); pass --store with another file")
        version = 1  # stores made before the version was recorded
    for statement in _statements(SCHEMA):
        conn.execute(statement)
    if version == 1:
        for statement in _statements(MIGRATE_1_TO_2):
            conn.execute(statement)
    if version in (1, 2):
        for statement in _statements(MIGRATE_2_TO_3):
            conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def check_version(version: int, path: Path) -> None:
    """Refuse a store written by a newer iqabench."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the score store {path} has schema version {version}, written by a newer iqabench "
            f"(this one reads version {SCHEMA_VERSION}); upgrade iqabench, or pass --store with another file")


def tables(conn: sqlite3.Connection) -> set[str]:
    """The names of the file's tables."""
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def schema_version(conn: sqlite3.Connection) -> int:
    """``meta.schema_version``; 0 without one (a new file, or a store made before versions were recorded)."""
    if "meta" not in tables(conn):
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
