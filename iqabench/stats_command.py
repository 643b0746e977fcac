"""``iqabench stats``: statistics with intervals and pairwise significance, from the score store alone.

Nothing is scored: the scores and labels are read from the store (``iqabench run`` put them there).
When a metric has scores under several configurations or weights, the newest is used and named.
Exit codes: 0 done; 2 usage error (no such dataset or metric in the store); 3 a stored metric whose
plugin is not installed (its direction is unknown).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import IqabenchError, UsageError
from .plugins import get_plugin_manager
from .report import comparisons_table, print_notes, statistics_table
from .stats.evaluate import MetricScores, evaluate
from .store import ScoreStore, default_store_path


@dataclass
class StoredMetric:
    """The newest configuration of a metric's stored scores on one dataset."""

    name: str
    config_hash: str
    weights_hash: str
    scores: dict[str, float]
    failed: int
    other_configurations: int


def stored_metrics(rows: list[dict]) -> dict[str, StoredMetric]:
    """Per metric, the (config, weights) whose newest row is the most recent; failures counted."""
    by_key: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in rows:
        by_key[(row["metric"], row["config_hash"], row["weights_hash"])].append(row)
    newest: dict[str, tuple[str, tuple]] = {}
    for key, group in by_key.items():
        latest = max(r["created_at"] for r in group)
        if key[0] not in newest or latest > newest[key[0]][0]:
            newest[key[0]] = (latest, key)
    result = {}
    for metric, (_, key) in sorted(newest.items()):
        group = by_key[key]
        configurations = sum(1 for k in by_key if k[0] == metric)
        result[metric] = StoredMetric(metric, key[1], key[2],
                                      {r["sample_id"]: r["score"] for r in group if r["score"] is not None},
                                      sum(1 for r in group if r["error"] is not None), configurations - 1)
    return result


@click.command()
@click.option("--dataset", "-d", "dataset_name", required=True, help="Dataset whose stored scores to analyse.")
@click.option("--metric", "-m", "metric_names", multiple=True, help="Only these metrics (default: every one stored).")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help=f"Score store [{default_store_path()}].")
@click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of the intervals.")
def stats(dataset_name, metric_names, store_path, resamples, seed, level) -> None:
    """Statistics with bootstrap intervals, and pairwise significance between metrics, from the store."""
    from .cli import console, err_console

    if store_path is not None and not Path(store_path).exists():
        raise UsageError(f"no score store at {store_path}; run `iqabench run --store {store_path} …` first")
    registry = get_plugin_manager().registry
    card = registry.dataset(dataset_name).card
    with ScoreStore(store_path) as store:
        rows = store.per_image(dataset=dataset_name)
        store_name = store.path
    if not rows:
        raise UsageError(f"the store {store_name} holds no scores for dataset {dataset_name!r}; "
                         f"run `iqabench run --dataset {dataset_name} --metric …` first")
    stored = stored_metrics(rows)
    unknown = [m for m in metric_names if m not in stored]
    if unknown:
        raise UsageError(f"no stored scores of {', '.join(map(repr, unknown))} on {dataset_name!r}; "
                         f"stored: {', '.join(stored)}")
    chosen = [stored[m] for m in (metric_names or stored)]
    metrics = []
    for m in chosen:
        if m.name not in registry.metrics:
            raise IqabenchError(f"metric {m.name!r} has stored scores but no installed plugin provides it, so "
                                "its direction (higher or lower is better) is unknown; install its plugin")
        metrics.append(MetricScores(m.name, m.scores, registry.metrics[m.name].lower_better))
    labels = {r["sample_id"]: r["mos"] for r in rows if r["mos"] is not None}
    if not labels:
        raise UsageError(f"the store holds no labels for {dataset_name!r}: there is nothing to correlate with")
    groups = {r["sample_id"]: r["group"] for r in rows} if card.group_by else None
    console.print(f"store: {store_name}", highlight=False)
    for m in chosen:
        extra = f"; {m.other_configurations} older configuration(s) ignored" if m.other_configurations else ""
        console.print(f"{m.name}: {len(m.scores)} scores, {m.failed} failed, config {m.config_hash}, "
                      f"weights {m.weights_hash}{extra}", highlight=False)
    evaluation = evaluate(metrics, labels, higher_better=card.higher_better, groups=groups, group_by=card.group_by,
                          resamples=resamples, seed=seed, level=level)
    counts = {m.name: {"scored": str(len(m.scores)), "failed": str(m.failed)} for m in chosen}
    console.print(statistics_table(evaluation, card, counts))
    if len(metrics) > 1:
        console.print(comparisons_table(evaluation))
    print_notes(err_console, evaluation)
