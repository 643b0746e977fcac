"""Build a suite: score what the store lacks (with the scoring function the caller passes:
:func:`iqabench.api.score`), then read each dataset's results back through the one query,
:func:`iqabench.results.collect`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import subsets
from ..dataset import open_dataset
from ..errors import DatasetError
from ..plugins import Registry
from ..results import DatasetResults, collect
from ..runner import Executor, RunOptions, RunSummary
from ..store import ScoreStore
from .suites import Suite, SuiteDataset

#: bootstrap resamples and seed of every leaderboard (fixed, so that a rebuild reproduces every interval).
RESAMPLES, SEED = 1000, 0


#: scores what the store lacks of a dataset (store, registry, metrics, dataset, options; ``log`` and ``executor``
#: by name) and returns the id of the label set it recorded and one summary per metric: :func:`iqabench.api.score`.
Score = Callable[..., tuple[str, list[RunSummary]]]


@dataclass
class DatasetBuild:
    """A dataset of a suite and its results."""

    entry: SuiteDataset
    results: DatasetResults
    #: whether the dataset's images have reference images (a full-reference metric can run on it).
    references: bool = False


@dataclass
class SuiteResult:
    suite: Suite
    datasets: list[DatasetBuild]
    #: entry key (its id, else the dataset's name) -> why it was skipped (only with ``skip_unavailable``).
    skipped: dict[str, str]
    #: metric name -> its kind, "NR" or "FR" (every metric the suite names).
    kinds: dict[str, str] = field(default_factory=dict)


def build_suite(suite: Suite, store: ScoreStore, registry: Registry, score: Score, *,
                skip_unavailable: bool = False, log: Callable[[str], None] = print,
                executor: Executor | None = None) -> SuiteResult:
    """Score (with ``score``, on ``executor``; default: this process) and compute every dataset of ``suite``;
    an absent dataset raises unless ``skip_unavailable``."""
    built, skipped = [], {}
    kinds = {name: registry.metric(name).kind for entry in suite.datasets for name in entry.metrics}
    for entry in suite.datasets:
        spec = registry.dataset(entry.name)
        try:
            dataset = open_dataset(spec, entry.root, _label_option(entry, spec))
            if entry.subset is not None:
                dataset = subsets.apply(dataset, entry.subset_resolved)
        except DatasetError as exc:
            if not skip_unavailable:
                raise DatasetError(f"{exc}\n(suite {suite.name!r}: {entry.where()})") from None
            skipped[entry.key] = f"not found at {entry.root or spec.card.default_root()}"
            log(f"skipped {entry.key}: {skipped[entry.key]} ({entry.where()})")
            continue
        options = RunOptions(device=suite.device, allow_missing=entry.allow_missing, limit=entry.limit)
        metrics = [registry.metric(name) for name in entry.metrics]

        def report(summary: RunSummary) -> None:
            log(f"{summary.metric} on {summary.dataset}: {summary.scored} scored now, {summary.stored} stored, "
                f"{summary.missing} missing, {summary.failed} failed, {summary.seconds:.1f} s")

        labels_id, _ = score(store, registry, metrics, dataset, options, log=report, executor=executor)
        results = collect(store, registry, entry.name, list(entry.metrics), labels_id=labels_id,
                          resamples=RESAMPLES, seed=SEED)
        references = any(s.ref_path is not None for s in dataset.samples + dataset.missing)
        built.append(DatasetBuild(entry, results, references))
    return SuiteResult(suite, built, skipped, kinds)


def _label_option(entry: SuiteDataset, spec) -> dict | None:
    """The ``labels`` option of an entry, its path taken from the dataset's root."""
    if entry.labels is None:
        return None
    return {"labels": str((entry.root or spec.card.default_root()).expanduser() / entry.labels)}
