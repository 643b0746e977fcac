"""Shared set-up of the suite: iqabench's own fixtures for plugin authors, and the skip of the tests that need
``../shared`` where it is absent. Tests never import this module; helpers live in modules of their own."""

import pytest

from shared_data import SHARED

pytest_plugins = ["iqabench.testing"]


def pytest_collection_modifyitems(items):
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs real data in {SHARED}, which is absent here")
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)
