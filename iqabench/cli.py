"""The ``iqabench`` command line.

Exit codes: 0 success; 1 the run completed but some images failed; 2 usage error (unknown
metric or dataset, bad option); 3 the run could not start (dataset, weights or images missing,
a broken plugin); 130 interrupted (every batch scored so far is in the store).
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from . import __version__
from .dataset import open_dataset
from .errors import IqabenchError, UsageError
from .plugins import get_plugin_manager
from .report import (
    comparisons_table,
    counts_table,
    print_failures,
    print_notes,
    run_counts,
    statistics_table,
)
from .runner import RunOptions, RunSummary, run_metric
from .stats.evaluate import MetricScores, evaluate
from .store import ScoreStore, default_store_path

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_CANNOT_RUN, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

console = Console()
err_console = Console(stderr=True)
if not console.is_terminal:  # a log or a pipe: print tables whole rather than at 80 columns
    console.width = 200


class _Group(click.Group):
    """Prints iqabench errors as one clear message with the documented exit code, no traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(EXIT_USAGE)
        except IqabenchError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(EXIT_CANNOT_RUN)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="iqabench")
def main() -> None:
    """Benchmark image quality metrics on IQA datasets, keeping every per-image score."""


@main.group(name="list")
def list_() -> None:
    """List the metrics or datasets that plugins provide."""


@list_.command(name="metrics")
@click.option("--all", "show_all", is_flag=True, help="Also list every pyiqa:<name> metric.")
def list_metrics(show_all: bool) -> None:
    """Metrics, with kind, direction, range and whether they can run here."""
    registry = get_plugin_manager().registry
    table = Table("metric", "kind", "better", "range", "plugin", "available here")
    hidden = 0
    for name in sorted(registry.metrics):
        metric = registry.metrics[name]
        if name.startswith("pyiqa:") and not show_all:
            hidden += 1
            continue
        lo, hi = metric.score_range
        availability = metric.availability()
        table.add_row(
            name,
            metric.kind,
            "lower" if metric.lower_better else "higher",
            f"{_bound(lo)} – {_bound(hi)}",
            registry.owners[("metric", name)],
            "yes" if availability.ok else f"[red]no[/]: {availability.reason}",
        )
    console.print(table)
    if hidden:
        console.print(f"… and {hidden} more pyiqa metrics as pyiqa:<name> (iqabench list metrics --all)")
    _print_broken(registry)


@list_.command(name="datasets")
def list_datasets() -> None:
    """Datasets, with their default root and whether the data is there."""
    registry = get_plugin_manager().registry
    table = Table("dataset", "title", "kind", "images", "default root", "present")
    for name in sorted(registry.datasets):
        card = registry.datasets[name].card
        root = card.default_root()
        table.add_row(
            name, card.title, card.kind, str(card.expected_images or "–"), str(root), "yes" if root.exists() else "no"
        )
    console.print(table)
    _print_broken(registry)


def _bound(value) -> str:
    return "?" if value is None else f"{value:g}"


def _print_broken(registry) -> None:
    for broken in registry.broken:
        err_console.print(f"[yellow]plugin {broken.name!r} failed to load:[/] {broken.error}", highlight=False)


@main.command()
@click.option("--metric", "-m", "metrics", multiple=True, required=True, help="Metric name (repeatable).")
@click.option("--dataset", "-d", "dataset_name", required=True, help="Dataset name (iqabench list datasets).")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder (default: the card's root).")
@click.option("--labels", type=click.Path(path_type=Path), help="Label file, for datasets that take one (metainfo).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per batch (default: per metric).")
@click.option("--workers", type=click.IntRange(min=0), help="Decoding worker processes.")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help=f"Score store [{default_store_path()}].")
@click.option("--offline", is_flag=True, help="Never download (also IQABENCH_OFFLINE=1).")
@click.option("--allow-missing", is_flag=True, help="Score the images present; record how many are missing.")
@click.option("--limit", type=click.IntRange(min=1), help="Score only the first N images.")
@click.option("--max-pixels", type=click.IntRange(min=1), help="Reject larger images (also IQABENCH_MAX_PIXELS).")
@click.option("--retry-failed", is_flag=True, help="Score again the images that failed in an earlier run.")
@click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Bootstrap resamples for the intervals.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
def run(metrics, dataset_name, root, labels, device, batch_size, workers, store_path, offline, allow_missing,
        limit, max_pixels, retry_failed, resamples, seed) -> None:
    """Score a dataset with one or more metrics and print correlation statistics."""
    if offline:
        os.environ["IQABENCH_OFFLINE"] = "1"
    registry = get_plugin_manager().registry
    chosen, dataset = _resolve_run(registry, metrics, dataset_name, root, labels)
    options = RunOptions(device=device, batch_size=batch_size, num_workers=workers, allow_missing=allow_missing,
                         limit=limit, max_pixels=max_pixels, retry_failed=retry_failed)
    summaries: list[RunSummary] = []
    with ScoreStore(store_path) as store, _progress() as progress:
        console.print(f"store: {store.path}", highlight=False)
        try:
            for metric in chosen:
                summaries.append(run_metric(metric, dataset, store, options,
                                            plugin_versions=registry.versions, progress=progress))
        except KeyboardInterrupt:
            progress.stop()
            err_console.print("interrupted: every batch scored so far is in the store; run again to resume.")
            sys.exit(EXIT_INTERRUPTED)
    print_statistics(dataset, summaries, chosen, resamples, seed)
    for summary in summaries:
        print_failures(err_console, summary)
    sys.exit(EXIT_FAILURES if any(s.failed for s in summaries) else EXIT_OK)


def print_statistics(dataset, summaries: list[RunSummary], metrics, resamples: int, seed: int) -> None:
    """Each statistic with its interval and, for two or more metrics, their pairwise comparisons."""
    labels = {s.id: s.mos for s in dataset.samples if s.mos is not None}
    if not labels:
        console.print(counts_table(dataset.name, summaries))
        console.print(f"{dataset.name} has no labels: the scores are stored; there are no statistics to compute.")
        return
    card = dataset.card
    groups = {s.id: s.group for s in dataset.samples} if card.group_by else None
    evaluation = evaluate([MetricScores(m.name, s.scores, m.lower_better) for s, m in zip(summaries, metrics)],
                          labels, higher_better=card.higher_better, groups=groups, group_by=card.group_by,
                          resamples=resamples, seed=seed)
    console.print(statistics_table(evaluation, card, run_counts(summaries)))
    if len(metrics) > 1:
        console.print(comparisons_table(evaluation))
    print_notes(err_console, evaluation)


class _RateColumn(ProgressColumn):
    """Images per second."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.1f} img/s" if task.speed else "– img/s")


def _resolve_run(registry, metric_names, dataset_name, root, labels):
    """Look up every metric and the dataset, reporting all problems at once rather than the first."""
    problems: list[IqabenchError] = []
    chosen = []
    for name in metric_names:
        try:
            chosen.append(registry.metric(name))
        except UsageError as exc:
            problems.append(exc)
    dataset = None
    try:
        dataset = open_dataset(registry.dataset(dataset_name), root, {"labels": str(labels)} if labels else None)
    except IqabenchError as exc:
        problems.append(exc)
    for metric in chosen:
        availability = metric.availability()
        if not availability.ok:
            problems.append(IqabenchError(f"metric {metric.name!r} cannot run here: {availability.reason}"))
    if problems:
        for problem in problems:
            err_console.print(f"[bold red]error:[/] {problem}", highlight=False)
        usage = any(isinstance(p, UsageError) for p in problems)
        sys.exit(EXIT_USAGE if usage else EXIT_CANNOT_RUN)
    return chosen, dataset


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


@main.command()
@click.option("--store", "store_path", type=click.Path(path_type=Path), help="Score store.")
@click.option("--metric", "-m", help="Only this metric.")
@click.option("--dataset", "-d", "dataset_name", help="Only this dataset.")
@click.option("--output", "-o", type=click.File("w"), default="-", help="CSV file [stdout].")
def export(store_path, metric, dataset_name, output) -> None:
    """Write per-image scores and failures, with labels, as CSV."""
    if store_path is not None and not Path(store_path).exists():
        raise UsageError(f"no score store at {store_path}; run `iqabench run --store {store_path} …` first")
    with ScoreStore(store_path) as store:
        count = store.export_csv(output, metric, dataset_name)
    err_console.print(f"{count} rows written", highlight=False)


@main.command()
def info() -> None:
    """Versions, devices, paths and plugins."""
    import torch

    manager = get_plugin_manager()
    registry = manager.registry
    rows = [
        ("iqabench", __version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available (cpu)"),
        ("store", str(default_store_path())),
        ("IQABENCH_DATA", os.environ.get("IQABENCH_DATA", "(unset: ~/.cache/iqabench/data)")),
        ("IQABENCH_WEIGHTS_DIR", os.environ.get("IQABENCH_WEIGHTS_DIR", "(unset)")),
        ("offline", os.environ.get("IQABENCH_OFFLINE", "0")),
        ("plugins", ", ".join(f"{k} ({v})" for k, v in sorted(registry.versions.items())) or "(none)"),
        ("metrics", str(len(registry.metrics))),
        ("datasets", str(len(registry.datasets))),
    ]
    table = Table("", "", show_header=False)
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)
    _print_broken(registry)


from .leaderboard_command import leaderboard  # noqa: E402  (registered last: they import the core)
from .stats_command import stats  # noqa: E402

main.add_command(leaderboard)
main.add_command(stats)
