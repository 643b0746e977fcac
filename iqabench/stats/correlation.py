"""Signed SRCC, PLCC, KRCC (tau-b) and PRA, on samples with integer weights (1 for a plain call,
the draw counts for a bootstrap resample).

Conventions (DESIGN.md, "Statistics conventions"):

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

import math

import numpy as np

from ._jit import jit
from .inputs import paired
from .ranks import dense_ranks, sort_order, sort_runs, weighted_average_ranks


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
def lex_pair_counts(xs, ys, n_y_values, ws):
    """(N0, N1, N2, N3, D) for the weighted sample given in lexical order: ``xs`` ascending, ties of
    ``xs`` by ascending dense rank ``ys`` (0 … ``n_y_values`` − 1), ``ws`` the weights.

    One pass: each sample adds, as discordant, its weight times the weight already seen with a larger
    y, then joins them. An earlier sample of its own tie block in x has a y no larger, so is never
    counted: tied pairs fall out without a second pass. "Weight seen with a larger y" is kept as counts
    per node of a complete binary tree over the y ranks, one array per level: a query adds the right
    sibling of each left-child node on the path to the root and an update adds to every node of that
    path, both a fixed number of independent steps (no Fenwick chains, no branches, so a zero weight
    costs nothing). Sums of integer weights are exact in float64 below 2**53."""
    levels = 1
    while (1 << levels) < n_y_values:
        levels += 1
    size = 1 << levels
    tree = np.zeros(2 * size, np.float64)  # level l: size >> l nodes, after those of the levels below it
    y_weight = np.zeros(n_y_values, np.float64)
    total = 0.0
    n1 = 0.0
    n3 = 0.0
    discordant = 0.0
    block = 0.0  # weight of the current run of equal x
    joint = 0.0  # weight of the current run of equal (x, y)
    for k in range(xs.size):
        wk = ws[k]
        v = ys[k]
        if k > 0 and xs[k] == xs[k - 1]:
            if v == ys[k - 1]:
                joint += wk
            else:
                n3 += joint * (joint - 1.0) / 2.0
                joint = wk
            block += wk
        else:
            n3 += joint * (joint - 1.0) / 2.0
            n1 += block * (block - 1.0) / 2.0
            joint = wk
            block = wk
        larger = 0.0
        offset = 0
        width = size
        node = v
        while width > 1:
            larger += (1 - (node & 1)) * tree[offset + (node | 1)]
            tree[offset + node] += wk
            offset += width
            width >>= 1
            node >>= 1
        discordant += wk * larger
        y_weight[v] += wk
        total += wk
    n3 += joint * (joint - 1.0) / 2.0
    n1 += block * (block - 1.0) / 2.0
    n2 = 0.0
    for v in range(n_y_values):
        n2 += y_weight[v] * (y_weight[v] - 1.0) / 2.0
    return total * (total - 1.0) / 2.0, n1, n2, n3, discordant


@jit
def pair_counts(x, lex_order, y_dense, n_y_values, w):
    """(N0, N1, N2, N3, D) for the weighted sample; ``lex_order`` sorts by x then y.

    Gathers the samples into that order (three gathers, then only sequential reads) for
    :func:`lex_pair_counts`."""
    return lex_pair_counts(x[lex_order], y_dense[lex_order], n_y_values, w[lex_order])


@jit
def unweighted_pair_counts(x, x_order, y_dense, n_y_values):
    """:func:`pair_counts` with every weight 1, from any order that sorts x (ties in any order): the
    values and the dense y ranks are gathered once into that order, then each run of equal x is sorted
    by y rank (:func:`.ranks.sort_runs`), so no lexical order is built."""
    xs = x[x_order]
    ys = y_dense[x_order]
    sort_runs(xs, ys)
    return lex_pair_counts(xs, ys, n_y_values, np.ones(xs.size))


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
    tau, accuracy = tau_b_and_pra(*unweighted_pair_counts(x, sort_order(x), y_dense, n_y_values))
    return float(tau), float(accuracy)


def krcc(pred, truth) -> float:
    """Kendall's tau-b, signed, O(n log n); NaN when undefined."""
    return _pair_statistics(pred, truth)[0]


def pra(pred, truth) -> float:
    """Pairwise ranking accuracy in O(n log n): 1 orders every pair right, 0.5 is chance; NaN when no
    two labels differ."""
    return _pair_statistics(pred, truth)[1]
