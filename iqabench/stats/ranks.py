"""Sort orders and average ranks, with weights standing for how often each sample is drawn.

A bootstrap resample is a vector of integer weights (how many times each original sample was drawn):
the ranks of the resample are the weighted ranks of the original samples in their original order, so a
sort done once serves every resample. Ties get the average of the ranks they span (SRCC convention,
docs/architecture.md; Kendall & Gibbons, *Rank Correlation Methods*, 1990, §3.8).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit


def sort_order(x: np.ndarray) -> np.ndarray:
    """Indices that sort ``x`` ascending; equal values in no particular order.

    numpy's default sort (introsort, vectorised where numpy has SIMD sorts) takes a fifth to a third of
    the time of its stable sort on 10^6 values. Every caller is blind to the order within ties: ranks are
    averaged over a tie, dense ranks share one value, and :func:`lexical_order` sorts ties by ``y``.

    Parameters
    ----------
    x : numpy.ndarray
        A float vector.

    Returns
    -------
    numpy.ndarray
        The indices, as :func:`numpy.argsort` gives them.

    Examples
    --------
    >>> import numpy as np
    >>> from iqabench.stats.ranks import sort_order
    >>> sort_order(np.array([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    return np.argsort(x)


def lexical_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices that sort by ``x``, then by ``y`` within ties of ``x`` (Knight 1966, step 1).

    Parameters
    ----------
    x, y : numpy.ndarray
        Float vectors of one length.

    Returns
    -------
    numpy.ndarray
        The indices of the lexical order.

    Examples
    --------
    >>> import numpy as np
    >>> from iqabench.stats.ranks import lexical_order
    >>> lexical_order(np.array([2.0, 1.0, 2.0, 1.0]), np.array([1.0, 5.0, 0.0, 4.0])).tolist()
    [3, 1, 2, 0]
    """
    order = sort_order(x)
    _sort_tie_blocks(x, y, order)
    return order


#: blocks up to this size are sorted by insertion; longer ones by heap sort
_INSERTION = 32


@jit
def sort_block(keys, payload, start, stop):
    """Sort ``keys[start:stop]`` ascending in place, moving ``payload[start:stop]`` along; ties in no
    particular order. Insertion sort for short blocks (tie blocks are mostly short), heap sort otherwise
    (O(m log m) at worst, no allocation): both compile in a fraction of the time of numba's np.sort and
    np.argsort, which dominated the first call's compilation."""
    m = stop - start
    if m <= _INSERTION:
        for k in range(start + 1, stop):
            key = keys[k]
            carried = payload[k]
            at = k
            while at > start and keys[at - 1] > key:
                keys[at] = keys[at - 1]
                payload[at] = payload[at - 1]
                at -= 1
            keys[at] = key
            payload[at] = carried
        return
    for top in range(m // 2 - 1, -1, -1):
        _sift_down(keys, payload, start, top, m)
    for end in range(m - 1, 0, -1):
        keys[start], keys[start + end] = keys[start + end], keys[start]
        payload[start], payload[start + end] = payload[start + end], payload[start]
        _sift_down(keys, payload, start, 0, end)


@jit
def _sift_down(keys, payload, start, root, size):
    """Restore the max-heap below ``root`` in ``keys[start:start + size]`` (heap sort's step)."""
    while True:
        child = 2 * root + 1
        if child >= size:
            return
        if child + 1 < size and keys[start + child + 1] > keys[start + child]:
            child += 1
        if keys[start + root] >= keys[start + child]:
            return
        a, b = start + root, start + child
        keys[a], keys[b] = keys[b], keys[a]
        payload[a], payload[b] = payload[b], payload[a]
        root = child


@jit
def small_sort_order(x):
    """Indices that sort ``x`` ascending (:func:`sort_block`), for the short vectors of the groups."""
    order = np.arange(x.size)
    sort_block(x.copy(), order, 0, x.size)
    return order


@jit
def _sort_tie_blocks(x, y, order):
    """Within each run of equal ``x[order]``, reorder ``order`` by ``y`` (in place)."""
    n = order.size
    xs = x[order]  # two gathers, then only sequential reads: the runs are found by a scan
    ys = y[order]  # and sorted as (ys, order) pairs
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and xs[stop] == xs[start]:
            stop += 1
        if stop - start > 1:
            sort_block(ys, order, start, stop)
        start = stop


@jit
def sort_runs(xs, ys):
    """Sort ``ys`` ascending within each run of equal values of the sorted ``xs`` (in place): with ``xs``
    and ``ys`` gathered by an order that sorts x, this is their lexical order without the order itself."""
    n = xs.size
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and xs[stop] == xs[start]:
            stop += 1
        if stop - start > 1:
            sort_block(ys, xs, start, stop)  # xs is constant over the run: moving it along changes nothing
        start = stop


@jit
def dense_ranks(x, order):
    """0-based dense ranks (equal values share one) and the number of distinct values."""
    n = order.size
    ranks = np.empty(n, np.int64)
    rank = -1
    for k in range(n):
        i = order[k]
        if k == 0 or x[i] != x[order[k - 1]]:
            rank += 1
        ranks[i] = rank
    return ranks, rank + 1


@jit
def sorted_average_ranks(xs, order, w):
    """1-based average ranks of the sample that holds ``w[i]`` copies of ``x[i]``, given ``order`` (which
    sorts x) and ``xs`` = ``x[order]`` (gathered once, so that a bootstrap reads it sequentially).

    A run of equal values with total weight W that follows S earlier copies spans ranks S+1 … S+W,
    so each of its members gets S + (W + 1) / 2."""
    n = order.size
    ranks = np.empty(n, np.float64)
    before = 0.0
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and xs[stop] == xs[start]:
            stop += 1
        weight = 0.0
        for k in range(start, stop):
            weight += w[order[k]]
        rank = before + (weight + 1.0) / 2.0
        for k in range(start, stop):
            ranks[order[k]] = rank
        before += weight
        start = stop
    return ranks


@jit
def average_ranks(x, order):
    """1-based average ranks of ``x`` (``order`` sorts it): :func:`weighted_average_ranks` with every
    weight 1, without reading the weights (the run at sorted positions start … stop − 1 gets
    (start + 1 + stop) / 2)."""
    n = order.size
    xs = x[order]
    ranks = np.empty(n, np.float64)
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and xs[stop] == xs[start]:
            stop += 1
        rank = (start + 1 + stop) / 2.0
        for k in range(start, stop):
            ranks[order[k]] = rank
        start = stop
    return ranks


@jit
def weighted_average_ranks(x, order, w):
    """1-based average ranks of the sample that holds ``w[i]`` copies of ``x[i]`` (``order`` sorts x);
    see :func:`sorted_average_ranks`."""
    return sorted_average_ranks(x[order], order, w)
