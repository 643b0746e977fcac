"""Williams' t, Steiger's Z and the P.1401 F-test of :mod:`iqabench.stats.significance`, against the
published formulas written out here, and the calibration of the two correlation tests under H0."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from iqabench.stats import rmse_f_test, steiger_test, williams_test

# (r_a, r_b, r_ab, n): r_a = r(a, y), r_b = r(b, y), r_ab = r(a, b)
CASES = [
    (0.80, 0.70, 0.60, 50),
    (0.70, 0.80, 0.60, 50),
    (0.91, 0.89, 0.95, 1000),
    (0.45, 0.10, -0.20, 30),
    (-0.30, 0.50, 0.10, 12),
    (0.60, 0.60, 0.50, 200),
    (0.95, 0.20, 0.25, 8),
]


def williams_reference(r12, r13, r23, n):
    """Steiger (1980) eq. 7: T2 = (r12 - r13) sqrt((n-1)(1+r23) / (2 (n-1)/(n-3) |R| + rbar^2 (1-r23)^3)),
    |R| the determinant of the 3x3 correlation matrix; two-sided p from Student's t with n-3 df."""
    determinant = np.linalg.det(np.array([[1.0, r12, r13], [r12, 1.0, r23], [r13, r23, 1.0]]))
    rbar = (r12 + r13) / 2.0
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / (2 * (n - 1) / (n - 3) * determinant + rbar**2 * (1 - r23) ** 3))
    return t, 2.0 * sps.t.sf(abs(t), n - 3)


def steiger_reference(r12, r13, r23, n):
    """Steiger (1980) eq. 14 with eq. 15: the covariance of r12 and r13 (eq. 3, Pearson & Filon),
    psi = r23 (1 - r12^2 - r13^2) - r12 r13 (1 - r12^2 - r13^2 - r23^2) / 2, evaluated at the pooled
    rbar = (r12 + r13) / 2, divided by (1 - rbar^2)^2 for the Fisher-z scale; Z = sqrt(n-3) (z12 - z13) /
    sqrt(2 - 2 s); two-sided normal p."""
    rbar = (r12 + r13) / 2.0
    psi = r23 * (1 - rbar**2 - rbar**2) - 0.5 * rbar * rbar * (1 - rbar**2 - rbar**2 - r23**2)
    s = psi / ((1 - rbar**2) * (1 - rbar**2))
    z = math.sqrt(n - 3) * (0.5 * math.log((1 + r12) / (1 - r12)) - 0.5 * math.log((1 + r13) / (1 - r13))) \
        / math.sqrt(2 - 2 * s)
    return z, 2.0 * sps.norm.sf(abs(z))


@pytest.mark.parametrize("case", CASES)
def test_williams_matches_steiger_1980_eq_7(case):
    """williams_test returns Steiger's eq. 7 statistic, its two-sided p-value and n - 3 df."""
    t, p = williams_reference(*case)
    result = williams_test(*case)
    assert result.statistic == pytest.approx(t, rel=1e-10, abs=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-8, abs=1e-15)
    assert result.df == (case[3] - 3,)


@pytest.mark.parametrize("case", CASES)
def test_steiger_matches_steiger_1980_eq_14_15(case):
    """steiger_test returns Steiger's eq. 14 Z (pooled correlation, eq. 15) and its two-sided p-value."""
    z, p = steiger_reference(*case)
    result = steiger_test(*case)
    assert result.statistic == pytest.approx(z, rel=1e-10, abs=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-8, abs=1e-15)


@pytest.mark.parametrize("test", [williams_test, steiger_test])
def test_swapping_the_metrics_negates_the_statistic(test):
    """Testing b against a negates the statistic and keeps the p-value; equal correlations give 0, p = 1."""
    forward, backward = test(0.7, 0.5, 0.4, 60), test(0.5, 0.7, 0.4, 60)
    assert backward.statistic == pytest.approx(-forward.statistic, rel=1e-12)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-12)
    same = test(0.6, 0.6, 0.3, 60)
    assert same.statistic == 0.0 and same.p_value == pytest.approx(1.0)


@pytest.mark.parametrize("test", [williams_test, steiger_test])
def test_invalid_arguments_raise(test):
    """Fewer than 4 samples, or a correlation outside [-1, 1] or not finite, raise ValueError."""
    with pytest.raises(ValueError):
        test(0.5, 0.4, 0.3, 3)
    with pytest.raises(ValueError):
        test(1.2, 0.4, 0.3, 30)
    with pytest.raises(ValueError):
        test(0.5, math.nan, 0.3, 30)


def simulated_correlations(draws, n, rho_y, rho_ab, seed):
    """(r_a, r_b, r_ab) of ``draws`` samples of n trivariate normal (a, b, y) with corr(a, y) =
    corr(b, y) = rho_y and corr(a, b) = rho_ab, all vectorised."""
    cov = np.array([[1.0, rho_ab, rho_y], [rho_ab, 1.0, rho_y], [rho_y, rho_y, 1.0]])
    data = np.random.default_rng(seed).standard_normal((draws, n, 3)) @ np.linalg.cholesky(cov).T
    data -= data.mean(axis=1, keepdims=True)
    data /= np.sqrt((data**2).sum(axis=1, keepdims=True))
    gram = np.einsum("dni,dnj->dij", data, data)
    return gram[:, 0, 2], gram[:, 1, 2], gram[:, 0, 1]


@pytest.mark.parametrize("test", [williams_test, steiger_test])
@pytest.mark.parametrize(("rho_y", "rho_ab"), [(0.6, 0.5), (0.3, 0.8)])
def test_calibrated_under_h0(test, rho_y, rho_ab):
    """Under H0 (both metrics correlate equally with y), 2,000 simulated data sets of n = 50 reject at
    the 0.05 level between 3% and 7% of the time."""
    r_a, r_b, r_ab = simulated_correlations(2000, 50, rho_y, rho_ab, seed=int(rho_y * 10))
    p = np.array([test(a, b, ab, 50).p_value for a, b, ab in zip(r_a, r_b, r_ab)])
    rate = float(np.mean(p < 0.05))
    assert 0.03 <= rate <= 0.07, rate


@pytest.mark.parametrize("test", [williams_test, steiger_test])
def test_has_power_against_a_real_difference(test):
    """When one metric correlates 0.9 with y and the other 0.6, the test rejects most of the time at n = 50
    (a test that never rejects would pass the calibration check)."""
    rng = np.random.default_rng(8)
    cov = np.array([[1.0, 0.55, 0.9], [0.55, 1.0, 0.6], [0.9, 0.6, 1.0]])
    data = rng.standard_normal((300, 50, 3)) @ np.linalg.cholesky(cov).T
    p = []
    for sample in data:
        r = np.corrcoef(sample, rowvar=False)
        p.append(test(r[0, 2], r[1, 2], r[0, 1], 50).p_value)
    assert np.mean(np.array(p) < 0.05) > 0.9


@pytest.mark.parametrize("parameters", [4, 5])
def test_f_test_matches_p1401(parameters):
    """F = larger / smaller of sum(residual^2) / (N - d), N - d df each, two-sided p = 2 * sf (at most 1)
    from scipy.stats.f, in either argument order."""
    rng = np.random.default_rng(parameters)
    a, b = rng.normal(0.0, 1.0, 80), rng.normal(0.0, 1.3, 80)
    df = 80 - parameters
    var_a, var_b = np.sum(a**2) / df, np.sum(b**2) / df
    f = max(var_a, var_b) / min(var_a, var_b)
    p = min(1.0, 2.0 * sps.f.sf(f, df, df))
    for result in (rmse_f_test(a, b, parameters), rmse_f_test(b, a, parameters)):
        assert result.statistic == pytest.approx(f, rel=1e-12)
        assert result.p_value == pytest.approx(p, rel=1e-10)
        assert result.df == (df, df)
    assert f > 1.0


def test_f_test_detects_a_clearly_larger_error():
    """Residuals three times larger give a tiny p-value."""
    rng = np.random.default_rng(1)
    assert rmse_f_test(rng.normal(0, 1, 200), rng.normal(0, 3, 200)).p_value < 1e-6


def test_f_test_identical_residuals():
    """Identical residuals: F = 1 and p = 1."""
    residuals = np.random.default_rng(2).normal(size=40)
    result = rmse_f_test(residuals, residuals.copy())
    assert result.statistic == 1.0
    assert result.p_value == pytest.approx(1.0, abs=1e-12)


def test_f_test_rejects_bad_input():
    """Residual vectors of different lengths, or too few samples for the parameters, raise ValueError."""
    with pytest.raises(ValueError):
        rmse_f_test(np.ones(10), np.ones(11))
    with pytest.raises(ValueError):
        rmse_f_test(np.ones(4), np.ones(4), parameters=4)


def test_steiger_is_undefined_for_two_metrics_that_rank_identically():
    """Found by the harness benchmark: two metrics with the same scores (r_ab = 1) divided by zero."""
    result = steiger_test(0.4, 0.4, 1.0, 200)
    assert math.isnan(result.statistic) and math.isnan(result.p_value)
