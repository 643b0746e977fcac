"""The logistic curves in numba: their values and gradients, and PLCC and RMSE through a fitted curve.

Model 0 is ``vqeg4`` and model 1 ``sheikh5`` (:mod:`.logistic` cites both); the parameters are those of
the z-scored scores and labels the fit works in.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from .pearson import weighted_pearson

_EXP_LIMIT = 700.0


@jit
def _sigmoid(z):
    z = min(_EXP_LIMIT, max(-_EXP_LIMIT, z))
    return 1.0 / (1.0 + math.exp(-z))


@jit
def model_value(model, p, x):
    """Q(x) of ``model`` (0: vqeg4, 1: sheikh5) with parameters ``p``."""
    if model == 0:
        return (p[0] - p[1]) * _sigmoid((x - p[2]) / abs(p[3])) + p[1]
    return p[0] * (0.5 - _sigmoid(-p[1] * (x - p[2]))) + p[3] * x + p[4]


@jit
def model_gradient(model, p, x, out):
    """∂Q/∂β at ``x`` into ``out``."""
    if model == 0:
        s = abs(p[3])
        g = _sigmoid((x - p[2]) / s)
        slope = (p[0] - p[1]) * g * (1.0 - g)
        out[0] = g
        out[1] = 1.0 - g
        out[2] = -slope / s
        out[3] = -slope * (x - p[2]) / (s * s) * (1.0 if p[3] >= 0 else -1.0)
    else:
        h = _sigmoid(-p[1] * (x - p[2]))  # 1 / (1 + exp(β2 (x − β3)))
        slope = p[0] * h * (1.0 - h)
        out[0] = 0.5 - h
        out[1] = slope * (x - p[2])
        out[2] = -slope * p[1]
        out[3] = x
        out[4] = 1.0


@jit
def mapped_plcc_rmse(model, p, x, y, w):
    """Signed PLCC of Q(x) with y, and the weighted RMSE of y − Q(x).

    The sign is that of the fitted curve's direction over the scores, Q(max x) − Q(min x): a curve that
    falls means the metric orders images against the labels, and its PLCC is negative, as the raw
    correlation would be. (Unsigned, the mapping would turn a sign error into a good-looking PLCC.)"""
    q = np.empty(x.size)
    total = 0.0
    sse = 0.0
    low = np.inf
    high = -np.inf
    for i in range(x.size):
        q[i] = model_value(model, p, x[i])
        r = y[i] - q[i]
        sse += w[i] * r * r
        total += w[i]
        if w[i] != 0:
            low = min(low, x[i])
            high = max(high, x[i])
    direction = 1.0 if model_value(model, p, high) >= model_value(model, p, low) else -1.0
    return direction * weighted_pearson(q, y, w), math.sqrt(sse / total)
