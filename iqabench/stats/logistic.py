"""Nonlinear mapping of scores to labels before PLCC and RMSE.

- ``vqeg4``: the VQEG 4-parameter logistic (VQEG, *Final report … FR-TV Phase II*, 2003, §5.3),
  Q(x) = (β1 − β2) / (1 + exp(−(x − β3) / |β4|)) + β2, initialised at [max y, min y, mean x, std x / 4].
- ``sheikh5``: the 5-parameter logistic of Sheikh, Sabir & Bovik, "A statistical evaluation of recent
  full reference image quality assessment algorithms", IEEE TIP 15(11), 2006, eq. (1),
  Q(x) = β1 (1/2 − 1 / (1 + exp(β2 (x − β3)))) + β4 x + β5.

Both are fitted by least squares with Levenberg–Marquardt (Moré 1978) in numba, on z-scored x and y
so that one tolerance suits every metric's scale. A fit that does not converge is reported (``converged=False`` and a message) and its PLCC and
RMSE are NaN: a number from an unconverged fit would look plausible and be wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .inputs import paired, undefined_reason
from .levenberg_marquardt import levenberg_marquardt
from .logistic_curves import mapped_plcc_rmse, model_value

MODELS = {"vqeg4": 0, "sheikh5": 1}
PARAMETERS = {"vqeg4": 4, "sheikh5": 5}
#: enough for the slow drift towards the exponential or linear limit of the 4-parameter curve (600 seen)
MAX_ITERATIONS = 2000


def initial_parameters(model: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The starting point of each model (vqeg4: the VQEG values; sheikh5: an increasing curve of the
    labels' range, centred on the mean score, with no linear term)."""
    if model == "vqeg4":
        return np.array([y.max(), y.min(), x.mean(), x.std() / 4.0])
    return np.array([y.max() - y.min(), 1.0 / x.std(), x.mean(), 0.0, y.mean()])


@dataclass(frozen=True)
class Standardisation:
    """z-scoring of scores and labels; the fit works in these units."""

    x_mean: float
    x_std: float
    y_mean: float
    y_std: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> "Standardisation":
        return cls(float(x.mean()), float(x.std()), float(y.mean()), float(y.std()))

    def x(self, x: np.ndarray) -> np.ndarray:
        return (x - self.x_mean) / self.x_std

    def y(self, y: np.ndarray) -> np.ndarray:
        return (y - self.y_mean) / self.y_std


@dataclass(frozen=True)
class LogisticFit:
    """A fitted logistic mapping from scores to labels, as :func:`fit_logistic` returns it.

    Attributes
    ----------
    model : str
        ``"vqeg4"`` or ``"sheikh5"``.
    params : tuple of float
        β1 … β4 (or β5), in the units of the scores and labels; NaN when not fitted.
    converged : bool
        Whether Levenberg–Marquardt converged; a fit that did not has NaN PLCC and RMSE.
    iterations : int
        Iterations taken (0 when the data could not be fitted at all).
    message : str
        How the fit ended, in words (``"converged in 5 iterations"``, ``"not fitted: …"``).
    scale : Standardisation or None
        The z-scoring the fit worked in; None when not fitted.
    standard_params : numpy.ndarray or None
        The parameters in those z-scored units; None when not fitted.

    Examples
    --------
    >>> from iqabench.stats import fit_logistic
    >>> fit = fit_logistic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9])
    >>> fit.converged, fit.message
    (True, 'converged in 5 iterations')
    >>> [round(b, 3) for b in fit.params]
    [4.953, 0.925, 0.445, 0.082]
    """

    model: str
    params: tuple[float, ...]
    converged: bool
    iterations: int
    message: str
    scale: Standardisation | None = None
    standard_params: np.ndarray | None = None

    def predict(self, pred) -> np.ndarray:
        """Q(pred): scores mapped to the scale of the labels.

        Parameters
        ----------
        pred : array_like
            Scores, in the units the mapping was fitted on.

        Returns
        -------
        numpy.ndarray
            The mapped scores, in label units.

        Examples
        --------
        >>> from iqabench.stats import fit_logistic
        >>> fit = fit_logistic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9])
        >>> [round(float(q), 2) for q in fit.predict([0.1, 0.45, 0.8])]
        [0.98, 3.0, 4.9]
        """
        x = self.scale.x(np.asarray(pred, dtype=np.float64))
        code = MODELS[self.model]
        return np.array([self.scale.y_mean + self.scale.y_std * model_value(code, self.standard_params, v)
                         for v in x])


def _to_original_units(model: str, p: np.ndarray, s: Standardisation) -> tuple[float, ...]:
    if model == "vqeg4":
        values = (s.y_mean + s.y_std * p[0], s.y_mean + s.y_std * p[1], s.x_mean + s.x_std * p[2], s.x_std * p[3])
    else:
        slope = s.y_std * p[3] / s.x_std
        values = (s.y_std * p[0], p[1] / s.x_std, s.x_mean + s.x_std * p[2], slope,
                  s.y_mean + s.y_std * p[4] - slope * s.x_mean)
    return tuple(float(v) for v in values)


def fit_logistic(pred, truth, model: str = "vqeg4") -> LogisticFit:
    """Fit a logistic mapping from scores ``pred`` to labels ``truth`` by least squares.

    ``vqeg4`` is the VQEG 4-parameter logistic (VQEG FR-TV Phase II, 2003, §5.3),
    Q(x) = (β1 − β2) / (1 + exp(−(x − β3) / |β4|)) + β2; ``sheikh5`` the 5-parameter logistic of Sheikh,
    Sabir & Bovik (IEEE TIP 15(11), 2006, eq. 1). Levenberg–Marquardt runs on z-scored scores and labels.
    A fit that cannot be made or does not converge is returned with ``converged=False`` and the reason in
    ``message``, never with plausible-looking parameters.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic to fit.

    Returns
    -------
    LogisticFit
        The fit, converged or not.

    Raises
    ------
    ValueError
        When ``model`` is not one of the two.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench.stats import fit_logistic
    >>> fit = fit_logistic([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9])
    >>> fit.model, fit.converged
    ('vqeg4', True)
    >>> fit_logistic([1, 2, 3], [1, 2, 3]).message
    'not fitted: 3 samples cannot fit 4 parameters'
    """
    if model not in MODELS:
        raise ValueError(f"unknown logistic model {model!r}; choose one of {sorted(MODELS)}")
    x, y = paired(pred, truth)
    reason = undefined_reason(x, y)
    if reason or x.size <= PARAMETERS[model]:
        why = reason or f"{x.size} samples cannot fit {PARAMETERS[model]} parameters"
        return LogisticFit(model, (math.nan,) * PARAMETERS[model], False, 0, f"not fitted: {why}")
    scale = Standardisation.of(x, y)
    xs, ys = scale.x(x), scale.y(y)
    start = initial_parameters(model, xs, ys)
    params, converged, iterations = levenberg_marquardt(MODELS[model], xs, ys, np.ones(x.size), start,
                                                        MAX_ITERATIONS)
    message = (f"converged in {iterations} iterations" if converged
               else f"did not converge in {iterations} iterations (Levenberg–Marquardt)")
    return LogisticFit(model, _to_original_units(model, params, scale), bool(converged), int(iterations),
                       message, scale, params)


@dataclass(frozen=True)
class Mapped:
    """PLCC and RMSE after the logistic mapping, as :func:`mapped_statistics` returns them.

    Attributes
    ----------
    plcc : float
        PLCC of the mapped scores with the labels, signed by the direction of the fitted curve over the
        scores: a curve that falls gives a negative PLCC, as the raw correlation would. NaN when the fit
        failed (``fit.message`` says why).
    rmse : float
        Root mean squared error of the labels minus the mapped scores, in label units; NaN when the fit
        failed.
    fit : LogisticFit
        The mapping.

    Examples
    --------
    >>> from iqabench.stats import mapped_statistics
    >>> mapped = mapped_statistics([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9])
    >>> round(mapped.plcc, 4), round(mapped.rmse, 3), mapped.fit.converged
    (1.0, 0.015, True)
    """

    plcc: float
    rmse: float
    fit: LogisticFit


def mapped_statistics(pred, truth, model: str = "vqeg4") -> Mapped:
    """PLCC and RMSE between the labels and the scores mapped by a fitted logistic.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic to fit (:func:`fit_logistic`).

    Returns
    -------
    Mapped
        PLCC, RMSE and the fit; NaN statistics when the fit failed.

    Raises
    ------
    ValueError
        When ``model`` is not one of the two.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> scores, mos = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9]
    >>> round(stats.plcc(scores, mos), 4)  # before the mapping
    0.9762
    >>> mapped = stats.mapped_statistics(scores, mos, model="sheikh5")
    >>> round(mapped.plcc, 4), round(mapped.rmse, 3)
    (1.0, 0.013)
    >>> stats.mapped_statistics([1, 2, 3], [1, 2, 3]).plcc
    nan
    """
    fit = fit_logistic(pred, truth, model)
    if not fit.converged:
        return Mapped(math.nan, math.nan, fit)
    x, y = paired(pred, truth)
    code = MODELS[model]
    plcc, rmse = mapped_plcc_rmse(code, fit.standard_params, fit.scale.x(x), fit.scale.y(y), np.ones(x.size))
    return Mapped(float(plcc), float(rmse) * fit.scale.y_std, fit)


def plcc_logistic(pred, truth, model: str = "vqeg4") -> float:
    """PLCC after the logistic mapping, signed by the direction of the fitted curve.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic to fit (:func:`fit_logistic`).

    Returns
    -------
    float
        PLCC in [-1, 1]; NaN when the fit fails (:func:`mapped_statistics` says why).

    Raises
    ------
    ValueError
        When ``model`` is not one of the two.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> scores, mos = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9]
    >>> round(stats.plcc_logistic(scores, mos), 4)
    1.0
    >>> round(stats.plcc_logistic([-s for s in scores], mos), 4)  # the mapping keeps a sign error visible
    -1.0
    """
    return mapped_statistics(pred, truth, model).plcc


def rmse(pred, truth, model: str = "vqeg4") -> float:
    """Root mean squared error between the labels and the scores mapped by a fitted logistic.

    Parameters
    ----------
    pred : array_like
        The scores, one per sample.
    truth : array_like
        The labels, paired one to one with ``pred``.
    model : {"vqeg4", "sheikh5"}, default "vqeg4"
        The logistic to fit (:func:`fit_logistic`).

    Returns
    -------
    float
        RMSE in label units; NaN when the fit fails (:func:`mapped_statistics` says why).

    Raises
    ------
    ValueError
        When ``model`` is not one of the two.
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite, or the lengths differ.

    Examples
    --------
    >>> from iqabench import stats
    >>> round(stats.rmse([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 1.1, 1.5, 2.4, 3.6, 4.4, 4.8, 4.9]), 3)
    0.015
    """
    return mapped_statistics(pred, truth, model).rmse
