"""Where the third-party images, labels and weights beside the project are (``../shared``), and the marker
of the tests that read them; conftest.py skips those tests, with the reason, where the folder is absent.
A user's clone has no ``../shared``, and the project runs and tests without it."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"

#: mark a test that reads SHARED.
requires_shared = pytest.mark.shared
