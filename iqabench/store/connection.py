"""A connection to one store file, for writing or for reading only: opening it, its transactions, its queries."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from .. import settings
from .errors import StoreError, code, guarded
from .schema import READABLE_SCHEMA, check_version, prepare, schema_version, tables

#: rows per ``IN (...)`` lookup, below SQLite's limit on bound parameters.
CHUNK = 500

_Self = TypeVar("_Self", bound="Connection")


class Connection:
    """The connection to one store file that every part of :class:`~iqabench.store.ScoreStore` uses: opened
    for writing (created or migrated first) or, with ``readonly=True``, for reading only."""

    def __init__(self, path: Path | str | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path).expanduser() if path is not None else settings.store_path()
        self.readonly = readonly
        self.conn: sqlite3.Connection | None = None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    @guarded
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
        with self.transaction():
            prepare(self.conn, self.path)

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
                version = schema_version(conn)
            except sqlite3.OperationalError as exc:
                conn.close()
                if code(exc) in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY) and number + 1 < len(attempts):
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            self.conn = conn
            break
        check_version(version, self.path)
        if version == 0 and "scores" not in tables(self.conn):
            raise StoreError(f"{self.path} is not an iqabench score store (it has no scores table); pass --store "
                             "with the file `iqabench run` wrote")
        if version < READABLE_SCHEMA:
            self.close()
            Connection(self.path).close()  # migrate it (this needs to write), then read it
            self._open_for_reading()

    def _refuse_unreadable_wal(self) -> None:
        wal = Path(f"{self.path}-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            raise StoreError(
                f"the score store {self.path} is on read-only media with changes still in {wal.name} that SQLite "
                f"can read only where it may write: copy {self.path.name} and {wal.name} to a writable folder and "
                "pass that copy with --store")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def transaction(self) -> _Transaction:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock up front, so writers queue instead of failing."""
        return _Transaction(self.conn)

    def _dicts(self, sql: str, params: Iterable = ()) -> list[dict]:
        with closing(self.conn.execute(sql, tuple(params))) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def chunks(items: Sequence) -> Iterator[Sequence]:
    """``items`` in slices of at most :data:`CHUNK`: one ``IN (...)`` lookup each."""
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def marks(items: Sequence) -> str:
    """The placeholders of an ``IN (...)`` list of ``items``: ``?,?,…``."""
    return ",".join("?" * len(items))


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
