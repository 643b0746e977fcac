"""What :func:`.evaluate.evaluate` returns: each metric's statistics, every two metrics compared, the ranking."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .bootstrap_result import Difference
from .intervals import Interval
from .logistic import LogisticFit
from .significance import TestResult


@dataclass
class MetricEvaluation:
    """One metric on one dataset, as :func:`evaluate` computes it.

    Attributes
    ----------
    name : str
        The metric.
    lower_better : bool
        Its direction (its statistics are signed all the same).
    n : int
        The labelled samples it scored.
    intervals : dict of str to Interval
        A point estimate with its percentile interval by statistic key (:data:`EVALUATED`), and by
        ``"srcc/<group_by>"`` and ``"pra/<group_by>"`` for grouped results; empty when the statistics are
        undefined (``notes`` says why).
    fit : LogisticFit or None
        The logistic mapping of ``plcc`` and ``rmse``; None when not fitted.
    groups, groups_skipped : int
        The groups used and skipped by the grouped results (0 without groups).
    notes : list of str
        What a reader of the table must know: undefined statistics, a fit that did not converge.

    Examples
    --------
    >>> from iqabench.stats.evaluate import MetricScores, evaluate
    >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
    >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
    >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
    ...                      lower_better=True)
    >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
    >>> result = evaluation.metric("noisy")
    >>> result.n, result.lower_better, result.groups
    (10, True, 0)
    >>> print(result.intervals["srcc"])
    0.8667 [0.5374, 0.9879]
    """

    name: str
    lower_better: bool
    n: int
    intervals: dict[str, Interval]
    fit: LogisticFit | None
    groups: int = 0
    groups_skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def value(self, key: str) -> float:
        """The point estimate of statistic ``key``; NaN when it was not computed.

        Parameters
        ----------
        key : str
            A statistic's key: ``"srcc"``, or ``"srcc/<group_by>"`` for a grouped result.

        Returns
        -------
        float
            The estimate, or NaN.

        Examples
        --------
        >>> from iqabench.stats.evaluate import MetricScores, evaluate
        >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
        >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
        >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
        ...                      lower_better=True)
        >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
        >>> round(evaluation.metric("sharp").value("srcc"), 4)
        0.9879
        >>> evaluation.metric("sharp").value("srcc/photo")
        nan
        """
        return self.intervals[key].estimate if key in self.intervals else math.nan


@dataclass(frozen=True)
class Comparison:
    """Metric ``a`` against metric ``b`` on the ``n`` samples both scored, as :func:`evaluate` computes it.

    Attributes
    ----------
    a, b : str
        The two metrics.
    n : int
        The labelled samples both scored.
    differences : dict of str to Difference
        The paired bootstrap differences ``a − b``, by statistic key; empty when a statistic of either
        metric is undefined or ``n`` < 4.
    steiger_srcc : TestResult or None
        Steiger's Z on the two SRCCs.
    williams_plcc : TestResult or None
        Williams' t on the two PLCCs after mapping; None when a mapping did not converge.
    f_rmse : TestResult or None
        The ITU-T P.1401 F-test on the residuals after mapping; None when a mapping did not converge.

    Examples
    --------
    >>> from iqabench.stats.evaluate import MetricScores, evaluate
    >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
    >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
    >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
    ...                      lower_better=True)
    >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
    >>> comparison, sign = evaluation.comparison("sharp", "noisy")
    >>> comparison.n, sign
    (10, 1)
    >>> print(comparison.differences["srcc"].interval)
    0.1212 [-0.0632, 0.4626]
    >>> round(comparison.steiger_srcc.p_value, 4)
    0.0025
    """

    a: str
    b: str
    n: int
    differences: dict[str, Difference]
    steiger_srcc: TestResult | None
    williams_plcc: TestResult | None
    f_rmse: TestResult | None


@dataclass
class Evaluation:
    """Everything a table reports for one dataset, as :func:`evaluate` returns it.

    Attributes
    ----------
    metrics : list of MetricEvaluation
        Each metric's statistics, in the order given.
    comparisons : list of Comparison
        Every two metrics compared, in the order given.
    resamples, seed : int
        The bootstrap's resamples and seed.
    level : float
        The intervals' coverage.
    group_by : str or None
        What the grouped results group by (``"photo"``, ``"person"``); None without groups.

    Examples
    --------
    >>> from iqabench.stats.evaluate import MetricScores, evaluate
    >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
    >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
    >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
    ...                      lower_better=True)
    >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
    >>> [m.name for m in evaluation.ranked("srcc")]
    ['sharp', 'noisy']
    >>> evaluation.resamples, evaluation.level, len(evaluation.comparisons)
    (200, 0.95, 1)
    """

    metrics: list[MetricEvaluation]
    comparisons: list[Comparison]
    resamples: int
    seed: int
    level: float
    group_by: str | None

    def metric(self, name: str) -> MetricEvaluation:
        """The evaluation of metric ``name``.

        Parameters
        ----------
        name : str
            One of the metrics evaluated.

        Returns
        -------
        MetricEvaluation

        Raises
        ------
        StopIteration
            When no metric of that name was evaluated.

        Examples
        --------
        >>> from iqabench.stats.evaluate import MetricScores, evaluate
        >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
        >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
        >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
        ...                      lower_better=True)
        >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
        >>> evaluation.metric("sharp").n
        10
        """
        return next(m for m in self.metrics if m.name == name)

    def comparison(self, a: str, b: str) -> tuple[Comparison, int]:
        """The comparison of ``a`` and ``b``, whichever order it was computed in.

        Parameters
        ----------
        a, b : str
            Two metrics evaluated.

        Returns
        -------
        comparison : Comparison
            The comparison, of ``a − b`` or of ``b − a``.
        sign : {1, -1}
            The sign that turns its differences into ``a − b`` (:meth:`Interval.times`).

        Raises
        ------
        KeyError
            When the two were not compared.

        Examples
        --------
        >>> from iqabench.stats.evaluate import MetricScores, evaluate
        >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
        >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
        >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
        ...                      lower_better=True)
        >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
        >>> comparison, sign = evaluation.comparison("noisy", "sharp")
        >>> comparison.a, sign
        ('sharp', -1)
        >>> print(comparison.differences["srcc"].interval.times(sign))
        -0.1212 [-0.4626, 0.0632]
        """
        for c in self.comparisons:
            if (c.a, c.b) == (a, b):
                return c, 1
            if (c.a, c.b) == (b, a):
                return c, -1
        raise KeyError(f"no comparison of {a!r} and {b!r}")

    def ranked(self, key: str = "srcc") -> list[MetricEvaluation]:
        """The metrics by signed statistic ``key``, best first; NaN last.

        The statistics are signed, so a metric with a sign error sinks rather than ranking high.

        Parameters
        ----------
        key : str, default "srcc"
            A statistic's key.

        Returns
        -------
        list of MetricEvaluation

        Examples
        --------
        >>> from iqabench.stats.evaluate import MetricScores, evaluate
        >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
        >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
        >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
        ...                      lower_better=True)
        >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
        >>> [m.name for m in evaluation.ranked("krcc")]
        ['sharp', 'noisy']
        """
        return sorted(self.metrics, key=lambda m: -m.value(key) if math.isfinite(m.value(key)) else math.inf)

    def tied_with_best(self, key: str = "srcc", alpha: float = 0.05) -> set[str]:
        """The best metric by ``key`` and every metric not significantly worse than it.

        Not significantly worse: the paired bootstrap p-value of the difference is at least ``alpha`` (or
        undefined).

        Parameters
        ----------
        key : str, default "srcc"
            A statistic's key.
        alpha : float, default 0.05
            The significance level.

        Returns
        -------
        set of str
            The names; empty when no metric has a finite ``key``.

        Examples
        --------
        >>> from iqabench.stats.evaluate import MetricScores, evaluate
        >>> labels = {f"img{i}": float(i) for i in range(1, 11)}
        >>> sharp = MetricScores("sharp", dict(zip(labels, [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7])))
        >>> noisy = MetricScores("noisy", dict(zip(labels, [-2, -1, -4, -3, -7, -5, -9, -6, -10, -8])),
        ...                      lower_better=True)
        >>> evaluation = evaluate([sharp, noisy], labels, resamples=200)
        >>> sorted(evaluation.tied_with_best("srcc"))  # ten images cannot tell them apart
        ['noisy', 'sharp']
        """
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
