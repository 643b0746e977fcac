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

The steps of :func:`run` are public too: :func:`resolve` looks up the metrics and opens the dataset,
:func:`score` scores what an open store lacks.

The examples run as doctests (all but the leaderboard check, which needs real data): each registers a
toy metric in-process (see :mod:`iqabench.hookspecs`), writes six tiny labelled images and a score
store in a temporary folder, and reads them with the built-in ``metainfo`` dataset.
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
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
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
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
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
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
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
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
    >>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> print(result.results.evaluation.metric("brightness").intervals["srcc"])
    1.0000 [1.0000, 1.0000]
    >>> again = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> again.summaries[0].scored, again.summaries[0].stored
    (0, 6)
    >>> tmp.cleanup()
    """
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
    """Results from the store alone: nothing is scored, and the store is opened read-only.

    What ``iqabench stats`` does.

    Parameters
    ----------
    dataset : str
        The dataset, by registered name.
    metrics : sequence of str, optional
        The metrics to report; by default every metric with stored scores on the dataset.
    store : pathlib.Path, optional
        The score store; by default :func:`iqabench.settings.store_path`.
    registry : iqabench.plugins.Registry, optional
        What the plugins registered; by default the installed plugins, loaded afresh.
    resamples : int, default 1000
        Bootstrap resamples of the intervals.
    seed : int, default 0
        The seed of the resamples.
    level : float, default 0.95
        The coverage of the intervals.
    labels_id : str, optional
        The label set; by default the one recorded last.

    Returns
    -------
    iqabench.results.DatasetResults
        Every statistic of every metric, on that label set.

    Raises
    ------
    iqabench.errors.UsageError
        When the dataset is unknown, there is no store, or a metric has no stored scores on the dataset.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
    >>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> results = api.stats("metainfo", store=store, registry=registry, resamples=100)
    >>> [m.name for m in results.metrics], len(results.labels)
    (['brightness'], 6)
    >>> round(results.evaluation.metric("brightness").value("krcc"), 4)
    1.0
    >>> api.stats("metainfo", ["sharpness"], store=store, registry=registry)
    Traceback (most recent call last):
    ...
    iqabench.errors.UsageError: no stored scores of 'sharpness' on 'metainfo'; stored: brightness
    >>> tmp.cleanup()
    """
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
    """Write per-image scores and failures, with their labels, as CSV; the store is opened read-only.

    What ``iqabench export`` does; docs/store.md describes the columns.

    Parameters
    ----------
    out : text file
        Where the CSV goes (an open file, ``sys.stdout``, an ``io.StringIO``).
    store : pathlib.Path, optional
        The score store; by default :func:`iqabench.settings.store_path`.
    metric : str, optional
        Only this metric's rows.
    dataset : str, optional
        Only this dataset's rows.

    Returns
    -------
    int
        The number of rows written, the header not counted.

    Raises
    ------
    iqabench.errors.UsageError
        When there is no store at that path.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from iqabench import Metric, api, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager()  # the installed plugins (the built-in datasets among them), and this one
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> registry = manager.registry
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root, store = Path(tmp.name) / "photos", Path(tmp.name) / "scores.sqlite"
    >>> root.mkdir()
    >>> for i in range(6):  # six flat grey images: the brighter, the better labelled
    ...     Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    >>> _ = (root / "meta_info.csv").write_text("name,mos\\n" + "".join(f"{i}.png,{i + 1}\\n" for i in range(6)))
    >>> result = api.run(["brightness"], "metainfo", root=root, store=store, registry=registry, resamples=100)
    >>> import csv, io
    >>> out = io.StringIO()
    >>> api.export(out, store=store, metric="brightness")
    6
    >>> rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    >>> [(row["sample_id"], round(float(row["score"]), 3), row["mos"]) for row in rows[:2]]
    [('0.png', 0.0, '1.0'), ('1.png', 0.157, '2.0')]
    >>> tmp.cleanup()
    """
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
    """Score what the store lacks for a leaderboard suite, and write its files (or check the committed ones).

    What ``iqabench leaderboard`` does: the suite is ``<out>/suites/<suite>.toml``, naming datasets and
    metrics; its tables, plots and the index are written under ``out``.

    Parameters
    ----------
    suite : str
        The suite's name.
    out : pathlib.Path, default Path("leaderboards")
        The leaderboards' folder, holding ``suites/``.
    store : pathlib.Path, optional
        The score store; by default :func:`iqabench.settings.store_path`.
    check : bool, default False
        Compare with the files under ``out`` instead of writing them.
    skip_unavailable : bool, default False
        Leave out the metrics that cannot run here instead of failing.
    registry : iqabench.plugins.Registry, optional
        What the plugins registered; by default the installed plugins, loaded afresh.
    date : str, optional
        The date written in the files; by default now.
    log : callable, default print
        Called with each progress message.
    executor : iqabench.runner.Executor, optional
        Where the batches run; by default this process. The caller closes it.

    Returns
    -------
    list of str
        The differences found with ``check``; always empty when writing.

    Raises
    ------
    iqabench.errors.UsageError
        When the suite does not exist or is malformed.

    Examples
    --------
    Checking the committed ``ci`` suite needs its datasets and weights (``../shared``), so this one is
    not run here:

    >>> from iqabench import api
    >>> api.leaderboard("ci", check=True)  # doctest: +SKIP
    []
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     api.leaderboard("my-suite", out=Path(folder))
    Traceback (most recent call last):
    ...
    iqabench.errors.UsageError: no suite 'my-suite': ... does not exist...
    """
    from .leaderboard.build import build_suite
    from .leaderboard.check import check_suite
    from .leaderboard.output import write_index, write_suite
    from .leaderboard.suites import load_suite
    from .store import now

    loaded = load_suite(out, suite)
    registry = registry or load_registry()
    with ScoreStore(store) as opened:
        log(f"store: {opened.path}")
        result = build_suite(loaded, opened, registry, score, skip_unavailable=skip_unavailable, log=log,
                             executor=executor)
    if check:
        return check_suite(result, out)
    write_suite(result, out, date or now())
    write_index(out)
    return []
