"""Everything a table reports for one dataset: each metric's statistics with bootstrap intervals, its
grouped results, and the paired comparison of every two metrics.

Scores arrive by sample id, so metrics that failed on different images are still compared fairly: a
metric's own statistics use every sample it scored; a comparison of two metrics uses the samples both
scored, resampled together (paired bootstrap, :mod:`.bootstrap`). Grouped results are resampled by
whole groups (:func:`.grouped.group_mean_replicates`). Direction is handled once, by :func:`.signed`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from .bootstrap import Bootstrap, Difference, Interval, bootstrap, percentile_interval
from .correlation import plcc, srcc
from .grouped import GROUP_STATISTICS, group_mean_replicates, grouped
from .inputs import signed, undefined_reason
from .logistic import PARAMETERS, LogisticFit
from .significance import TestResult, rmse_f_test, steiger_test, williams_test

#: the statistics evaluated per metric, with intervals, and those also evaluated per group (table order;
#: :mod:`iqabench.tables` labels them).
EVALUATED = ("srcc", "plcc", "krcc", "pra", "rmse")
EVALUATED_PER_GROUP = ("srcc", "pra")



@dataclass(frozen=True)
class MetricScores:
    """A metric's scores by sample id, and its direction."""

    name: str
    scores: Mapping[str, float]
    lower_better: bool = False


@dataclass
class MetricEvaluation:
    """One metric on one dataset: ``intervals`` by statistic key (and ``"srcc/<group>"`` keys for grouped
    results), each a point estimate with its percentile interval."""

    name: str
    lower_better: bool
    n: int
    intervals: dict[str, Interval]
    fit: LogisticFit | None
    groups: int = 0
    groups_skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def value(self, key: str) -> float:
        return self.intervals[key].estimate if key in self.intervals else math.nan


@dataclass(frozen=True)
class Comparison:
    """Metric ``a`` against metric ``b`` on the ``n`` samples both scored: bootstrap differences
    (``a − b``) by statistic, Steiger's Z on SRCC, Williams' t on PLCC after mapping, and the P.1401 F-test
    on the RMSE residuals."""

    a: str
    b: str
    n: int
    differences: dict[str, Difference]
    steiger_srcc: TestResult | None
    williams_plcc: TestResult | None
    f_rmse: TestResult | None


@dataclass
class Evaluation:
    metrics: list[MetricEvaluation]
    comparisons: list[Comparison]
    resamples: int
    seed: int
    level: float
    group_by: str | None

    def metric(self, name: str) -> MetricEvaluation:
        return next(m for m in self.metrics if m.name == name)

    def comparison(self, a: str, b: str) -> tuple[Comparison, int]:
        """The comparison of ``a`` and ``b`` and the sign that turns its differences into ``a − b``."""
        for c in self.comparisons:
            if (c.a, c.b) == (a, b):
                return c, 1
            if (c.a, c.b) == (b, a):
                return c, -1
        raise KeyError(f"no comparison of {a!r} and {b!r}")

    def ranked(self, key: str = "srcc") -> list[MetricEvaluation]:
        """Metrics by signed ``key``, best first (a sign error sinks a metric); NaN last."""
        return sorted(self.metrics, key=lambda m: -m.value(key) if math.isfinite(m.value(key)) else math.inf)

    def tied_with_best(self, key: str = "srcc", alpha: float = 0.05) -> set[str]:
        """The best metric by ``key`` and every metric not significantly worse than it (paired bootstrap
        p-value of the difference ≥ ``alpha``)."""
        ranked = [m for m in self.ranked(key) if math.isfinite(m.value(key))]
        if not ranked:
            return set()
        best = ranked[0].name
        tied = {best}
        for m in ranked[1:]:
            comparison, _ = self.comparison(best, m.name)
            p = comparison.differences[key].p_value
            if not math.isfinite(p) or p >= alpha:
                tied.add(m.name)
        return tied


def evaluate(metrics: Sequence[MetricScores], labels: Mapping[str, float], *, labels_lower_better: bool = False,
             groups: Mapping[str, Hashable] | None = None, group_by: str | None = None, resamples: int = 1000,
             seed: int = 0, level: float = 0.95, model: str = "vqeg4") -> Evaluation:
    """Statistics, intervals and pairwise comparisons of ``metrics`` against ``labels`` (by sample id).

    Samples without a label are ignored. With ``groups`` (sample id -> group), grouped SRCC and PRA
    are added under ``"srcc/<group_by>"`` and ``"pra/<group_by>"``."""
    statistics = EVALUATED
    evaluations = []
    for metric in metrics:
        ids = sorted(i for i in metric.scores if labels.get(i) is not None)
        pred, truth = _arrays(metric, ids, labels, labels_lower_better)
        evaluations.append(_evaluate_one(metric, ids, pred, truth, groups, group_by, statistics, resamples,
                                         seed, level, model))
    comparisons = [_compare(a, b, labels, labels_lower_better, statistics, resamples, seed, level, model)
                   for a, b in combinations(metrics, 2)]
    return Evaluation(evaluations, comparisons, resamples, seed, level, group_by)


def _arrays(metric: MetricScores, ids: list[str], labels: Mapping[str, float], labels_lower_better: bool):
    return signed([metric.scores[i] for i in ids], [labels[i] for i in ids], lower_better=metric.lower_better,
                  labels_lower_better=labels_lower_better)


def _evaluate_one(metric, ids, pred, truth, groups, group_by, statistics, resamples, seed, level, model):
    result = MetricEvaluation(metric.name, metric.lower_better, len(ids), {}, None)
    reason = undefined_reason(pred, truth)
    if reason:
        result.notes.append(f"{metric.name}: statistics undefined: {reason}")
        return result
    boot = bootstrap(pred[None, :], truth, names=[metric.name], statistics=statistics, resamples=resamples,
                     seed=seed, model=model)
    result.fit = boot.fits.get(metric.name)
    if result.fit is not None and not result.fit.converged:
        result.notes.append(f"{metric.name}: logistic mapping {result.fit.message}; PLCC and RMSE are n/a")
    result.intervals = {key: boot.interval(metric.name, key, level) for key in statistics}
    if groups is not None and group_by:
        _add_grouped(result, pred, truth, [groups[i] for i in ids], group_by, resamples, seed, level)
    return result


def _add_grouped(result: MetricEvaluation, pred, truth, group_of, group_by, resamples, seed, level) -> None:
    g = grouped(pred, truth, group_of)
    result.groups, result.groups_skipped = g.groups, g.skipped
    if g.groups == 0:
        result.notes.append(f"{result.name}: no {group_by} has two distinct labels; grouped results n/a")
        return
    replicates = group_mean_replicates(np.ascontiguousarray(g.per_group), resamples, seed)
    for key in EVALUATED_PER_GROUP:
        column = GROUP_STATISTICS.index(key)
        result.intervals[f"{key}/{group_by}"] = percentile_interval(g.values[key], replicates[:, column], level)
        if g.undefined[key]:
            result.notes.append(f"{result.name}: {key.upper()} undefined in {g.undefined[key]} {group_by}(s) "
                                "with constant scores, left out of the mean")


def _compare(a: MetricScores, b: MetricScores, labels, labels_lower_better, statistics, resamples, seed, level,
             model) -> Comparison:
    ids = sorted(i for i in a.scores.keys() & b.scores.keys() if labels.get(i) is not None)
    pa, truth = _arrays(a, ids, labels, labels_lower_better)
    pb, _ = _arrays(b, ids, labels, labels_lower_better)
    if undefined_reason(pa, truth) or undefined_reason(pb, truth) or len(ids) < 4:
        return Comparison(a.name, b.name, len(ids), {}, None, None, None)
    boot = bootstrap(np.stack([pa, pb]), truth, names=[a.name, b.name], statistics=statistics,
                     resamples=resamples, seed=seed, model=model)
    differences = {key: boot.difference(a.name, b.name, key, level) for key in statistics}
    return Comparison(a.name, b.name, len(ids), differences, _steiger(pa, pb, truth), *_mapped_tests(boot, pa, pb,
                                                                                                     truth, model))


def _steiger(pa, pb, truth) -> TestResult:
    return steiger_test(srcc(pa, truth), srcc(pb, truth), srcc(pa, pb), truth.size)


def _mapped_tests(boot: Bootstrap, pa, pb, truth, model) -> tuple[TestResult | None, TestResult | None]:
    fa, fb = boot.fits[boot.names[0]], boot.fits[boot.names[1]]
    if not (fa.converged and fb.converged):
        return None, None
    qa, qb = fa.predict(pa), fb.predict(pb)
    williams = williams_test(plcc(qa, truth), plcc(qb, truth), plcc(qa, qb), truth.size)
    return williams, rmse_f_test(truth - qa, truth - qb, PARAMETERS[model])
