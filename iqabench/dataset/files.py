"""Checking each file a dataset names: a regular file inside the root, missing, or refused with a reason."""

from __future__ import annotations

import errno
import os
import stat as stat_mode
from pathlib import Path

#: what :meth:`FileChecks.check` returns for a path where there is nothing at all.
MISSING = "missing"

OUTSIDE_ROOT = (
    "outside the dataset root: the label names a file that resolves (after symbolic links) outside the root, "
    "so it is refused; fix the label, or set IQABENCH_ALLOW_OUTSIDE_ROOT=1 if that file is meant to be scored"
)
DANGLING_LINK = "dangling symbolic link: the link exists but what it points to does not; fix or remove the link"
LINK_LOOP = "symbolic link loop: the link leads back to itself, never to a file; fix or remove the link"
DIRECTORY = "a directory, not an image file: a folder is named where an image file should be"
NOT_REGULAR = "not a regular file (a pipe, socket or device) where an image file should be"


class FileChecks:
    """Classifies the files a dataset names: a regular file inside the root (its ``stat`` kept in
    :attr:`stats`), missing, or refused with a reason. Each path is looked at once; a regular file costs
    one ``lstat``, a symbolic link a ``stat`` and a ``realpath``, and each folder one ``realpath``."""

    def __init__(self, root: Path, allow_outside: bool) -> None:
        real_root = os.path.realpath(root)
        self.prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
        self.real_root = real_root
        self.allow_outside = allow_outside
        self.stats: dict[str, os.stat_result] = {}
        self._problems: dict[str, str] = {}
        self._folders_inside: dict[str, bool] = {}

    def check(self, path: Path) -> str | None:
        """None for a usable file, :data:`MISSING`, or the reason the file is refused."""
        name = os.fspath(path)
        if name in self.stats:  # a reference shared by many samples
            return None
        if name in self._problems:
            return self._problems[name]
        problem = self._check(name)
        if problem is not None:
            self._problems[name] = problem
        return problem

    def _inside(self, real: str) -> bool:
        return self.allow_outside or real == self.real_root or real.startswith(self.prefix)

    def _check(self, name: str) -> str | None:
        folder, sep, base = name.rpartition(os.sep)
        if base in ("", ".", ".."):
            inside = self._inside(os.path.realpath(name))
        else:  # the file is inside when its folder, links resolved, is: one realpath per folder
            inside = self._folders_inside.get(folder)
            if inside is None:
                real_folder = os.path.realpath(folder or (os.sep if sep else "."))
                inside = self._folders_inside[folder] = self._inside(real_folder)
        if not inside:  # never touch a file outside the root: not even a stat
            return OUTSIDE_ROOT
        try:
            found = os.lstat(name)
        except OSError:
            return MISSING
        if stat_mode.S_ISLNK(found.st_mode):  # a broken link says so wherever it points; a link out is refused
            try:
                found = os.stat(name)
            except OSError as exc:
                return LINK_LOOP if exc.errno == errno.ELOOP else DANGLING_LINK
            if not self._inside(os.path.realpath(name)):
                return OUTSIDE_ROOT
        if stat_mode.S_ISDIR(found.st_mode):
            return DIRECTORY
        if not stat_mode.S_ISREG(found.st_mode):
            return NOT_REGULAR
        self.stats[name] = found
        return None
