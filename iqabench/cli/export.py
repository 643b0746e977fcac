"""``iqabench export``: per-image scores and failures, with labels, as CSV."""

from __future__ import annotations

import click

from . import options
from .console import handles_errors, say


@click.command(short_help="Write per-image scores and failures, with labels, as CSV.")
@options.store
@click.option("--metric", "-m", help="Only this metric.")
@click.option("--dataset", "-d", "dataset_name", help="Only this dataset.")
@click.option("--output", "-o", type=click.File("w"), default="-", help="CSV file [stdout].")
@options.verbose
@handles_errors
def export(store_path, metric, dataset_name, output) -> None:
    """Write per-image scores and failures, with labels, as CSV."""
    from .. import api

    count = api.export(output, store=store_path, metric=metric, dataset=dataset_name)
    say(f"{count} rows written", error=True)
