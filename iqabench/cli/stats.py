"""``iqabench stats``: statistics with intervals and pairwise significance, from the score store alone.

Nothing is scored: scores and labels are read from the store (``iqabench run`` put them there), each
metric's under its current identity, on the label set used last (or ``--labels-id``).
"""

from __future__ import annotations

from pathlib import Path

import click

from . import options
from .console import handles_errors, say


@click.command(short_help="Statistics and significance tests from the store alone.")
@click.option("--dataset", "-d", "dataset_name", required=True, help="Dataset whose stored scores to analyse.")
@click.option("--metric", "-m", "metric_names", multiple=True, help="Only these metrics (default: every one stored).")
@options.store
@options.resamples
@options.seed
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of the intervals.")
@click.option("--labels-id", help="The label set to use (default: the one used last; see the labels: line).")
@options.output_format
@options.verbose
@handles_errors
def stats(dataset_name, metric_names, store_path: Path | None, resamples, seed, level, labels_id,
          output_format) -> None:
    """Statistics with bootstrap intervals, and pairwise significance between metrics, from the store."""
    from .. import api
    from .formats import show

    results = api.stats(dataset_name, metric_names, store=store_path, resamples=resamples, seed=seed, level=level,
                        labels_id=labels_id)
    label_set = results.label_set
    other = f"; {results.other_label_sets} other label set(s) in the store" if results.other_label_sets else ""
    aside = output_format != "table"  # stdout holds the document alone
    say(f"labels: set {label_set.labels_id} ({label_set.label_file or 'made by the reader'}){other}", error=aside)
    for m in results.metrics:
        weights = ", ".join(f"{n} {sha[:12]}" for n, sha in sorted(m.weights.items())) or "none"
        say(f"{m.name}: {m.scored} scores, {m.failed} failed, config {m.config_hash}, weights {weights}", error=aside)
    show(results, output_format, {"labels_id": label_set.labels_id, "other_label_sets": results.other_label_sets})
