"""Shared set-up of the suite: iqabench's own fixtures for plugin authors, the fixtures several test files
use, and the skip of the tests that need the shared real-data folder where it is absent. Tests never import
this module; helpers live in modules of their own."""

import socket

import pytest
import torch
from iqabench_datasets import plugin as datasets_plugin

from iqabench.plugins import PluginManager
from shared_data import SHARED

pytest_plugins = ["iqabench.testing"]


def pytest_collection_modifyitems(items):
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(reason=f"needs real data in {SHARED}, which is absent here")
    for item in items:
        if item.get_closest_marker("shared"):
            item.add_marker(skip)


@pytest.fixture
def no_network(monkeypatch):
    """Any network connection raises, and fails the test at its end; yields the addresses attempted."""
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError(f"test guard: network access to {address} attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts
    assert not attempts, f"network access attempted: {attempts}"


@pytest.fixture
def one_thread():
    """Torch on one thread for the test, its thread count restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def datasets_registry():
    """A registry of the built-in dataset plugin alone (no entry points discovered)."""
    manager = PluginManager(discover=False)
    manager.register(datasets_plugin, "datasets")
    return manager.registry
