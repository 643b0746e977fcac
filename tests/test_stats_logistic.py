"""The logistic mappings of :mod:`iqabench.stats.logistic` against scipy.optimize.curve_fit, RMSE in label
units, and the reported failures (constant scores, too few samples, unknown model)."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import curve_fit
from scipy.stats import pearsonr

from iqabench.errors import StatisticsInputError
from iqabench.stats import fit_logistic, mapped_statistics, plcc_logistic, rmse


def vqeg4(x, b1, b2, b3, b4):
    """VQEG 4-parameter logistic, written out independently of the module."""
    return (b1 - b2) / (1.0 + np.exp(-(x - b3) / np.abs(b4))) + b2


def sheikh5(x, b1, b2, b3, b4, b5):
    """Sheikh, Sabir & Bovik (2006) eq. (1)."""
    return b1 * (0.5 - 1.0 / (1.0 + np.exp(b2 * (x - b3)))) + b4 * x + b5


def vqeg4_start(x, y):
    """The VQEG start: [max y, min y, mean x, std x / 4]."""
    return [y.max(), y.min(), x.mean(), x.std() / 4.0]


def sheikh5_start(x, y):
    """The module's sheikh5 start, in original units: an increasing curve spanning the labels, centred on
    the mean score, no linear term."""
    return [y.max() - y.min(), 1.0 / x.std(), x.mean(), 0.0, y.mean()]


MODELS = {"vqeg4": (vqeg4, vqeg4_start), "sheikh5": (sheikh5, sheikh5_start)}

# name: (score range, n, label range, slope of the sigmoid in z-units, centre in z-units, noise / label range)
DATASETS = {
    "scores 0..1, MOS 1..5": ((0.0, 1.0), 60, (1.0, 5.0), 1.5, -0.3, 0.05),
    "scores 0..100, labels 0..100": ((0.0, 100.0), 200, (0.0, 100.0), 2.5, 0.4, 0.04),
    "negative scores and labels": ((-50.0, -10.0), 300, (-3.0, -1.0), 1.2, 0.0, 0.06),
    "scores 1e4..1e5, labels 0..9": ((1e4, 1e5), 150, (0.0, 9.0), 3.0, -0.5, 0.03),
    "scores 0..1e-3, MOS 1..5, steep": ((0.0, 1e-3), 120, (1.0, 5.0), 5.0, 0.2, 0.02),
    "nearly linear": ((2.0, 8.0), 80, (10.0, 90.0), 0.3, 0.0, 0.05),
    "noisy, n=40": ((0.0, 1.0), 40, (3.0, 7.0), 1.5, 0.2, 0.075),
}


def dataset(name):
    """Scores spread uniformly over their range, labels on a sigmoid of them plus Gaussian noise."""
    (lo, hi), n, (ylo, yhi), slope, centre, noise = DATASETS[name]
    rng = np.random.default_rng(sorted(DATASETS).index(name))
    x = rng.uniform(lo, hi, n)
    z = (x - x.mean()) / x.std()
    y = ylo + (yhi - ylo) / (1.0 + np.exp(-slope * (z - centre))) + rng.normal(0.0, noise * (yhi - ylo), n)
    return x, y


def scipy_fit(model, x, y):
    """curve_fit (MINPACK Levenberg-Marquardt) from the same start; its parameters and SSE."""
    function, start = MODELS[model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params, _ = curve_fit(function, x, y, p0=start(x, y), maxfev=100_000)
    return params, float(np.sum((y - function(x, *params)) ** 2))


#: fits whose least-squares optimum lies at infinity (the parameters drift, 2,000 iterations do not settle
#: them): the fit must say it did not converge, and the mapped PLCC and RMSE must be NaN, not a number.
AT_INFINITY = {("sheikh5", "noisy, n=40")}


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_fit_is_as_good_as_curve_fit(model, name):
    """The fit converges, its SSE is no worse than curve_fit's (from the same start) by more than 1e-6
    relative, and the PLCC after the mapping matches curve_fit's to 1e-6; or, for an optimum at
    infinity, the failure is reported."""
    x, y = dataset(name)
    fit = fit_logistic(x, y, model)
    if (model, name) in AT_INFINITY:
        assert not fit.converged and "did not converge" in fit.message
        mapped = mapped_statistics(x, y, model)
        assert math.isnan(mapped.plcc) and math.isnan(mapped.rmse)
        return
    assert fit.converged, fit.message
    assert fit.model == model and len(fit.params) == len(MODELS[model][1](x, y))
    params, reference_sse = scipy_fit(model, x, y)
    sse = float(np.sum((y - fit.predict(x)) ** 2))
    assert sse <= reference_sse * (1.0 + 1e-6), f"SSE {sse!r} vs curve_fit's {reference_sse!r}"
    reference_plcc = pearsonr(MODELS[model][0](x, *params), y)[0]
    assert mapped_statistics(x, y, model).plcc == pytest.approx(reference_plcc, abs=1e-6)


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_params_are_in_original_units(model, name):
    """``params`` are in the units of scores and labels: the model written out with them reproduces
    predict()."""
    x, y = dataset(name)
    fit = fit_logistic(x, y, model)
    np.testing.assert_allclose(MODELS[model][0](x, *fit.params), fit.predict(x), rtol=1e-9,
                               atol=1e-9 * np.ptp(y))


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_mapped_statistics_rmse_in_label_units(model, name):
    """mapped_statistics' RMSE is sqrt(mean((y - Q(x))^2)) with Q the fit's predict(), its PLCC is
    pearsonr(Q(x), y), and rmse() / plcc_logistic() return the same numbers."""
    if (model, name) in AT_INFINITY:
        pytest.skip("the fit reports that it did not converge (test_fit_is_as_good_as_curve_fit)")
    x, y = dataset(name)
    mapped = mapped_statistics(x, y, model)
    q = mapped.fit.predict(x)
    assert mapped.rmse == pytest.approx(math.sqrt(np.mean((y - q) ** 2)), rel=1e-9)
    assert mapped.plcc == pytest.approx(pearsonr(q, y)[0], abs=1e-12)
    assert rmse(x, y, model) == mapped.rmse
    assert plcc_logistic(x, y, model) == mapped.plcc


def test_rmse_scales_with_the_labels():
    """Multiplying the labels by 100 multiplies the RMSE by 100 and leaves the PLCC unchanged."""
    x, y = dataset("scores 0..1, MOS 1..5")
    small = mapped_statistics(x, y)
    large = mapped_statistics(x, 100.0 * y)
    assert large.rmse == pytest.approx(100.0 * small.rmse, rel=1e-6)
    assert large.plcc == pytest.approx(small.plcc, abs=1e-9)


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("case", ["constant scores", "constant labels", "too few samples"])
def test_failed_fit_is_reported_not_hidden(model, case):
    """Constant scores, constant labels or no more samples than parameters: converged=False with a
    message saying why, and mapped_statistics gives NaN PLCC and RMSE."""
    if case == "constant scores":
        x, y = np.full(20, 0.3), np.linspace(1.0, 5.0, 20)
        why = "constant"
    elif case == "constant labels":
        x, y = np.linspace(0.0, 1.0, 20), np.full(20, 3.0)
        why = "constant"
    else:
        n = 4 if model == "vqeg4" else 5
        x, y = np.linspace(0.0, 1.0, n), np.linspace(1.0, 5.0, n) ** 2
        why = "samples"
    fit = fit_logistic(x, y, model)
    assert fit.converged is False
    assert why in fit.message and "not fitted" in fit.message
    assert all(math.isnan(p) for p in fit.params)
    mapped = mapped_statistics(x, y, model)
    assert mapped.fit.converged is False
    assert math.isnan(mapped.plcc) and math.isnan(mapped.rmse)
    assert math.isnan(rmse(x, y, model)) and math.isnan(plcc_logistic(x, y, model))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_one_more_sample_than_parameters_fits(model):
    """With one sample more than the model has parameters, the fit is attempted (not refused)."""
    n = 5 if model == "vqeg4" else 6
    x = np.linspace(0.0, 1.0, n)
    y = np.array([1.0, 1.3, 2.9, 4.2, 4.6, 4.8])[:n]
    assert "not fitted" not in fit_logistic(x, y, model).message


def test_unknown_model_raises_value_error():
    """An unknown model name raises ValueError naming it."""
    x, y = dataset("scores 0..1, MOS 1..5")
    with pytest.raises(ValueError, match="vqeg5"):
        fit_logistic(x, y, "vqeg5")
    with pytest.raises(ValueError):
        mapped_statistics(x, y, "linear")


def test_non_finite_input_raises():
    """A NaN score raises StatisticsInputError naming its index, before any fitting."""
    x, y = dataset("scores 0..1, MOS 1..5")
    x = x.copy()
    x[7] = math.nan
    with pytest.raises(StatisticsInputError, match=r"scores\[7\]"):
        fit_logistic(x, y)
