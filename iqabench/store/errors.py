"""What an SQLite error on the store file means: a :class:`StoreError` naming the file and what to do."""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path

from ..errors import IqabenchError


class StoreError(IqabenchError):
    """The store file cannot be used as it is: written by a newer iqabench, damaged, not a database,
    on read-only media or a full disk. The message names the file and what to do."""


def guarded(method):
    """SQLite's errors on the store file become :class:`StoreError` (an IntegrityError, a bug of the
    caller, is left as it is)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, self.readonly) from exc

    return wrapper


def code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (SQLITE_FULL, SQLITE_CORRUPT…), None when unknown."""
    found = getattr(exc, "sqlite_errorcode", None)
    return found & 0xFF if found is not None else None


def store_error(exc: sqlite3.Error, path: Path, readonly: bool) -> StoreError:
    """What an SQLite error on the store at ``path`` means, and what to do about it."""
    found = code(exc)
    if found in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return StoreError(
            f"the score store {path} is damaged or is not an SQLite database ({exc}). Move it aside "
            f"(`mv {path} {path}.damaged`) and run again to start an empty store, or restore a copy; "
            f"`sqlite3 {path} .recover` may save the rows it still holds")
    if found == sqlite3.SQLITE_FULL:
        return StoreError(
            f"the disk holding the score store {path} is full ({exc}). Free some space (or pass --store "
            "with a file on another disk) and run the same command again: every batch already written is "
            "kept, and the run resumes where it stopped")
    if found == sqlite3.SQLITE_READONLY and readonly:
        return StoreError(f"the score store {path} was opened for reading only; only `iqabench run` and "
                          f"`iqabench leaderboard` write it ({exc})")
    if found in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        where = path if path.exists() else path.parent
        cause = ("it is on read-only media or in a folder this user cannot write"
                 if not os.access(where, os.W_OK) or not os.access(path.parent, os.W_OK)
                 else "check that it is a file this user may read and write")
        return StoreError(
            f"cannot write the score store {path} ({exc}): {cause}. Pass --store (or set IQABENCH_STORE) "
            "with a path in a writable folder; `iqabench export` and `stats` read a store on read-only media")
    if found == sqlite3.SQLITE_IOERR:
        return StoreError(
            f"input/output error on the score store {path} ({exc}): the disk may be full or failing, or the "
            "file on a network share that went away. Check the disk and run again; written batches are kept")
    if found in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            f"the score store {path} stayed locked by another process for more than 60 s ({exc}); wait for "
            "it to finish, or pass --store with another file")
    return StoreError(f"the score store {path} failed: {exc} ({getattr(exc, 'sqlite_errorname', 'SQLite error')})")
