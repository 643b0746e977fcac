"""Sort orders and average ranks, with weights standing for how often each sample is drawn.

A bootstrap resample is a vector of integer weights (how many times each original sample was drawn):
the ranks of the resample are the weighted ranks of the original samples in their original order, so a
sort done once serves every resample. Ties get the average of the ranks they span (SRCC convention,
DESIGN.md; Kendall & Gibbons, *Rank Correlation Methods*, 1990, §3.8).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit


def sort_order(x: np.ndarray) -> np.ndarray:
    """Indices that sort ``x`` ascending (numpy's sort; numba's own is slower on large arrays)."""
    return np.argsort(x, kind="stable")


def lexical_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices that sort by ``x``, then by ``y`` within ties of ``x`` (Knight 1966, step 1)."""
    order = sort_order(x)
    _sort_tie_blocks(x, y, order)
    return order


@jit
def _sort_tie_blocks(x, y, order):
    """Within each run of equal ``x[order]``, reorder ``order`` by ``y`` (in place)."""
    n = order.size
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and x[order[stop]] == x[order[start]]:
            stop += 1
        if stop - start > 1:
            block = order[start:stop].copy()
            inner = np.argsort(y[block], kind="mergesort")
            for k in range(stop - start):
                order[start + k] = block[inner[k]]
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
def weighted_average_ranks(x, order, w):
    """1-based average ranks of the sample that holds ``w[i]`` copies of ``x[i]``.

    A run of equal values with total weight W that follows S earlier copies spans ranks S+1 … S+W,
    so each of its members gets S + (W + 1) / 2."""
    n = order.size
    ranks = np.empty(n, np.float64)
    before = 0.0
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and x[order[stop]] == x[order[start]]:
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
