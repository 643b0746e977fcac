"""Significance of the difference between two metrics on the same samples, without resampling.

- Williams' t (Williams 1959, as recommended by Steiger 1980, "Tests for comparing elements of a
  correlation matrix", Psychological Bulletin 87(2), eq. 7) and Steiger's Z (ibid., eq. 14 with the pooled
  correlation of eq. 15): two correlations with the labels, r_a = r(a, y) and r_b = r(b, y), that are
  dependent through r_ab = r(a, b), the correlation between the two metrics.
- The F-test on the variances of the prediction errors after mapping, ITU-T P.1401 (07/2020) §7.6.4:
  F = σ²_larger / σ²_smaller with N − d degrees of freedom each, d the number of mapping parameters.

All tests are two-sided and return the statistic and its p-value. The tails come from
``scipy.special`` (``ndtr``, ``stdtr``, ``fdtrc``), the functions behind ``scipy.stats``' ``norm``, ``t``
and ``f``, without importing ``scipy.stats`` (close to a second of start-up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TestResult:
    """A significance test's outcome.

    Attributes
    ----------
    name : str
        The test, in words (``"Williams t"``, ``"Steiger Z"``, ``"F (P.1401)"``).
    statistic : float
        The test statistic, signed as r_a − r_b for Williams and Steiger; NaN when it is undefined.
    p_value : float
        The two-sided p-value; NaN when undefined.
    df : tuple of float
        The degrees of freedom (none for a standard normal statistic).

    Examples
    --------
    >>> from iqabench.stats import williams_test
    >>> result = williams_test(0.9, 0.8, 0.85, n=100)
    >>> result.name, result.df
    ('Williams t', (97,))
    """

    name: str
    statistic: float
    p_value: float
    df: tuple[float, ...]


def _check_r(*values: float) -> None:
    for r in values:
        if not (math.isfinite(r) and -1.0 <= r <= 1.0):
            raise ValueError(f"a correlation must be finite and within [-1, 1], got {r}")


def williams_test(r_a: float, r_b: float, r_ab: float, n: int) -> TestResult:
    """Williams' t for H0: r_a = r_b, two correlations with the labels that share the labels.

    Williams (1959), as recommended by Steiger (1980), "Tests for comparing elements of a correlation
    matrix", Psychological Bulletin 87(2), eq. 7; n − 3 degrees of freedom.

    Parameters
    ----------
    r_a, r_b : float
        The correlations of metrics a and b with the labels, in [-1, 1].
    r_ab : float
        The correlation between the two metrics' scores, in [-1, 1].
    n : int
        The number of samples all three were computed on, at least 4.

    Returns
    -------
    TestResult
        t and its two-sided p-value; NaN for both when the correlations are inconsistent (their matrix
        is not positive definite).

    Raises
    ------
    ValueError
        When a correlation is not finite or outside [-1, 1], or ``n`` < 4.

    Examples
    --------
    >>> from iqabench.stats import williams_test
    >>> result = williams_test(0.9, 0.8, 0.85, n=100)
    >>> round(result.statistic, 3), round(result.p_value, 6), result.df
    (4.126, 7.8e-05, (97,))
    """
    _check_r(r_a, r_b, r_ab)
    if n < 4:
        raise ValueError(f"Williams' test needs at least 4 samples, got {n}")
    from scipy.special import stdtr

    det = 1.0 - r_a**2 - r_b**2 - r_ab**2 + 2.0 * r_a * r_b * r_ab
    mean = (r_a + r_b) / 2.0
    denominator = 2.0 * (n - 1) / (n - 3) * det + mean**2 * (1.0 - r_ab) ** 3
    if denominator <= 0:
        return TestResult("Williams t", math.nan, math.nan, (n - 3,))
    t = (r_a - r_b) * math.sqrt((n - 1) * (1.0 + r_ab) / denominator)
    return TestResult("Williams t", t, float(2.0 * stdtr(n - 3, -abs(t))), (n - 3,))


def steiger_test(r_a: float, r_b: float, r_ab: float, n: int) -> TestResult:
    """Steiger's Z for H0: r_a = r_b, two correlations with the labels that share the labels.

    Steiger (1980), "Tests for comparing elements of a correlation matrix", Psychological Bulletin 87(2),
    eq. 14, on Fisher z-transformed correlations with the pooled correlation of eq. 15; Z is standard
    normal under H0.

    Parameters
    ----------
    r_a, r_b : float
        The correlations of metrics a and b with the labels, in [-1, 1].
    r_ab : float
        The correlation between the two metrics' scores, in [-1, 1].
    n : int
        The number of samples all three were computed on, at least 4.

    Returns
    -------
    TestResult
        Z and its two-sided p-value; NaN for both when a correlation is ±1 or the two metrics rank
        identically (the difference then has no variance).

    Raises
    ------
    ValueError
        When a correlation is not finite or outside [-1, 1], or ``n`` < 4.

    Examples
    --------
    >>> from iqabench.stats import steiger_test
    >>> result = steiger_test(0.9, 0.8, 0.85, n=100)
    >>> round(result.statistic, 3), round(result.p_value, 6)
    (3.945, 8e-05)
    >>> steiger_test(0.9, 0.8, 1.0, n=100).p_value
    nan
    """
    _check_r(r_a, r_b, r_ab)
    if n < 4:
        raise ValueError(f"Steiger's test needs at least 4 samples, got {n}")
    from scipy.special import ndtr

    if max(abs(r_a), abs(r_b)) >= 1.0:
        return TestResult("Steiger Z", math.nan, math.nan, ())
    mean = (r_a + r_b) / 2.0
    psi = r_ab * (1.0 - 2.0 * mean**2) - 0.5 * mean**2 * (1.0 - 2.0 * mean**2 - r_ab**2)
    covariance = psi / (1.0 - mean**2) ** 2
    if covariance >= 1.0:  # the two metrics rank identically (r_ab = 1): the difference has no variance
        return TestResult("Steiger Z", math.nan, math.nan, ())
    z = (math.atanh(r_a) - math.atanh(r_b)) * math.sqrt(n - 3) / math.sqrt(2.0 - 2.0 * covariance)
    return TestResult("Steiger Z", z, float(2.0 * ndtr(-abs(z))), ())


def rmse_f_test(residuals_a, residuals_b, parameters: int = 4) -> TestResult:
    """The F-test on the variances of two models' prediction errors after mapping.

    ITU-T P.1401 (07/2020) §7.6.4: F = (larger residual variance) / (smaller), each with N − d degrees of
    freedom, d the number of parameters of the mapping.

    Parameters
    ----------
    residuals_a, residuals_b : array_like
        Labels minus mapped scores of metrics a and b, on the same N samples.
    parameters : int, default 4
        The parameters of the mapping, d (4 for ``vqeg4``, 5 for ``sheikh5``).

    Returns
    -------
    TestResult
        F (at least 1) and its two-sided p-value; F is infinite and the p-value NaN when one variance
        is 0, both NaN when both are.

    Raises
    ------
    ValueError
        When the two hold different numbers of residuals, or N − d < 1.

    Examples
    --------
    >>> from iqabench.stats import rmse_f_test
    >>> a = [0.5, -0.3, 0.2, -0.4, 0.1, 0.3, -0.2, 0.4, -0.1, 0.2]
    >>> b = [1.0, -0.6, 0.5, -0.9, 0.3, 0.7, -0.5, 0.8, -0.2, 0.4]
    >>> result = rmse_f_test(a, b)
    >>> round(result.statistic, 3), round(result.p_value, 3), result.df
    (4.596, 0.086, (6, 6))
    """
    a = np.asarray(residuals_a, dtype=np.float64)
    b = np.asarray(residuals_b, dtype=np.float64)
    if a.size != b.size:
        raise ValueError(f"the F-test compares two models on the same samples: {a.size} vs {b.size} residuals")
    df = a.size - parameters
    if df < 1:
        raise ValueError(f"{a.size} samples leave no degrees of freedom for a {parameters}-parameter mapping")
    from scipy.special import fdtrc

    var_a = float(np.sum(a**2) / df)
    var_b = float(np.sum(b**2) / df)
    if min(var_a, var_b) == 0:
        return TestResult("F (P.1401)", math.inf if max(var_a, var_b) > 0 else math.nan, math.nan, (df, df))
    ratio = max(var_a, var_b) / min(var_a, var_b)
    return TestResult("F (P.1401)", ratio, float(min(1.0, 2.0 * fdtrc(df, df, ratio))), (df, df))
