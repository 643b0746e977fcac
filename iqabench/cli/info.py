"""``iqabench info``: versions, devices, paths and plugins. Cheap: it imports neither torch nor pyiqa (their
versions come from their installed metadata); ``--device`` imports torch to say which device it would use."""

from __future__ import annotations

import platform
from collections import Counter

import click

from . import options
from .console import handles_errors, out
from .listing import STATES, print_broken


@click.command(short_help="Versions, devices, paths and plugins.")
@options.offline
@click.option("--device", "check_device", is_flag=True,
              help="Also say which device torch would use (imports torch: a second or two).")
@handles_errors
def info(offline: bool | None, check_device: bool) -> None:
    """Versions, devices, paths and plugins, and how many metrics are present here, download their weights
    on first use, or cannot run (``iqabench list metrics`` says which). The device is checked with
    ``--device`` only, as that imports torch."""
    from rich.table import Table

    from .. import __version__, settings
    from ..plugins import load_registry

    registry = load_registry()
    with settings.overrides(offline=offline):
        states = Counter(metric.availability().state for metric in registry.metrics.values())
    counts = ", ".join(f"{states[state]} {label}" for state, label in STATES.items())
    rows = [
        ("iqabench", __version__),
        ("python", platform.python_version()),
        ("torch", installed_version("torch")),
        ("pyiqa", installed_version("pyiqa")),
        ("cuda", cuda() if check_device else "not checked (iqabench info --device checks it, importing torch)"),
        ("store", str(settings.store_path())),
        ("data", str(settings.data_dir())),
        ("weights", str(settings.weights_dir() or "(IQABENCH_WEIGHTS_DIR unset)")),
        ("offline", "yes" if settings.offline() or offline else "no"),
        ("plugins", ", ".join(f"{k} ({v})" for k, v in sorted(registry.versions.items())) or "(none)"),
        ("metrics", f"{len(registry.metrics)}: {counts} (iqabench list metrics --all)"),
        ("datasets", str(len(registry.datasets))),
    ]
    table = Table("", "", show_header=False)
    for key, value in rows:
        table.add_row(key, value)
    out.print(table, markup=False)
    print_broken(registry)


def installed_version(distribution: str) -> str:
    """The version of an installed distribution, from its metadata (nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def cuda() -> str:
    """The CUDA device torch would use, or why there is none (imports torch)."""
    try:
        import torch
    except ImportError as exc:
        return f"not checked: torch cannot be imported ({exc})"
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available (cpu)"
