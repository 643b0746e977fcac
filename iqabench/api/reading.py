"""Reading the store alone, opened read-only: results (``iqabench stats``) and per-image rows (``iqabench export``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .. import settings
from ..errors import UsageError
from ..plugins import Registry, load_registry
from ..store import ScoreStore

if TYPE_CHECKING:
    from ..results import DatasetResults


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
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
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
    from ..results import collect

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
    >>> from iqabench import api
    >>> from iqabench.testing import example_setup
    >>> tmp = tempfile.TemporaryDirectory()
    >>> registry, root, store = example_setup(tmp.name)  # a toy metric "brightness", six labelled images
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
