"""The library API behind the command line, usable from a notebook:

- :func:`run`: score a dataset with metrics (only what the store lacks), then :func:`iqabench.results.collect`;
- :func:`stats`: results from the store alone (opened read-only);
- :func:`export`: per-image rows as CSV (the store opened read-only);
- :func:`leaderboard`: score and build a suite, and write or check its files.

Each takes an optional :class:`~iqabench.plugins.Registry` (default: the installed plugins, loaded
afresh) and a store path (default: :func:`iqabench.settings.store_path`); those that score take an
optional :class:`~iqabench.runner.Executor` (default: this process; :func:`iqabench.executors.make_executor`
makes the Ray one), which the caller closes. None imports torch unless it
has images to score, nor matplotlib unless it writes plots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from . import settings, subsets
from .dataset import Dataset, open_dataset
from .errors import IqabenchError, Problems, UsageError
from .metric import Metric
from .plugins import Registry, load_registry
from .runner import Executor, RunOptions, RunSummary, check_compatible, hash_samples, run_metric, selected
from .store import ScoreStore

if TYPE_CHECKING:
    from .results import DatasetResults


@dataclass
class RunResult:
    """What :func:`run` did (one summary per metric) and the results on the label set it recorded."""

    summaries: list[RunSummary]
    results: "DatasetResults"
    store: Path


def resolve(registry: Registry, metric_names: Sequence[str], dataset_name: str, root: Path | None = None,
            labels: Path | None = None, subset: str | None = None) -> tuple[list[Metric], Dataset]:
    """Look up every metric and open the dataset (restricted to ``subset``, :mod:`iqabench.subsets`),
    reporting every problem at once (the first usage error decides the exit code: a usage error is 2,
    anything else 3)."""
    problems: list[IqabenchError] = []
    metrics = []
    for name in metric_names:
        try:
            metrics.append(registry.metric(name))
        except UsageError as exc:
            problems.append(exc)
    dataset = None
    try:
        dataset = open_dataset(registry.dataset(dataset_name), root, {"labels": str(labels)} if labels else None)
        if subset is not None:
            dataset = subsets.apply(dataset, subset)
    except IqabenchError as exc:
        problems.append(exc)
    for metric in metrics:
        availability = metric.availability()
        if not availability.ok:
            problems.append(IqabenchError(f"metric {metric.name!r} cannot run here: {availability.reason}"))
    if problems:
        raise Problems(problems)
    return metrics, dataset


def score(store: ScoreStore, registry: Registry, metrics: Sequence[Metric], dataset: Dataset, options: RunOptions,
          *, progress=None, log: Callable[[RunSummary], None] | None = None,
          executor: Executor | None = None) -> tuple[str, list[RunSummary]]:
    """Record the dataset's label set and score what the store lacks for each metric; returns the label
    set's id and one summary per metric."""
    for metric in metrics:
        check_compatible(metric, dataset, options)
    hashes = hash_samples(store, dataset, selected(dataset, options))
    labels_id = store.put_label_set(dataset, hashes)
    summaries = []
    for metric in metrics:
        summary = run_metric(metric, dataset, store, options, hashes=hashes, labels_id=labels_id,
                             plugin_versions=registry.versions, progress=progress, executor=executor)
        summaries.append(summary)
        if log is not None:
            log(summary)
    return labels_id, summaries


def run(metrics: Sequence[str], dataset: str, *, root: Path | None = None, labels: Path | None = None,
        subset: str | None = None, store: Path | None = None, options: RunOptions | None = None, registry: Registry | None = None,
        resamples: int = 1000, seed: int = 0, progress=None, executor: Executor | None = None) -> RunResult:
    """Score ``dataset`` with ``metrics`` (only what the store lacks) and compute the results."""
    from .results import collect

    options = options or RunOptions()
    if options.max_pixels is None:
        settings.max_pixels()  # a bad IQABENCH_MAX_PIXELS is a usage error before anything runs
    if options.batch_pixels is None:
        settings.batch_pixels(options.max_pixels)  # and so is a bad IQABENCH_BATCH_PIXELS
    settings.offline()  # and a bad IQABENCH_OFFLINE, whether or not a metric needs weights
    registry = registry or load_registry()
    chosen, opened = resolve(registry, metrics, dataset, root, labels, subset)
    with ScoreStore(store) as opened_store:
        labels_id, summaries = score(opened_store, registry, chosen, opened, options,
                                     progress=progress, executor=executor)
        results = collect(opened_store, registry, opened.name, [m.name for m in chosen], labels_id=labels_id,
                          resamples=resamples, seed=seed)
        return RunResult(summaries, results, opened_store.path)


def stats(dataset: str, metrics: Sequence[str] = (), *, store: Path | None = None, registry: Registry | None = None,
          resamples: int = 1000, seed: int = 0, level: float = 0.95, labels_id: str | None = None) -> "DatasetResults":
    """Results from the store alone (nothing is scored)."""
    from .results import collect

    registry = registry or load_registry()
    registry.dataset(dataset)
    with ScoreStore(_existing_store(store), readonly=True) as opened:
        stored = opened.stored_metrics(dataset)
        unknown = [m for m in metrics if m not in stored]
        if unknown:
            raise UsageError(f"no stored scores of {', '.join(map(repr, unknown))} on {dataset!r}; "
                             f"stored: {', '.join(stored) or '(none)'}")
        return collect(opened, registry, dataset, list(metrics) or None, labels_id=labels_id, resamples=resamples,
                       seed=seed, level=level)


def export(out: IO[str], *, store: Path | None = None, metric: str | None = None, dataset: str | None = None) -> int:
    """Write per-image scores and failures, with their labels, as CSV to ``out``; returns the row count."""
    with ScoreStore(_existing_store(store), readonly=True) as opened:
        return opened.export_csv(out, metric, dataset)


def _existing_store(path: Path | None) -> Path:
    """The store to read (``path``, else the default); a usage error when there is none. It is opened
    read-only, so a store on read-only media can be read."""
    path = Path(path).expanduser() if path is not None else settings.store_path()
    if not path.exists():
        raise UsageError(f"no score store at {path}; run `iqabench run --store {path} …` first")
    return path


def leaderboard(suite: str, *, out: Path = Path("leaderboards"), store: Path | None = None, check: bool = False,
                skip_unavailable: bool = False, registry: Registry | None = None, date: str | None = None,
                log: Callable[[str], None] = print, executor: Executor | None = None) -> list[str]:
    """Score what the store lacks for ``suite`` and write its files under ``out`` (or, with ``check``,
    compare with the committed ones); returns the differences found (always empty when writing)."""
    from .leaderboard.build import build_suite
    from .leaderboard.check import check_suite
    from .leaderboard.output import write_index, write_suite
    from .leaderboard.suites import load_suite
    from .store import now

    loaded = load_suite(out, suite)
    registry = registry or load_registry()
    with ScoreStore(store) as opened:
        log(f"store: {opened.path}")
        result = build_suite(loaded, opened, registry, skip_unavailable=skip_unavailable, log=log,
                             executor=executor)
    if check:
        return check_suite(result, out)
    write_suite(result, out, date or now())
    write_index(out)
    return []
