"""``iqabench list metrics|datasets``: what the plugins provide, and whether it can run here."""

from __future__ import annotations

import click

from .console import err, handles_errors, out, say


@click.group(name="list", short_help="List the metrics or datasets that plugins provide.")
def list_() -> None:
    """List the metrics or datasets that plugins provide."""


@list_.command(name="metrics", short_help="Metrics: kind, direction, range, availability.")
@click.option("--all", "show_all", is_flag=True, help="Also list every metric of a namespace (<namespace>:<name>).")
@handles_errors
def list_metrics(show_all: bool) -> None:
    """Metrics, with kind, direction, range and whether they can run here."""
    from rich.table import Table

    from ..plugins import listed_names, load_registry, namespace_of

    registry = load_registry()
    table = Table("metric", "kind", "better", "range", "plugin", "available here")
    for name in sorted(registry.metrics):
        if namespace_of(name) is not None and not show_all:
            continue
        metric = registry.metrics[name]
        lo, hi = metric.score_range
        availability = metric.availability()
        table.add_row(name, metric.kind, "lower" if metric.lower_better else "higher", f"{_bound(lo)} – {_bound(hi)}",
                      registry.owners[("metric", name)], "yes" if availability.ok else f"no: {availability.reason}")
    out.print(table, markup=False)
    if not show_all:
        for namespace, count in listed_names(registry.metrics)[1].items():
            say(f"… and {count} more as {namespace}:<name> (iqabench list metrics --all)")
    print_broken(registry)


@list_.command(name="datasets", short_help="Datasets: title, kind, default root, whether present.")
@handles_errors
def list_datasets() -> None:
    """Datasets, with their default root and whether the data is there."""
    from rich.table import Table

    from ..plugins import load_registry

    registry = load_registry()
    table = Table("dataset", "title", "kind", "images", "default root", "present")
    for name in sorted(registry.datasets):
        card = registry.datasets[name].card
        root = card.default_root()
        table.add_row(name, card.title, card.kind, str(card.expected_images or "–"), str(root),
                      "yes" if root.exists() else "no")
    out.print(table, markup=False)
    print_broken(registry)


def _bound(value) -> str:
    return "?" if value is None else f"{value:g}"


def print_broken(registry) -> None:
    for broken in registry.broken:
        err.print(f"[yellow]plugin {broken.name!r} failed to load:[/] ", end="")
        say(broken.error, error=True)
