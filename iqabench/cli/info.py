"""``iqabench info``: versions, devices, paths and plugins."""

from __future__ import annotations

import platform
from collections import Counter

import click

from . import options
from .console import handles_errors, out
from .listing import STATES, print_broken


@click.command(short_help="Versions, devices, paths and plugins.")
@options.offline
@handles_errors
def info(offline: bool | None) -> None:
    """Versions, devices, paths and plugins, and how many metrics are present here, download their weights
    on first use, or cannot run (``iqabench list metrics`` says which)."""
    import torch
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
        ("torch", torch.__version__),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available (cpu)"),
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
