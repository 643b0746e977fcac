"""Signed SRCC, PLCC, KRCC (tau-b) and PRA, on samples with integer weights (1 for a plain call,
the draw counts for a bootstrap resample).

Conventions (DESIGN.md, "Statistics conventions"):

- SRCC: Pearson's r of average ranks (Spearman 1904; ties as in ``scipy.stats.spearmanr``).
- PLCC: Pearson's r of the raw values (the mapped form is in :mod:`.logistic`).
- KRCC: Kendall's tau-b, (C − D) / sqrt((N0 − N1)(N0 − N2)), counted in O(n log n) as in Knight (1966),
  "A computer method for calculating Kendall's tau with ungrouped data", JASA 61(314).
- PRA: over the pairs whose labels differ, the fraction the scores order the same way, a tie in the
  scores counting one half: (C + (N1 − N3) / 2) / (N0 − N2). Without ties it is (tau_a + 1) / 2.

C and D count concordant and discordant pairs; N0 all pairs; N1, N2, N3 the pairs tied in the scores,
in the labels, and in both. Every function returns NaN when the statistic is undefined (fewer than two
samples, constant scores or labels): :func:`.inputs.undefined_reason` says why.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from .inputs import paired
from .ranks import dense_ranks, lexical_order, sort_order, weighted_average_ranks


@jit
def weighted_pearson(x, y, w):
    """Pearson's r of the sample holding ``w[i]`` copies of (x[i], y[i]); two passes for accuracy."""
    total = 0.0
    mean_x = 0.0
    mean_y = 0.0
    for i in range(x.size):
        total += w[i]
        mean_x += w[i] * x[i]
        mean_y += w[i] * y[i]
    if total < 2.0:
        return np.nan
    mean_x /= total
    mean_y /= total
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(x.size):
        dx = x[i] - mean_x
        dy = y[i] - mean_y
        sxy += w[i] * dx * dy
        sxx += w[i] * dx * dx
        syy += w[i] * dy * dy
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    r = sxy / math.sqrt(sxx * syy)
    return min(1.0, max(-1.0, r))


@jit
def pair_counts(x, lex_order, y_dense, n_y_values, w):
    """(N0, N1, N2, N3, D) for the weighted sample; ``lex_order`` sorts by x then y.

    Walking the samples in x order, each run of equal x first counts the already-seen samples with a
    larger y (discordant pairs, through a Fenwick tree over the dense ranks of y), then joins them."""
    tree = np.zeros(n_y_values + 1, np.float64)
    y_weight = np.zeros(n_y_values, np.float64)
    total = 0.0
    seen = 0.0
    n1 = 0.0
    n3 = 0.0
    discordant = 0.0
    n = lex_order.size
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and x[lex_order[stop]] == x[lex_order[start]]:
            stop += 1
        block = 0.0
        joint = 0.0
        joint_y = -1
        for k in range(start, stop):
            i = lex_order[k]
            if w[i] == 0:
                continue
            # inserted weight with dense rank <= y_dense[i]: prefix sum of the tree
            at_most = 0.0
            j = y_dense[i] + 1
            while j > 0:
                at_most += tree[j]
                j -= j & -j
            discordant += w[i] * (seen - at_most)
            block += w[i]
            y_weight[y_dense[i]] += w[i]
            if y_dense[i] == joint_y:
                joint += w[i]
            else:
                n3 += joint * (joint - 1.0) / 2.0
                joint = w[i]
                joint_y = y_dense[i]
        n3 += joint * (joint - 1.0) / 2.0
        n1 += block * (block - 1.0) / 2.0
        for k in range(start, stop):
            i = lex_order[k]
            if w[i] == 0:
                continue
            j = y_dense[i] + 1
            while j <= n_y_values:
                tree[j] += w[i]
                j += j & -j
        seen += block
        total += block
        start = stop
    n2 = 0.0
    for v in range(n_y_values):
        n2 += y_weight[v] * (y_weight[v] - 1.0) / 2.0
    return total * (total - 1.0) / 2.0, n1, n2, n3, discordant


@jit
def tau_b_and_pra(n0, n1, n2, n3, discordant):
    """Kendall's tau-b and PRA from the pair counts of :func:`pair_counts`."""
    concordant = n0 - n1 - n2 + n3 - discordant
    denominator = (n0 - n1) * (n0 - n2)
    tau = (concordant - discordant) / math.sqrt(denominator) if denominator > 0 else np.nan
    informative = n0 - n2
    pra = (concordant + 0.5 * (n1 - n3)) / informative if informative > 0 else np.nan
    return tau, pra


@jit
def _srcc(x, x_order, y, y_order, w):
    return weighted_pearson(weighted_average_ranks(x, x_order, w), weighted_average_ranks(y, y_order, w), w)


@jit
def _krcc_pra(x, lex_order, y_dense, n_y_values, w):
    n0, n1, n2, n3, discordant = pair_counts(x, lex_order, y_dense, n_y_values, w)
    return tau_b_and_pra(n0, n1, n2, n3, discordant)


def srcc(pred, truth) -> float:
    """Spearman's rank correlation, signed, average ranks for ties; NaN when undefined."""
    x, y = paired(pred, truth)
    return float(_srcc(x, sort_order(x), y, sort_order(y), np.ones(x.size)))


def plcc(pred, truth) -> float:
    """Pearson's linear correlation of the raw values, signed; NaN when undefined."""
    x, y = paired(pred, truth)
    return float(weighted_pearson(x, y, np.ones(x.size)))


def _pair_statistics(pred, truth) -> tuple[float, float]:
    x, y = paired(pred, truth)
    y_dense, n_y_values = dense_ranks(y, sort_order(y))
    tau, accuracy = _krcc_pra(x, lexical_order(x, y), y_dense, n_y_values, np.ones(x.size))
    return float(tau), float(accuracy)


def krcc(pred, truth) -> float:
    """Kendall's tau-b, signed, O(n log n); NaN when undefined."""
    return _pair_statistics(pred, truth)[0]


def pra(pred, truth) -> float:
    """Pairwise ranking accuracy in O(n log n): 1 orders every pair right, 0.5 is chance; NaN when no
    two labels differ."""
    return _pair_statistics(pred, truth)[1]
