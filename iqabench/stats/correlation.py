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

import math

import numpy as np

from ._jit import jit
from .inputs import paired
from .ranks import (
    average_ranks,
    dense_ranks,
    sort_order,
    sort_runs,
    weighted_average_ranks,
)

#: the sums of :func:`weighted_pearson` add up blocks of this many terms, then the blocks' sums
_BLOCK = 256


@jit
def varies(v, w):
    """Whether two samples of nonzero weight differ in ``v``: the exact test of a constant vector, whose
    sum of squared deviations rounding leaves slightly positive (three times 0.1 does not sum to 0.3).
    It stops at the first difference, so it costs nothing on varying data."""
    first = -1
    for i in range(v.size):
        if w[i] != 0:
            if first < 0:
                first = i
            elif v[i] != v[first]:
                return True
    return False


@jit
def weighted_pearson(x, y, w):
    """Pearson's r of the sample holding ``w[i]`` copies of (x[i], y[i]); two passes for accuracy; NaN
    when fewer than two copies, or when x or y is constant (:func:`varies`).

    Each sum adds blocks of 256 terms, then the blocks' sums, so that rounding grows with about
    256 + n / 256 additions rather than n: at n = 10^6, SRCC was 3.6e-12 from the exact value with one
    running sum and is 2e-16 from it this way (as close as scipy's), and no slower."""
    if not (varies(x, w) and varies(y, w)):
        return np.nan
    n = x.size
    total = 0.0
    mean_x = 0.0
    mean_y = 0.0
    for start in range(0, n, _BLOCK):
        block_w = 0.0
        block_x = 0.0
        block_y = 0.0
        for i in range(start, min(start + _BLOCK, n)):
            block_w += w[i]
            block_x += w[i] * x[i]
            block_y += w[i] * y[i]
        total += block_w
        mean_x += block_x
        mean_y += block_y
    if total < 2.0:
        return np.nan
    mean_x /= total
    mean_y /= total
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for start in range(0, n, _BLOCK):
        block_xy = 0.0
        block_xx = 0.0
        block_yy = 0.0
        for i in range(start, min(start + _BLOCK, n)):
            dx = x[i] - mean_x
            dy = y[i] - mean_y
            block_xy += w[i] * dx * dy
            block_xx += w[i] * dx * dx
            block_yy += w[i] * dy * dy
        sxy += block_xy
        sxx += block_xx
        syy += block_yy
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
    path, both a fixed number of independent steps without branches (a Fenwick tree's are chained and
    of varying length). Sums of integer weights are exact in float64 below 2**53, so the order of the
    additions does not change the counts."""
    levels = 1
    while (1 << levels) < n_y_values:
        levels += 1
    size = 1 << levels
    # level l holds size >> l nodes from offset 2 * size - 2 * (size >> l); the last slot is never
    # written and stands for "no sibling to add" (a right child's sibling is on its left)
    tree = np.zeros(2 * size, np.float64)
    empty = 2 * size - 1
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
            left_child = (node & 1) - 1  # all ones for a left child, 0 for a right one
            larger += tree[empty + ((offset + node + 1 - empty) & left_child)]
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
def drawn_in_order(xs, ys, order, w):
    """The samples of nonzero weight, in ``order``: ``xs`` and ``ys`` are already in that order (gathered
    once for every resample), only the weights are gathered here. Branch-free: each sample is written,
    and the write position moves on only past a nonzero weight (a resample leaves about 37% out)."""
    n = order.size
    kept_x = np.empty(n, np.float64)
    kept_y = np.empty(n, ys.dtype)
    kept_w = np.empty(n, np.float64)
    m = 0
    for k in range(n):
        wk = w[order[k]]
        kept_x[m] = xs[k]
        kept_y[m] = ys[k]
        kept_w[m] = wk
        m += wk != 0
    return kept_x[:m], kept_y[:m], kept_w[:m]


@jit
def pair_counts(x, lex_order, y_dense, n_y_values, w):
    """(N0, N1, N2, N3, D) for the weighted sample; ``lex_order`` sorts by x then y.

    Gathers the samples of nonzero weight into that order (:func:`drawn_in_order`) for
    :func:`lex_pair_counts`, which then reads only sequentially."""
    xs, ys, ws = drawn_in_order(x[lex_order], y_dense[lex_order], lex_order, w)
    return lex_pair_counts(xs, ys, n_y_values, ws)


#: above this many distinct labels the tree of :func:`lex_pair_counts` outgrows the caches (8 MB and
#: more), and :func:`unweighted_pair_counts` counts with a merge sort instead
_TREE_LIMIT = 1 << 19


@jit
def inversions(a):
    """The number of pairs k < l with a[k] > a[l], by a bottom-up merge sort that sorts ``a`` in place
    (runs of 16 by insertion first): O(n log n) with sequential reads only (scipy's ``kendalltau``
    counts its discordant pairs the same way). Plain loops throughout: with array slicing and
    copying it took five times as long to compile."""
    n = a.size
    run = 16
    count = 0
    for start in range(0, n, run):
        for k in range(start + 1, min(start + run, n)):
            key = a[k]
            at = k
            while at > start and a[at - 1] > key:
                a[at] = a[at - 1]
                at -= 1
            a[at] = key
            count += k - at
    source = a
    target = np.empty(n, a.dtype)
    width = run
    while width < n:
        for low in range(0, n, 2 * width):
            middle = min(low + width, n)
            high = min(low + 2 * width, n)
            i = low
            j = middle
            k = low
            while i < middle and j < high:  # without branches on the data: they are unpredictable
                left = source[i]
                right = source[j]
                jump = right < left  # the right one jumps over the rest of the left run
                target[k] = right if jump else left
                count += (middle - i) if jump else 0
                j += jump
                i += 1 - jump
                k += 1
            while i < middle:
                target[k] = source[i]
                i += 1
                k += 1
            while j < high:
                target[k] = source[j]
                j += 1
                k += 1
        source, target = target, source
        width *= 2
    if source is not a:
        for k in range(n):
            a[k] = source[k]
    return count


@jit
def merge_pair_counts(xs, ys):
    """(N0, N1, N2, N3, D) of the unweighted sample in lexical order (as for :func:`lex_pair_counts`),
    counting D as the inversions of ``ys`` (none within a run of equal x, sorted by y). Sorts ``ys``."""
    n = xs.size
    n1 = 0.0
    n3 = 0.0
    block = 0.0
    joint = 0.0
    for k in range(n):
        if k > 0 and xs[k] == xs[k - 1]:
            if ys[k] == ys[k - 1]:
                joint += 1.0
            else:
                n3 += joint * (joint - 1.0) / 2.0
                joint = 1.0
            block += 1.0
        else:
            n3 += joint * (joint - 1.0) / 2.0
            n1 += block * (block - 1.0) / 2.0
            joint = 1.0
            block = 1.0
    n3 += joint * (joint - 1.0) / 2.0
    n1 += block * (block - 1.0) / 2.0
    discordant = float(inversions(ys))
    n2 = 0.0
    tied = 0.0
    for k in range(n):
        if k > 0 and ys[k] == ys[k - 1]:
            tied += 1.0
        else:
            n2 += tied * (tied - 1.0) / 2.0
            tied = 1.0
    n2 += tied * (tied - 1.0) / 2.0
    total = float(n)
    return total * (total - 1.0) / 2.0, n1, n2, n3, discordant


@jit
def unweighted_pair_counts(x, x_order, y_dense, n_y_values):
    """:func:`pair_counts` with every weight 1, from any order that sorts x (ties in any order): the
    values and the dense y ranks are gathered once into that order, then each run of equal x is sorted
    by y rank (:func:`.ranks.sort_runs`), so no lexical order is built. Counted by the tree of
    :func:`lex_pair_counts`, or by a merge sort (:func:`merge_pair_counts`) for more than 2**19 distinct
    labels, where the tree's random accesses miss the caches (at 10^6 untied labels 0.23 s against
    0.10 s; at 10,000 distinct labels 0.03 s against 0.08 s). Both give the same counts, exactly."""
    xs = x[x_order]
    ys = y_dense[x_order]
    sort_runs(xs, ys)
    if n_y_values > _TREE_LIMIT:
        return merge_pair_counts(xs, ys)
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
