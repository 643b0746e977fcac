"""Paired bootstrap intervals (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, §13 for
percentile intervals, §16 for tests).

Every metric is evaluated on the same resamples (the draws depend on the seed and the resample index
alone, :mod:`.resample`), so the difference between two metrics has its own distribution, interval and
p-value. A resample is a vector of draw counts over the original samples (or over whole groups), and
the statistics take those counts as weights: the sorts are done once, not once per resample.

Statistics, by key: ``srcc``, ``plcc_raw``, ``krcc``, ``pra``, and after the logistic mapping ``plcc`` and
``rmse``. The mapping is fitted once, on all samples, and every resample is scored through it: the
intervals of ``plcc`` and ``rmse`` therefore leave out the uncertainty of the fit itself. (Refitting per
resample was tried: on nearly linear data the 4-parameter optimum lies at infinity, and 10 to 80% of the
refits crawled past 100 iterations without converging, at 30 to 60 ms each for n = 10,000.) A metric
whose full-sample fit did not converge has NaN ``plcc`` and ``rmse`` intervals.
"""

from __future__ import annotations

import numpy as np

from ._jit import parallel_jit, prange
from .bootstrap_result import Bootstrap, Difference
from .correlation import _krcc_pra, _srcc
from .grouped import group_codes
from .inputs import finite_vector, paired
from .intervals import Interval, percentile_interval
from .logistic import MODELS, PARAMETERS, fit_logistic
from .logistic_curves import mapped_plcc_rmse
from .pairs import drawn_in_order, lex_pair_counts, tau_b_and_pra
from .pearson import weighted_pearson
from .ranks import dense_ranks, lexical_order, sort_order, sorted_average_ranks
from .resample import sample_weights

STATISTICS = ("srcc", "plcc", "krcc", "pra", "rmse", "plcc_raw")
_SRCC, _PLCC, _KRCC, _PRA, _RMSE, _PLCC_RAW = range(6)


@parallel_jit
def _replicates(xs, y, x_orders, x_sorted, y_order, y_sorted, x_lex, x_in_lex, y_in_lex, n_y, group_of,
                n_groups, resamples, seed, want, model, x_std, y_std, mappings):
    """(B, m, 6) statistics of ``m`` metrics over ``resamples`` paired resamples (NaN where not wanted
    or where the logistic fit did not converge).

    The sorts are done once, by the caller, and so are the gathers into their orders (``x_sorted[j]`` =
    ``xs[j][x_orders[j]]``, ``y_sorted`` = ``y[y_order]``, ``x_in_lex[j]`` and ``y_in_lex[j]`` the scores and
    the dense label ranks in the lexical order ``x_lex[j]``): a resample gathers only its weights."""
    m = xs.shape[0]
    out = np.full((resamples, m, 6), np.nan)
    for b in prange(resamples):
        w = sample_weights(seed, b, group_of, n_groups)
        ranks_y = sorted_average_ranks(y_sorted, y_order, w) if want[_SRCC] else w
        for j in range(m):
            x = xs[j]
            if want[_SRCC]:
                out[b, j, _SRCC] = weighted_pearson(sorted_average_ranks(x_sorted[j], x_orders[j], w), ranks_y, w)
            if want[_PLCC_RAW]:
                out[b, j, _PLCC_RAW] = weighted_pearson(x, y, w)
            if want[_KRCC] or want[_PRA]:
                kept_x, kept_y, kept_w = drawn_in_order(x_in_lex[j], y_in_lex[j], x_lex[j], w)
                n0, n1, n2, n3, discordant = lex_pair_counts(kept_x, kept_y, n_y, kept_w)
                tau, accuracy = tau_b_and_pra(n0, n1, n2, n3, discordant)
                out[b, j, _KRCC] = tau
                out[b, j, _PRA] = accuracy
            if (want[_PLCC] or want[_RMSE]) and not np.isnan(mappings[j, 0]):
                plcc, rmse = mapped_plcc_rmse(model, mappings[j], x_std[j], y_std, w)
                out[b, j, _PLCC] = plcc
                out[b, j, _RMSE] = rmse
    return out


def bootstrap(scores, truth, *, names=None, statistics=("srcc", "plcc", "krcc", "pra", "rmse"),
              resamples: int = 1000, seed: int = 0, groups=None, model: str = "vqeg4") -> Bootstrap:
    """Paired bootstrap of several metrics' statistics against the same labels.

    Every metric is evaluated on the same resamples (the draws depend on ``seed`` and the resample index
    alone), so the difference between two metrics has its own interval and p-value (Efron & Tibshirani,
    *An Introduction to the Bootstrap*, 1993, §13 and §16). ``plcc`` and ``rmse`` use the logistic mapping
    fitted once, on all samples: their intervals leave out the uncertainty of the fit, and are NaN for a
    metric whose fit did not converge.

    Parameters
    ----------
    scores : array_like
        (m, n) scores, one row per metric, already signed (:func:`iqabench.stats.signed`); a single
        row may be given as a vector.
    truth : array_like
        (n) labels.
    names : sequence of str, optional
        The metrics' names; ``"metric 0"``, ``"metric 1"`` … by default.
    statistics : sequence of str, default ("srcc", "plcc", "krcc", "pra", "rmse")
        Keys of :data:`STATISTICS`: ``srcc``, ``plcc`` (after the mapping), ``krcc``, ``pra``, ``rmse``
        (after the mapping), ``plcc_raw``.
    resamples : int, default 1000
        The number of resamples, B.
    seed : int, default 0
        The seed of the draws.
    groups : array_like, optional
        (n) group labels: whole groups are resampled instead of samples.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic mapping of ``plcc`` and ``rmse``.

    Returns
    -------
    Bootstrap
        The point estimates, the replicates and the fits.

    Raises
    ------
    ValueError
        When a statistic or the model is unknown, ``resamples`` < 1, or ``groups`` does not hold one
        label per sample.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or a row of ``scores`` and ``truth`` differ in length.

    Examples
    --------
    >>> from iqabench.stats import bootstrap
    >>> mos = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> a = [1.2, 2.5, 2.1, 3.8, 5.1, 6.3, 6.8, 8.2, 9.1, 9.7]
    >>> b = [2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 9.0, 6.0, 10.0, 8.0]
    >>> boot = bootstrap([a, b], mos, names=["a", "b"], statistics=("srcc", "krcc"), resamples=200)
    >>> print(boot.interval("a", "srcc"))
    0.9879 [0.8980, 1.0000]
    >>> round(boot.difference("a", "b", "srcc").p_value, 3)
    0.169
    >>> by_group = bootstrap(a, mos, statistics=("srcc",), resamples=100, groups=[1] * 5 + [2] * 5)
    >>> by_group.names, by_group.unit
    (('metric 0',), 'groups')
    """
    xs = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    names = tuple(names) if names is not None else tuple(f"metric {j}" for j in range(xs.shape[0]))
    unknown = sorted(set(statistics) - set(STATISTICS))
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; known: {STATISTICS}")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    y = finite_vector(truth, "labels")
    xs = np.ascontiguousarray([paired(row, y)[0] for row in xs])
    n = y.size
    want = np.array([name in statistics for name in STATISTICS])
    if groups is None:
        group_of, n_groups, unit = np.zeros(n, np.int64), 0, "samples"
    else:
        group_of, labels = group_codes(groups)
        if group_of.size != n:
            raise ValueError(f"{group_of.size} group labels for {n} samples")
        n_groups, unit = len(labels), "groups"
    y_order = sort_order(y)
    y_dense, n_y = dense_ranks(y, y_order)
    x_orders = np.ascontiguousarray([sort_order(x) for x in xs])
    x_lex = np.ascontiguousarray([lexical_order(x, y) for x in xs])
    if model not in MODELS:
        raise ValueError(f"unknown logistic model {model!r}; choose one of {sorted(MODELS)}")
    mappings = np.full((xs.shape[0], PARAMETERS[model]), np.nan)
    x_std = np.zeros_like(xs)
    y_scale = float(y.std()) or 1.0
    y_std = (y - y.mean()) / y_scale
    fits = []
    if want[_PLCC] or want[_RMSE]:
        for j, x in enumerate(xs):
            fit = fit_logistic(x, y, model)
            fits.append(fit)
            if fit.converged:
                mappings[j] = fit.standard_params
                x_std[j] = fit.scale.x(x)
    ones = np.ones(n)
    point = np.full((xs.shape[0], 6), np.nan)
    for j, x in enumerate(xs):
        point[j, _SRCC] = _srcc(x, x_orders[j], y, y_order, ones)
        point[j, _PLCC_RAW] = weighted_pearson(x, y, ones)
        point[j, _KRCC], point[j, _PRA] = _krcc_pra(x, x_lex[j], y_dense, n_y, ones)
        if fits and fits[j].converged:
            point[j, _PLCC], point[j, _RMSE] = mapped_plcc_rmse(MODELS[model], mappings[j], x_std[j], y_std, ones)
    x_sorted = np.take_along_axis(xs, x_orders, axis=1)
    x_in_lex = np.take_along_axis(xs, x_lex, axis=1)
    y_in_lex = y_dense[x_lex]
    replicates = _replicates(xs, y, x_orders, x_sorted, y_order, y[y_order], x_lex, x_in_lex, y_in_lex, n_y,
                             group_of, n_groups, resamples, seed, want, MODELS[model], x_std, y_std, mappings)
    point[:, _RMSE] *= y_scale
    replicates[:, :, _RMSE] *= y_scale
    fits_by_name = dict(zip(names, fits))
    columns = [STATISTICS.index(s) for s in statistics]
    return Bootstrap(names, tuple(statistics), point[:, columns], replicates[:, :, columns], seed, unit,
                     fits_by_name)


__all__ = ["STATISTICS", "Bootstrap", "Difference", "Interval", "bootstrap", "percentile_interval"]
