"""The score store: every per-image score (or failure) in one SQLite file, in WAL mode.

A score is keyed by (metric, config hash, weights hash, dataset, sample id, content hash), as
docs/architecture.md says: change any of them and the score is recomputed; change none and a rerun computes
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

Faults of the file itself never escape as SQLite tracebacks: a damaged or non-database file, a
location that cannot be written, a full disk, a lock held too long each raise :class:`StoreError`
naming the file and what to do. A store opened with ``readonly=True`` (``export``, ``stats``) never
writes: it refuses a write with a :class:`StoreError`, leaves no ``-wal``/``-shm`` file behind, and
reads a store on read-only media (where WAL's shared-memory file cannot be created) as immutable.

Runs record their process (pid, host and the process's start time), so the next run on the host
marks a run whose process is gone (SIGKILL, out of memory) ``interrupted``. Concurrent runs of one
metric on one dataset split the work through *claims*: a run claims the samples it is about to
decode (:meth:`ScoreStore.claim`, one transaction), another run skips them, and a claim ends when
its scores are written, when its run ends, when its process is found gone, or after
:data:`CLAIM_SECONDS` without news. Each run counts only the rows it wrote.
"""

from __future__ import annotations

import csv
import errno
import functools
import json
import os
import socket
import sqlite3
import stat as stat_mode
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence
from urllib.parse import quote

from . import settings
from .errors import IqabenchError
from .hashing import file_sha256

if TYPE_CHECKING:
    from .dataset import Dataset

SCHEMA_VERSION = 3
#: the oldest schema this version reads without migrating it (a read-only store is not migrated).
READABLE_SCHEMA = 2
#: rows per ``IN (...)`` lookup, below SQLite's limit on bound parameters.
_CHUNK = 500
#: a claim not renewed for this long is taken to be abandoned (its run's process on another host died).
CLAIM_SECONDS = 600.0
#: the content hash recorded for a sample whose image (or whose reference) could not be read.
UNREADABLE, UNREADABLE_REFERENCE = "unreadable", "unreadable-reference"

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


class StoreError(IqabenchError):
    """The store file cannot be used as it is: written by a newer iqabench, damaged, not a database,
    on read-only media or a full disk. The message names the file and what to do."""


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
    run_id: int | None = None


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
class Claimed:
    """What :meth:`ScoreStore.claim` found for the samples asked: those now claimed by this run, those
    another run has stored since (the row kept), and those another live run has claimed."""

    claimed: list[tuple[str, str]]
    done: dict[tuple[str, str], StoredScore]
    busy: list[tuple[str, str]]


class NotAFile(OSError):
    """A path listed as a file that is now something else (a FIFO, a directory, a device)."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file but {kind}", path)
        self.kind = kind


def _guarded(method):
    """SQLite's errors on the store file become :class:`StoreError` (an IntegrityError, a bug of the
    caller, is left as it is)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise self._store_error(exc) from exc

    return wrapper


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
    """A connection to one store file. Cheap to open; safe to open from several processes.

    ``readonly=True`` opens it for reading only (see the module docstring): it is neither created nor
    migrated, and a write raises :class:`StoreError`."""

    def __init__(self, path: Path | str | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path).expanduser() if path is not None else settings.store_path()
        self.readonly = readonly
        self.conn: sqlite3.Connection | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    @_guarded
    def _open(self) -> None:
        if self.readonly:
            self._open_for_reading()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of the score store {self.path}: {exc.strerror}; "
                             "pass --store with a path in a folder you can write (or set IQABENCH_STORE)") from None
        self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._prepare_schema()

    def _open_for_reading(self) -> None:
        """A normal connection that refuses writes (``query_only``): as the last connection it removes
        the ``-wal`` and ``-shm`` files when it closes, which a ``mode=ro`` connection leaves behind in a
        writable folder. Where the ``-shm`` file cannot be created (read-only media), ``mode=ro``, then
        ``immutable=1`` (nothing can write the file there)."""
        if not self.path.is_file():
            raise StoreError(f"no score store at {self.path}; run `iqabench run --store {self.path} …` first")
        uri = f"file:{quote(os.fspath(self.path.resolve()))}"
        attempts = [(uri, False), (f"{uri}?mode=ro", False), (f"{uri}?mode=ro&immutable=1", True)]
        for number, (address, immutable) in enumerate(attempts):
            if immutable:
                self._refuse_unreadable_wal()
            conn = sqlite3.connect(address, uri=True, timeout=60.0, isolation_level=None)
            try:
                conn.execute("PRAGMA query_only=1")
                version = _schema_version(conn)
            except sqlite3.OperationalError as exc:
                conn.close()
                if _code(exc) in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY) and number + 1 < len(attempts):
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            self.conn = conn
            break
        self._check_version(version)
        if version == 0 and "scores" not in _tables(self.conn):
            raise StoreError(f"{self.path} is not an iqabench score store (it has no scores table); pass --store "
                             "with the file `iqabench run` wrote")
        if version < READABLE_SCHEMA:
            self.close()
            ScoreStore(self.path).close()  # migrate it (this needs to write), then read it
            self._open_for_reading()

    def _refuse_unreadable_wal(self) -> None:
        wal = Path(f"{self.path}-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            raise StoreError(
                f"the score store {self.path} is on read-only media with changes still in {wal.name} that SQLite "
                f"can read only where it may write: copy {self.path.name} and {wal.name} to a writable folder and "
                "pass that copy with --store")

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the score store {self.path} has schema version {version}, written by a newer iqabench "
                f"(this one reads version {SCHEMA_VERSION}); upgrade iqabench, or pass --store with another file")

    def _prepare_schema(self) -> None:
        """Create the tables, or migrate an older store; refuse a store of a newer schema."""
        with self.transaction():
            tables = _tables(self.conn)
            version = _schema_version(self.conn)
            self._check_version(version)
            if version == 0 and tables - {"sqlite_sequence"}:
                if "scores" not in tables:
                    raise StoreError(
                        f"{self.path} is an SQLite database but not an iqabench score store (it has the tables "
                        f"{', '.join(sorted(tables))}); pass --store with another file")
                version = 1  # stores made before the version was recorded
            for statement in _statements(SCHEMA):
                self.conn.execute(statement)
            if version == 1:
                for statement in _statements(MIGRATE_1_TO_2):
                    self.conn.execute(statement)
            if version in (1, 2):
                for statement in _statements(MIGRATE_2_TO_3):
                    self.conn.execute(statement)
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                              (str(SCHEMA_VERSION),))

    def _store_error(self, exc: sqlite3.Error) -> StoreError:
        """What an SQLite error on this file means, and what to do about it."""
        code, path = _code(exc), self.path
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return StoreError(
                f"the score store {path} is damaged or is not an SQLite database ({exc}). Move it aside "
                f"(`mv {path} {path}.damaged`) and run again to start an empty store, or restore a copy; "
                f"`sqlite3 {path} .recover` may save the rows it still holds")
        if code == sqlite3.SQLITE_FULL:
            return StoreError(
                f"the disk holding the score store {path} is full ({exc}). Free some space (or pass --store "
                "with a file on another disk) and run the same command again: every batch already written is "
                "kept, and the run resumes where it stopped")
        if code == sqlite3.SQLITE_READONLY and self.readonly:
            return StoreError(f"the score store {path} was opened for reading only; only `iqabench run` and "
                              f"`iqabench leaderboard` write it ({exc})")
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            where = path if path.exists() else path.parent
            cause = ("it is on read-only media or in a folder this user cannot write"
                     if not os.access(where, os.W_OK) or not os.access(path.parent, os.W_OK)
                     else "check that it is a file this user may read and write")
            return StoreError(
                f"cannot write the score store {path} ({exc}): {cause}. Pass --store (or set IQABENCH_STORE) "
                "with a path in a writable folder; `iqabench export` and `stats` read a store on read-only media")
        if code == sqlite3.SQLITE_IOERR:
            return StoreError(
                f"input/output error on the score store {path} ({exc}): the disk may be full or failing, or the "
                "file on a network share that went away. Check the disk and run again; written batches are kept")
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return StoreError(
                f"the score store {path} stayed locked by another process for more than 60 s ({exc}); wait for "
                "it to finish, or pass --store with another file")
        return StoreError(f"the score store {path} failed: {exc} ({getattr(exc, 'sqlite_errorname', 'SQLite error')})")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

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

    @_guarded
    def content_hashes(self, stats: Mapping[str, os.stat_result | None],
                       failures: dict[str, OSError] | None = None) -> dict[str, str]:
        """sha256 of many files (by path) whose ``stat`` the caller has (None: take it now): one lookup per
        500 files, the files not cached (or changed since) hashed and recorded in one transaction.

        With ``failures``, a file that cannot be read (deleted, permission denied, an I/O error, no
        longer a regular file) is left out of the result and its ``OSError`` put in ``failures``;
        without it, the error is raised."""
        keys = {}
        for path, st in stats.items():
            if st is None:
                try:
                    st = os.stat(path)
                except OSError as exc:
                    if failures is None:
                        raise
                    failures[path] = exc
                    continue
            keys[path] = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
        cached: dict[str, tuple[int, int, str]] = {}
        names = sorted({key[0] for key in keys.values()})
        for start in range(0, len(names), _CHUNK):
            chunk = names[start:start + _CHUNK]
            rows = self.conn.execute(
                f"SELECT path, size, mtime_ns, sha256 FROM file_hashes WHERE path IN ({','.join('?' * len(chunk))})",
                chunk).fetchall()
            cached.update({r[0]: (r[1], r[2], r[3]) for r in rows})
        result, new, broken = {}, {}, {}
        for path, (name, size, mtime) in keys.items():
            hit = cached.get(name)
            if hit is not None and hit[:2] == (size, mtime):
                result[path] = hit[2]
                continue
            if name not in new and name not in broken:
                try:
                    new[name] = _hash_regular_file(name)
                except OSError as exc:
                    if failures is None:
                        raise
                    broken[name] = exc
            if name in broken:
                failures[path] = broken[name]
            else:
                result[path] = new[name][2]
        if new and not self.readonly:
            with self.transaction():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO file_hashes(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                    [(name, *value) for name, value in new.items()])
        return result

    # -- runs ------------------------------------------------------------------------------
    @_guarded
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
        """Record a run of this process as ``running``; first mark the runs of this host whose process is
        gone (:meth:`mark_dead_runs`)."""
        pid = os.getpid()
        with self.transaction():
            self._mark_dead_runs()
            cursor = self.conn.execute(
                "INSERT INTO runs(started_at, status, metric, config_hash, metric_config, weights_hash, weights,"
                " dataset, dataset_root, labels_id, device, host, versions, pid, process)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), key.metric, key.config_hash, json.dumps(metric_config, sort_keys=True), key.weights_hash,
                 json.dumps(weights, sort_keys=True), key.dataset, dataset_root, labels_id, device, host,
                 json.dumps(versions, sort_keys=True), pid, process_token(pid)),
            )
            return int(cursor.lastrowid)

    @_guarded
    def end_run(self, run_id: int, *, status: str, total: int, scored: int, stored: int, missing: int,
                failed: int, error: str | None = None) -> None:
        """Record how a run ended (``completed``, ``interrupted`` or ``failed`` with ``error``) and its
        counts, and drop whatever it still claimed."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET ended_at=?, status=?, n_total=?, n_scored=?, n_stored=?, n_missing=?, n_failed=?,"
                " error=? WHERE id=?",
                (now(), status, total, scored, stored, missing, failed, error, run_id),
            )
            self.conn.execute("DELETE FROM claims WHERE run_id=?", (run_id,))

    @_guarded
    def mark_dead_runs(self) -> list[int]:
        """Mark ``interrupted`` the runs of this host still ``running`` whose process is gone; returns their ids."""
        with self.transaction():
            return self._mark_dead_runs()

    def _mark_dead_runs(self) -> list[int]:
        host, dead = socket.gethostname(), []
        for run_id, pid, token in self.conn.execute(
                "SELECT id, pid, process FROM runs WHERE status='running' AND host=? AND pid IS NOT NULL", (host,)):
            if not process_alive(pid, token):
                dead.append(run_id)
        for run_id in dead:
            scored, failed = self.conn.execute(
                "SELECT COUNT(score), COUNT(error) FROM scores WHERE run_id=?", (run_id,)).fetchone()
            pid = self.conn.execute("SELECT pid FROM runs WHERE id=?", (run_id,)).fetchone()[0]
            self.conn.execute(
                "UPDATE runs SET status='interrupted', ended_at=?, n_scored=?, n_failed=?, error=? WHERE id=?",
                (now(), scored, failed,
                 f"its process (pid {pid} on {host}) ended without finishing the run: killed (SIGKILL, out of "
                 "memory?) or crashed; the batches it wrote are kept and a rerun scores the rest", run_id))
            self.conn.execute("DELETE FROM claims WHERE run_id=?", (run_id,))
        return dead

    @_guarded
    def runs(self, ids: Iterable[int] | None = None) -> list[dict]:
        """Every run, or those with the given ids, in order."""
        if ids is None:
            return self._dicts("SELECT * FROM runs ORDER BY id")
        wanted = sorted(set(ids))
        return [row for start in range(0, len(wanted), _CHUNK) for row in self._dicts(
            f"SELECT * FROM runs WHERE id IN ({','.join('?' * len(wanted[start:start + _CHUNK]))}) ORDER BY id",
            wanted[start:start + _CHUNK])]

    # -- claims ----------------------------------------------------------------------------
    @_guarded
    def claim(self, key: ScoreKey, run_id: int, wanted: Sequence[tuple[str, str]],
              expected: Mapping[tuple[str, str], int] | None = None, *, seconds: float = CLAIM_SECONDS) -> Claimed:
        """Claim for ``run_id`` the (sample id, content hash) pairs of ``wanted`` that no other live run has
        claimed and that are still to score, in one transaction; renews the run's other claims.

        A pair is still to score when it has no row, or (retrying a failure) when its row is the failure
        that run ``expected[pair]`` wrote; any other row was written since by another run and is returned
        in ``done``. Claims of runs that ended or whose process is gone, and claims not renewed for
        ``seconds``, are dropped first."""
        expected = expected or {}
        moment = time.time()
        with self.transaction():
            self._mark_dead_runs()
            self.conn.execute("DELETE FROM claims WHERE expires_at < ? OR run_id IN"
                              " (SELECT id FROM runs WHERE status != 'running')", (moment,))
            rows = self._rows(key, wanted)
            holders = self._holders(key, wanted)
            claimed, done, busy = [], {}, []
            for pair in wanted:
                row = rows.get(pair)
                if row is not None and not (row.error is not None and row.run_id == expected.get(pair)):
                    done[pair] = row
                elif holders.get(pair, run_id) != run_id:
                    busy.append(pair)
                else:
                    claimed.append(pair)
            self.conn.executemany(
                "INSERT OR REPLACE INTO claims(metric, config_hash, weights_hash, dataset, sample_id, content_hash,"
                " run_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(key.metric, key.config_hash, key.weights_hash, key.dataset, sid, digest, run_id, moment + seconds)
                 for sid, digest in claimed])
            self.conn.execute("UPDATE claims SET expires_at=? WHERE run_id=?", (moment + seconds, run_id))
        return Claimed(claimed, done, busy)

    def _holders(self, key: ScoreKey, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        ids = sorted({sid for sid, _ in pairs})
        holders = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            holders.update({(r[0], r[1]): r[2] for r in self.conn.execute(
                "SELECT sample_id, content_hash, run_id FROM claims WHERE metric=? AND config_hash=? AND"
                f" weights_hash=? AND dataset=? AND sample_id IN ({','.join('?' * len(chunk))})",
                (key.metric, key.config_hash, key.weights_hash, key.dataset, *chunk))})
        return holders

    # -- scores ----------------------------------------------------------------------------
    @_guarded
    def stored(self, key: ScoreKey) -> dict[tuple[str, str], StoredScore]:
        """Every stored score and failure under ``key``, by (sample id, content hash)."""
        rows = self.conn.execute(
            "SELECT sample_id, content_hash, score, error, run_id FROM scores"
            " WHERE metric=? AND config_hash=? AND weights_hash=? AND dataset=?",
            (key.metric, key.config_hash, key.weights_hash, key.dataset),
        ).fetchall()
        return {(r[0], r[1]): StoredScore(*r) for r in rows}

    def _rows(self, key: ScoreKey, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredScore]:
        """The stored rows of these (sample id, content hash) pairs under ``key``."""
        ids = sorted({sid for sid, _ in pairs})
        wanted, found = set(pairs), {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            for r in self.conn.execute(
                    "SELECT sample_id, content_hash, score, error, run_id FROM scores WHERE metric=? AND config_hash=?"
                    f" AND weights_hash=? AND dataset=? AND sample_id IN ({','.join('?' * len(chunk))})",
                    (key.metric, key.config_hash, key.weights_hash, key.dataset, *chunk)):
                if (r[0], r[1]) in wanted:
                    found[(r[0], r[1])] = StoredScore(*r)
        return found

    def add_scores(self, key: ScoreKey, run_id: int, rows: Iterable[tuple[str, str, float | None, str | None, float]]) -> int:
        """Commit (sample id, content hash, score, error, seconds) rows in one transaction (all or none);
        returns the rows written. A failure already stored is replaced by a new result
        (``--retry-failed``); a score never is."""
        return sum(kept is None for kept in self.record(key, run_id, rows))

    @_guarded
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
            stored = self._rows(key, [(r[0], r[1]) for r in rows])
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
            self.conn.executemany(
                "DELETE FROM claims WHERE metric=? AND config_hash=? AND weights_hash=? AND dataset=? AND sample_id=?"
                " AND content_hash=? AND run_id=?",
                [(key.metric, key.config_hash, key.weights_hash, key.dataset, r[0], r[1], run_id) for r in rows])
            self.conn.execute("UPDATE claims SET expires_at=? WHERE run_id=?", (time.time() + CLAIM_SECONDS, run_id))
        return outcome

    # -- label sets ------------------------------------------------------------------------
    @_guarded
    def put_label_set(self, dataset: "Dataset", hashes: Mapping[str, SampleHashes]) -> str:
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

    @_guarded
    def label_sets(self, dataset: str) -> list[LabelSet]:
        """The label sets recorded for ``dataset``, the most recently used first."""
        rows = self.conn.execute(
            "SELECT dataset, labels_id, root, label_file, label_file_sha256, group_by, n_present, n_missing, updated_at"
            " FROM label_sets WHERE dataset=? ORDER BY used DESC", (dataset,)).fetchall()
        return [LabelSet(*row) for row in rows]

    @_guarded
    def labelled_samples(self, dataset: str, labels_id: str) -> list[dict]:
        """The samples of one label set: sample id, content hashes, MOS, group."""
        return self._dicts("SELECT sample_id, content_hash, pair_hash, mos, grp AS 'group' FROM samples"
                           " WHERE dataset=? AND labels_id=? ORDER BY sample_id", (dataset, labels_id))

    # -- reading ---------------------------------------------------------------------------
    @_guarded
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

    @_guarded
    def stored_metrics(self, dataset: str) -> list[str]:
        """Names of the metrics with any score or failure stored for ``dataset``."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT metric FROM scores WHERE dataset=? ORDER BY metric",
                                                (dataset,))]

    @_guarded
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

    @_guarded
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


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _schema_version(conn: sqlite3.Connection) -> int:
    """``meta.schema_version``; 0 without one (a new file, or a store made before versions were recorded)."""
    if "meta" not in _tables(conn):
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def _code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (SQLITE_FULL, SQLITE_CORRUPT…), None when unknown."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if code is not None else None


_FILE_KINDS = {stat_mode.S_ISDIR: "a directory", stat_mode.S_ISFIFO: "a FIFO (named pipe)",
               stat_mode.S_ISSOCK: "a socket", stat_mode.S_ISCHR: "a character device", stat_mode.S_ISBLK: "a block device"}


def _hash_regular_file(name: str) -> tuple[int, int, str]:
    """(size, mtime, sha256) of a file that must still be a regular file: reading a FIFO that replaced an
    image would wait forever for a writer, so anything else raises :class:`NotAFile` before it is opened."""
    found = os.stat(name)
    if not stat_mode.S_ISREG(found.st_mode):
        kind = next((what for test, what in _FILE_KINDS.items() if test(found.st_mode)), "not a file")
        raise NotAFile(name, kind)
    return found.st_size, found.st_mtime_ns, file_sha256(name)


def process_token(pid: int) -> str | None:
    """What tells this process from a later one with the same pid: the boot and its start time (Linux
    ``/proc``); None where there is no ``/proc``, or the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rsplit(b")", 1)[1].split()
        with open("/proc/sys/kernel/random/boot_id") as file:
            boot = file.read().strip()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # a zombie (killed, not yet reaped by its parent) or dead
        return None
    return f"{boot}:{fields[19].decode()}"


def process_alive(pid: int, token: str | None) -> bool:
    """Whether the process that recorded (``pid``, ``token``) on this host still runs."""
    if token is not None and os.path.isdir("/proc/self"):
        return process_token(pid) == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the error being raised says more than this one
