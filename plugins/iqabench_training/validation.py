"""The figures a training run validates with, computed by the core's statistics (:mod:`iqabench.stats`) as a
benchmark run computes them: correlations over all held-out images, or grouped (within each group, such as
one face at several resolutions, then the mean). Figures are rounded to four decimals; an undefined one
(constant scores) is NaN, as the core has it, unless the caller asks for another value."""

from __future__ import annotations

import math
import sys

import numpy as np


def correlations(predicted, truth, names: tuple[str, ...] = ("srcc", "plcc"), undefined=math.nan) -> dict:
    """Statistics of :mod:`iqabench.stats` between predicted scores and labels.

    Parameters
    ----------
    predicted, truth : array_like
        The scores and the labels, paired.
    names : tuple of str
        The statistics, by their names in :mod:`iqabench.stats` (``srcc``, ``plcc``, ``plcc_logistic``, …).
    undefined : object
        What an undefined statistic (NaN) is reported as (None where the figures go to JSON).

    Returns
    -------
    dict
        Name -> value, rounded to four decimals.

    Examples
    --------
    >>> correlations([0.1, 0.4, 0.35, 0.8], [1, 2, 3, 4])
    {'srcc': 0.8, 'plcc': 0.9134}
    >>> correlations([0.5, 0.5, 0.5], [1, 2, 3], ("srcc",), undefined=None)
    {'srcc': None}
    """
    from iqabench import stats

    predicted, truth = np.asarray(predicted, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    found = {}
    for name in names:
        value = float(getattr(stats, name)(predicted, truth))
        found[name] = round(value, 4) if math.isfinite(value) else undefined
    return found


def grouped_figures(scores, labels, groups, counted: str = "groups") -> dict:
    """Grouped SRCC and PRA (:func:`iqabench.stats.grouped`): within each group, then the mean over groups.

    A group whose scores are constant has no SRCC and is left out of its mean (its PRA is 0.5); with no
    group left the figure is NaN. The grouped statistics run in numba's parallel threads, whose OpenMP layer
    sets the thread count that torch shares; torch's own count is restored, so that training goes on with the
    threads it had (and the same float results).

    Parameters
    ----------
    scores, labels : array_like
        The scores and the labels, paired.
    groups : array_like
        The group of each sample.
    counted : str
        The name under which the number of groups is reported.

    Returns
    -------
    dict
        ``srcc`` and ``pra`` rounded to four decimals, and the number of groups with at least two labels.

    Examples
    --------
    >>> grouped_figures([0.9, 0.5, 0.1, 0.2, 0.2, 0.2], [3, 2, 1, 3, 2, 1], [0, 0, 0, 1, 1, 1], "faces")
    {'srcc': 1.0, 'pra': 0.75, 'faces': 2}
    >>> grouped_figures([], [], [])
    {'srcc': nan, 'pra': nan, 'groups': 0}
    """
    if len(scores) == 0:
        return {"srcc": math.nan, "pra": math.nan, counted: 0}
    from iqabench import stats

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    result = stats.grouped(scores, labels, groups)
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return {"srcc": round(result.values["srcc"], 4), "pra": round(result.values["pra"], 4), counted: result.groups}


__all__ = ["correlations", "grouped_figures"]
