"""Signed SRCC, PLCC, KRCC (tau-b) and PRA, on samples with integer weights (1 for a plain call,
the draw counts for a bootstrap resample).

Conventions (docs/architecture.md, "Statistics conventions"):

- SRCC: Pearson's r of average ranks (Spearman 1904; ties as in ``scipy.stats.spearmanr``).
- PLCC: Pearson's r of the raw values (the mapped form is in :mod:`.logistic`).
- KRCC: Kendall's tau-b, (C − D) / sqrt((N0 − N1)(N0 − N2)), counted in O(n log n) after Knight (1966),
  "A computer method for calculating Kendall's tau with ungrouped data", JASA 61(314): sort by x then y,
  then count the discordant pairs (with a tree of counts over the ranks of y rather than a merge sort).
- PRA: over the pairs whose labels differ, the fraction the scores order the same way, a tie in the
  scores counting one half: (C + (N1 − N3) / 2) / (N0 − N2). Without ties it is (tau_a + 1) / 2.

C and D count concordant and discordant pairs; N0 all pairs; N1, N2, N3 the pairs tied in the scores,
in the labels, and in both. Every function returns NaN when the statistic is undefined (fewer than two
samples, constant scores or labels): :func:`.inputs.undefined_reason` says why.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .inputs import paired
from .pairs import pair_counts, tau_b_and_pra, unweighted_pair_counts
from .pearson import weighted_pearson
from .ranks import (
    average_ranks,
    dense_ranks,
    sort_order,
    weighted_average_ranks,
)


@jit
def _srcc(x, x_order, y, y_order, w):
    return weighted_pearson(weighted_average_ranks(x, x_order, w), weighted_average_ranks(y, y_order, w), w)


@jit
def _unweighted_srcc(x, x_order, y, y_order):
    return weighted_pearson(average_ranks(x, x_order), average_ranks(y, y_order), np.ones(x.size))


@jit
def _krcc_pra(x, lex_order, y_dense, n_y_values, w):
    n0, n1, n2, n3, discordant = pair_counts(x, lex_order, y_dense, n_y_values, w)
    return tau_b_and_pra(n0, n1, n2, n3, discordant)


def srcc(pred, truth) -> float:
    """Spearman's rank correlation coefficient (SRCC), signed.

    Pearson's r of the average ranks (Spearman 1904); tied values share the average of the ranks they
    span, as in ``scipy.stats.spearmanr``. Signed: orient the inputs with :func:`iqabench.stats.signed`
    first, and a metric that orders the images against the labels scores negative.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.

    Returns
    -------
    float
        SRCC in [-1, 1]; NaN when undefined (fewer than two samples, constant scores or labels:
        :func:`iqabench.stats.undefined_reason` says which).

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> stats.srcc([1, 2, 3, 4], [1, 3, 2, 4])
    0.8
    >>> stats.srcc([4, 3, 2, 1], [1, 2, 3, 4])
    -1.0
    >>> stats.srcc([1, 1, 1], [1, 2, 3])
    nan
    """
    x, y = paired(pred, truth)
    return float(_unweighted_srcc(x, sort_order(x), y, sort_order(y)))


def plcc(pred, truth) -> float:
    """Pearson's linear correlation coefficient (PLCC) of the raw values, signed.

    No mapping is applied: :func:`iqabench.stats.plcc_logistic` is PLCC after the logistic mapping.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.

    Returns
    -------
    float
        PLCC in [-1, 1]; NaN when undefined (fewer than two samples, constant scores or labels).

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> round(stats.plcc([1, 2, 3, 4], [1, 3, 2, 4]), 4)
    0.8
    >>> round(stats.plcc([1, 2, 3, 10], [1, 2, 3, 4]), 4)  # an outlying score: the ranks still agree
    0.8854
    >>> stats.srcc([1, 2, 3, 10], [1, 2, 3, 4])
    1.0
    """
    x, y = paired(pred, truth)
    return float(weighted_pearson(x, y, np.ones(x.size)))


def _pair_statistics(pred, truth) -> tuple[float, float]:
    x, y = paired(pred, truth)
    y_dense, n_y_values = dense_ranks(y, sort_order(y))
    tau, accuracy = tau_b_and_pra(*unweighted_pair_counts(x, sort_order(x), y_dense, n_y_values))
    return float(tau), float(accuracy)


def krcc(pred, truth) -> float:
    """Kendall's rank correlation coefficient (KRCC), tau-b, signed, in O(n log n).

    tau-b = (C − D) / sqrt((N0 − N1)(N0 − N2)), with C and D the concordant and discordant pairs, N0 all
    pairs and N1, N2 the pairs tied in the scores and in the labels; counted after Knight (1966), "A
    computer method for calculating Kendall's tau with ungrouped data", JASA 61(314).

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.

    Returns
    -------
    float
        tau-b in [-1, 1]; NaN when undefined (fewer than two samples, constant scores or labels).

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> round(stats.krcc([1, 2, 3, 4], [1, 3, 2, 4]), 4)
    0.6667
    >>> round(stats.krcc([1, 1, 2, 3], [1, 2, 2, 3]), 4)
    0.8
    """
    return _pair_statistics(pred, truth)[0]


def pra(pred, truth) -> float:
    """Pairwise ranking accuracy (PRA), in O(n log n).

    Over the pairs whose labels differ, the fraction the scores order the same way, a tie in the scores
    counting one half: (C + (N1 − N3) / 2) / (N0 − N2), with N3 the pairs tied in both. Without ties it
    is (tau_a + 1) / 2.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.

    Returns
    -------
    float
        PRA in [0, 1]: 1 orders every pair right, 0.5 is chance (constant scores score exactly 0.5),
        0 orders every pair backwards; NaN when no two labels differ.

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> round(stats.pra([1, 2, 3, 4], [1, 3, 2, 4]), 4)
    0.8333
    >>> stats.pra([1, 1, 1], [1, 2, 3])
    0.5
    >>> stats.pra([1, 2, 3], [2, 2, 2])
    nan
    """
    return _pair_statistics(pred, truth)[1]
