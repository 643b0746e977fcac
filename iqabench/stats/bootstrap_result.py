"""What a paired bootstrap returns: each metric's replicates, and the intervals and differences read from them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .intervals import Interval, percentile_interval
from .logistic import LogisticFit


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
