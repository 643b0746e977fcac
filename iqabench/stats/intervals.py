"""Percentile intervals: a point estimate with the central part of its bootstrap replicates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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
