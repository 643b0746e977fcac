"""Grouped results: each statistic within each group (reference image, person, distortion type),
then the mean over groups (docs/architecture.md, "Statistics conventions"; the per-reference SRCC of
Ponomarenko et al., TID2013, 2015, §5).

A group with fewer than two distinct labels has no ranking to agree with: it is skipped and counted.
A group whose scores are constant has an undefined SRCC, PLCC and KRCC (its PRA is 0.5): it is left
out of those means and counted per statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._jit import parallel_jit, prange
from .correlation import _unweighted_srcc
from .inputs import paired
from .pairs import lex_pair_counts, tau_b_and_pra
from .pearson import weighted_pearson
from .ranks import dense_ranks, small_sort_order, sort_runs
from .resample import draw_counts

#: the statistics computed within each group, in the column order of :attr:`Grouped.per_group`.
GROUP_STATISTICS = ("srcc", "plcc_raw", "krcc", "pra")


def group_codes(groups) -> tuple[np.ndarray, list]:
    """Integer codes 0…G−1 for the group of each sample, and the group of each code."""
    values = np.asarray(groups)
    if values.dtype == object:
        values = values.astype(str)
    labels, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64).ravel(), labels.tolist()


@parallel_jit
def per_group_statistics(x, y, order, starts):
    """(G, 4) SRCC, raw PLCC, KRCC, PRA within each group; NaN rows for groups with < 2 distinct labels.

    ``order`` lists the samples group by group; group g is ``order[starts[g]:starts[g + 1]]``."""
    n_groups = starts.size - 1
    out = np.full((n_groups, 4), np.nan)
    for g in prange(n_groups):
        members = order[starts[g]:starts[g + 1]]
        gx = x[members]
        gy = y[members]
        y_order = small_sort_order(gy)
        y_dense, n_y = dense_ranks(gy, y_order)
        if n_y < 2:
            continue
        w = np.ones(members.size)
        x_order = small_sort_order(gx)
        out[g, 0] = _unweighted_srcc(gx, x_order, gy, y_order)
        out[g, 1] = weighted_pearson(gx, gy, w)
        xs = gx[x_order]  # the group in lexical order, counted by the tree (fewer than 2**19 labels)
        ys = y_dense[x_order]
        sort_runs(xs, ys)
        n0, n1, n2, n3, discordant = lex_pair_counts(xs, ys, n_y, w)
        tau, accuracy = tau_b_and_pra(n0, n1, n2, n3, discordant)
        out[g, 2] = tau
        out[g, 3] = accuracy
    return out


@dataclass(frozen=True)
class Grouped:
    """Grouped results, as :func:`grouped` returns them: the mean over groups of each statistic, and the
    counts.

    Attributes
    ----------
    values : dict of str to float
        The mean over groups of each statistic, by key of :data:`GROUP_STATISTICS` (``srcc``,
        ``plcc_raw``, ``krcc``, ``pra``); NaN when no group defines it.
    groups : int
        The groups used (those with at least two distinct labels).
    skipped : int
        The groups skipped for having fewer than two distinct labels.
    undefined : dict of str to int
        Per statistic, the groups used whose value is undefined (constant scores), left out of its mean.
    per_group : numpy.ndarray
        (G, 4) values per group used, columns in the order of :data:`GROUP_STATISTICS`.
    names : list
        The group of each row of ``per_group``.

    Examples
    --------
    >>> from iqabench.stats import grouped
    >>> result = grouped([0.9, 0.5, 0.1, 0.8, 0.7, 0.2, 0.3], [5, 3, 1, 4, 4, 1, 3], list("aaabbbc"))
    >>> result.groups, result.skipped, result.names
    (2, 1, ['a', 'b'])
    >>> result.per_group.round(3).tolist()
    [[1.0, 1.0, 1.0, 1.0], [0.866, 0.988, 0.816, 1.0]]
    """

    values: dict[str, float]
    groups: int
    skipped: int
    undefined: dict[str, int]
    #: (G, 4) per-group values, rows of skipped groups removed; ``names`` labels the rows.
    per_group: np.ndarray = field(repr=False)
    names: list = field(repr=False)


def grouped(pred, truth, groups) -> Grouped:
    """Each statistic within each group (reference image, person, distortion type), then the mean over
    groups.

    The per-reference SRCC of Ponomarenko et al. (TID2013, 2015, §5), for SRCC, raw PLCC, KRCC and PRA.
    A group with fewer than two distinct labels has no ranking to agree with: it is skipped and counted.
    A group whose scores are constant has an undefined SRCC, PLCC and KRCC (its PRA is 0.5): it is left
    out of those means and counted per statistic.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample, already signed (:func:`iqabench.stats.signed`).
    truth : array_like
        The labels, paired one to one with ``pred``.
    groups : array_like
        The group of each sample (any hashable labels: strings, integers).

    Returns
    -------
    Grouped
        The mean of each statistic over the groups, the per-group values and the counts.

    Raises
    ------
    ValueError
        When ``groups`` does not hold one label per sample.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths of ``pred`` and ``truth`` differ.

    Examples
    --------
    >>> from iqabench.stats import grouped
    >>> result = grouped([0.9, 0.5, 0.1, 0.8, 0.7, 0.2, 0.3], [5, 3, 1, 4, 4, 1, 3], list("aaabbbc"))
    >>> {key: round(value, 3) for key, value in result.values.items()}
    {'srcc': 0.933, 'plcc_raw': 0.994, 'krcc': 0.908, 'pra': 1.0}
    >>> result.groups, result.skipped  # group c has one label only
    (2, 1)
    >>> grouped([0.9, 0.5, 0.1, 0.5, 0.5, 0.5], [5, 3, 1, 4, 2, 1], list("aaabbb")).undefined
    {'srcc': 1, 'plcc_raw': 1, 'krcc': 1, 'pra': 0}
    """
    x, y = paired(pred, truth)
    codes, names = group_codes(groups)
    if codes.size != x.size:
        raise ValueError(f"{codes.size} group labels for {x.size} samples")
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(names) + 1)).astype(np.int64)
    table = per_group_statistics(x, y, order, starts)
    used = ~np.isnan(table[:, 3])
    table = table[used]
    values, undefined = {}, {}
    for column, name in enumerate(GROUP_STATISTICS):
        defined = ~np.isnan(table[:, column])
        undefined[name] = int((~defined).sum())
        values[name] = float(table[defined, column].mean()) if defined.any() else math.nan
    return Grouped(values, int(used.sum()), int((~used).sum()), undefined, table,
                   [n for n, u in zip(names, used) if u])


@parallel_jit
def group_mean_replicates(per_group, resamples, seed):
    """(B, S) means over ``resamples`` draws of whole groups (rows of ``per_group``, (G, S)); NaN
    entries (a statistic undefined in a group) are left out of the mean."""
    n_groups, n_statistics = per_group.shape
    out = np.empty((resamples, n_statistics))
    for b in prange(resamples):
        counts = draw_counts(seed, b, n_groups)
        for s in range(n_statistics):
            total = 0.0
            weight = 0.0
            for g in range(n_groups):
                if counts[g] > 0 and not np.isnan(per_group[g, s]):
                    total += counts[g] * per_group[g, s]
                    weight += counts[g]
            out[b, s] = total / weight if weight > 0 else np.nan
    return out
