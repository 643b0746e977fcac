"""The versions a run records: iqabench, Python, torch, the plugins, and the command line."""

from __future__ import annotations

import platform
import sys

from .. import __version__


def versions(plugin_versions: dict[str, str] | None) -> dict:
    """The versions of what scored a run, as its row in the store records them."""
    return {
        "iqabench": __version__,
        "python": platform.python_version(),
        "torch": _torch_version(),
        "plugins": dict(plugin_versions or {}),
        "argv": " ".join(sys.argv[1:]),
    }


def _torch_version() -> str:
    """torch's version, without importing it for a run that scores nothing (unreadable files only)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "not installed"
