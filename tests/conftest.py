"""Shared test helpers: iqabench's fixtures, the path to ../shared, and the marker for tests that need it."""

from pathlib import Path

import pytest

pytest_plugins = ["iqabench.testing"]

#: third-party images, labels and weights beside the project; a user's machine has none (DESIGN.md).
SHARED = Path(__file__).resolve().parents[2] / "shared"

#: mark a test that reads SHARED; it is skipped, with the reason, where SHARED is absent.
requires_shared = pytest.mark.shared


def pytest_collection_modifyitems(items):
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs real data in {SHARED}, which is absent here")
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)
