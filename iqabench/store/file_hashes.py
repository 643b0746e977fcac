"""The store's cache of file hashes: the sha256 of a file, kept by (absolute path, size, mtime)."""

from __future__ import annotations

import errno
import os
import stat as stat_mode
from collections.abc import Mapping
from pathlib import Path

from ..hashing import file_sha256
from .connection import Connection, chunks, marks
from .errors import guarded


class NotAFile(OSError):
    """A path listed as a file that is now something else (a FIFO, a directory, a device)."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file but {kind}", path)
        self.kind = kind


class FileHashes(Connection):
    """The content hashes of files, read from the cache and computed only for files new or changed."""

    def content_hash(self, path: Path | str) -> str:
        """sha256 of one file, cached in the store by (absolute path, size, mtime)."""
        name = os.fspath(path)
        return self.content_hashes({name: os.stat(name)})[name]

    @guarded
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
        for chunk in chunks(sorted({key[0] for key in keys.values()})):
            rows = self.conn.execute(
                f"SELECT path, size, mtime_ns, sha256 FROM file_hashes WHERE path IN ({marks(chunk)})",
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
