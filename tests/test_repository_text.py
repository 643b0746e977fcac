"""The repository's text speaks of the project only: no tracked source, documentation, manifest or
configuration file (``.py``, ``.md``, ``.json``, ``.toml``) names a work session or a tracker issue by
number, or a path that exists only on the machine it was written on (a scratch folder, a home folder).
Such text means nothing to a reader of the clone; say what the code does, and write data paths relative
to the clone or to a named root instead.

The patterns are assembled from pieces so that this file does not match them itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SUFFIXES = (".py", ".md", ".json", ".toml")
#: folders never searched when the tree is walked (no git checkout): tools' and builds' own files.
SKIPPED_FOLDERS = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}

_NUMBER = "[0-9]"
#: (what it is, pattern); each is matched case-insensitively against every line.
FORBIDDEN = [
    ("a work session by number", "sess" + "ions? " + _NUMBER),
    ("a tracker issue by number", "iss" + "ue " + _NUMBER),
    ("a local working folder", "/" + "work/"),
    ("a scratch path", "/" + "tmp/[a-z]"),
    ("the root user's home folder", "/" + "root/"),
    ("a home folder", "/" + r"home/[^/\s]+/"),
    ("a home folder", "/" + r"Users/[^/\s]+/"),
]
PATTERN = re.compile("|".join(f"(?:{pattern})" for _, pattern in FORBIDDEN), re.IGNORECASE)
_EACH = [(what, re.compile(pattern, re.IGNORECASE)) for what, pattern in FORBIDDEN]


def _tracked_files() -> list[Path] | None:
    """The files git tracks in this checkout, or None when this is not one (or git is absent)."""
    if shutil.which("git") is None or not (REPOSITORY / ".git").exists():
        return None
    done = subprocess.run(["git", "-C", str(REPOSITORY), "ls-files", "-z"], capture_output=True)
    if done.returncode != 0:
        return None
    return [REPOSITORY / name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def _walked_files() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(REPOSITORY):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED_FOLDERS and not d.endswith(".egg-info")]
        found.extend(Path(folder) / name for name in files)
    return found


def text_files() -> list[Path]:
    files = _tracked_files()
    if files is None:
        files = _walked_files()
    return sorted(p for p in files if p.suffix in SUFFIXES and p.is_file())


def offending_lines(path: Path) -> list[str]:
    """``file:line: (what it names) text`` of each line of ``path`` that matches a forbidden pattern."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    where = path.relative_to(REPOSITORY).as_posix()
    return [f"{where}:{number}: ({', '.join(dict.fromkeys(what for what, p in _EACH if p.search(line)))}) "
            f"{line.strip()[:160]}" for number, line in enumerate(lines, 1) if PATTERN.search(line)]


def test_the_patterns_catch_what_they_are_meant_to_and_this_file_is_clean():
    for text in ("Sess" + "ion 5: epochs 1-4", "sess" + "ions 6", "iss" + "ue 10, item 1", "--data /" + "work/synfr",
                 "--out /" + "tmp/effres-test", "/" + "root/.cache", "/" + "home/alice/data"):
        assert PATTERN.search(text), text
    for text in ("a session store", "the issue's list", "/tmp /tmp", "../shared/data", "{shared}/data/faces",
                 "homework/", "/elsewhere/img.png", "$HOME/.cache"):
        assert not PATTERN.search(text), text
    assert offending_lines(Path(__file__).resolve()) == []


def test_no_tracked_text_file_names_a_session_an_issue_or_a_local_path():
    files = text_files()
    assert any(p.name == "pyproject.toml" for p in files), "found no text files to check"
    offending = [line for path in files for line in offending_lines(path)]
    assert not offending, (f"{len(offending)} line(s) name a work session or tracker issue by number, or a local "
                           "path: describe the behaviour instead, and write paths relative to the clone or to a "
                           "named root:\n" + "\n".join(offending))
