"""sha256 of files, streamed: the one entry point for the content hash of images and the identity
of weight files and label files."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file's bytes, read in 1 MiB chunks; cached within the process by
    (absolute path, size, modification time), so an unchanged file is read once."""
    absolute = os.path.abspath(path)
    stat = os.stat(absolute)
    return _sha256(absolute, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4096)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
