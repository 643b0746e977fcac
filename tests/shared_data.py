"""Where the third-party images, labels and weights beside the project are, and the marker of the tests
that read them; conftest.py skips those tests, with the reason, where the folder is absent.

The folder is ``../shared`` beside the repository, or wherever the environment variable ``IQABENCH_SHARED``
names. A user's clone has no such folder, and the project runs and tests without it; a test that needs one
file of it skips, naming the file, where that file is absent (:func:`shared_file`, :func:`needs_shared`)."""

import os
from pathlib import Path

import pytest

#: the environment variable naming the shared data folder.
SHARED_ENV = "IQABENCH_SHARED"


def _shared_folder() -> Path:
    given = os.environ.get(SHARED_ENV, "").strip()
    if given:
        return Path(given).expanduser().resolve()
    return Path(__file__).resolve().parents[1].parent / "shared"


SHARED = _shared_folder()

#: mark a test that reads SHARED.
requires_shared = pytest.mark.shared


def _absent(relative: str) -> str:
    return f"needs {relative} in the shared data folder {SHARED} (set {SHARED_ENV} to move it), which is absent"


def shared_file(relative: str) -> Path:
    """The path of ``relative`` (a file or folder) under SHARED; the calling test skips, naming it, if absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(_absent(relative))
    return path


def needs_shared(*relative: str) -> pytest.MarkDecorator:
    """Mark a test (or, as ``pytestmark``, a module) that reads these files or folders under SHARED: it is
    skipped, naming those absent, where any is."""
    missing = [name for name in relative if not (SHARED / name).exists()]
    return pytest.mark.skipif(bool(missing), reason=_absent(", ".join(missing)))
