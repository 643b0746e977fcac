"""SRCC, PLCC, KRCC and PRA of :mod:`iqabench.stats.correlation` against scipy and brute force, the
undefined cases, input checking and :func:`iqabench.stats.signed`."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from iqabench.errors import StatisticsInputError
from iqabench.stats import krcc, plcc, pra, signed, srcc, undefined_reason

TOL = 1e-10
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def scipy_value(function, x, y) -> float:
    """scipy's statistic, NaN (without the constant-input warning) where scipy finds it undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(function(x, y)[0])


def brute_pair_counts(x, y):
    """Concordant, discordant pairs and pairs tied in x, in y, in both, by looking at every pair."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(x.size, k=1)
    dx = np.sign(x[i] - x[j])
    dy = np.sign(y[i] - y[j])
    return (int(np.sum(dx * dy > 0)), int(np.sum(dx * dy < 0)), int(np.sum(dx == 0)), int(np.sum(dy == 0)),
            int(np.sum((dx == 0) & (dy == 0))))


def brute_pra(x, y) -> float:
    """Over the pairs with different labels, the fraction the scores order the same way (a tie in the
    scores counts one half); NaN when no two labels differ."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    i, j = np.triu_indices(x.size, k=1)
    informative = y[i] != y[j]
    if not informative.any():
        return math.nan
    dx = np.sign(x[i] - x[j])[informative]
    dy = np.sign(y[i] - y[j])[informative]
    return float(np.mean(np.where(dx == 0, 0.5, (dx == dy).astype(float))))


def same(ours: float, reference: float, tol: float = TOL) -> bool:
    """Both NaN, or equal within ``tol``."""
    if math.isnan(reference):
        return math.isnan(ours)
    return abs(ours - reference) <= tol


# Elements: continuous values on a fine grid (ties rare), a few integers (heavy ties), or two values.
ELEMENTS = {
    "continuous": st.integers(-10**6, 10**6).map(lambda v: v / 1000.0),
    "few": st.integers(0, 4).map(float),
    "binary": st.integers(0, 1).map(float),
}


@st.composite
def paired_samples(draw, min_size=2, max_size=300):
    """(x, y) of one length from 2 to 300; each from its own element kind; y is noise, or x plus
    noise (so strong correlations, positive and negative, are covered too)."""
    n = draw(st.integers(min_size, max_size))
    x = np.array(draw(st.lists(ELEMENTS[draw(st.sampled_from(sorted(ELEMENTS)))], min_size=n, max_size=n)))
    noise = np.array(draw(st.lists(ELEMENTS[draw(st.sampled_from(sorted(ELEMENTS)))], min_size=n, max_size=n)))
    coupling = draw(st.sampled_from([0.0, 1.0, -1.0, 0.01]))
    return x, coupling * x + noise


@PROPERTY
@given(paired_samples())
def test_srcc_matches_spearmanr(sample):
    """SRCC equals scipy.stats.spearmanr (average ranks for ties), NaN where scipy's is undefined."""
    x, y = sample
    assert same(srcc(x, y), scipy_value(sps.spearmanr, x, y))


@PROPERTY
@given(paired_samples())
def test_plcc_matches_pearsonr(sample):
    """PLCC equals scipy.stats.pearsonr, NaN where scipy's is undefined."""
    x, y = sample
    assert same(plcc(x, y), scipy_value(sps.pearsonr, x, y))


@PROPERTY
@given(paired_samples())
def test_krcc_matches_kendalltau_b(sample):
    """KRCC equals scipy.stats.kendalltau (tau-b), NaN where scipy's is undefined."""
    x, y = sample
    assert same(krcc(x, y), scipy_value(lambda a, b: sps.kendalltau(a, b, variant="b"), x, y))


@pytest.mark.parametrize("levels", [None, 7, 1000], ids=["continuous", "7-levels", "1000-levels"])
def test_large_n_srcc_krcc_match_scipy(levels):
    """At n = 200,000 (with and without ties), SRCC and KRCC still equal scipy's."""
    rng = np.random.default_rng(200_000)
    n = 200_000
    x = rng.normal(size=n)
    y = x + rng.normal(size=n)
    if levels is not None:
        x = np.floor(x * levels / 8.0)
        y = np.floor(y * levels / 8.0)
        assert np.unique(x).size < n // 10
    assert same(srcc(x, y), scipy_value(sps.spearmanr, x, y))
    assert same(krcc(x, y), scipy_value(sps.kendalltau, x, y))
    assert same(plcc(x, y), scipy_value(sps.pearsonr, x, y))


@PROPERTY
@given(paired_samples(max_size=200))
def test_pra_matches_brute_force(sample):
    """PRA equals the O(n^2) count over pairs with distinct labels (score ties count 1/2)."""
    x, y = sample
    assert same(pra(x, y), brute_pra(x, y))


@PROPERTY
@given(st.integers(2, 200).flatmap(lambda n: st.tuples(
    st.lists(ELEMENTS["continuous"], min_size=n, max_size=n, unique=True),
    st.lists(ELEMENTS["continuous"], min_size=n, max_size=n, unique=True))))
def test_pra_is_tau_a_without_ties(sample):
    """Without ties, PRA == (tau_a + 1) / 2, tau_a from brute-force counts, and tau_a == scipy's tau-b."""
    x, y = (np.array(v) for v in sample)
    concordant, discordant, *_ = brute_pair_counts(x, y)
    tau_a = (concordant - discordant) / (x.size * (x.size - 1) / 2)
    assert abs(pra(x, y) - (tau_a + 1) / 2) <= TOL
    assert same(tau_a, scipy_value(sps.kendalltau, x, y))
    assert same(krcc(x, y), tau_a)


def test_statistics_on_a_hand_worked_example():
    """A small example worked by hand: 5 concordant pairs, none discordant, 1 pair tied in the scores."""
    x = [1.0, 2.0, 2.0, 4.0]
    y = [1.0, 3.0, 2.0, 4.0]
    # pairs (0,1) C, (0,2) C, (0,3) C, (1,2) x-tie, (1,3) C, (2,3) C: PRA = (5 + 0.5) / 6
    assert pra(x, y) == pytest.approx(5.5 / 6, abs=TOL)
    assert krcc(x, y) == pytest.approx(5 / math.sqrt(5 * 6), abs=TOL)


def test_negative_association_stays_negative():
    """Statistics are signed: a reversed ranking gives -1 (SRCC, PLCC, KRCC) and PRA 0 (no abs())."""
    x = np.arange(10.0)
    y = -2.0 * x + 3.0
    assert srcc(x, y) == pytest.approx(-1.0, abs=TOL)
    assert plcc(x, y) == pytest.approx(-1.0, abs=TOL)
    assert krcc(x, y) == pytest.approx(-1.0, abs=TOL)
    assert pra(x, y) == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("function", [srcc, plcc, krcc, pra])
@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_samples_is_nan_with_reason(function, n):
    """With 0 or 1 samples every statistic is NaN and undefined_reason says a correlation needs two."""
    x, y = np.arange(n, dtype=float), np.arange(n, dtype=float)
    assert math.isnan(function(x, y))
    reason = undefined_reason(x, y)
    assert reason is not None and f"{n} sample" in reason and "at least two" in reason


# 0.1 and 7.3 are constants whose floating-point mean is not exactly themselves (0.1 + 0.1 + 0.1 != 0.3).
CONSTANTS = [2.0, 0.5, 0.1, 7.3]


@pytest.mark.parametrize("value", CONSTANTS)
@pytest.mark.parametrize("n", [3, 57])
def test_constant_scores_are_undefined(value, n):
    """Constant scores (whatever their value) make SRCC, PLCC and KRCC NaN, undefined_reason says
    'the scores are constant', and PRA is 0.5 (every informative pair is a score tie)."""
    x = np.full(n, value)
    y = np.random.default_rng(n).normal(size=n)
    for function in (srcc, plcc, krcc):
        assert math.isnan(function(x, y)), f"{function.__name__} of constant scores is {function(x, y)!r}"
    assert pra(x, y) == 0.5
    assert undefined_reason(x, y) == "the scores are constant"


@pytest.mark.parametrize("value", CONSTANTS)
@pytest.mark.parametrize("n", [3, 57])
def test_constant_labels_are_undefined(value, n):
    """Constant labels make SRCC, PLCC, KRCC and PRA NaN (no pair of distinct labels), and
    undefined_reason says 'the labels are constant'."""
    x = np.random.default_rng(n).normal(size=n)
    y = np.full(n, value)
    for function in (srcc, plcc, krcc, pra):
        assert math.isnan(function(x, y)), f"{function.__name__} with constant labels is {function(x, y)!r}"
    assert undefined_reason(x, y) == "the labels are constant"


def test_defined_inputs_have_no_reason():
    """undefined_reason is None for two samples that differ in both scores and labels."""
    assert undefined_reason(np.array([0.0, 1.0]), np.array([1.0, 0.0])) is None


@pytest.mark.parametrize("function", [srcc, plcc, krcc, pra])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores_raise_naming_the_first_bad_index(function, bad):
    """A NaN or infinite score raises StatisticsInputError naming scores[3], the first bad one."""
    x = np.arange(8.0)
    x[3] = bad
    x[6] = math.nan
    with pytest.raises(StatisticsInputError, match=r"scores\[3\]"):
        function(x, np.arange(8.0))


@pytest.mark.parametrize("function", [srcc, plcc, krcc, pra])
def test_non_finite_labels_raise_naming_the_first_bad_index(function):
    """A NaN label raises StatisticsInputError naming labels[0]."""
    y = np.arange(5.0)
    y[0] = math.nan
    with pytest.raises(StatisticsInputError, match=r"labels\[0\]"):
        function(np.arange(5.0), y)


@pytest.mark.parametrize("function", [srcc, plcc, krcc, pra])
def test_mismatched_lengths_raise(function):
    """Scores and labels of different lengths raise StatisticsInputError."""
    with pytest.raises(StatisticsInputError):
        function(np.arange(5.0), np.arange(6.0))


def test_signed_orients_lower_is_better_metrics_and_labels():
    """signed() negates lower-is-better scores and lower-is-better labels: a perfect lower-is-better
    metric gets SRCC +1 against MOS and against DMOS, and a perfect higher-is-better one against DMOS."""
    mos = np.array([1.2, 3.4, 2.2, 4.9, 4.1, 0.3])
    dmos = 5.0 - mos
    distance = 10.0 - 2.0 * mos  # lower is better, perfectly
    quality = 3.0 * mos  # higher is better, perfectly

    x, y = signed(distance, mos, lower_better=True)
    np.testing.assert_array_equal(x, -distance)
    np.testing.assert_array_equal(y, mos)
    assert srcc(x, y) == pytest.approx(1.0, abs=TOL)

    x, y = signed(distance, dmos, lower_better=True, labels_lower_better=True)
    np.testing.assert_array_equal(y, -dmos)
    assert srcc(x, y) == pytest.approx(1.0, abs=TOL)
    assert krcc(x, y) == pytest.approx(1.0, abs=TOL)

    x, y = signed(quality, dmos, lower_better=False, labels_lower_better=True)
    np.testing.assert_array_equal(x, quality)
    assert srcc(x, y) == pytest.approx(1.0, abs=TOL)
    assert pra(x, y) == pytest.approx(1.0, abs=TOL)


def test_signed_checks_its_inputs():
    """signed() raises StatisticsInputError on NaN scores and on unpaired lengths."""
    with pytest.raises(StatisticsInputError, match=r"scores\[1\]"):
        signed([1.0, math.nan], [1.0, 2.0], lower_better=False)
    with pytest.raises(StatisticsInputError):
        signed([1.0, 2.0], [1.0, 2.0, 3.0], lower_better=True)
