"""Grouped statistics (:mod:`iqabench.stats.grouped`) against pandas + scipy, and the paired bootstrap
(:mod:`iqabench.stats.bootstrap`) against scipy on explicitly expanded resamples."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from test_stats_correlation import brute_pra

from iqabench.errors import StatisticsInputError
from iqabench.stats import bootstrap, grouped, mapped_statistics
from iqabench.stats.grouped import GROUP_STATISTICS, group_mean_replicates
from iqabench.stats.resample import draw_counts, sample_weights

TOL = 1e-10


def reference(x, y) -> dict[str, float]:
    """SRCC, raw PLCC, KRCC from scipy and PRA by brute force; NaN where scipy finds them undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "srcc": float(sps.spearmanr(x, y)[0]),
            "plcc_raw": float(sps.pearsonr(x, y)[0]) if x.size >= 2 else math.nan,
            "krcc": float(sps.kendalltau(x, y)[0]),
            "pra": brute_pra(x, y),
        }


def close(ours: float, expected: float, tol: float = TOL) -> bool:
    """Both NaN, or equal within ``tol``."""
    return math.isnan(ours) if math.isnan(expected) else abs(ours - expected) <= tol


# ---------------------------------------------------------------------------------------------- grouped


def grouped_data(seed=3, constant_score=0.5):
    """18 groups of 1 to 14 samples: tied and continuous values, 3 groups with constant labels (one
    of a single sample), and 2 groups (with distinct labels) whose scores are all ``constant_score``."""
    rng = np.random.default_rng(seed)
    xs, ys, gs = [], [], []
    for g in range(18):
        size = 1 if g == 4 else int(rng.integers(2, 15))
        y = rng.integers(1, 6, size).astype(float) if g % 3 == 0 else rng.normal(3.0, 1.0, size)
        if g in (2, 4, 11):
            y = np.full(size, float(rng.integers(1, 6)))
        x = y + rng.normal(0.0, 0.8, size)
        if g % 4 == 1:
            x = np.round(x)  # ties in the scores
        if g in (5, 13):
            y = np.arange(size, dtype=float)
            x = np.full(size, constant_score)
        xs.append(x), ys.append(y), gs.append(np.full(size, g))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(gs)


def reference_grouped(x, y, groups):
    """pandas groupby: per-group scipy statistics over groups with at least two distinct labels, their
    NaN-skipping mean, the number skipped and the number undefined per statistic."""
    frame = pd.DataFrame({"x": x, "y": y, "g": groups})
    rows, skipped = {}, 0
    for key, part in frame.groupby("g", sort=True):
        if part["y"].nunique() < 2:
            skipped += 1
            continue
        rows[key] = reference(part["x"].to_numpy(), part["y"].to_numpy())
    table = pd.DataFrame.from_dict(rows, orient="index")[list(GROUP_STATISTICS)]
    return table, table.mean(skipna=True).to_dict(), skipped, table.isna().sum().to_dict()


def check_against_reference(result, x, y, groups):
    table, means, skipped, undefined = reference_grouped(x, y, groups)
    assert result.groups == len(table)
    assert result.skipped == skipped
    assert result.undefined == undefined
    assert list(result.names) == list(table.index)
    for name in GROUP_STATISTICS:
        assert close(result.values[name], means[name]), name
    np.testing.assert_allclose(result.per_group, table.to_numpy(), atol=TOL, rtol=0)


def test_grouped_matches_pandas_and_scipy():
    """grouped(): per-group SRCC, raw PLCC, KRCC (scipy) and PRA (brute force), their mean over groups,
    groups with fewer than two distinct labels skipped and counted, constant-score groups counted as
    undefined for SRCC, PLCC and KRCC (PRA 0.5 there)."""
    x, y, groups = grouped_data()
    result = grouped(x, y, groups)
    check_against_reference(result, x, y, groups)
    assert result.skipped == 3
    assert result.undefined == {"srcc": 2, "plcc_raw": 2, "krcc": 2, "pra": 0}
    for g in (5, 13):
        row = result.per_group[result.names.index(g)]
        assert np.isnan(row[:3]).all() and row[3] == 0.5


@pytest.mark.parametrize("constant_score", [0.5, 0.1, 0.7, 1.0 / 3.0])
def test_constant_score_groups_are_undefined_whatever_the_constant(constant_score):
    """A group whose scores are all one value counts as undefined for SRCC, PLCC and KRCC, whether or
    not the floating-point mean of that value is exact, and its PRA is 0.5."""
    x, y, groups = grouped_data(constant_score=constant_score)
    result = grouped(x, y, groups)
    assert result.undefined == {"srcc": 2, "plcc_raw": 2, "krcc": 2, "pra": 0}
    check_against_reference(result, x, y, groups)


@pytest.mark.parametrize("labelling", ["strings", "object strings", "sparse integers", "floats"])
def test_grouped_label_types(labelling):
    """String, object-array, non-contiguous integer and float group labels give the same result as
    0..G-1 integer labels, with ``names`` in the labels' own values."""
    x, y, groups = grouped_data()
    label = {
        "strings": lambda g: np.array([f"ref{v:02d}" for v in g]),
        "object strings": lambda g: np.array([f"img_{v:02d}.png" for v in g], dtype=object),
        "sparse integers": lambda g: 1000 - 37 * g,
        "floats": lambda g: g * 0.5,
    }[labelling]
    renamed = label(groups)
    plain, result = grouped(x, y, groups), grouped(x, y, renamed)
    check_against_reference(result, x, y, renamed)
    assert result.values == pytest.approx(plain.values, abs=TOL)  # the group order changes the summation order
    assert (result.groups, result.skipped, result.undefined) == (plain.groups, plain.skipped, plain.undefined)
    expected_names = sorted({label(np.array([g]))[0] for g in plain.names})
    assert [str(n) for n in result.names] == [str(n) for n in expected_names]


def test_grouped_checks_inputs():
    """grouped() raises on NaN scores (naming the index) and on a group label count that does not match."""
    x, y, groups = grouped_data()
    bad = x.copy()
    bad[9] = math.nan
    with pytest.raises(StatisticsInputError, match=r"scores\[9\]"):
        grouped(bad, y, groups)
    with pytest.raises(ValueError):
        grouped(x, y, groups[:-1])


def test_group_mean_replicates_match_a_direct_weighted_mean():
    """group_mean_replicates: each replicate is the draw-count-weighted mean of the per-group values,
    leaving out groups where the statistic is undefined."""
    x, y, groups = grouped_data()
    per_group = grouped(x, y, groups).per_group
    replicates = group_mean_replicates(per_group, 12, 5)
    assert replicates.shape == (12, per_group.shape[1])
    for b in range(12):
        counts = draw_counts(5, b, per_group.shape[0])
        assert counts.sum() == per_group.shape[0]
        for s in range(per_group.shape[1]):
            keep = ~np.isnan(per_group[:, s]) & (counts > 0)
            expected = np.sum(counts[keep] * per_group[keep, s]) / counts[keep].sum() if keep.any() else math.nan
            assert close(replicates[b, s], expected), (b, s)


# -------------------------------------------------------------------------------------------- bootstrap

RANKS = ("srcc", "plcc_raw", "krcc", "pra")


def bootstrap_data(n=60, seed=11):
    """Labels on 5 levels plus a little noise on half of them (ties in both), and three metrics: good
    with rounded (tied) scores, mediocre, and poor."""
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 6, n).astype(float)
    y[: n // 2] += np.round(rng.normal(0.0, 0.3, n // 2), 1)
    good = np.round(y + rng.normal(0.0, 0.4, n), 1)
    mediocre = y + rng.normal(0.0, 1.5, n)
    poor = y + rng.normal(0.0, 4.0, n)
    return np.stack([good, mediocre, poor]), y


def expanded(weights):
    """Indices of the resample that draws sample i ``weights[i]`` times."""
    assert np.array_equal(weights, np.round(weights)) and (weights >= 0).all()
    return np.repeat(np.arange(weights.size), weights.astype(int))


def test_replicates_equal_scipy_on_expanded_resamples():
    """Each sample-level replicate equals scipy (SRCC, raw PLCC, KRCC) and brute-force PRA on the
    resample built from sample_weights(seed, b) as explicit repeated indices."""
    xs, y = bootstrap_data()
    n, seed, resamples = y.size, 7, 25
    result = bootstrap(xs, y, names=["good", "mediocre", "poor"], statistics=RANKS, resamples=resamples, seed=seed)
    assert result.unit == "samples" and result.replicates.shape == (resamples, 3, 4)
    assert np.isfinite(result.replicates).all()  # so that NaN == NaN cannot pass for a match below
    for b in range(resamples):
        w = sample_weights(seed, b, np.zeros(n, np.int64), 0)
        assert w.sum() == n
        idx = expanded(w)
        for j in range(3):
            expected = reference(xs[j][idx], y[idx])
            for s, name in enumerate(RANKS):
                assert close(result.replicates[b, j, s], expected[name]), (b, j, name)


def test_point_estimates_equal_scipy():
    """The point estimates are the full-sample statistics (scipy and brute-force PRA)."""
    xs, y = bootstrap_data()
    result = bootstrap(xs, y, statistics=RANKS, resamples=3)
    for j in range(3):
        expected = reference(xs[j], y)
        for s, name in enumerate(RANKS):
            assert close(result.point[j, s], expected[name]), name


def test_group_replicates_equal_scipy_on_expanded_resamples():
    """With groups, whole groups are drawn: weights are constant within a group, sum to n over the drawn
    groups' sizes, and each replicate equals scipy / brute force on the expanded resample."""
    xs, y = bootstrap_data(n=72)
    n, seed, resamples = y.size, 3, 20
    groups = np.array([f"ref{i % 9}" for i in range(n)])
    labels, codes = np.unique(groups, return_inverse=True)
    result = bootstrap(xs, y, statistics=RANKS, resamples=resamples, seed=seed, groups=groups)
    assert result.unit == "groups"
    assert np.isfinite(result.replicates).all()
    for b in range(resamples):
        w = sample_weights(seed, b, codes.astype(np.int64), labels.size)
        per_group = [np.unique(w[codes == g]) for g in range(labels.size)]
        assert all(v.size == 1 for v in per_group), "weights vary within a group"
        assert sum(v[0] for v in per_group) == labels.size
        idx = expanded(w)
        for j in range(3):
            expected = reference(xs[j][idx], y[idx])
            for s, name in enumerate(RANKS):
                assert close(result.replicates[b, j, s], expected[name]), (b, j, name)


def test_same_seed_same_replicates_different_seed_different():
    """The same seed reproduces the replicates exactly; another seed gives other replicates."""
    xs, y = bootstrap_data()
    first = bootstrap(xs, y, statistics=RANKS, resamples=50, seed=42)
    again = bootstrap(xs, y, statistics=RANKS, resamples=50, seed=42)
    other = bootstrap(xs, y, statistics=RANKS, resamples=50, seed=43)
    np.testing.assert_array_equal(first.replicates, again.replicates)
    assert not np.allclose(first.replicates, other.replicates)
    assert first.seed == 42 and other.seed == 43


@pytest.mark.parametrize("with_groups", [False, True])
def test_bootstrap_is_paired(with_groups):
    """Bootstrapping several metrics together gives each the replicates it gets alone with the same
    seed (the draws do not depend on the other metrics)."""
    xs, y = bootstrap_data()
    groups = np.arange(y.size) % 7 if with_groups else None
    statistics = ("srcc", "plcc", "krcc", "pra", "rmse", "plcc_raw")
    together = bootstrap(xs, y, statistics=statistics, resamples=40, seed=9, groups=groups)
    for j in range(3):
        alone = bootstrap(xs[j], y, statistics=statistics, resamples=40, seed=9, groups=groups)
        np.testing.assert_array_equal(together.replicates[:, j], alone.replicates[:, 0])
        np.testing.assert_array_equal(together.point[j], alone.point[0])


def test_difference_of_a_metric_with_itself():
    """A metric minus itself: interval [0, 0] and p-value 1, for every statistic."""
    xs, y = bootstrap_data()
    result = bootstrap([xs[1], xs[1]], y, names=["a", "b"], resamples=200, seed=1)
    for statistic in result.statistics:
        difference = result.difference("a", "b", statistic)
        assert (difference.interval.low, difference.interval.high) == (0.0, 0.0), statistic
        assert difference.interval.estimate == 0.0
        assert difference.p_value == 1.0


def test_difference_detects_a_clearly_better_metric():
    """A metric with far less noise than another: p < 0.01 and a 95% interval of the difference that
    excludes 0, on the right side for both orders."""
    rng = np.random.default_rng(5)
    y = rng.normal(size=200)
    good, bad = y + rng.normal(0.0, 0.3, 200), y + rng.normal(0.0, 2.0, 200)
    result = bootstrap([good, bad], y, names=["good", "bad"], resamples=500, seed=2)
    for statistic in ("srcc", "plcc", "krcc", "pra"):
        forward = result.difference("good", "bad", statistic)
        assert forward.p_value < 0.01 and forward.interval.low > 0.0, statistic
        backward = result.difference("bad", "good", statistic)
        assert backward.p_value < 0.01 and backward.interval.high < 0.0, statistic
    rmse = result.difference("good", "bad", "rmse")  # a smaller error is better
    assert rmse.p_value < 0.01 and rmse.interval.high < 0.0


def test_intervals_cover_the_estimate_and_nest_by_level():
    """Each interval contains its point estimate; the 50% interval lies inside the 95% one, which lies
    inside the 99% one; the level is recorded."""
    xs, y = bootstrap_data()
    result = bootstrap(xs, y, names=["good", "mediocre", "poor"], resamples=400, seed=4)
    for name in result.names:
        for statistic in result.statistics:
            half, usual, wide = (result.interval(name, statistic, level) for level in (0.5, 0.95, 0.99))
            assert usual.level == 0.95 and half.level == 0.5
            assert usual.low <= usual.estimate <= usual.high, (name, statistic)
            assert wide.low <= usual.low <= half.low <= half.high <= usual.high <= wide.high, (name, statistic)
            assert half.low < usual.high
            assert usual.estimate == result.point[result.names.index(name), result.statistics.index(statistic)]


def test_interval_of_a_statistic_not_bootstrapped_raises():
    """Asking for a statistic that was not bootstrapped raises KeyError; an unknown statistic name in
    bootstrap() raises ValueError."""
    xs, y = bootstrap_data()
    result = bootstrap(xs, y, statistics=("srcc",), resamples=5)
    with pytest.raises(KeyError):
        result.interval("metric 0", "krcc")
    with pytest.raises(ValueError):
        bootstrap(xs, y, statistics=("srcc", "tau"), resamples=5)


@pytest.mark.parametrize("model", ["vqeg4", "sheikh5"])
@pytest.mark.parametrize("with_groups", [False, True])
def test_mapped_plcc_and_rmse_replicates(model, with_groups):
    """plcc and rmse: the point estimates equal mapped_statistics(); each replicate is the PLCC and the
    RMSE (label units) of the full-sample mapping Q = fit.predict on the expanded resample."""
    xs, y = bootstrap_data()
    y = 20.0 * y + 7.0  # labels on another scale: RMSE must come back in it
    n, seed, resamples = y.size, 13, 15
    groups = np.arange(n) % 6 if with_groups else None
    result = bootstrap(xs, y, names=["good", "mediocre", "poor"], statistics=("plcc", "rmse"),
                       resamples=resamples, seed=seed, groups=groups, model=model)
    group_of, n_groups = (np.zeros(n, np.int64), 0) if groups is None else (groups.astype(np.int64), 6)
    for j, name in enumerate(result.names):
        mapped = mapped_statistics(xs[j], y, model)
        fit = result.fits[name]
        assert fit.params == mapped.fit.params
        if not fit.converged:  # sheikh5 on the nearly linear "good" metric: its optimum lies at infinity
            assert (model, name) == ("sheikh5", "good"), fit.message
            assert np.isnan(result.point[j]).all() and np.isnan(result.replicates[:, j]).all()
            continue
        assert result.point[j, 0] == pytest.approx(mapped.plcc, abs=1e-12)
        assert result.point[j, 1] == pytest.approx(mapped.rmse, rel=1e-9)
        q = fit.predict(xs[j])
        for b in range(resamples):
            idx = expanded(sample_weights(seed, b, group_of, n_groups))
            assert result.replicates[b, j, 0] == pytest.approx(sps.pearsonr(q[idx], y[idx])[0], abs=1e-10)
            assert result.replicates[b, j, 1] == pytest.approx(math.sqrt(np.mean((y[idx] - q[idx]) ** 2)),
                                                               rel=1e-9)


def test_unfitted_mapping_gives_nan_plcc_and_rmse():
    """A metric with constant scores has an unconverged fit (kept in ``fits``) and NaN plcc/rmse point,
    replicates and interval, while the other metric in the same bootstrap is unaffected."""
    xs, y = bootstrap_data()
    result = bootstrap([xs[0], np.full(y.size, 2.0)], y, names=["ok", "flat"], resamples=20, seed=1)
    assert result.fits["ok"].converged and not result.fits["flat"].converged
    for statistic in ("plcc", "rmse"):
        s = result.statistics.index(statistic)
        assert np.isnan(result.point[1, s]) and np.isnan(result.replicates[:, 1, s]).all()
        interval = result.interval("flat", statistic)
        assert math.isnan(interval.low) and math.isnan(interval.high)
        assert np.isfinite(result.replicates[:, 0, s]).all()


@pytest.mark.parametrize("where", ["scores", "labels"])
def test_bootstrap_rejects_non_finite_input(where):
    """NaN in the scores (of any metric) or in the labels raises StatisticsInputError naming the index;
    unpaired lengths raise too."""
    xs, y = bootstrap_data()
    xs, y = xs.copy(), y.copy()
    if where == "scores":
        xs[2, 17] = math.nan
    else:
        y[4] = math.inf
    with pytest.raises(StatisticsInputError, match=rf"{where}\[{17 if where == 'scores' else 4}\]"):
        bootstrap(xs, y, resamples=5)
    with pytest.raises(StatisticsInputError):
        bootstrap(bootstrap_data()[0][:, :-1], bootstrap_data()[1], resamples=5)
