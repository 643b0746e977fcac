"""The one path from the store to results: :func:`collect` reads one label set of a dataset and each
metric's current scores on it, and computes every statistic once (:func:`iqabench.stats.evaluate`).

``iqabench run``, ``iqabench stats`` and ``iqabench leaderboard`` all call it, so a table means the
same thing wherever it is printed. A metric's scores are those of its current identity (name,
declared configuration, declared weights: :meth:`iqabench.Metric.identity`) whose content hash is the
one the label set recorded, so neither an older configuration nor an image changed since is counted.
Nothing here imports torch or matplotlib.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .dataset import DatasetCard
from .errors import IqabenchError, UsageError
from .plugins import Registry
from .store import LabelSet, ScoreStore

if TYPE_CHECKING:
    from .stats.evaluate import Evaluation


@dataclass
class MetricResult:
    """One metric's current scores and failures on a label set, and how they were made."""

    name: str
    lower_better: bool
    plugin: str
    config_hash: str
    config: dict
    weights: dict[str, str]
    devices: list[str]
    scores: dict[str, float]
    failures: dict[str, str]

    @property
    def scored(self) -> int:
        return len(self.scores)

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass
class DatasetResults:
    """A dataset's label set, each metric's results on it, and their statistics (None without labels)."""

    card: DatasetCard
    label_set: LabelSet
    labels: dict[str, float]
    groups: dict[str, str] | None
    metrics: list[MetricResult]
    evaluation: "Evaluation | None"
    #: other label sets of the dataset in the store (not used here).
    other_label_sets: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def group_by(self) -> str | None:
        return self.label_set.group_by

    def metric(self, name: str) -> MetricResult:
        return next(m for m in self.metrics if m.name == name)

    def ranked(self) -> list[MetricResult]:
        """Metrics by signed SRCC, best first (a sign error sinks a metric to the bottom); NaN last. Without
        labels, in the order asked for."""
        if self.evaluation is None:
            return list(self.metrics)
        return [self.metric(m.name) for m in self.evaluation.ranked()]

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A metric's raw scores and the labels, in sample-id order, on the labelled samples it scored."""
        scores = self.metric(name).scores
        ids = sorted(i for i in scores if self.labels.get(i) is not None)
        return np.array([scores[i] for i in ids]), np.array([self.labels[i] for i in ids])


def collect(store: ScoreStore, registry: Registry, dataset: str, metrics: Sequence[str] | None = None, *,
            labels_id: str | None = None, resamples: int = 1000, seed: int = 0, level: float = 0.95) -> DatasetResults:
    """Results of ``metrics`` (default: every installed metric with scores stored) on one label set of
    ``dataset`` (default: the one used last). Raises :class:`UsageError` when the store has none."""
    card = registry.dataset(dataset).card
    label_sets = store.label_sets(dataset)
    if not label_sets:
        raise UsageError(f"the store {store.path} holds no scores for dataset {dataset!r}; "
                         f"run `iqabench run --dataset {dataset} --metric …` first")
    chosen = next((s for s in label_sets if s.labels_id == labels_id), None) if labels_id else label_sets[0]
    if chosen is None:
        raise UsageError(f"the store holds no label set {labels_id!r} of {dataset!r}; it holds "
                         f"{', '.join(s.labels_id for s in label_sets)}")
    names = list(metrics) if metrics else [m for m in store.stored_metrics(dataset) if m in registry.metrics]
    samples = store.labelled_samples(dataset, chosen.labels_id)
    labels = {s["sample_id"]: s["mos"] for s in samples if s["mos"] is not None}
    groups = {s["sample_id"]: s["group"] for s in samples} if chosen.group_by else None
    results = [_metric_result(store, registry, dataset, chosen.labels_id, name) for name in names]
    evaluation = None
    if labels and results:
        from .stats.evaluate import MetricScores, evaluate  # numba is loaded only when there are statistics

        evaluation = evaluate([MetricScores(r.name, r.scores, r.lower_better) for r in results], labels,
                              labels_lower_better=card.lower_better, groups=groups, group_by=chosen.group_by,
                              resamples=resamples, seed=seed, level=level)
    return DatasetResults(card, chosen, labels, groups, results, evaluation, other_label_sets=len(label_sets) - 1)


def _metric_result(store: ScoreStore, registry: Registry, dataset: str, labels_id: str, name: str) -> MetricResult:
    if name not in registry.metrics:
        raise IqabenchError(f"metric {name!r} has stored scores but no installed plugin provides it, so its "
                            "identity and direction (higher or lower is better) are unknown; install its plugin")
    metric = registry.metrics[name]
    identity = metric.identity()
    rows = store.current_scores(dataset, labels_id, name, identity.config_hash, identity.weights_hash)
    runs = {r["id"]: r for r in store.runs(row["run_id"] for row in rows)}
    weights = identity.weights
    if weights is None:  # declared only by loading: the files recorded by the runs that made these scores
        weights = next((json.loads(r["weights"]) for r in runs.values()), {})
    return MetricResult(
        name=name, lower_better=metric.lower_better, plugin=registry.plugin_of("metric", name),
        config_hash=identity.config_hash, config=identity.config, weights=weights,
        devices=sorted({r["device"] for r in runs.values()}),
        scores={r["sample_id"]: r["score"] for r in rows if r["score"] is not None},
        failures={r["sample_id"]: r["error"] for r in rows if r["error"] is not None})
