"""The steps of a run: look up the metrics and open the dataset, then score what the store lacks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .. import subsets
from ..dataset import Dataset, open_dataset
from ..errors import IqabenchError, Problems, UsageError
from ..metric import Metric
from ..plugins import Registry
from ..runner import Executor, RunOptions, RunSummary, check_compatible, hash_samples, run_metric, selected
from ..store import ScoreStore


def resolve(registry: Registry, metric_names: Sequence[str], dataset_name: str, root: Path | None = None,
            labels: Path | None = None, subset: str | None = None) -> tuple[list[Metric], Dataset]:
    """Look up every metric and open the dataset, reporting every problem at once.

    Each metric must be registered and able to run here (:meth:`iqabench.Metric.availability`); the
    dataset must be registered and readable at its root.

    Parameters
    ----------
    registry : iqabench.plugins.Registry
        What the plugins registered.
    metric_names : sequence of str
        The metrics, by registered name.
    dataset_name : str
        The dataset, by registered name.
    root : pathlib.Path, optional
        The dataset's folder; by default the card's default root.
    labels : pathlib.Path, optional
        Another label file than the card's.
    subset : str, optional
        ``FILE[:PART]``: score and evaluate only those samples (:mod:`iqabench.subsets`).

    Returns
    -------
    metrics : list of iqabench.Metric
        The metrics, in the order named.
    dataset : iqabench.Dataset
        The opened dataset.

    Raises
    ------
    iqabench.errors.Problems
        Every problem found (unknown metric or dataset, unreadable dataset, metric that cannot run
        here); ``Problems.usage`` is true when one is a usage error (exit code 2, otherwise 3).

    Examples
    --------
    >>> import tempfile
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
    >>> metrics, dataset = api.resolve(registry, ["brightness"], "metainfo", root=root)
    >>> metrics, len(dataset.samples)
    ([<Metric brightness NR higher-is-better>], 6)
    >>> api.resolve(registry, ["brightnes"], "metainfo", root=root)
    Traceback (most recent call last):
    ...
    iqabench.errors.Problems: Unknown metric 'brightnes'. Known metrics: ... Did you mean 'brightness'?
    >>> tmp.cleanup()
    """
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
    """Record the dataset's label set and score what the store lacks for each metric.

    The lower level of :func:`run`, on an opened store and resolved metrics and dataset (:func:`resolve`);
    it computes no statistics.

    Parameters
    ----------
    store : iqabench.store.ScoreStore
        The opened score store.
    registry : iqabench.plugins.Registry
        What the plugins registered (for the plugins' versions, recorded with each run).
    metrics : sequence of iqabench.Metric
        The metrics to run.
    dataset : iqabench.Dataset
        The opened dataset.
    options : iqabench.runner.RunOptions
        The device, batches, decoding workers and limits.
    progress : optional
        A progress callback for the runner.
    log : callable, optional
        Called with each metric's summary as soon as it is done.
    executor : iqabench.runner.Executor, optional
        Where the batches run; by default this process.

    Returns
    -------
    labels_id : str
        The id of the label set recorded (:meth:`iqabench.Dataset.labels_id`).
    summaries : list of iqabench.runner.RunSummary
        One per metric.

    Raises
    ------
    iqabench.errors.IqabenchError
        When a metric does not suit the dataset (a full-reference metric on images without references,
        for instance), or the store cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
    >>> from iqabench.runner import RunOptions
    >>> from iqabench.store import ScoreStore
    >>> metrics, dataset = api.resolve(registry, ["brightness"], "metainfo", root=root)
    >>> with ScoreStore(store) as opened:
    ...     labels_id, summaries = api.score(opened, registry, metrics, dataset, RunOptions(device="cpu"))
    >>> labels_id == dataset.labels_id(), summaries[0].scored
    (True, 6)
    >>> with ScoreStore(store) as opened:  # a second time, everything is stored already
    ...     print(api.score(opened, registry, metrics, dataset, RunOptions(device="cpu"))[1][0].stored)
    6
    >>> tmp.cleanup()
    """
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
