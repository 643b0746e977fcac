"""A run from Python, as ``iqabench run`` does it: score what the store lacks, then compute every statistic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import settings
from ..plugins import Registry, load_registry
from ..runner import Executor, RunOptions, RunSummary
from ..store import ScoreStore
from .scoring import resolve, score

if TYPE_CHECKING:
    from ..results import DatasetResults


@dataclass
class RunResult:
    """What :func:`run` did, and the results on the label set it recorded.

    Attributes
    ----------
    summaries : list of iqabench.runner.RunSummary
        One per metric: how many images were scored now, found stored, missing, and failed.
    results : iqabench.results.DatasetResults
        Every statistic of every metric run, on the label set the run recorded.
    store : pathlib.Path
        The score store used.

    Examples
    --------
    >>> import tempfile
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
    >>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> summary = result.summaries[0]
    >>> summary.metric, summary.total, summary.scored, summary.failed
    ('brightness', 6, 6, 0)
    >>> result.store == store
    True
    >>> tmp.cleanup()
    """

    summaries: list[RunSummary]
    results: "DatasetResults"
    store: Path


def run(metrics: Sequence[str], dataset: str, *, root: Path | None = None, labels: Path | None = None,
        subset: str | None = None, store: Path | None = None, options: RunOptions | None = None, registry: Registry | None = None,
        resamples: int = 1000, seed: int = 0, progress=None, executor: Executor | None = None) -> RunResult:
    """Score a dataset with metrics (only what the store lacks), then compute every statistic.

    What ``iqabench run`` does: scores already in the store for the same metric identity and image
    content are reused, so a second call scores nothing. The results are those of the label set this
    run recorded (:func:`iqabench.results.collect`).

    Parameters
    ----------
    metrics : sequence of str
        The metrics, by registered name.
    dataset : str
        The dataset, by registered name.
    root : pathlib.Path, optional
        The dataset's folder; by default the card's default root.
    labels : pathlib.Path, optional
        Another label file than the card's.
    subset : str, optional
        ``FILE[:PART]``: score and evaluate only those samples (:mod:`iqabench.subsets`).
    store : pathlib.Path, optional
        The score store; by default :func:`iqabench.settings.store_path`.
    options : iqabench.runner.RunOptions, optional
        The device, batches, decoding workers and limits; by default those of the environment.
    registry : iqabench.plugins.Registry, optional
        What the plugins registered; by default the installed plugins, loaded afresh.
    resamples : int, default 1000
        Bootstrap resamples of the intervals.
    seed : int, default 0
        The seed of the resamples.
    progress : optional
        A progress callback for the runner.
    executor : iqabench.runner.Executor, optional
        Where the batches run; by default this process (:func:`iqabench.executors.make_executor` makes the
        Ray one). The caller closes it.

    Returns
    -------
    RunResult
        One summary per metric, the results, and the store's path.

    Raises
    ------
    iqabench.errors.UsageError
        When an environment variable (``IQABENCH_MAX_PIXELS``, ``IQABENCH_BATCH_PIXELS``,
        ``IQABENCH_OFFLINE``) is malformed.
    iqabench.errors.Problems
        When a metric or the dataset is unknown or cannot be used (:func:`resolve`).

    Examples
    --------
    >>> import tempfile
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
    >>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> print(result.results.evaluation.metric("brightness").intervals["srcc"])
    1.0000 [1.0000, 1.0000]
    >>> again = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> again.summaries[0].scored, again.summaries[0].stored
    (0, 6)
    >>> tmp.cleanup()
    """
    from ..results import collect

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
