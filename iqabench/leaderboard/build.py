"""Build a suite: score what the store lacks (through :func:`iqabench.runner.run_metric`), then compute
each dataset's results from the stored scores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..dataset import Dataset, open_dataset
from ..errors import DatasetError
from ..plugins import Registry
from ..runner import RunOptions, RunSummary, run_metric
from ..stats.evaluate import Evaluation, MetricScores, evaluate
from ..store import ScoreStore
from .suites import Suite, SuiteDataset

#: bootstrap resamples and seed of every leaderboard (fixed, so that a rebuild reproduces every interval).
RESAMPLES, SEED = 1000, 0


@dataclass
class MetricResult:
    """One row of a table: a metric's counts and statistics, and the arrays its plots need."""

    metric: str
    lower_better: bool
    plugin: str
    config_hash: str
    config: dict
    weights: dict[str, str]
    devices: list[str]
    scored: int
    missing: int
    failed: int
    #: sample id -> score, and the raw scores and labels in sample-id order (for the plots).
    by_id: dict[str, float]
    scores: np.ndarray
    mos: np.ndarray


@dataclass
class DatasetResult:
    """A dataset of a suite, opened, with one :class:`MetricResult` per metric."""

    entry: SuiteDataset
    dataset: Dataset
    rows: list[MetricResult] = field(default_factory=list)
    evaluation: Evaluation | None = None

    def ranked(self) -> list[MetricResult]:
        """Rows by signed SRCC, best first (a sign error sinks a metric to the bottom); NaN last."""
        by_name = {row.metric: row for row in self.rows}
        return [by_name[m.name] for m in self.evaluation.ranked()]


@dataclass
class SuiteResult:
    suite: Suite
    datasets: list[DatasetResult]
    #: dataset name -> why it was skipped (only with ``skip_unavailable``).
    skipped: dict[str, str]


def build_suite(suite: Suite, store: ScoreStore, registry: Registry, *, skip_unavailable: bool = False,
                log: Callable[[str], None] = print) -> SuiteResult:
    """Score and compute every dataset of ``suite``; an absent dataset raises unless ``skip_unavailable``."""
    results, skipped = [], {}
    for entry in suite.datasets:
        try:
            dataset = open_dataset(registry.dataset(entry.name), entry.root)
        except DatasetError as exc:
            if not skip_unavailable:
                raise DatasetError(f"{exc}\n(suite {suite.name!r}: {entry.where()})") from None
            skipped[entry.name] = f"not found at {entry.root or registry.dataset(entry.name).card.default_root()}"
            log(f"skipped {entry.name}: {skipped[entry.name]} ({entry.where()})")
            continue
        results.append(_build_dataset(suite, entry, dataset, store, registry, log))
    return SuiteResult(suite, results, skipped)


def _build_dataset(suite: Suite, entry: SuiteDataset, dataset: Dataset, store: ScoreStore, registry: Registry,
                   log: Callable[[str], None]) -> DatasetResult:
    card = dataset.card
    result = DatasetResult(entry, dataset)
    options = RunOptions(device=suite.device, allow_missing=entry.allow_missing, limit=entry.limit)
    labels = {s.id: s for s in dataset.samples}
    for name in entry.metrics:
        metric = registry.metric(name)
        summary = run_metric(metric, dataset, store, options, plugin_versions=registry.versions)
        log(f"{name} on {dataset.name}: {len(summary.scores)} scored ({summary.scored} now), "
            f"{summary.missing} missing, {summary.failed} failed, {summary.seconds:.1f} s")
        ids = sorted(summary.scores)
        scores = np.array([summary.scores[i] for i in ids])
        mos = np.array([labels[i].mos for i in ids])
        owner = registry.owners[("metric", name)]
        result.rows.append(MetricResult(
            metric=name,
            lower_better=metric.lower_better,
            plugin=f"{owner} ({registry.versions.get(owner, 'version unknown')})",
            config_hash=metric.config_hash(),
            config=metric.config(),
            weights=dict(metric.weights),
            devices=_devices(store, summary, metric.config_hash(), metric.weights_hash()),
            scored=len(ids),
            missing=summary.missing,
            failed=summary.failed,
            by_id=dict(summary.scores),
            scores=scores,
            mos=mos,
        ))
    result.evaluation = evaluate(
        [MetricScores(r.metric, r.by_id, r.lower_better) for r in result.rows],
        {s.id: s.mos for s in dataset.samples if s.mos is not None},
        higher_better=card.higher_better,
        groups={s.id: s.group for s in dataset.samples} if card.group_by else None,
        group_by=card.group_by, resamples=RESAMPLES, seed=SEED)
    return result


def _devices(store: ScoreStore, summary: RunSummary, config_hash: str, weights_hash: str) -> list[str]:
    """The devices of the runs that computed the scores used (not of this run, which may have scored none)."""
    used = {
        row["run_id"]
        for row in store.per_image(summary.metric, summary.dataset)
        if row["config_hash"] == config_hash and row["weights_hash"] == weights_hash
        and row["sample_id"] in summary.scores
    }
    return sorted({run["device"] for run in store.runs() if run["id"] in used})
