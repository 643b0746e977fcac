"""``iqabench info``: versions, devices, paths and plugins."""

from __future__ import annotations

import platform

import click

from .console import handles_errors, out


@click.command(short_help="Versions, devices, paths and plugins.")
@handles_errors
def info() -> None:
    """Versions, devices, paths and plugins."""
    import torch
    from rich.table import Table

    from .. import __version__, settings
    from ..plugins import load_registry
    from .listing import print_broken

    registry = load_registry()
    rows = [
        ("iqabench", __version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available (cpu)"),
        ("store", str(settings.store_path())),
        ("data", str(settings.data_dir())),
        ("weights", str(settings.weights_dir() or "(IQABENCH_WEIGHTS_DIR unset)")),
        ("offline", "yes" if settings.offline() else "no"),
        ("plugins", ", ".join(f"{k} ({v})" for k, v in sorted(registry.versions.items())) or "(none)"),
        ("metrics", str(len(registry.metrics))),
        ("datasets", str(len(registry.datasets))),
    ]
    table = Table("", "", show_header=False)
    for key, value in rows:
        table.add_row(key, value)
    out.print(table, markup=False)
    print_broken(registry)
