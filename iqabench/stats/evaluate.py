"""Everything a table reports for one dataset: each metric's statistics with bootstrap intervals, its
grouped results, and the paired comparison of every two metrics.

Scores arrive by sample id, so metrics that failed on different images are still compared fairly: a
metric's own statistics use every sample it scored; a comparison of two metrics uses the samples both
scored, resampled together (paired bootstrap, :mod:`.bootstrap`). Grouped results are resampled by
whole groups (:func:`.grouped.group_mean_replicates`). Direction is handled once, by :func:`.signed`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .bootstrap import bootstrap
from .bootstrap_result import Bootstrap
from .correlation import plcc, srcc
from .evaluation import Comparison, Evaluation, MetricEvaluation
from .grouped import GROUP_STATISTICS, group_mean_replicates, grouped
from .inputs import signed, undefined_reason
from .intervals import percentile_interval
from .logistic import PARAMETERS
from .significance import TestResult, rmse_f_test, steiger_test, williams_test

#: the statistics evaluated per metric, with intervals, and those also evaluated per group (table order;
#: :mod:`iqabench.tables` labels them).
EVALUATED = ("srcc", "plcc", "krcc", "pra", "rmse")
EVALUATED_PER_GROUP = ("srcc", "pra")


@dataclass(frozen=True)
class MetricScores:
    """A metric's scores by sample id, and its direction: the input of :func:`evaluate`.

    Attributes
    ----------
    name : str
        The metric.
    scores : Mapping of str to float
        Its score of each sample it scored, by sample id (failed samples are simply absent).
    lower_better : bool, default False
        True when a lower score means a better image; :func:`evaluate` negates the scores then.

    Examples
    --------
    >>> from iqabench.stats.evaluate import MetricScores
    >>> MetricScores("blur-energy", {"a.png": 0.2, "b.png": 0.7}, lower_better=True)
    MetricScores(name='blur-energy', scores={'a.png': 0.2, 'b.png': 0.7}, lower_better=True)
    """

    name: str
    scores: Mapping[str, float]
    lower_better: bool = False


def evaluate(metrics: Sequence[MetricScores], labels: Mapping[str, float], *, labels_lower_better: bool = False,
             groups: Mapping[str, Hashable] | None = None, group_by: str | None = None, resamples: int = 1000,
             seed: int = 0, level: float = 0.95, model: str = "vqeg4") -> Evaluation:
    """Statistics, intervals and pairwise comparisons of several metrics against the labels of one dataset.

    Scores arrive by sample id, so metrics that failed on different images are still compared fairly: a
    metric's own statistics use every labelled sample it scored; a comparison of two metrics uses the
    samples both scored, resampled together (paired bootstrap). Each metric's scores are oriented by its
    ``lower_better`` and the labels by ``labels_lower_better`` (:func:`iqabench.stats.signed`). Samples
    without a label are ignored.

    Parameters
    ----------
    metrics : sequence of MetricScores
        The metrics' scores by sample id, and their directions.
    labels : Mapping of str to float
        The label of each sample id (None for an unlabelled sample).
    labels_lower_better : bool, default False
        True for DMOS labels (a lower label is a better image).
    groups : Mapping of str to hashable, optional
        The group of each sample id; with ``group_by``, grouped SRCC and PRA are added under
        ``"srcc/<group_by>"`` and ``"pra/<group_by>"``, resampled by whole groups.
    group_by : str, optional
        What a group is, in words (``"photo"``, ``"person"``): the suffix of the grouped keys.
    resamples : int, default 1000
        Bootstrap resamples.
    seed : int, default 0
        The seed of the resamples.
    level : float, default 0.95
        The coverage of the intervals.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic mapping before PLCC and RMSE.

    Returns
    -------
    Evaluation
        Each metric's statistics with intervals, and the comparison of every two metrics.

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a score or label is NaN or infinite.

    Examples
    --------
    >>> from iqabench.stats.evaluate import MetricScores, evaluate
    >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
    >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
    >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
    ...                      lower_better=True)
    >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
    >>> for metric in evaluation.metrics:
    ...     print(metric.name, metric.n, metric.intervals["srcc"], metric.intervals["pra"])
    sharp 10 0.9879 [0.8125, 1.0000] 0.9778 [0.8537, 1.0000]
    noisy 10 0.8667 [0.5374, 0.9879] 0.8444 [0.7073, 0.9762]
    >>> groups = {sample: "ab"[int(sample[3:]) % 2] for sample in labels}
    >>> by_photo = evaluate([sharp], labels, groups=groups, group_by="photo", resamples=100)
    >>> by_photo.metric("sharp").groups
    2
    >>> print(by_photo.metric("sharp").intervals["srcc/photo"])
    1.0000 [1.0000, 1.0000]
    """
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
