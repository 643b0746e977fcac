"""Paired bootstrap intervals (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, §13 for
percentile intervals, §16 for tests).

Every metric is evaluated on the same resamples (the draws depend on the seed and the resample index
alone, :mod:`.resample`), so the difference between two metrics has its own distribution, interval and
p-value. A resample is a vector of draw counts over the original samples (or over whole groups), and
the statistics take those counts as weights: the sorts are done once, not once per resample.

Statistics, by key: ``srcc``, ``plcc_raw``, ``krcc``, ``pra``, and after the logistic mapping ``plcc`` and
``rmse``. The mapping is fitted once, on all samples, and every resample is scored through it: the
intervals of ``plcc`` and ``rmse`` therefore leave out the uncertainty of the fit itself. (Refitting per
resample was tried: on nearly linear data the 4-parameter optimum lies at infinity, and 10 to 80% of the
refits crawled past 100 iterations without converging, at 30 to 60 ms each for n = 10,000.) A metric
whose full-sample fit did not converge has NaN ``plcc`` and ``rmse`` intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._jit import parallel_jit, prange
from .correlation import _krcc_pra, _srcc
from .grouped import group_codes
from .inputs import finite_vector, paired
from .logistic import MODELS, PARAMETERS, LogisticFit, fit_logistic
from .logistic_curves import mapped_plcc_rmse
from .pairs import drawn_in_order, lex_pair_counts, tau_b_and_pra
from .pearson import weighted_pearson
from .ranks import dense_ranks, lexical_order, sort_order, sorted_average_ranks
from .resample import sample_weights

STATISTICS = ("srcc", "plcc", "krcc", "pra", "rmse", "plcc_raw")
_SRCC, _PLCC, _KRCC, _PRA, _RMSE, _PLCC_RAW = range(6)


@parallel_jit
def _replicates(xs, y, x_orders, x_sorted, y_order, y_sorted, x_lex, x_in_lex, y_in_lex, n_y, group_of,
                n_groups, resamples, seed, want, model, x_std, y_std, mappings):
    """(B, m, 6) statistics of ``m`` metrics over ``resamples`` paired resamples (NaN where not wanted
    or where the logistic fit did not converge).

    The sorts are done once, by the caller, and so are the gathers into their orders (``x_sorted[j]`` =
    ``xs[j][x_orders[j]]``, ``y_sorted`` = ``y[y_order]``, ``x_in_lex[j]`` and ``y_in_lex[j]`` the scores and
    the dense label ranks in the lexical order ``x_lex[j]``): a resample gathers only its weights."""
    m = xs.shape[0]
    out = np.full((resamples, m, 6), np.nan)
    for b in prange(resamples):
        w = sample_weights(seed, b, group_of, n_groups)
        ranks_y = sorted_average_ranks(y_sorted, y_order, w) if want[_SRCC] else w
        for j in range(m):
            x = xs[j]
            if want[_SRCC]:
                out[b, j, _SRCC] = weighted_pearson(sorted_average_ranks(x_sorted[j], x_orders[j], w), ranks_y, w)
            if want[_PLCC_RAW]:
                out[b, j, _PLCC_RAW] = weighted_pearson(x, y, w)
            if want[_KRCC] or want[_PRA]:
                kept_x, kept_y, kept_w = drawn_in_order(x_in_lex[j], y_in_lex[j], x_lex[j], w)
                n0, n1, n2, n3, discordant = lex_pair_counts(kept_x, kept_y, n_y, kept_w)
                tau, accuracy = tau_b_and_pra(n0, n1, n2, n3, discordant)
                out[b, j, _KRCC] = tau
                out[b, j, _PRA] = accuracy
            if (want[_PLCC] or want[_RMSE]) and not np.isnan(mappings[j, 0]):
                plcc, rmse = mapped_plcc_rmse(model, mappings[j], x_std[j], y_std, w)
                out[b, j, _PLCC] = plcc
                out[b, j, _RMSE] = rmse
    return out


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval around a point estimate.

    Printed as ``estimate [low, high]`` to four decimals.

    Attributes
    ----------
    estimate : float
        The statistic on all samples.
    low, high : float
        The bounds of the central ``level`` of the bootstrap replicates; NaN when no replicate is finite.
    level : float
        The coverage, such as 0.95.

    Examples
    --------
    >>> from iqabench.stats import Interval
    >>> interval = Interval(0.81, 0.72, 0.88, 0.95)
    >>> print(interval)
    0.8100 [0.7200, 0.8800]
    """

    estimate: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{self.estimate:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def times(self, sign: int) -> "Interval":
        """The interval of ``sign`` × the statistic (−1 turns a − b into b − a).

        Parameters
        ----------
        sign : {1, -1}
            The factor.

        Returns
        -------
        Interval
            The estimate times ``sign``, with its bounds in order.

        Examples
        --------
        >>> from iqabench.stats import Interval
        >>> print(Interval(0.12, -0.02, 0.58, 0.95).times(-1))
        -0.1200 [-0.5800, 0.0200]
        """
        low, high = sorted((sign * self.low, sign * self.high))
        return Interval(sign * self.estimate, low, high, self.level)


@dataclass(frozen=True)
class Difference:
    """The statistic of metric ``a`` minus that of metric ``b`` on the same resamples, as
    :meth:`Bootstrap.difference` returns it.

    Attributes
    ----------
    a, b : str
        The two metrics.
    statistic : str
        The statistic's key (:data:`STATISTICS`).
    interval : Interval
        ``a − b`` on all samples, and the percentile interval of the paired differences.
    p_value : float
        The two-sided bootstrap p-value of "no difference"; NaN when no difference is finite.

    Examples
    --------
    >>> from iqabench.stats import bootstrap
    >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
    >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
    >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
    >>> difference = boot.difference("a", "b", "srcc")
    >>> print(difference.interval)
    0.1212 [-0.0249, 0.5846]
    >>> round(difference.p_value, 3)
    0.169
    """

    a: str
    b: str
    statistic: str
    interval: Interval
    p_value: float


@dataclass(frozen=True)
class Bootstrap:
    """The statistics of several metrics on the same resamples, as :func:`bootstrap` returns them.

    Attributes
    ----------
    names : tuple of str
        The metrics, one per row of the scores.
    statistics : tuple of str
        The statistics' keys, a subset of :data:`STATISTICS`.
    point : numpy.ndarray
        (m, S) point estimates on all samples, metrics by statistics.
    replicates : numpy.ndarray
        (B, m, S) the statistics on each of B resamples.
    seed : int
        The seed the resamples were drawn with.
    unit : {"samples", "groups"}
        What was resampled: single samples or whole groups.
    fits : dict of str to LogisticFit
        Each metric's full-sample logistic fit (empty when neither ``plcc`` nor ``rmse`` was asked for).

    Examples
    --------
    >>> from iqabench.stats import bootstrap
    >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
    >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
    >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
    >>> boot.point.round(4).tolist()
    [[0.9879, 0.9556], [0.8667, 0.6889]]
    >>> boot.replicates.shape, boot.resamples, boot.unit
    ((200, 2, 2), 200, 'samples')
    """

    names: tuple[str, ...]
    statistics: tuple[str, ...]
    point: np.ndarray
    replicates: np.ndarray
    seed: int
    unit: str
    #: metric -> its full-sample logistic fit (empty when neither ``plcc`` nor ``rmse`` was asked for)
    fits: dict[str, LogisticFit]

    @property
    def resamples(self) -> int:
        """The number of resamples, B."""
        return self.replicates.shape[0]

    def _column(self, statistic: str) -> int:
        if statistic not in self.statistics:
            raise KeyError(f"statistic {statistic!r} was not bootstrapped; these were: {self.statistics}")
        return self.statistics.index(statistic)

    def interval(self, name: str, statistic: str, level: float = 0.95) -> Interval:
        """The percentile interval of ``statistic`` for metric ``name``.

        Parameters
        ----------
        name : str
            One of :attr:`names`.
        statistic : str
            One of :attr:`statistics`.
        level : float, default 0.95
            The coverage of the interval.

        Returns
        -------
        Interval
            The point estimate and the central ``level`` of its finite replicates.

        Raises
        ------
        KeyError
            When ``statistic`` was not bootstrapped.
        ValueError
            When ``name`` is not one of :attr:`names`.

        Examples
        --------
        >>> from iqabench.stats import bootstrap
        >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
        >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
        >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
        >>> print(boot.interval("a", "srcc"))
        0.9879 [0.8980, 1.0000]
        >>> print(boot.interval("b", "srcc", level=0.5))
        0.8667 [0.7778, 0.9009]
        """
        j, s = self.names.index(name), self._column(statistic)
        return percentile_interval(self.point[j, s], self.replicates[:, j, s], level)

    def difference(self, a: str, b: str, statistic: str, level: float = 0.95) -> Difference:
        """``a`` minus ``b``: the interval of the paired differences, and the p-value of "no difference".

        The p-value is twice the smaller tail of the differences beyond zero, with the +1 correction of
        Davison & Hinkley 1997, eq. 4.11.

        Parameters
        ----------
        a, b : str
            Two of :attr:`names`.
        statistic : str
            One of :attr:`statistics`.
        level : float, default 0.95
            The coverage of the interval.

        Returns
        -------
        Difference
            The difference's interval and two-sided p-value.

        Raises
        ------
        KeyError
            When ``statistic`` was not bootstrapped.
        ValueError
            When ``a`` or ``b`` is not one of :attr:`names`.

        Examples
        --------
        >>> from iqabench.stats import bootstrap
        >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
        >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
        >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
        >>> difference = boot.difference("a", "b", "krcc")
        >>> print(difference.interval)
        0.2667 [-0.0013, 0.6842]
        >>> round(difference.p_value, 3)
        0.159
        """
        ja, jb, s = self.names.index(a), self.names.index(b), self._column(statistic)
        diffs = self.replicates[:, ja, s] - self.replicates[:, jb, s]
        interval = percentile_interval(self.point[ja, s] - self.point[jb, s], diffs, level)
        diffs = diffs[np.isfinite(diffs)]
        if diffs.size == 0:
            return Difference(a, b, statistic, interval, math.nan)
        tail = min((diffs <= 0).sum(), (diffs >= 0).sum())
        p_value = min(1.0, 2.0 * (tail + 1) / (diffs.size + 1))
        return Difference(a, b, statistic, interval, float(p_value))


def percentile_interval(estimate: float, replicates: np.ndarray, level: float) -> Interval:
    """``estimate`` with the central ``level`` of the finite ``replicates`` (Efron & Tibshirani 1993, §13).

    Parameters
    ----------
    estimate : float
        The point estimate.
    replicates : numpy.ndarray
        The statistic on each resample; NaN or infinite ones are left out.
    level : float
        The coverage, such as 0.95.

    Returns
    -------
    Interval
        NaN bounds when no replicate is finite or the estimate is not.

    Examples
    --------
    >>> import numpy as np
    >>> from iqabench.stats.bootstrap import percentile_interval
    >>> print(percentile_interval(0.5, np.linspace(0.0, 1.0, 101), 0.9))
    0.5000 [0.0500, 0.9500]
    >>> print(percentile_interval(0.5, np.array([np.nan]), 0.9))
    0.5000 [nan, nan]
    """
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0 or not math.isfinite(estimate):
        return Interval(float(estimate), math.nan, math.nan, level)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return Interval(float(estimate), float(low), float(high), level)


def bootstrap(scores, truth, *, names=None, statistics=("srcc", "plcc", "krcc", "pra", "rmse"),
              resamples: int = 1000, seed: int = 0, groups=None, model: str = "vqeg4") -> Bootstrap:
    """Paired bootstrap of several metrics' statistics against the same labels.

    Every metric is evaluated on the same resamples (the draws depend on ``seed`` and the resample index
    alone), so the difference between two metrics has its own interval and p-value (Efron & Tibshirani,
    *An Introduction to the Bootstrap*, 1993, §13 and §16). ``plcc`` and ``rmse`` use the logistic mapping
    fitted once, on all samples: their intervals leave out the uncertainty of the fit, and are NaN for a
    metric whose fit did not converge.

    Parameters
    ----------
    scores : array_like
        (m, n) scores, one row per metric, already signed (:func:`iqabench.stats.signed`); a single
        row may be given as a vector.
    truth : array_like
        (n) labels.
    names : sequence of str, optional
        The metrics' names; ``"metric 0"``, ``"metric 1"`` … by default.
    statistics : sequence of str, default ("srcc", "plcc", "krcc", "pra", "rmse")
        Keys of :data:`STATISTICS`: ``srcc``, ``plcc`` (after the mapping), ``krcc``, ``pra``, ``rmse``
        (after the mapping), ``plcc_raw``.
    resamples : int, default 1000
        The number of resamples, B.
    seed : int, default 0
        The seed of the draws.
    groups : array_like, optional
        (n) group labels: whole groups are resampled instead of samples.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic mapping of ``plcc`` and ``rmse``.

    Returns
    -------
    Bootstrap
        The point estimates, the replicates and the fits.

    Raises
    ------
    ValueError
        When a statistic or the model is unknown, ``resamples`` < 1, or ``groups`` does not hold one
        label per sample.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or a row of ``scores`` and ``truth`` differ in length.

    Examples
    --------
    >>> from iqabench.stats import bootstrap
    >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
    >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
    >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
    >>> print(boot.interval("a", "srcc"))
    0.9879 [0.8980, 1.0000]
    >>> round(boot.difference("a", "b", "srcc").p_value, 3)
    0.169
    >>> by_group = bootstrap(a, mos, statistics=("srcc",), resamples=100, groups=[1] * 5 + [2] * 5)
    >>> by_group.names, by_group.unit
    (('metric 0',), 'groups')
    """
    xs = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    names = tuple(names) if names is not None else tuple(f"metric {j}" for j in range(xs.shape[0]))
    unknown = sorted(set(statistics) - set(STATISTICS))
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; known: {STATISTICS}")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    y = finite_vector(truth, "labels")
    xs = np.ascontiguousarray([paired(row, y)[0] for row in xs])
    n = y.size
    want = np.array([name in statistics for name in STATISTICS])
    if groups is None:
        group_of, n_groups, unit = np.zeros(n, np.int64), 0, "samples"
    else:
        group_of, labels = group_codes(groups)
        if group_of.size != n:
            raise ValueError(f"{group_of.size} group labels for {n} samples")
        n_groups, unit = len(labels), "groups"
    y_order = sort_order(y)
    y_dense, n_y = dense_ranks(y, y_order)
    x_orders = np.ascontiguousarray([sort_order(x) for x in xs])
    x_lex = np.ascontiguousarray([lexical_order(x, y) for x in xs])
    if model not in MODELS:
        raise ValueError(f"unknown logistic model {model!r}; choose one of {sorted(MODELS)}")
    mappings = np.full((xs.shape[0], PARAMETERS[model]), np.nan)
    x_std = np.zeros_like(xs)
    y_scale = float(y.std()) or 1.0
    y_std = (y - y.mean()) / y_scale
    fits = []
    if want[_PLCC] or want[_RMSE]:
        for j, x in enumerate(xs):
            fit = fit_logistic(x, y, model)
            fits.append(fit)
            if fit.converged:
                mappings[j] = fit.standard_params
                x_std[j] = fit.scale.x(x)
    ones = np.ones(n)
    point = np.full((xs.shape[0], 6), np.nan)
    for j, x in enumerate(xs):
        point[j, _SRCC] = _srcc(x, x_orders[j], y, y_order, ones)
        point[j, _PLCC_RAW] = weighted_pearson(x, y, ones)
        point[j, _KRCC], point[j, _PRA] = _krcc_pra(x, x_lex[j], y_dense, n_y, ones)
        if fits and fits[j].converged:
            point[j, _PLCC], point[j, _RMSE] = mapped_plcc_rmse(MODELS[model], mappings[j], x_std[j], y_std, ones)
    x_sorted = np.take_along_axis(xs, x_orders, axis=1)
    x_in_lex = np.take_along_axis(xs, x_lex, axis=1)
    y_in_lex = y_dense[x_lex]
    replicates = _replicates(xs, y, x_orders, x_sorted, y_order, y[y_order], x_lex, x_in_lex, y_in_lex, n_y,
                             group_of, n_groups, resamples, seed, want, MODELS[model], x_std, y_std, mappings)
    point[:, _RMSE] *= y_scale
    replicates[:, :, _RMSE] *= y_scale
    fits_by_name = dict(zip(names, fits))
    columns = [STATISTICS.index(s) for s in statistics]
    return Bootstrap(names, tuple(statistics), point[:, columns], replicates[:, :, columns], seed, unit,
                     fits_by_name)
